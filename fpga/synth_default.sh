#!/usr/bin/env bash
# CI synthesis of the default model on the iCEBreaker: convert, generate at 4 lanes (the
# largest that fits the UP5K), Yosys + nextpnr + icepack; fails unless the design fits.
#   fpga/synth_default.sh SDMFORGE WORKDIR
set -euo pipefail
sdm=$1; work=$2; root=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$work"; mkdir -p "$work"
"$sdm" convert "$root/models/default/model.onnx" --alpha 0.2 --beta 5 --T 4 -o "$work/net.sdm"
"$sdm" rtl "$work/net.sdm" -o "$work/rtl" --lanes 4
"$sdm" synth "$work/rtl" --board icebreaker --json "$work/synth.json"
python3 - "$work/synth.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print({k: r[k] for k in ("fits", "lut", "lut_avail", "bram", "bram_avail", "spram", "spram_avail", "dsp", "dsp_avail", "fmax_mhz", "target_mhz")})
sys.exit(0 if r["fits"] and r["bitstream"] else 1)
PY
