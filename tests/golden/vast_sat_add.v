`default_nettype none

// Signed 8-bit saturating adder and arithmetic shift.
module vast_sat_add (
  input  wire signed [7:0] a_i,
  input  wire signed [7:0] b_i,
  output wire signed [7:0] sum_o,
  output wire signed [7:0] half_o
);
  localparam signed [8:0] SumMax = 9'sd127;
  localparam signed [8:0] SumMin = -9'sd128;

  wire signed [8:0] sum_wide;  // exact sum
  wire signed [7:0] sum_sat;

  assign sum_wide = $signed({{1{a_i[7]}}, a_i}) + $signed({{1{b_i[7]}}, b_i});
  assign sum_sat = sum_wide > SumMax ? 8'sd127 : sum_wide < SumMin ? 8'sh80 : $signed(sum_wide[7:0]);
  assign sum_o = sum_sat;
  assign half_o = sum_sat >>> 1;
endmodule

`default_nettype wire
