#!/usr/bin/env bash
# Simulation speed: Verilator simulated cycles/s on the default model's accelerator, and
# the Icarus / Verilator speed ratio on one small random network (same script run).
#   bench/sim_speed.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd); build=${1:-$root/build}; sdm=$build/apps/sdmforge
work=$(mktemp -d)
"$root/testbench/cosim_model.sh" "$sdm" "$root/models/default" 3 "$work" > "$work/default.log" 2>&1
python3 -c "
import json; c = json.load(open('$work/default/cosim.json'))
print(f\"verilator, default model accelerator: {c['sim_cycles_per_s']:.0f} simulated cycles/s \"
      f\"({c['cycles_per_clip'][0]} cycles per clip, {c['clips']} clips)\")"
"$root/testbench/icarus_check.sh" "$sdm" 5 "$work" | tail -1
rm -rf "$work"
