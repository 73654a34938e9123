"""Shared helpers of the python tests (run by /usr/bin/python3 from CTest)."""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PYDIR = os.path.dirname(HERE)
sys.path.insert(0, PYDIR)


def make_data(synth, out, preset="easy", train=120, test=40, seed=11, size=16):
    """Generates a tiny synthetic dataset with the C++ generator (`synth` = command)."""
    if os.path.isdir(out):
        shutil.rmtree(out)
    cmd = synth.split() + ["--out", out, "--preset", preset, "--size", str(size), "--frames", "8",
                           "--train", str(train), "--test", str(test), "--seed", str(seed)]
    subprocess.run(cmd, check=True)
    return out


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
