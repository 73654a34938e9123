// Post-synthesis (and RTL) testbench of a generated sdm_accel: streams NUM_CLIPS clips from
// clips.hex (CLIP_BYTES bytes each, one hex byte per line) through the pixel stream
// (s_axis_*), waits for the result beat (m_axis_*) and prints one line per clip:
//   RESULT <clip> <class> <cycles> <logit 0> ... <logit K-1>   (logits signed decimal)
// Driven by fpga/test/postsynth_check.cc; runs under Icarus (iverilog -g2012).
`timescale 1ns / 1ps
module tb_accel #(
  parameter integer CLIP_BYTES  = 64,
  parameter integer NUM_CLIPS   = 1,
  parameter integer NUM_CLASSES = 10,
  parameter integer CLASS_W     = 4,
  parameter integer LOGIT_W     = 20,
  parameter integer MAX_CYCLES  = 10000000
);
  reg clk = 1'b0;
  reg rst_n = 1'b0;
  reg tvalid = 1'b0, tlast = 1'b0;
  reg [7:0] tdata = 8'd0;
  localparam integer ResCB = (CLASS_W + 7) / 8 * 8;  // result beat: class field bits
  localparam integer ResW  = (ResCB + NUM_CLASSES * LOGIT_W + 7) / 8 * 8;
  wire tready, busy, done, res_valid, res_last;
  wire [ResW-1:0] res;
  wire [CLASS_W-1:0] cls = res[CLASS_W-1:0];
  wire [NUM_CLASSES*LOGIT_W-1:0] logits = res[ResCB +: NUM_CLASSES*LOGIT_W];
  wire [31:0] cnt;
  reg [7:0] clips [0:CLIP_BYTES*NUM_CLIPS-1];

  always #5 clk = ~clk;

  sdm_accel dut (
    .clk_i         (clk),
    .rst_ni        (rst_n),
    .s_axis_tdata_i (tdata),
    .s_axis_tvalid_i(tvalid),
    .s_axis_tready_o(tready),
    .s_axis_tlast_i (tlast),
    .m_axis_tdata_o (res),
    .m_axis_tvalid_o(res_valid),
    .m_axis_tready_i(1'b1),
    .m_axis_tlast_o (res_last),
    .start_i        (1'b0),
    .busy_o         (busy),
    .done_o         (done),
    .cnt_sel_i      (8'd0),
    .cnt_val_o      (cnt)
  );

  integer c, i, k, n;
  reg signed [LOGIT_W-1:0] l;
  initial begin
    $readmemh("clips.hex", clips);
    repeat (4) @(posedge clk);
    #1 rst_n = 1'b1;
    for (c = 0; c < NUM_CLIPS; c = c + 1) begin
      for (i = 0; i < CLIP_BYTES; i = i + 1) begin
        #1;
        tvalid = 1'b1;
        tdata  = clips[c*CLIP_BYTES+i];
        tlast  = (i == CLIP_BYTES - 1);
        @(posedge clk);
        while (!tready) @(posedge clk);
      end
      #1;
      tvalid = 1'b0;
      tlast  = 1'b0;
      n = 0;
      while (done && n < MAX_CYCLES) begin @(posedge clk); n = n + 1; end
      while (!done && n < MAX_CYCLES) begin @(posedge clk); n = n + 1; end
      if (n >= MAX_CYCLES) begin
        $display("TIMEOUT clip %0d", c);
        $finish;
      end
      #1;
      $write("RESULT %0d %0d %0d", c, cls, cnt);
      for (k = 0; k < NUM_CLASSES; k = k + 1) begin
        l = logits[k*LOGIT_W +: LOGIT_W];
        $write(" %0d", l);
      end
      $write("\n");
    end
    $display("DONE");
    $finish;
  end
endmodule
