#!/usr/bin/env bash
# SystemC system-level bench: Verilator --sc model of a generated accelerator, SystemC
# clock / stream source / result sink, class and logits checked against the golden model.
#   testbench/systemc_check.sh SDMFORGE MODEL_DIR WORKDIR CLIPS GOLDEN_LIB DATA_LIB FMT_LIB
set -euo pipefail
sdm=$1; model=$2; work=$3/systemc; clips=$4; golden=$5; datalib=$6; fmtlib=$7
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/.." && pwd)
rm -rf "$work"; mkdir -p "$work"
"$sdm" convert "$model/model.onnx" --alpha 0.2 --beta 5 --T 4 -o "$work/net.sdm"
"$sdm" rtl "$work/net.sdm" -o "$work/rtl" --lanes 8
size=$(python3 -c "import json;print(json.load(open('$work/rtl/signature.json'))['clip_shape'][2])")
"$sdm" data synth --out "$work/data" --size "$size" --train 1 --test "$clips" --seed 3
python3 "$here/gen_sc_bind.py" "$work/rtl/signature.json" "$work/rtl/sc_bind.inc"
cd "$work/rtl"
verilator --sc --exe --build -j 2 -Wall -O3 --top-module sdm_accel -Mdir sc_obj -o Vsdm_accel_sc \
  -CFLAGS "-std=c++17 -O2 -I$root -I$work/rtl" \
  -LDFLAGS "$golden $datalib $fmtlib -lz -lsystemc -pthread" \
  sdm_accel.v sd_neuron.v "$here/sc_main.cc" > sc_build.log 2>&1 || { tail -30 sc_build.log; exit 1; }
./sc_obj/Vsdm_accel_sc "$work/rtl" "$work/data" "$clips"
