// Power-on / PLL-lock reset: rst_no stays low for 2^CW cycles after configuration and
// whenever lock_i (asynchronous) is low; released synchronously to clk_i.
module board_reset #(
  parameter integer CW = 4
) (
  input  wire clk_i,
  input  wire lock_i,
  output wire rst_no
);
  reg [1:0]    lock_q = 2'b00;
  reg [CW-1:0] cnt_q = {CW{1'b0}};
  reg          rst_nq = 1'b0;
  always @(posedge clk_i) begin
    lock_q <= {lock_q[0], lock_i};
    if (!lock_q[1]) begin
      cnt_q  <= {CW{1'b0}};
      rst_nq <= 1'b0;
    end else if (!(&cnt_q)) begin
      cnt_q <= cnt_q + 1'b1;
    end else begin
      rst_nq <= 1'b1;
    end
  end
  assign rst_no = rst_nq;
endmodule
