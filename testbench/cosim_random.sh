#!/usr/bin/env bash
# One random-network co-simulation, reproducible from its seed:
#   testbench/cosim_random.sh SDMFORGE SEED WORKDIR
# random ONNX (tests/fixtures/random_net.py) -> convert with the seed's alpha/beta/T/
# method/widths -> rtl with the seed's lanes (and --simd, --positions, --batch-sums, --shared-neuron, --no-overlap) -> the lint gate (verilator --lint-only -Wall)
# -> Verilator co-simulation on its clips.
set -euo pipefail
sdm=$1; seed=$2; work=$3/random_$seed
here=$(cd "$(dirname "$0")/.." && pwd)
py=${SDM_TORCH_PYTHON:-/usr/bin/python3}
rm -rf "$work"; mkdir -p "$work"
"$py" "$here/tests/fixtures/random_net.py" "$seed" "$work" 2>/dev/null
declare -A c
for kv in $(cat "$work/config.txt"); do c[${kv%%=*}]=${kv#*=}; done
dual=""; [ "${c[dual]}" = "True" ] || dual="--no-dual"
echo "reproduce: $0 $sdm $seed $3   ($(cat "$work/config.txt"))"
"$sdm" convert "$work/model.onnx" --method "${c[method]}" --alpha "${c[alpha]}" --beta "${c[beta]}" \
  --T "${c[T]}" --weight-bits "${c[weight_bits]}" $dual -o "$work/net.sdm"
bs=""; [ "${c[batch_sums]:-False}" = "True" ] && bs="--batch-sums"
[ "${c[shared_neuron]:-False}" = "True" ] && bs="$bs --shared-neuron"
[ "${c[overlap]:-True}" = "False" ] && bs="$bs --no-overlap"
bs="$bs --simd ${c[simd]:-1} --positions ${c[positions]:-1}"
"$sdm" rtl "$work/net.sdm" -o "$work/rtl" --lanes "${c[lanes]}" $bs
verilator --lint-only -Wall --top-module sdm_accel "$work/rtl/sdm_accel.v" "$work/rtl/sd_neuron.v" \
  || { echo "FAIL lint gate: random network $seed"; exit 1; }
"$sdm" cosim "$work/rtl" --data "$work/data" --clips 4 --json "$work/cosim.json"
