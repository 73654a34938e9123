// Status LEDs: led 0 = busy, led 1 = done, leds 2.. = class bits (LSB first); LEDs beyond
// the class width stay off. Bit i of INVERT set = LED i is active low.
module board_leds #(
  parameter integer NUM_LEDS = 2,
  parameter integer CLASS_W  = 2,
  parameter integer INVERT   = 0
) (
  input  wire               busy_i,
  input  wire               done_i,
  input  wire [CLASS_W-1:0] class_i,
  output wire [NUM_LEDS-1:0] led_o
);
  // Not every status bit has an LED on every board.
  /* verilator lint_off UNUSEDSIGNAL */
  wire [CLASS_W+1:0] status = {class_i, done_i, busy_i};
  /* verilator lint_on UNUSEDSIGNAL */
  localparam [31:0] Inv = INVERT;
  genvar i;
  generate
    for (i = 0; i < NUM_LEDS; i = i + 1) begin : g_led
      if (i < CLASS_W + 2) begin : g_on
        assign led_o[i] = status[i] ^ Inv[i];
      end else begin : g_off
        assign led_o[i] = Inv[i];
      end
    end
  endgenerate
endmodule
