#!/usr/bin/env bash
# rtl/uart_rx.v under Icarus (rtl/test/tb_uart_rx.v). Without glitches: sender baud -2 %,
# 0, +2 % at 4, 8, 9, 10 and 16 clocks per bit (3 Mbaud from 12, 24, 27, 30, 48 MHz).
# With a one-clock glitch of the wrong level in every bit and between bytes: -2 %..+2 % at
# 9, 10 and 16 clocks per bit, -1 %..+1 % at 8 (the envelope the majority vote holds; at
# 8 clocks per bit 1.5 % with glitches fails). Exits non-zero at the first FAIL.
#   rtl/test/uart_rx_check.sh [IVERILOG] [VVP]
set -euo pipefail
iv=${1:-iverilog}; vvp=${2:-vvp}; here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
run() {  # CPB ERR_PPM GLITCH
  "$iv" -g2012 -o "$work/tb" -Ptb_uart_rx.CPB=$1 -Ptb_uart_rx.ERR_PPM=$2 -Ptb_uart_rx.GLITCH=$3 \
    "$here/tb_uart_rx.v" "$here/../uart_rx.v"
  out=$("$vvp" -n "$work/tb")
  echo "$out" | tail -1
  echo "$out" | tail -1 | grep -q '^PASS'
}
for cpb in 4 8 9 10 16; do
  for err in -20000 0 20000; do run $cpb $err 0; done
done
for cpb in 9 10 16; do
  for err in -20000 0 20000; do run $cpb $err 1; done
done
for err in -10000 0 10000; do run 8 $err 1; done
