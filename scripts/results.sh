#!/usr/bin/env bash
# Reproduces docs/results.md (the paper's Table I, Table II, Fig. 6 and Fig. 1 analogues on
# the bundled models) from `sdmforge eval --json` output, plus the PNGs in docs/results/.
#
#   bash scripts/results.sh [BUILD_DIR] [--clips N] [--deep-clips N] [--threads N] [--reuse]
#
# BUILD_DIR (default build-results) holds apps/sdmforge; it is configured if needed and
# rebuilt incrementally (-j1) first. --clips: test clips per model (default 300; digits2d has 359);
# --deep-clips: for models/deep (default 1000). --threads: eval worker threads (default: all
# cores; the deep model's Table I sweep on 1000 clips took 560 s on 2). --reuse: keep eval JSON already in
# BUILD_DIR/results-json whose command line is unchanged (re-render only).
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-results
if [[ $# -gt 0 && $1 != --* ]]; then build=$1; shift; fi
bin="$build/apps/sdmforge"
# Always (incrementally) rebuilt, so the numbers belong to the checked-out sources.
echo "results: building $bin (-j1, incremental)" >&2
mkdir -p "$build"
blog="$build/results-build.log"
if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release > "$blog" 2>&1 || { tail -50 "$blog"; exit 1; }
fi
cmake --build "$build" -j1 --target sdmforge >> "$blog" 2>&1 || { tail -50 "$blog"; exit 1; }
# Debian's matplotlib (docs/user-guide.md): the system interpreter, not a venv's.
MPLBACKEND=Agg exec /usr/bin/python3 scripts/results.py --sdmforge "$bin" \
  --work "$build/results-json" --out docs/results.md --plots docs/results "$@"
