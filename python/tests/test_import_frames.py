#!/usr/bin/python3
"""python/import_frames.py on a fabricated UCF-101 folder with PNG frames: layout, labels,
frame sampling, and the same result as the C++ importer's rules (uniform frames)."""
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

from common import PYDIR, check

with tempfile.TemporaryDirectory() as d:
    fr, sp, out = os.path.join(d, "frames"), os.path.join(d, "splits"), os.path.join(d, "out")
    os.makedirs(sp)
    open(os.path.join(sp, "classInd.txt"), "w").write("1 Jump\n2 Run\n")
    open(os.path.join(sp, "trainlist01.txt"), "w").write("Run/v_Run_g08_c01.avi 2\nJump/v_Jump_g08_c01.avi 1\n")
    open(os.path.join(sp, "testlist01.txt"), "w").write("Jump/v_Jump_g01_c01.avi\n")
    for vid, n, base in (("Run/v_Run_g08_c01", 16, 10), ("Jump/v_Jump_g08_c01", 4, 100), ("Jump/v_Jump_g01_c01", 8, 0)):
        os.makedirs(os.path.join(fr, vid))
        for k in range(n):
            rgb = np.full((30, 40, 3), base + k, np.uint8)
            Image.fromarray(rgb).save(os.path.join(fr, vid, f"img_{k + 1:05d}.png"))
    r = subprocess.run([sys.executable, os.path.join(PYDIR, "import_frames.py"), "--ucf101", fr, "--splits", sp,
                        "--out", out, "--frames", "4", "--size", "16"], capture_output=True, text=True)
    check(r.returncode == 0, r.stderr)
    x = np.load(os.path.join(out, "train", "clips.npy"))
    y = np.load(os.path.join(out, "train", "labels.npy"))
    check(x.shape == (2, 1, 4, 16, 16) and x.dtype == np.uint8, f"shape {x.shape}")
    check(list(y) == [1, 0] and y.dtype == np.int64, f"labels {y}")
    # 16 frames, clip frame i = source (2i+1)*16/8 = 2, 6, 10, 14 -> values 12, 16, 20, 24.
    check([int(x[0, 0, i, 5, 5]) for i in range(4)] == [12, 16, 20, 24], f"sampling {x[0, 0, :, 5, 5]}")
    check(np.load(os.path.join(out, "test", "labels.npy")).tolist() == [0], "test labels")
    bad = subprocess.run([sys.executable, os.path.join(PYDIR, "import_frames.py"), "--ucf101", fr, "--splits", sp,
                          "--out", out, "--size", "20"], capture_output=True, text=True)
    check(bad.returncode != 0 and "--size 20" in bad.stderr, f"bad size: {bad.stderr}")
print("PASS")
