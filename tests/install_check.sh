#!/usr/bin/env bash
# The installed tool stands alone (issue 16): `cmake --install` into a temporary prefix,
# that prefix moved to another folder (nothing else copied), and `sdmforge run --quick`
# (short settings, no synthesis) run from outside the source tree while the source and
# build trees are hidden behind empty bind mounts (unshare -m; root). The job must write
# its report, co-simulate bit-exactly and leave a FuseSoC core in its RTL folder.
# Skips (exit 77) where mount namespaces are not allowed.
#   tests/install_check.sh BUILD_DIR SOURCE_DIR WORKDIR
set -euo pipefail
build=$(cd "$1" && pwd); src=$(cd "$2" && pwd); work=$3
rm -rf "$work"; mkdir -p "$work"; work=$(cd "$work" && pwd)
case "$work" in "$src"/*|"$build"/*) echo "WORKDIR must be outside the source and build trees"; exit 2;; esac
if ! unshare -m true 2>/dev/null; then echo "SKIP: unshare -m not permitted here"; exit 77; fi
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
mv "$work/prefix" "$work/moved"   # relocatable: found relative to the executable
mkdir -p "$work/empty" "$work/job"
cat > "$work/job.sh" <<JOB
set -euo pipefail
mount --bind "$work/empty" "$build"     # first: it may lie inside the source tree
mount --bind "$work/empty" "$src"
test ! -e "$src/rtl/sd_neuron.v"          # the source tree is out of reach
test ! -e "$build/apps/sdmforge"
cd "$work/job"
"$work/moved/bin/sdmforge" run --quick --skip-synth --eval-clips 20 --clips 1 --out run
JOB
unshare -m bash "$work/job.sh" 2>&1 | tail -25
python3 - "$work/job/run" <<'PY'
import json, os, sys
run = sys.argv[1]
s = json.load(open(os.path.join(run, "summary.json")))
c = s.get("cosim") or {}
def need(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok: sys.exit(1)
need(os.path.getsize(os.path.join(run, "index.html")) > 1000, "report index.html written")
need(c.get("clips", 0) >= 1 and c.get("mismatches") == 0 and not c.get("error"),
     "co-simulation from the installed bench: {} clip(s), {} mismatches".format(c.get("clips"), c.get("mismatches")))
need(os.path.exists(os.path.join(run, "rtl", "sd_neuron.v")), "leaf RTL copied from share/sdmforge/rtl")
need(os.path.exists(os.path.join(run, "rtl", "sdm_accel.core")), "FuseSoC core written")
PY
echo PASS
