// UART transmitter, 8N1, LSB first. A byte is taken when valid_i && ready_o; ready_o is
// high while the transmitter is idle. CLKS_PER_BIT = clock / baud, at least 4.
module uart_tx #(
  parameter integer CLKS_PER_BIT = 104
) (
  input  wire       clk_i,
  input  wire       rst_ni,
  input  wire [7:0] data_i,
  input  wire       valid_i,
  output wire       ready_o,
  output wire       tx_o
);
  localparam integer CW = $clog2(CLKS_PER_BIT + 1);
  localparam integer LastClkI = CLKS_PER_BIT - 1;
  localparam [CW-1:0] LastClk = LastClkI[CW-1:0];

  reg [8:0]    shift_q, shift_d;  // {data, start} still to send; bit 0 is on the line
  reg [3:0]    left_q, left_d;    // bits still to send including the current one; 0 = idle
  reg [CW-1:0] cnt_q, cnt_d;
  reg          line_q, line_d;

  always @* begin
    shift_d = shift_q;
    left_d  = left_q;
    cnt_d   = cnt_q;
    line_d  = line_q;
    if (left_q == 4'd0) begin
      if (valid_i) begin
        shift_d = {data_i, 1'b0};
        left_d  = 4'd10;
        cnt_d   = {CW{1'b0}};
        line_d  = 1'b0;
      end
    end else if (cnt_q == LastClk) begin
      cnt_d   = {CW{1'b0}};
      left_d  = left_q - 1'b1;
      shift_d = {1'b1, shift_q[8:1]};
      line_d  = (left_q == 4'd1) ? 1'b1 : shift_q[1];  // after the stop bit: idle high
    end else begin
      cnt_d = cnt_q + 1'b1;
    end
  end

  always @(posedge clk_i) begin
    if (!rst_ni) begin
      shift_q <= 9'h1ff;
      left_q  <= 4'd0;
      cnt_q   <= {CW{1'b0}};
      line_q  <= 1'b1;
    end else begin
      shift_q <= shift_d;
      left_q  <= left_d;
      cnt_q   <= cnt_d;
      line_q  <= line_d;
    end
  end

  assign ready_o = (left_q == 4'd0);
  assign tx_o    = line_q;
endmodule
