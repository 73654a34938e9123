#!/usr/bin/env bash
# Second simulator: one small generated network simulated by Icarus Verilog must give the
# same class, logits and cycle count as the Verilator co-simulation and the golden model.
#   testbench/icarus_check.sh SDMFORGE SEED WORKDIR
set -euo pipefail
sdm=$1; seed=$2; work=$3
here=$(cd "$(dirname "$0")" && pwd)
"$here/cosim_random.sh" "$sdm" "$seed" "$work" > /dev/null
d=$work/random_$seed
read -r clips bytes K LW CW <<<"$(python3 - "$d" <<'PY'
import json, sys
d = sys.argv[1]
s = json.load(open(d + "/rtl/signature.json"))
print(json.load(open(d + "/cosim.json"))["clips"], s["clip_bytes"], s["num_classes"], s["logit_width"], s["class_width"])
PY
)"
/usr/bin/python3 -c "
import numpy as np
c = np.load('$d/data/clips.npy')[:$clips].reshape(-1)
open('$d/rtl/clips.hex', 'w').write(''.join('%02x\n' % v for v in c))"
cd "$d/rtl"
iverilog -g2012 -o tb_icarus.vvp -P tb_icarus.CLIP_BYTES=$bytes -P tb_icarus.CLIPS=$clips -P tb_icarus.K=$K \
  -P tb_icarus.LW=$LW -P tb_icarus.CW=$CW "$here/tb_icarus.v" sdm_accel.v sd_neuron.v
start=$(date +%s.%N)
vvp -n tb_icarus.vvp | grep '^clip' > icarus.txt
end=$(date +%s.%N)
python3 - "$d" "$start" "$end" <<'PY'
import json, sys
d, t0, t1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
cs = json.load(open(d + "/cosim.json"))
lines = open(d + "/rtl/icarus.txt").read().split("\n")
bad = 0
cycles = 0
for i, line in enumerate(l for l in lines if l):
    f = line.split()
    cls, cyc, logits = int(f[3]), int(f[5]), [int(x) for x in f[7:]]
    cycles += cyc
    ok = cls == cs["classes_golden"][i] and logits == cs["logits_golden"][i] and cyc == cs["cycles_per_clip"][i]
    print(f"icarus clip {i}: class {cls} cycles {cyc} {'== verilator/golden' if ok else 'MISMATCH'}")
    bad += not ok
rate = cycles / max(t1 - t0, 1e-9)
print(f"icarus: {cycles} cycles in {t1 - t0:.1f} s = {rate:.0f} cycles/s; verilator {cs['sim_cycles_per_s']:.0f} cycles/s "
      f"(Icarus/Verilator speed ratio {rate / cs['sim_cycles_per_s']:.4f})")
sys.exit(1 if bad or len([l for l in lines if l]) != cs["clips"] else 0)
PY
