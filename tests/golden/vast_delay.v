`default_nettype none

// One-cycle delay of parametric width.
module vast_delay #(
  parameter integer Width = 4
) (
  input  wire             clk_i,
  input  wire             rst_ni,
  input  wire [Width-1:0] d_i,
  output wire [Width-1:0] q_o
);
  reg [Width-1:0] data_q;
  wire [Width-1:0] data_d;

  always @(posedge clk_i) begin
    if (!rst_ni) begin
      data_q <= {Width{1'b0}};
    end else begin
      data_q <= data_d;
    end
  end

  assign data_d = d_i;
  assign q_o = data_q;
endmodule

`default_nettype wire
