#!/usr/bin/python3
"""Bring your own network: make a PyTorch model SDM-convertible (Algorithm 1, lines 1-5).

  /usr/bin/python3 python/byo_convert.py --model my_net.py:build --data DATA_ROOT \
      --epochs 3 --out my_net.onnx

1. every nn.ReLU / ReLU6 module -> ClipAct (clip(x, 0, lambda), learnable lambda),
   every nn.MaxPool2d/3d -> nn.AvgPool2d/3d with the same kernel/stride/padding;
2. lambda initialised from the 99.9th percentile of that layer's activations on a batch;
3. a few epochs of fine-tuning (SGD momentum 0.9, weight decay 1e-5, step LR) so the
   weights adapt to the clipped activations and average pooling (line 5: start from the
   user's pre-trained weights);
4. ONNX export for `sdmforge convert` (opset 13, lambda in the Clip nodes) and a check
   that the graph holds only ops the importer supports.

Functional activations (F.relu / torch.relu / F.max_pool* called inside forward) cannot be
swapped automatically: the export check reports them (Relu / MaxPool in the graph) with the
node name; rewrite them as modules. From Python: `convert(model, xtr, ytr, ...)`.
"""
import argparse
import copy
import importlib
import importlib.util
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

from sdm_train import export as E  # noqa: E402
from sdm_train.data import load_split  # noqa: E402
from sdm_train.layers import ClipAct, clip_layers  # noqa: E402
from sdm_train.trainer import evaluate, setup_determinism, train  # noqa: E402


def swap_modules(model):
    """Returns (model copy with ReLU->ClipAct and MaxPool->AvgPool, counts)."""
    model = copy.deepcopy(model)
    counts = {"relu": 0, "maxpool": 0}

    def visit(parent):
        for name, child in list(parent.named_children()):
            if isinstance(child, (nn.ReLU, nn.ReLU6)):
                setattr(parent, name, ClipAct(6.0 if isinstance(child, nn.ReLU6) else 1.0))
                counts["relu"] += 1
            elif isinstance(child, (nn.MaxPool2d, nn.MaxPool3d)):
                if child.dilation not in (1, (1, 1), (1, 1, 1)) or child.return_indices:
                    raise ValueError(f"MaxPool '{name}' uses dilation/return_indices: no AvgPool equivalent")
                cls = nn.AvgPool2d if isinstance(child, nn.MaxPool2d) else nn.AvgPool3d
                setattr(parent, name, cls(child.kernel_size, child.stride, child.padding,
                                          ceil_mode=child.ceil_mode, count_include_pad=True))
                counts["maxpool"] += 1
            elif isinstance(child, (nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)):
                cls = nn.AdaptiveAvgPool2d if isinstance(child, nn.AdaptiveMaxPool2d) else nn.AdaptiveAvgPool3d
                setattr(parent, name, cls(child.output_size))
                counts["maxpool"] += 1
            else:
                visit(child)
    visit(model)
    return model, counts


def convert(model, xtr, ytr, xte=None, yte=None, epochs=3, lr=0.01, batch=32, seed=0,
            out=None, percentile=99.9, log=print, aug=None, allow_worse=False):
    """Swaps activations/pools, fine-tunes and (if `out`) exports. Returns (model, info).

    Raises ValueError (and writes nothing) when fine-tuning lowers the test top-1 (unless
    allow_worse) or the exported graph fails its check; `out` is written via a temporary
    file and a rename, so a failed export never leaves a file at `out`."""
    m, counts = swap_modules(model)
    if counts["relu"] == 0:
        raise ValueError("the model has no nn.ReLU module to replace (functional relu is not swappable)")
    log(f"byo: replaced {counts['relu']} ReLU and {counts['maxpool']} MaxPool modules")
    before = evaluate(m, xte, yte)[0] if xte is not None else None
    secs = train(m, xtr, ytr, xte, yte, epochs, lr=lr, batch=batch, seed=seed,
                 aug=aug or {"roll": False, "invert": False}, log=log, calib_percentile=percentile)
    info = {"replaced": counts, "seconds": secs, "lambdas": [float(c.lam) for c in clip_layers(m)]}
    if xte is not None:
        info["test_top1_before_finetune"] = before
        info["test_top1"] = evaluate(m, xte, yte)[0]
        if info["test_top1"] < before and not allow_worse:
            raise ValueError(f"fine-tuning made the model worse: test top-1 {100 * before:.2f}% -> "
                             f"{100 * info['test_top1']:.2f}%; nothing written (more --epochs, another "
                             f"--lr, or --allow-worse to export it anyway)")
    if out:
        tmp = out + ".tmp.onnx"
        try:
            E.export_onnx(m, tuple(xtr.shape[1:]), tmp, {"sdm_model": "byo"})
            info["onnx"] = E.inspect_onnx(tmp)
            if len(info["onnx"]["clip_max"]) != counts["relu"]:
                raise ValueError(f"{out}: {len(info['onnx']['clip_max'])} Clip nodes for {counts['relu']} "
                                 f"ReLUs; nothing written")
            os.replace(tmp, out)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    return m, info


def load_factory(spec):
    """'path/to/file.py:fn' or 'package.module:fn' -> fn."""
    mod_name, _, fn = spec.partition(":")
    if not fn:
        raise SystemExit(f"byo_convert: --model '{spec}' must be FILE.py:FUNCTION or MODULE:FUNCTION")
    if mod_name.endswith(".py"):
        s = importlib.util.spec_from_file_location("byo_user_model", mod_name)
        if s is None:
            raise SystemExit(f"byo_convert: cannot load '{mod_name}'")
        mod = importlib.util.module_from_spec(s)
        s.loader.exec_module(mod)
    else:
        mod = importlib.import_module(mod_name)
    if not hasattr(mod, fn):
        raise SystemExit(f"byo_convert: '{mod_name}' has no '{fn}'")
    return getattr(mod, fn)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="FILE.py:FUNCTION returning an nn.Module (called with no args)")
    ap.add_argument("--weights", help="state_dict .pt to load into the model before conversion")
    ap.add_argument("--data", required=True, help="dataset root with train/ and test/")
    ap.add_argument("--out", required=True, help="output .onnx")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--allow-worse", action="store_true",
                    help="export even if fine-tuning lowered the test top-1")
    a = ap.parse_args()
    ins = [p for p in (a.weights, a.model.partition(":")[0]) if p and os.path.exists(p)]
    if any(os.path.exists(a.out) and os.path.samefile(a.out, p) for p in ins):
        raise SystemExit(f"byo_convert: --out '{a.out}' is one of the inputs")
    setup_determinism(a.seed, a.threads)
    model = load_factory(a.model)()
    if a.weights:
        model.load_state_dict(torch.load(a.weights, map_location="cpu"))
    xtr, ytr = load_split(a.data, "train")
    xte, yte = load_split(a.data, "test")
    try:
        _, info = convert(model, xtr, ytr, xte, yte, epochs=a.epochs, lr=a.lr, seed=a.seed, out=a.out,
                          allow_worse=a.allow_worse)
    except ValueError as e:
        raise SystemExit(f"byo_convert: {e}")
    print(f"byo: test top-1 {100 * info['test_top1']:.2f}% (before fine-tuning "
          f"{100 * info['test_top1_before_finetune']:.2f}%), lambdas "
          f"{', '.join(f'{v:.3f}' for v in info['lambdas'])} -> {a.out}")


if __name__ == "__main__":
    main()
