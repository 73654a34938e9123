#!/usr/bin/python3
"""Smoke test of the trainer: one short epoch of the default recipe on a tiny generated
dataset, ONNX export, graph checks (Clip nodes carry the lambdas; no Relu/MaxPool/Slice),
reference logits, determinism of a re-run, the recipe knobs, and (when the PATH python3 has onnxruntime)
ONNX-vs-PyTorch logits. Usage: test_train_smoke.py --synth GENERATOR --work DIR"""
import argparse
import json
import os
import subprocess
import sys

from common import PYDIR, check, make_data

ap = argparse.ArgumentParser()
ap.add_argument("--synth", required=True)
ap.add_argument("--work", required=True)
a = ap.parse_args()
os.makedirs(a.work, exist_ok=True)
data = make_data(a.synth, os.path.join(a.work, "data"))

import numpy as np  # noqa: E402
import onnx  # noqa: E402

from sdm_train import export as E  # noqa: E402


def run(out, *knobs):
    subprocess.run([sys.executable, os.path.join(PYDIR, "train.py"), "--recipe", "default", "--data", data,
                    "--out", out, "--epochs", "1", "--seed", "3", *knobs], check=True)
    return out


o1 = run(os.path.join(a.work, "m1"))
for f in ("model.onnx", "reference.json", "reference_logits.npy", "card.md", "train_log.txt"):
    check(os.path.isfile(os.path.join(o1, f)), f"missing {f}")
info = E.inspect_onnx(os.path.join(o1, "model.onnx"))
ops = info["ops"]
check(ops.get("Clip") == 5, f"expected 5 Clip nodes, got {ops}")
for bad in ("Relu", "MaxPool", "Slice", "Gather", "Dropout"):
    check(bad not in ops, f"{bad} in exported graph: {ops}")
check(all(v == 0.0 for v in info["clip_min"]), f"Clip min not 0: {info['clip_min']}")
check(all(0.001 <= v < 100 for v in info["clip_max"]), f"implausible lambdas {info['clip_max']}")
m = onnx.load(os.path.join(o1, "model.onnx"))
meta = {p.key: p.value for p in m.metadata_props}
check(json.loads(meta["lambdas"]) == [round(v, 6) for v in info["clip_max"]] or
      np.allclose(json.loads(meta["lambdas"]), info["clip_max"], atol=1e-5), "metadata lambdas differ from Clip nodes")
check(abs(float(meta.get("sdm_input_scale", "nan")) - 1 / 255) < 1e-12 and meta.get("sdm_input_bias") == "0",
      "sdm_input_scale / sdm_input_bias metadata missing")
check(m.opset_import[0].version == 13, "opset is not 13")
dim0 = m.graph.input[0].type.tensor_type.shape.dim[0]
check(dim0.dim_param != "", "batch axis is not dynamic")
ref = json.load(open(os.path.join(o1, "reference.json")))
check(ref["count"] == 32 and len(ref["logits"]) == 32 and len(ref["logits"][0]) == 10, "reference shape")
logits = np.load(os.path.join(o1, "reference_logits.npy"))
check(logits.shape == (32, 10) and logits.dtype == np.float32, "reference_logits.npy shape/dtype")

# Determinism: the same seed gives the same weights (compare the ONNX initializers).
o2 = run(os.path.join(a.work, "m2"))
w1 = [onnx.numpy_helper.to_array(t) for t in onnx.load(os.path.join(o1, "model.onnx")).graph.initializer]
w2 = [onnx.numpy_helper.to_array(t) for t in onnx.load(os.path.join(o2, "model.onnx")).graph.initializer]
check(len(w1) == len(w2) and all(np.array_equal(x, y) for x, y in zip(w1, w2)), "training is not deterministic")

# Recipe knobs (docs/training.md): a fixed, frozen lambda reaches the Clip nodes unchanged;
# the one-cycle schedule and the card's recipe line; a bad --lambda-init is refused.
o3 = run(os.path.join(a.work, "m3"), "--schedule", "onecycle", "--lambda-init", "fixed:1.5", "--lambda-mode", "frozen")
clip3 = E.inspect_onnx(os.path.join(o3, "model.onnx"))["clip_max"]
check(len(clip3) == 5 and all(abs(v - 1.5) < 1e-6 for v in clip3), f"frozen lambda 1.5 moved: {clip3}")
card3 = open(os.path.join(o3, "card.md")).read()
check("one-cycle LR" in card3 and "lambda initialised to 1.5, frozen" in card3, "card does not state the recipe knobs")
bad = subprocess.run([sys.executable, os.path.join(PYDIR, "train.py"), "--recipe", "default", "--data", data,
                      "--out", os.path.join(a.work, "m4"), "--lambda-init", "fixed:-1"], capture_output=True, text=True)
check(bad.returncode != 0 and "--lambda-init" in bad.stderr, "--lambda-init fixed:-1 was accepted")
def deep_synth(*extra):
    return subprocess.run([sys.executable, os.path.join(PYDIR, "train.py"), "--recipe", "deep", "--print-synth-args",
                           *extra], capture_output=True, text=True, check=True).stdout


synth = deep_synth()
check("--train 8000 --test 1000" in synth, f"deep's default (issue 15's recipe) is not 8000 clips: {synth}")
synth = deep_synth("--train-clips", "5000")
check("--train 5000 --test 1000" in synth, f"--train-clips not in the data command: {synth}")

# ONNX runtime cross-check (optional: onnxruntime lives in the PATH python3 only).
ort_py = os.environ.get("SDM_ORT_PYTHON", "python3")
probe = subprocess.run([ort_py, "-c", "import onnxruntime, numpy"], capture_output=True)
if probe.returncode == 0:
    code = ("import numpy as np, onnxruntime as ort, sys\n"
            "x = np.load(sys.argv[2])[:32].astype(np.float32) / 255\n"
            "s = ort.InferenceSession(sys.argv[1], providers=['CPUExecutionProvider'])\n"
            "np.save(sys.argv[3], s.run(None, {'input': x})[0])\n")
    outp = os.path.join(a.work, "ort_logits.npy")
    subprocess.run([ort_py, "-c", code, os.path.join(o1, "model.onnx"), os.path.join(data, "test", "clips.npy"), outp],
                   check=True)
    ol = np.load(outp)
    err = float(np.abs(ol - logits).max())
    check(err < 1e-4, f"onnxruntime logits differ from PyTorch by {err}")
    print(f"onnxruntime agrees with PyTorch (max |diff| {err:.2e})")
else:
    print("onnxruntime not available: skipped the runtime cross-check")
print("PASS")
