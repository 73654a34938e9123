// UART receiver: 8 data bits, no parity, 1 stop bit (8N1), LSB first, line idle high.
// The line is synchronised with two flops, the start bit is confirmed at its middle and
// every data bit is sampled at its middle. One byte per valid_o pulse; a low stop bit
// gives a frame_err_o pulse instead. CLKS_PER_BIT = clock / baud, at least 4.
module uart_rx #(
  parameter integer CLKS_PER_BIT = 104
) (
  input  wire       clk_i,
  input  wire       rst_ni,
  input  wire       rx_i,
  output wire [7:0] data_o,
  output wire       valid_o,
  output wire       frame_err_o
);
  localparam integer CW = $clog2(CLKS_PER_BIT + 1);
  localparam integer LastClkI = CLKS_PER_BIT - 1;
  localparam integer HalfClkI = CLKS_PER_BIT / 2 - 1;
  localparam [CW-1:0] LastClk = LastClkI[CW-1:0];
  localparam [CW-1:0] HalfClk = HalfClkI[CW-1:0];

  localparam [1:0] StIdle = 2'd0, StStart = 2'd1, StData = 2'd2, StStop = 2'd3;

  reg [1:0]    sync_q;
  reg [1:0]    state_q, state_d;
  reg [CW-1:0] cnt_q, cnt_d;
  reg [2:0]    bit_q, bit_d;
  reg [7:0]    shift_q, shift_d;
  reg          valid_q, valid_d;
  reg          ferr_q, ferr_d;

  wire rx_s = sync_q[1];

  always @* begin
    state_d = state_q;
    cnt_d   = cnt_q + 1'b1;
    bit_d   = bit_q;
    shift_d = shift_q;
    valid_d = 1'b0;
    ferr_d  = 1'b0;
    case (state_q)
      StIdle: begin
        cnt_d = {CW{1'b0}};
        if (!rx_s) state_d = StStart;
      end
      StStart: begin
        if (cnt_q == HalfClk) begin
          cnt_d   = {CW{1'b0}};
          bit_d   = 3'd0;
          state_d = rx_s ? StIdle : StData;  // a glitch shorter than half a bit is ignored
        end
      end
      StData: begin
        if (cnt_q == LastClk) begin
          cnt_d   = {CW{1'b0}};
          shift_d = {rx_s, shift_q[7:1]};
          bit_d   = bit_q + 1'b1;
          if (bit_q == 3'd7) state_d = StStop;
        end
      end
      default: begin  // StStop
        if (cnt_q == LastClk) begin
          cnt_d   = {CW{1'b0}};
          valid_d = rx_s;
          ferr_d  = !rx_s;
          state_d = StIdle;
        end
      end
    endcase
  end

  always @(posedge clk_i) begin
    if (!rst_ni) begin
      sync_q  <= 2'b11;
      state_q <= StIdle;
      cnt_q   <= {CW{1'b0}};
      bit_q   <= 3'd0;
      shift_q <= 8'd0;
      valid_q <= 1'b0;
      ferr_q  <= 1'b0;
    end else begin
      sync_q  <= {sync_q[0], rx_i};
      state_q <= state_d;
      cnt_q   <= cnt_d;
      bit_q   <= bit_d;
      shift_q <= shift_d;
      valid_q <= valid_d;
      ferr_q  <= ferr_d;
    end
  end

  assign data_o      = shift_q;
  assign valid_o     = valid_q;
  assign frame_err_o = ferr_q;
endmodule
