#!/usr/bin/env bash
# The FuseSoC core that `sdmforge rtl` writes (rtl_gen/core_file.cc), run by FuseSoC itself:
# the `lint` target (Verilator --lint-only -Wall) passes, the `sim` target (Icarus) builds,
# and the same lint target fails on a copy with one unused signal added (so a failing lint
# is seen as one). ~10 s on the digits2d model.
#   rtl_gen/test/fusesoc_check.sh SDMFORGE NET.sdm WORKDIR
set -euo pipefail
sdm=$1; net=$2; work=$3
command -v fusesoc >/dev/null || { echo "fusesoc not found: install with bash scripts/setup.sh"; exit 1; }
rm -rf "$work"; mkdir -p "$work"
"$sdm" rtl "$net" -o "$work/rtl" --lanes 4
test -s "$work/rtl/sdm_accel.core"
vlnv=sdmforge:sdm:sdm_accel
cd "$work/rtl"
fusesoc --cores-root . run --target lint "$vlnv"
echo "ok   lint target passes"
fusesoc --cores-root . run --target sim --setup --build "$vlnv"
exe=$(ls build/sdmforge_sdm_sdm_accel_*/sim-icarus/sdmforge_sdm_sdm_accel_* | grep -v '\.\(yml\|scr\)$' | head -1)
test -s "$exe" || { echo "FAIL: no Icarus executable under build/"; exit 1; }
grep -q '^#!.*vvp' "$exe" || { echo "FAIL: $exe is not an Icarus vvp file"; exit 1; }
echo "ok   sim target builds ($exe)"
cp -r "$work/rtl" "$work/bad"; rm -rf "$work/bad/build"
sed -i 's/^endmodule/  wire sdm_probe_x = 1'"'"'b0;\nendmodule/' "$work/bad/sdm_accel.v"
cd "$work/bad"
if fusesoc --cores-root . run --target lint "$vlnv" > lint.log 2>&1; then
  echo "FAIL: lint passed on a design with an unused signal"; exit 1
fi
grep -q UNUSEDSIGNAL lint.log
echo "ok   lint target fails on an unused signal"
echo PASS
