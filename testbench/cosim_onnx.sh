#!/usr/bin/env bash
# Co-simulates an ONNX file with its own clips (an importer fixture, not a bundled model):
#   testbench/cosim_onnx.sh SDMFORGE MODEL.onnx DATA_DIR CLIPS WORKDIR LANES
set -euo pipefail
sdm=$1; onnx=$2; data=$3; clips=$4; work=$5; lanes=$6
rm -rf "$work"; mkdir -p "$work"
"$sdm" convert "$onnx" --alpha 0.2 --beta 5 --T 4 -o "$work/net.sdm"
"$sdm" rtl "$work/net.sdm" -o "$work/rtl" --lanes "$lanes"
"$sdm" cosim "$work/rtl" --data "$data" --clips "$clips" --json "$work/cosim.json"
