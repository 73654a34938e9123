#!/usr/bin/env bash
# `sdmforge rtl --board` on the default model (docs/fpga.md, "Choosing a configuration"):
#   fpga/test/board_choice_check.sh SDMFORGE WORKDIR unit
# The memory and multiplier estimate equals what synthesis placed for the same designs
# (measured: iCEBreaker 2 lanes EBR 24, SPRAM 4, DSP 2; ULX3S 16 lanes --batch-sums DP16KD 67,
# MULT18 16); iCEBreaker, 3 lanes, shared neuron, with the output unit's overlap (placed 5383
# logic cells of 5280: does not fit) is refused naming the logic cells, and without it (placed
# 5128: fits; EBR 27, SPRAM 4, DSP 3) its logic estimate is within 5 % (both runs calibrate
# the output unit's cells, fpga/estimate.cc); on a run they were not fitted to (2 lanes, a
# neuron per lane, with the overlap: 4739 logic cells placed, seed 1) the estimate is within
# 5 %; 4 lanes are refused naming the logic cells (4
# lanes with a neuron per lane placed 6193 of 5280);
# the HX8K and the OrangeCrab are refused in one line naming block RAM. At T = 2 (8-bit spike
# words) the 8,096 x 14 shared bank costs Yosys less in EBR (28 blocks) than in one SPRAM,
# so 4 lanes --batch-sums needs 52 EBR: placed, it did not fit (EBR 52 of 30, SPRAM 3, DSP
# 4, seen in a sweep); the estimate refuses it with the same 52.
# The ULX3S pick (16 lanes x SIMD 8 x 2 positions: 94 DP16KD and 128 MULT18 estimated, as
# placed besides the link FIFO's 2 DP16KD; logic within 5 % of the 63,400 LUT placed), and the
# same with --positions 1 (94, 128; 63,091 LUT placed).
# What `rtl --board icebreaker` picks is placed by synth_default_icebreaker (label synth).
set -euo pipefail
sdm=$1; work=$2; mode=${3:-unit}; root=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$work"; mkdir -p "$work"
"$sdm" convert "$root/models/default/model.onnx" --alpha 0.2 --beta 5 --T 4 -o "$work/net.sdm"
est() {  # est DIR FIELD
  python3 -c "import json,sys;print(json.load(open(sys.argv[1]+'/signature.json'))['board_choice'][sys.argv[2]])" "$1" "$2"
}
# against DIR BRAM SPRAM MULT [PLACED_LOGIC]: the design's estimate equals what synthesis
# placed for it (and its logic estimate is within 5 % of the placed logic cells)
against() {
  python3 - "$1/signature.json" "$2" "$3" "$4" "${5:-0}" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))["board_choice"]["estimate"]
want = dict(bram=int(sys.argv[2]), spram=int(sys.argv[3]), mult=int(sys.argv[4]))
got = {k: e[k] for k in want}
placed = int(sys.argv[5])
if got != want:
    sys.exit(f"estimate {got} != synthesis {want}")
if placed and abs(e["logic"] - placed) > 0.05 * placed:
    sys.exit(f"logic estimate {e['logic']} is more than 5 % from the {placed} placed")
print(f"{sys.argv[1]}: estimate {got}, logic {e['logic']} (placed {placed or '-'})")
PY
}
if [ "$mode" = unit ]; then
  # each exactly the configuration that was placed (--no-x pins an option off)
  "$sdm" rtl "$work/net.sdm" -o "$work/ice2" --board icebreaker --lanes 2 --simd 1 --no-batch-sums --no-shared-neuron \
    --overlap
  against "$work/ice2" 24 4 2 4739
  "$sdm" rtl "$work/net.sdm" -o "$work/ulx16" --board ulx3s --lanes 16 --simd 1 --batch-sums --no-shared-neuron
  against "$work/ulx16" 67 0 16
  "$sdm" rtl "$work/net.sdm" -o "$work/ice3" --board icebreaker --lanes 3 --simd 1 --shared-neuron --no-batch-sums \
    --no-overlap
  against "$work/ice3" 27 4 3 5128
  set +e; msg=$("$sdm" rtl "$work/net.sdm" -o "$work/ice3o" --board icebreaker --lanes 3 --shared-neuron \
    --no-batch-sums --overlap 2>&1); rc=$?; set -e
  echo "$msg"
  [ $rc -ne 0 ] && echo "$msg" | grep -q "3 lanes: logic cells (estimated)" \
    || { echo "FAIL: 3 lanes with the overlap on the UP5K (placed 5383 of 5280) not refused"; exit 1; }
  set +e; msg=$("$sdm" rtl "$work/net.sdm" -o "$work/ice4" --board icebreaker --lanes 4 2>&1); rc=$?; set -e
  echo "$msg"
  [ $rc -ne 0 ] && echo "$msg" | grep -q "4 lanes: logic cells (estimated)" || { echo "FAIL: 4 lanes on the UP5K"; exit 1; }
  for b in hx8k orangecrab; do
    set +e; msg=$("$sdm" rtl "$work/net.sdm" -o "$work/$b" --board "$b" 2>&1); rc=$?; set -e
    echo "$msg"
    [ $rc -ne 0 ] || { echo "FAIL: $b accepted"; exit 1; }
    [ "$(echo "$msg" | wc -l)" -eq 1 ] || { echo "FAIL: $b: not one line"; exit 1; }
    echo "$msg" | grep -q "^sdmforge: error: no configuration fits $b .*block RAM" || { echo "FAIL: $b message"; exit 1; }
    [ ! -e "$work/$b/sdm_accel.v" ] || { echo "FAIL: $b wrote a design"; exit 1; }
  done
  "$sdm" convert "$root/models/default/model.onnx" --alpha 0.2 --beta 5 --T 2 -o "$work/net_t2.sdm"
  set +e; msg=$("$sdm" rtl "$work/net_t2.sdm" -o "$work/ice_t2" --board icebreaker --lanes 4 --batch-sums \
    --no-shared-neuron 2>&1); rc=$?; set -e
  echo "$msg"
  [ $rc -ne 0 ] && echo "$msg" | grep -q "block RAM (EBR, 4 Kbit): 52 needed, 30 available" \
    || { echo "FAIL: T = 2, 4 lanes on the UP5K: not refused with the 52 EBR synthesis placed"; exit 1; }
  # the ULX3S pick: 16 lanes x SIMD 8 x 2 positions, no batch sums; placed (seed 1, 80 MHz,
  # router1): 63,400 LUT, DP16KD 96 = the accelerator's 94 + 2 of the board top's receive FIFO
  # (the two-port banks in DP16KD's true dual port, as many blocks as with one port), MULT18 128
  "$sdm" rtl "$work/net.sdm" -o "$work/ulx" --board ulx3s
  [ "$(est "$work/ulx" lanes)" = 16 ] && [ "$(est "$work/ulx" simd)" = 8 ] && [ "$(est "$work/ulx" positions)" = 2 ] \
    || { echo "FAIL: ulx3s pick $(est "$work/ulx" lanes) lanes x simd $(est "$work/ulx" simd)"; exit 1; }
  against "$work/ulx" 94 0 128 63400
  # with one position (the pick before --positions existed): placed 63,091 LUT, DP16KD 94 + 2, MULT18 128
  "$sdm" rtl "$work/net.sdm" -o "$work/ulx1" --board ulx3s --positions 1
  [ "$(est "$work/ulx1" lanes)" = 16 ] && [ "$(est "$work/ulx1" simd)" = 8 ] \
    || { echo "FAIL: ulx3s --positions 1 pick $(est "$work/ulx1" lanes) lanes"; exit 1; }
  against "$work/ulx1" 94 0 128 63091
  # the pick on the iCEBreaker: 3 lanes with a shared neuron, no overlap (placed: fits)
  "$sdm" rtl "$work/net.sdm" -o "$work/ice" --board icebreaker
  [ "$(est "$work/ice" lanes)" = 3 ] && [ "$(est "$work/ice" shared_neuron)" = True ] \
    && [ "$(est "$work/ice" overlap)" = False ] \
    || { echo "FAIL: icebreaker pick $(est "$work/ice" lanes) lanes"; exit 1; }
  echo "board choice: estimates match synthesis; hx8k and orangecrab refused"
fi
