`default_nettype none

// 4:1 mux in an always @* case, with reductions and concatenation.
module vast_mux (
  input  wire [1:0] sel_i,
  input  wire [3:0] a_i,
  input  wire [3:0] b_i,
  input  wire [3:0] c_i,
  output reg  [7:0] y_o,
  output wire [2:0] flags_o
);
  always @* begin
    // defaults first, so no path leaves y_o unassigned
    y_o = 8'd0;
    case (sel_i)
      2'd0: y_o = {a_i, b_i};
      2'd1: y_o = {b_i, c_i};
      2'd2: begin
        if (&a_i) begin
          y_o = {2{c_i}};
        end else begin
          y_o = {~c_i, a_i ^ b_i};
        end
      end
      default: y_o = 8'ha5;
    endcase
  end

  assign flags_o = {|a_i, ^b_i, c_i[0] || (a_i != c_i)};
endmodule

`default_nettype wire
