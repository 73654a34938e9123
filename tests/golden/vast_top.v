`default_nettype none

// A counter, its delayed copy, and a count of its wraps.
module vast_top (
  input  wire        clk_i,
  input  wire        rst_ni,
  input  wire        en_i,
  output wire [15:0] count_o,
  output wire [1:0]  wraps_o
);
  wire [7:0] u_cnt_count;
  wire u_cnt_wrap;
  wire [7:0] u_dly_q;
  reg [1:0] wraps_q;  // saturates at 3
  wire [1:0] wraps_d;

  vast_counter u_cnt (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .en_i   (en_i),
    .count_o(u_cnt_count),
    .wrap_o (u_cnt_wrap)
  );

  vast_delay #(
    .Width(8)
  ) u_dly (
    .clk_i (clk_i),
    .rst_ni(rst_ni),
    .d_i   (u_cnt_count),
    .q_o   (u_dly_q)
  );

  always @(posedge clk_i) begin
    if (!rst_ni) begin
      wraps_q <= 2'd0;
    end else begin
      if (u_cnt_wrap) wraps_q <= wraps_d;
    end
  end

  assign wraps_d = &wraps_q ? wraps_q : wraps_q + 2'd1;
  assign count_o = {u_cnt_count, u_dly_q};
  assign wraps_o = wraps_q;
endmodule

`default_nettype wire
