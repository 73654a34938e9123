// UART receiver: 8 data bits, no parity, 1 stop bit (8N1), LSB first, line idle high.
// The line is synchronised with two flops. Every bit (start, data, stop) is decided by a
// majority vote over three consecutive samples centred on the bit's middle, so a glitch of
// one clock anywhere in a bit is ignored and the sample window stays away from the bit
// edges at 8..10 clocks per bit (3 Mbaud from a 24..30 MHz clock) with a baud mismatch of
// up to 2 % (see `uart_bit_error` in fpga/flow.h). One byte per valid_o pulse; a stop bit
// voted low gives a frame_err_o pulse instead. A start edge needs two of the last three samples
// low (a one-clock low glitch on the idle line or late in a stop bit is not an edge, a
// one-clock high glitch after the edge delays it by one clock only); the start bit is then
// voted at its middle like the others (voted high: dropped).
// CLKS_PER_BIT = clock / baud (rounded), at least 4.
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
  // The edge is taken at the second low sample, on average 1.5 samples after the line fell.
  // Counting from the next clock, the vote's middle sample is (CLKS_PER_BIT-1)/2 samples
  // after the first low one when cnt_q = (CLKS_PER_BIT-1)/2 - 1: the bit's middle for odd
  // CLKS_PER_BIT, half a clock early for even ones (early, because a glitch at the edge
  // can only delay its detection).
  localparam integer StartVoteI = (CLKS_PER_BIT - 1) / 2 - 1;
  localparam [CW-1:0] LastClk = LastClkI[CW-1:0];
  localparam [CW-1:0] StartVote = StartVoteI[CW-1:0];

  localparam [1:0] StIdle = 2'd0, StStart = 2'd1, StData = 2'd2, StStop = 2'd3;

  reg [1:0]    sync_q;
  reg [1:0]    hist_q;  // the two samples before rx_s
  reg [1:0]    state_q, state_d;
  reg [CW-1:0] cnt_q, cnt_d;
  reg [2:0]    bit_q, bit_d;
  reg [7:0]    shift_q, shift_d;
  reg          valid_q, valid_d;
  reg          ferr_q, ferr_d;

  wire rx_s = sync_q[1];
  // Majority of the samples at middle - 1, middle, middle + 1 of the current bit.
  wire vote = (hist_q[1] & hist_q[0]) | (hist_q[1] & rx_s) | (hist_q[0] & rx_s);

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
        if (!vote) state_d = StStart;
      end
      StStart: begin
        if (cnt_q == StartVote) begin
          cnt_d   = {CW{1'b0}};
          bit_d   = 3'd0;
          state_d = vote ? StIdle : StData;  // a glitch, not a start bit
        end
      end
      StData: begin
        if (cnt_q == LastClk) begin
          cnt_d   = {CW{1'b0}};
          shift_d = {vote, shift_q[7:1]};
          bit_d   = bit_q + 1'b1;
          if (bit_q == 3'd7) state_d = StStop;
        end
      end
      default: begin  // StStop
        if (cnt_q == LastClk) begin
          cnt_d   = {CW{1'b0}};
          valid_d = vote;
          ferr_d  = !vote;
          state_d = StIdle;
        end
      end
    endcase
  end

  always @(posedge clk_i) begin
    if (!rst_ni) begin
      sync_q  <= 2'b11;
      hist_q  <= 2'b11;
      state_q <= StIdle;
      cnt_q   <= {CW{1'b0}};
      bit_q   <= 3'd0;
      shift_q <= 8'd0;
      valid_q <= 1'b0;
      ferr_q  <= 1'b0;
    end else begin
      sync_q  <= {sync_q[0], rx_i};
      hist_q  <= {hist_q[0], rx_s};
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
