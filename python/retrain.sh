#!/usr/bin/env bash
# Retrain a bundled model end to end (data generation + Algorithm 1 training + ONNX export):
#   python/retrain.sh default|slowonly|slowfast|digits2d|deep|all [extra train.py args]
# The data come from `sdmforge data synth` (or the identical `sdm_synth_tool`), found in
# $SDM_SYNTH or a build*/ folder of the repo; they are cached in $SDM_DATA_CACHE
# (default /tmp/sdmforge-data). Deterministic: same seed, same data -> same model.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${SDM_TORCH_PYTHON:-/usr/bin/python3}
CACHE=${SDM_DATA_CACHE:-/tmp/sdmforge-data}
name=${1:?usage: python/retrain.sh default|slowonly|slowfast|digits2d|deep|all [train.py args]}
shift || true

if [ "$name" = all ]; then
  for n in default slowonly slowfast digits2d deep; do "$0" "$n" "$@"; done
  exit 0
fi

find_gen() {
  # $SDM_SYNTH, else the most recently built sdmforge / sdm_synth_tool of a build*/ folder
  # (a stale build would write stale data: rebuild first if data/synth.cc changed).
  if [ -n "${SDM_SYNTH:-}" ]; then echo "$SDM_SYNTH"; return; fi
  local c
  for c in $(ls -t "$ROOT"/build*/apps/sdmforge "$ROOT"/build*/data/sdm_synth_tool 2>/dev/null); do
    [ -x "$c" ] || continue
    case "$c" in
      */sdmforge) "$c" data synth --help >/dev/null 2>&1 && { echo "$c data synth"; return; } ;;
      *) echo "$c"; return ;;
    esac
  done
  echo "retrain.sh: no generator found; build sdmforge or sdm_synth_tool, or set SDM_SYNTH" >&2
  exit 2
}

# extra args go here too: --train-clips N changes the data command (a separate cached dataset)
args=$("$PY" "$ROOT/python/train.py" --recipe "$name" --print-synth-args "$@")
if [ "$args" = digits ]; then
  data="$ROOT/models/digits2d/data"
  [ -f "$data/train/clips.npy" ] || "$PY" "$ROOT/python/digits_data.py" --out "$data"
else
  key=$(echo "$args" | sed 's/--//g; s/ /_/g')
  data="$CACHE/$key"
  if [ ! -f "$data/classes.json" ]; then
    gen=$(find_gen)
    echo "retrain.sh: $gen --out $data $args"
    $gen --out "$data" $args
  fi
fi
exec "$PY" "$ROOT/python/train.py" --recipe "$name" --data "$data" --out "$ROOT/models/$name" "$@"
