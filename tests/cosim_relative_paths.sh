#!/usr/bin/env bash
# Issue 17 (Kind 4b): `sdmforge cosim` resolves a relative design folder and a relative
# --data against the working directory of the process, the way a caller using
# subprocess(cwd=...) or chdir expects, not against a $PWD that a parent left elsewhere.
# It used to simulate /<data> (another folder's clips) and, for a relative design folder,
# point at a verilator log that was never written.
#   cosim_relative_paths.sh SDMFORGE MODEL.onnx DATA_SPLIT_DIR
set -euo pipefail
cli=$1 model=$2 split=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$cli" convert "$model" --T 2 -o net.sdm 2>/dev/null
"$cli" rtl net.sdm -o design > /dev/null
# This folder's own clips: the last 3 of the split, so a wrong folder shows in the labels.
/usr/bin/python3 - "$split" mine <<'PY'
import os, sys
import numpy as np
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst)
np.save(os.path.join(dst, "clips.npy"), np.load(os.path.join(src, "clips.npy"))[-3:])
np.save(os.path.join(dst, "labels.npy"), np.load(os.path.join(src, "labels.npy"))[-3:])
PY
# A decoy at the place $PWD points to must not be used either.
mkdir -p decoy && cd decoy && mkdir -p mine && cp "$split"/clips.npy "$split"/labels.npy mine/ && cd ..
PWD="$work/decoy" "$cli" cosim design --data mine --clips 3 -q --json report.json
/usr/bin/python3 - <<'PY'
import json
import numpy as np
r = json.load(open("report.json"))
want = np.load("mine/labels.npy").tolist()
assert r["clips"] == 3, r["clips"]
assert r["labels"] == want, (r["labels"], want)
assert r["mismatches"] == 0, r["first_mismatch"]
print("cosim_relative_paths: simulated this folder's 3 clips, labels", want)
PY
