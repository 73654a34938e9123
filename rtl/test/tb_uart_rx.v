// Self-checking bench for rtl/uart_rx.v (Icarus): a host sends NBYTES random bytes at a
// bit period of CPB clocks * (1 + ERR_PPM / 1e6), back to back or with random idle gaps,
// with GLITCH = 1 a pulse of 0.9 clock of the wrong level at a random place inside every
// bit (start, data and stop) and on the idle line between bytes. Every byte must arrive
// once, in order, without a frame error. Prints "PASS ..." or "FAIL ..." and exits via $finish.
`timescale 1ps / 1ps
module tb_uart_rx;
  parameter integer CPB = 10;        // clocks per bit the receiver is built for
  parameter integer ERR_PPM = 0;     // sender's bit period error, parts per million
  parameter integer GLITCH = 1;
  parameter integer NBYTES = 300;
  parameter integer SEED = 1;
  localparam integer ClkPs = 10000;

  reg clk = 0, rst_n = 0, rx = 1;
  wire [7:0] data;
  wire valid, ferr;
  always #(ClkPs / 2) clk = ~clk;

  uart_rx #(.CLKS_PER_BIT(CPB)) dut (
    .clk_i(clk), .rst_ni(rst_n), .rx_i(rx), .data_o(data), .valid_o(valid), .frame_err_o(ferr));

  reg [7:0] sent [0:NBYTES-1];
  integer got = 0, errors = 0, frame_errors = 0, seed = SEED;
  real bit_ps;

  always @(posedge clk) begin
    if (valid) begin
      if (got >= NBYTES || data !== sent[got]) begin
        if (errors < 5)
          $display("byte %0d: got %02x, sent %02x", got, data, got < NBYTES ? sent[got] : 8'hxx);
        errors = errors + 1;
      end
      got = got + 1;
    end
    if (ferr) frame_errors = frame_errors + 1;
  end

  // One bit of `level` lasting bit_ps, with an optional wrong-level pulse inside it.
  task send_bit(input level);
    real at, w;
    begin
      rx = level;
      if (GLITCH) begin
        w = 0.9 * ClkPs;
        at = ($urandom(seed) % 1000) / 1000.0 * (bit_ps - w);
        seed = seed + 1;
        #(at) rx = !level;
        #(w) rx = level;
        #(bit_ps - at - w);
      end else begin
        #(bit_ps);
      end
    end
  endtask

  integer i, k, gap;
  initial begin
    bit_ps = CPB * ClkPs * (1.0 + ERR_PPM / 1.0e6);
    for (i = 0; i < NBYTES; i = i + 1) sent[i] = $urandom(seed);
    sent[0] = 8'h00; sent[1] = 8'hff; sent[2] = 8'h55; sent[3] = 8'haa;
    #(ClkPs * 4 + 1234);
    rst_n = 1;
    #(ClkPs * 5 * CPB);
    for (i = 0; i < NBYTES; i = i + 1) begin
      send_bit(0);
      for (k = 0; k < 8; k = k + 1) send_bit(sent[i][k]);
      send_bit(1);
      gap = (i % 3 == 0) ? 0 : $urandom(seed) % 3;  // back to back or 1..2 idle bits
      for (k = 0; k < gap; k = k + 1) send_bit(1);
    end
    #(ClkPs * 4 * CPB);
    if (got == NBYTES && errors == 0 && frame_errors == 0)
      $display("PASS uart_rx CPB=%0d ERR_PPM=%0d GLITCH=%0d: %0d bytes", CPB, ERR_PPM, GLITCH, got);
    else
      $display("FAIL uart_rx CPB=%0d ERR_PPM=%0d GLITCH=%0d: %0d of %0d bytes, %0d wrong, %0d frame errors",
               CPB, ERR_PPM, GLITCH, got, NBYTES, errors, frame_errors);
    $finish;
  end
endmodule
