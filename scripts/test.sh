#!/usr/bin/env bash
# Sets up, builds and runs the whole CI test suite (labels unit, cosim, synth).
# The long regressions are `scripts/test.sh nightly` (label nightly, and 60 s of each
# libFuzzer target in build-fuzz/, docs/fuzzing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > build.log 2>&1 || { cat build.log; exit 1; }
cmake --build build -j2 >> build.log 2>&1 || { tail -50 build.log; exit 1; }
labels=${1:-"unit|cosim|synth"}
ctest --test-dir build -L "^($labels)\$" --output-on-failure -j2 --timeout 1500
if [[ "$labels" == *nightly* ]]; then
  cmake --preset fuzz > build-fuzz.log 2>&1 || { cat build-fuzz.log; exit 1; }
  cmake --build build-fuzz -j2 --target fuzz_npy fuzz_artifact fuzz_onnx fuzz_board_frame \
    >> build-fuzz.log 2>&1 || { tail -50 build-fuzz.log; exit 1; }
  ctest --test-dir build-fuzz -L '^nightly$' -R '^fuzz_' --output-on-failure
fi
