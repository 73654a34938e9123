// ECP5 board wrapper: oscillator -> EHXPLLL (CLKOP feedback) -> design clock;
// power-on/lock reset; board_top; status LEDs. Divider values come from fpga/pll.cc:
// f_out = f_in / CLKI_DIV * CLKFB_DIV, VCO = f_out * CLKOP_DIV.
module board_ecp5 #(
  parameter integer CLK_HZ       = 25000000,
  parameter integer USE_PLL      = 0,
  parameter integer CLKI_DIV     = 1,
  parameter integer CLKFB_DIV    = 1,
  parameter integer CLKOP_DIV    = 1,
  parameter integer CLKOP_CPHASE = 0,
  parameter integer BAUD         = 3000000,
  parameter integer IDLE_BITS    = 60000,  // mid-frame idle that aborts a frame (20 ms at 3 Mbaud)
  parameter integer NUM_CLASSES  = 4,
  parameter integer CLASS_W      = 2,
  parameter integer LOGIT_W      = 24,
  parameter integer CLIP_BYTES   = 256,
  parameter integer RX_FIFO_BYTES = 0,  // board_top receive FIFO (synth: a whole frame when BRAM allows)
  parameter integer NUM_LEDS     = 8,
  parameter integer LED_INVERT   = 0
) (
  input  wire                clk_osc_i,
  input  wire                uart_rx_i,
  output wire                uart_tx_o,
  output wire [NUM_LEDS-1:0] led_o
);
  wire clk, locked;
  generate
    if (USE_PLL != 0) begin : g_pll
      wire clkop;
      EHXPLLL #(
        .PLLRST_ENA      ("DISABLED"),
        .INTFB_WAKE      ("DISABLED"),
        .STDBY_ENABLE    ("DISABLED"),
        .DPHASE_SOURCE   ("DISABLED"),
        .OUTDIVIDER_MUXA ("DIVA"),
        .OUTDIVIDER_MUXB ("DIVB"),
        .OUTDIVIDER_MUXC ("DIVC"),
        .OUTDIVIDER_MUXD ("DIVD"),
        .CLKI_DIV        (CLKI_DIV),
        .CLKOP_ENABLE    ("ENABLED"),
        .CLKOP_DIV       (CLKOP_DIV),
        .CLKOP_CPHASE    (CLKOP_CPHASE),
        .CLKOP_FPHASE    (0),
        .FEEDBK_PATH     ("CLKOP"),
        .CLKFB_DIV       (CLKFB_DIV)
      ) u_pll (
        .RST         (1'b0),
        .STDBY       (1'b0),
        .CLKI        (clk_osc_i),
        .CLKOP       (clkop),
        .CLKFB       (clkop),
        .PHASESEL0   (1'b0),
        .PHASESEL1   (1'b0),
        .PHASEDIR    (1'b1),
        .PHASESTEP   (1'b1),
        .PHASELOADREG(1'b1),
        .PLLWAKESYNC (1'b0),
        .ENCLKOP     (1'b0),
        .LOCK        (locked)
      );
      assign clk = clkop;
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
