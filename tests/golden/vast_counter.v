`default_nettype none

// Free-running 8-bit counter with enable (VAST golden test).
module vast_counter (
  input  wire       clk_i,
  input  wire       rst_ni,
  input  wire       en_i,
  output wire [7:0] count_o,
  output wire       wrap_o
);
  reg [7:0] cnt_q;  // current count
  wire [7:0] cnt_d;

  always @(posedge clk_i) begin
    if (!rst_ni) begin
      cnt_q <= 8'd0;
    end else begin
      if (en_i) cnt_q <= cnt_d;
    end
  end

  assign cnt_d = cnt_q + 8'd1;
  assign count_o = cnt_q;
  assign wrap_o = en_i && (cnt_q == 8'hff);
endmodule

`default_nettype wire
