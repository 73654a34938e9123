// iCE40 board wrapper: oscillator -> PLL (SB_PLL40_PAD, or SB_PLL40_CORE when the clock
// pin is not a PLL pad) -> design clock; power-on/lock reset; board_top (UART link +
// accelerator); status LEDs. DIVR/DIVF/DIVQ/FILTER_RANGE come from fpga/pll.cc.
module board_ice40 #(
  parameter integer CLK_HZ       = 12000000,  // design clock (PLL output)
  parameter integer USE_PLL      = 0,
  parameter integer PLL_PAD      = 1,
  parameter integer DIVR         = 0,
  parameter integer DIVF         = 0,
  parameter integer DIVQ         = 0,
  parameter integer FILTER_RANGE = 1,
  parameter integer BAUD         = 3000000,
  parameter integer IDLE_BITS    = 60000,  // mid-frame idle that aborts a frame (20 ms at 3 Mbaud)
  parameter integer NUM_CLASSES  = 4,
  parameter integer CLASS_W      = 2,
  parameter integer LOGIT_W      = 24,
  parameter integer CLIP_BYTES   = 256,
  parameter integer RX_FIFO_BYTES = 0,  // board_top receive FIFO (synth: a whole frame when BRAM allows)
  parameter integer NUM_LEDS     = 2,
  parameter integer LED_INVERT   = 0
) (
  input  wire                clk_osc_i,
  input  wire                uart_rx_i,
  output wire                uart_tx_o,
  output wire [NUM_LEDS-1:0] led_o
);
  wire clk, locked;
  generate
    if (USE_PLL != 0 && PLL_PAD != 0) begin : g_pll_pad
      SB_PLL40_PAD #(
        .FEEDBACK_PATH("SIMPLE"),
        .DIVR         (DIVR),
        .DIVF         (DIVF),
        .DIVQ         (DIVQ),
        .FILTER_RANGE (FILTER_RANGE)
      ) u_pll (
        .PACKAGEPIN  (clk_osc_i),
        .PLLOUTGLOBAL(clk),
        .LOCK        (locked),
        .RESETB      (1'b1),
        .BYPASS      (1'b0)
      );
    end else if (USE_PLL != 0) begin : g_pll_core
      SB_PLL40_CORE #(
        .FEEDBACK_PATH("SIMPLE"),
        .DIVR         (DIVR),
        .DIVF         (DIVF),
        .DIVQ         (DIVQ),
        .FILTER_RANGE (FILTER_RANGE)
      ) u_pll (
        .REFERENCECLK(clk_osc_i),
        .PLLOUTGLOBAL(clk),
        .LOCK        (locked),
        .RESETB      (1'b1),
        .BYPASS      (1'b0)
      );
    end else begin : g_no_pll
      assign clk    = clk_osc_i;
      assign locked = 1'b1;
    end
  endgenerate

  wire rst_n, busy, done;
  wire [CLASS_W-1:0] cls;
  board_reset u_reset (.clk_i(clk), .lock_i(locked), .rst_no(rst_n));

  board_top #(
    .CLK_HZ     (CLK_HZ),
    .BAUD       (BAUD),
    .IDLE_BITS  (IDLE_BITS),
    .NUM_CLASSES(NUM_CLASSES),
    .CLASS_W    (CLASS_W),
    .LOGIT_W    (LOGIT_W),
    .CLIP_BYTES (CLIP_BYTES),
    .RX_FIFO_BYTES(RX_FIFO_BYTES)
  ) u_top (
    .clk_i    (clk),
    .rst_ni   (rst_n),
    .uart_rx_i(uart_rx_i),
    .uart_tx_o(uart_tx_o),
    .busy_o   (busy),
    .done_o   (done),
    .class_o  (cls)
  );

  board_leds #(.NUM_LEDS(NUM_LEDS), .CLASS_W(CLASS_W), .INVERT(LED_INVERT)) u_leds (
    .busy_i (busy),
    .done_i (done),
    .class_i(cls),
    .led_o  (led_o)
  );
endmodule
