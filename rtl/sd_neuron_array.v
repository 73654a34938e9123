// sd_neuron_array: LANES independent SD neurons (rtl/sd_neuron.v) sharing valid and
// first. Lane l reads cur_i[l*ACC_W +: ACC_W] and writes n_o[l*N_W +: N_W],
// v_o[l*PW +: PW], m_o[l*PW +: PW]. Timing is that of sd_neuron: latency 2 cycles,
// one time-step per cycle, each lane holds the state of one neuron (t = 1..T back
// to back, first_i on t = 1).
`default_nettype none

module sd_neuron_array #(
  parameter integer LANES     = 16,
  parameter integer ACC_W     = 16,
  parameter integer PW        = 18,
  parameter integer F         = 7,
  parameter integer BETA      = 5,
  parameter integer DUAL      = 1,
  parameter integer INIT_HALF = 1,
  parameter integer N_W       = 4,
  parameter integer STEP_GAP  = 1   // see sd_neuron.v
) (
  input  wire                   clk_i,
  input  wire                   rst_ni,
  input  wire                   valid_i,
  input  wire                   first_i,
  input  wire [LANES*ACC_W-1:0] cur_i,
  output wire                   valid_o,
  output wire [LANES*N_W-1:0]   n_o,
  output wire [LANES*PW-1:0]    v_o,
  output wire [LANES*PW-1:0]    m_o
);
  // Every lane computes the same valid pipeline; synthesis merges the copies.
  wire [LANES-1:0] lane_valid;

  genvar l;
  generate
    for (l = 0; l < LANES; l = l + 1) begin : g_lane
      sd_neuron #(
        .ACC_W    (ACC_W),
        .PW       (PW),
        .F        (F),
        .BETA     (BETA),
        .DUAL     (DUAL),
        .INIT_HALF(INIT_HALF),
        .N_W      (N_W),
        .STEP_GAP (STEP_GAP)
      ) u_neuron (
        .clk_i  (clk_i),
        .rst_ni (rst_ni),
        .valid_i(valid_i),
        .first_i(first_i),
        .cur_i  (cur_i[l*ACC_W +: ACC_W]),
        .valid_o(lane_valid[l]),
        .n_o    (n_o[l*N_W +: N_W]),
        .v_o    (v_o[l*PW +: PW]),
        .m_o    (m_o[l*PW +: PW])
      );
    end
  endgenerate

  assign valid_o = &lane_valid;
endmodule

`default_nettype wire
