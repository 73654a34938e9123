#!/usr/bin/env bash
# Co-simulates a bundled model: testbench/cosim_model.sh SDMFORGE MODEL_DIR CLIPS WORKDIR [LANES [RTL FLAGS...]]
# Data: MODEL_DIR/data if the model ships it, else the synthetic action set at the model's
# input size (preset hard for models named deep*), generated deterministically.
set -euo pipefail
sdm=$1; model=$2; clips=$3; name=$(basename "$model"); work=$4/$name; lanes=${5:-8}
shift $(( $# < 5 ? $# : 5 )); rtl_flags=("$@")  # e.g. --shared-neuron --no-overlap
rm -rf "$work"; mkdir -p "$work"
"$sdm" convert "$model/model.onnx" --alpha 0.2 --beta 5 --T 4 -o "$work/net.sdm"
"$sdm" rtl "$work/net.sdm" -o "$work/rtl" --lanes "$lanes" "${rtl_flags[@]}"
if [ -d "$model/data" ]; then
  data="$model/data"
else
  size=$(python3 -c "import json;print(json.load(open('$work/rtl/signature.json'))['clip_shape'][2])")
  frames=$(python3 -c "import json;print(json.load(open('$work/rtl/signature.json'))['clip_shape'][1])")
  preset=easy; case "$name" in deep*) preset=hard;; esac
  "$sdm" data synth --out "$work/data" --preset "$preset" --size "$size" --frames "$frames" \
    --train 1 --test "$clips" --seed 7
  data="$work/data"
fi
"$sdm" cosim "$work/rtl" --data "$data" --clips "$clips" --json "$work/cosim.json"
