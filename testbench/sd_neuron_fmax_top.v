// Synthesis-only wrapper for testbench/neuron_fmax.sh: an sd_neuron_array whose wide
// buses are reached through shift registers, so it fits the 39 I/O of the UP5K SG48
// and every lane stays alive. Inputs come from registers (as the currents would come
// from registered accumulators); the spike counts are captured and shifted out. The
// v_o/m_o taps (verification only) are left unused, as in an accelerator, so
// synthesis drops their registers.
`default_nettype none

module sd_neuron_fmax_top #(
  parameter integer LANES = 16,
  parameter integer ACC_W = 16,
  parameter integer PW    = 18,
  parameter integer F     = 7,
  parameter integer BETA  = 5,
  parameter integer N_W   = 4,
  parameter integer GAP   = 2   // STEP_GAP of the neurons (2 = the accelerator's)
) (
  input  wire clk_i,
  input  wire rst_ni,
  input  wire valid_i,
  input  wire first_i,
  input  wire shift_i,   // shift serial_i into the current register
  input  wire serial_i,
  output wire serial_o
);
  localparam integer IW = LANES * ACC_W;
  localparam integer OW = LANES * N_W;

  reg  [IW-1:0] cur_q;
  reg  [OW-1:0] out_q;
  wire          valid_o;
  wire [LANES*N_W-1:0] n_o;
  wire [LANES*PW-1:0]  v_o;
  wire [LANES*PW-1:0]  m_o;

  always @(posedge clk_i) begin
    if (shift_i) cur_q <= {cur_q[IW-2:0], serial_i};
    if (valid_o) out_q <= n_o;
    else         out_q <= {out_q[OW-2:0], 1'b0};
  end
  assign serial_o = out_q[OW-1];

  sd_neuron_array #(
    .LANES    (LANES),
    .ACC_W    (ACC_W),
    .PW       (PW),
    .F        (F),
    .BETA     (BETA),
    .DUAL     (1),
    .INIT_HALF(1),
    .N_W      (N_W),
    .STEP_GAP (GAP)
  ) u_array (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .valid_i(valid_i),
    .first_i(first_i),
    .cur_i  (cur_q),
    .valid_o(valid_o),
    .n_o    (n_o),
    .v_o    (v_o),
    .m_o    (m_o)
  );
endmodule

`default_nettype wire
