`default_nettype none

// 16 x 8-bit ROM initialised by $readmemh, registered read.
module vast_rom #(
  parameter integer Depth = 16
) (
  input  wire       clk_i,
  input  wire [3:0] addr_i,
  output wire [7:0] data_o
);
  localparam integer LastWord = Depth - 1;

  reg [7:0] rom [0:15];
  reg [7:0] rdata_q;
  wire [7:0] rdata_d;
  wire in_range;
  reg valid_q;
  wire valid_d;

  initial $readmemh("vast_rom.hex", rom);

  always @(posedge clk_i) begin
    rdata_q <= rdata_d;
    valid_q <= valid_d;
  end

  assign rdata_d = rom[addr_i];
  assign in_range = {28'd0, addr_i} <= $unsigned(LastWord[31:0]);
  assign valid_d = in_range;
  assign data_o = valid_q ? rdata_q : 8'd0;
endmodule

`default_nettype wire
