#!/usr/bin/env bash
# CI synthesis of the default model: convert, generate at LANES lanes, Yosys + nextpnr +
# pack for BOARD; fails unless the design fits and a bitstream is written. On ECP5 it also
# patches the same ROM contents back (ecpbram) and requires the identical bitstream.
#   fpga/synth_default.sh SDMFORGE WORKDIR [BOARD=icebreaker] [LANES=2 | board: rtl --board]
# With a neuron per lane 2 lanes is the largest that fits the UP5K (3 lanes: 5523 of 5280
# logic cells; each lane has T accumulators and T - 1 shift-add products); `board` takes what
# `rtl --board` picks (iCEBreaker: 3 lanes, shared neuron, no output overlap).
set -euo pipefail
sdm=$1; work=$2; board=${3:-icebreaker}; lanes=${4:-2}; root=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$work"; mkdir -p "$work"
"$sdm" convert "$root/models/default/model.onnx" --alpha 0.2 --beta 5 --T 4 -o "$work/net.sdm"
if [ "$lanes" = board ]; then  # what the resource estimate picks for the board
  "$sdm" rtl "$work/net.sdm" -o "$work/rtl" --board "$board"
else
  "$sdm" rtl "$work/net.sdm" -o "$work/rtl" --lanes "$lanes"
fi
"$sdm" synth "$work/rtl" --board "$board" --json "$work/synth.json"
python3 - "$work/synth.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print({k: r[k] for k in ("fits", "lut", "lut_avail", "bram", "bram_avail", "spram", "spram_avail", "dsp", "dsp_avail", "fmax_mhz", "clock_mhz", "rx_fifo_bytes")})
print("placements:", [(a["clock_mhz"], a["fmax_mhz"], a["meets_timing"]) for a in r["attempts"]])
# --freq auto: the bitstream's clock must be one its placement meets (issue 16)
sys.exit(0 if r["fits"] and r["bitstream"] and r["meets_timing"] and r["clock_mhz"] <= r["fmax_mhz"] else 1)
PY
case "$board" in
  ulx3s|orangecrab)
    bit="$work/rtl/build-$board/design.bit"
    cp "$bit" "$work/first.bit"
    "$sdm" synth "$work/rtl" --board "$board" --patch
    cmp "$work/first.bit" "$bit"
    echo "ecpbram patch with the same weights reproduced the bitstream" ;;
esac
