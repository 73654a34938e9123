#!/usr/bin/python3
"""Every architecture of the zoo exports to ONNX with only importer-supported ops, one
Clip per ClipAct (lambda as constant), the expected input rank, and no frame slicing."""
import os
import tempfile

from common import check

import torch  # noqa: E402

from sdm_train import export as E  # noqa: E402
from sdm_train import models as M  # noqa: E402
from sdm_train.layers import calibrate, clip_layers  # noqa: E402

torch.set_num_threads(2)
torch.manual_seed(0)
shapes = {"default": (1, 8, 16, 16), "slowonly": (1, 8, 16, 16), "slowfast": (1, 8, 16, 16),
          "digits2d": (1, 8, 8), "deep": (1, 8, 16, 16)}
with tempfile.TemporaryDirectory() as d:
    for arch, shape in shapes.items():
        m = M.build(arch, 10)
        calibrate(m, torch.rand(8, *shape))
        p = os.path.join(d, arch + ".onnx")
        E.export_onnx(m, shape, p)
        info = E.inspect_onnx(p)  # raises on a forbidden op
        lams = [float(c.lam) for c in clip_layers(m)]
        check(len(info["clip_max"]) == len(lams), f"{arch}: {len(info['clip_max'])} Clips for {len(lams)} ClipActs")
        check(sorted(round(v, 5) for v in info["clip_max"]) == sorted(round(v, 5) for v in lams),
              f"{arch}: Clip maxima {info['clip_max']} != lambdas {lams}")
        for bad in ("Relu", "MaxPool", "Slice", "Gather", "Dropout"):
            check(bad not in info["ops"], f"{arch}: {bad} in graph {info['ops']}")
        if arch == "slowfast":
            check(info["ops"].get("Concat", 0) >= 2, f"slowfast: expected lateral + head Concat, got {info['ops']}")
        if arch == "deep":
            check(len(lams) >= 12, f"deep: only {len(lams)} spiking layers")
        print(arch, info["ops"])
# The importer's rejection path is exercised too: a model with ReLU must fail inspection.
with tempfile.TemporaryDirectory() as d:
    bad = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.ReLU(), torch.nn.MaxPool2d(2))
    p = os.path.join(d, "bad.onnx")
    torch.onnx.export(bad, torch.zeros(1, 1, 8, 8), p, opset_version=13)
    try:
        E.inspect_onnx(p)
        check(False, "inspect_onnx accepted Relu")
    except ValueError as e:
        check("Relu" in str(e), str(e))
print("PASS")
