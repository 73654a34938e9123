// Icarus Verilog bench for a generated sdm_accel: streams the clips of clips.hex (one byte
// per line, CLIPS x CLIP_BYTES), and prints per clip "clip i class c cycles n logits l0 l1 ..."
// for testbench/icarus_check.sh to compare with the Verilator/golden results.
`timescale 1ns/1ps
module tb_icarus;
  parameter integer CLIP_BYTES = 64;
  parameter integer CLIPS = 1;
  parameter integer K = 2;
  parameter integer LW = 8;
  parameter integer CW = 1;
  reg clk = 1'b0, rst_n = 1'b0;
  reg valid = 1'b0, last = 1'b0;
  reg [7:0] data = 8'd0;
  localparam integer ResCB = (CW + 7) / 8 * 8;  // result beat: class field bits
  localparam integer ResW  = (ResCB + K * LW + 7) / 8 * 8;
  wire ready, busy, done, res_valid, res_last;
  wire [ResW-1:0] res;
  wire [CW-1:0] cls = res[CW-1:0];
  wire [K*LW-1:0] logits = res[ResCB +: K*LW];
  wire [31:0] cnt_val;
  reg [7:0] pixels [0:CLIPS*CLIP_BYTES-1];
  integer c, i, k;
  always #5 clk = ~clk;
  sdm_accel dut (
    .clk_i(clk), .rst_ni(rst_n),
    .s_axis_tdata_i(data), .s_axis_tvalid_i(valid), .s_axis_tready_o(ready), .s_axis_tlast_i(last),
    .m_axis_tdata_o(res), .m_axis_tvalid_o(res_valid), .m_axis_tready_i(1'b1), .m_axis_tlast_o(res_last),
    .start_i(1'b0), .busy_o(busy), .done_o(done),
    .cnt_sel_i(8'd0), .cnt_val_o(cnt_val),
    .trace_valid_o(), .trace_tensor_o(), .trace_addr_o(), .trace_data_o(), .trace_step_o(), .trace_nsteps_o(), .trace_nrn_lane_o(),
    .trace_nrn_valid_o(), .trace_nrn_stage_o(), .trace_nrn_t_o(), .trace_nrn_v_o(), .trace_nrn_m_o());
  initial begin
    $readmemh("clips.hex", pixels);
    repeat (3) @(posedge clk);
    rst_n = 1'b1;
    for (c = 0; c < CLIPS; c = c + 1) begin
      i = 0;
      while (i < CLIP_BYTES) begin
        @(negedge clk);
        valid = 1'b1;
        data = pixels[c * CLIP_BYTES + i];
        last = (i == CLIP_BYTES - 1);
        @(posedge clk);
        if (ready) i = i + 1;
      end
      @(negedge clk);
      valid = 1'b0;
      last = 1'b0;
      @(posedge clk);
      while (!done) @(posedge clk);
      if (!res_valid || !res_last) $display("result beat: m_axis_tvalid_o/tlast_o not set with done_o");
      $write("clip %0d class %0d cycles %0d logits", c, cls, cnt_val);
      for (k = 0; k < K; k = k + 1) $write(" %0d", $signed(logits[k*LW +: LW]));
      $write("\n");
    end
    $finish;
  end
endmodule
