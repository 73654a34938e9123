#!/usr/bin/env bash
# Sets up, builds and runs the whole CI test suite (labels unit, cosim, synth), then the
# unit label again under ASan + UBSan (build-asan/).
# The long regressions are `scripts/test.sh nightly` (label nightly, and 60 s of each
# libFuzzer target in build-fuzz/, docs/fuzzing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > build.log 2>&1 || { cat build.log; exit 1; }
cmake --build build -j2 >> build.log 2>&1 || { tail -50 build.log; exit 1; }
labels=${1:-"unit|cosim|synth"}
ctest --test-dir build -L "^($labels)\$" --output-on-failure -j2 --timeout 1500
if [[ "$labels" == *unit* ]]; then
  # The unit label again under ASan + UBSan (preset asan, build-asan/, docs/fuzzing.md): only
  # the targets it runs (unit_tests), no Verilated model. Every report is written to
  # build-asan/sanitizer-report.<pid> (child processes of a test included, whatever their
  # exit code), and any such file fails the run.
  cmake --preset asan > build-asan.log 2>&1 || { cat build-asan.log; exit 1; }
  cmake --build build-asan -j2 --target unit_tests >> build-asan.log 2>&1 \
    || { tail -50 build-asan.log; exit 1; }
  rm -f build-asan/sanitizer-report.*
  asan_rc=0
  ctest --preset asan-unit || asan_rc=$?
  if compgen -G 'build-asan/sanitizer-report.*' > /dev/null; then
    cat build-asan/sanitizer-report.*
    echo "sanitizer reports: $(ls build-asan/sanitizer-report.* | tr '\n' ' ')"
    exit 1
  fi
  [ "$asan_rc" -eq 0 ] || exit "$asan_rc"
fi
if [[ "$labels" == *nightly* ]]; then
  cmake --preset fuzz > build-fuzz.log 2>&1 || { cat build-fuzz.log; exit 1; }
  cmake --build build-fuzz -j2 --target fuzz_npy fuzz_artifact fuzz_onnx fuzz_board_frame \
    >> build-fuzz.log 2>&1 || { tail -50 build-fuzz.log; exit 1; }
  ctest --test-dir build-fuzz -L '^nightly$' -R '^fuzz_' --output-on-failure
fi
