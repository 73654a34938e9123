#!/usr/bin/env bash
# Sets up, builds and runs the whole CI test suite (labels unit, cosim, synth).
# The long regressions are `scripts/test.sh nightly` (label nightly).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > build.log 2>&1 || { cat build.log; exit 1; }
cmake --build build -j2 >> build.log 2>&1 || { tail -50 build.log; exit 1; }
labels=${1:-"unit|cosim|synth"}
ctest --test-dir build -L "^($labels)\$" --output-on-failure -j2 --timeout 1500
