#!/usr/bin/python3
"""Train one of sdmforge's bundled models (Algorithm 1, lines 1-16) and export it.

  /usr/bin/python3 python/train.py --recipe default --data DATA_ROOT --out models/default

DATA_ROOT holds train/ and test/ (clips.npy + labels.npy), as written by
`sdmforge data synth` with the recipe's data options (python/retrain.sh does both).
Writes OUT/model.onnx, OUT/reference.json (+ reference_logits.npy), OUT/card.md,
OUT/train_log.txt. Deterministic for a given --seed (single data order, deterministic
torch algorithms, --threads torch threads, default 1). See docs/training.md.
"""
import argparse
import json
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from sdm_train import export as E  # noqa: E402
from sdm_train import models as M  # noqa: E402
from sdm_train.data import class_names, load_split  # noqa: E402
from sdm_train.trainer import evaluate, setup_determinism, train  # noqa: E402

SYNTH_EASY16 = {"preset": "easy", "size": 16, "frames": 8, "train": 4000, "test": 1000, "seed": 1}
# Every recipe uses issue 15's schedule and lambda initialisation (one-cycle LR, every lambda
# from 2.0, learned; docs/training.md "Where the recipes depart"); before it the small
# models used lr x0.1 steps at 50/75 % and the 99.9th activation percentile.
ISSUE15 = {"schedule": "onecycle", "lambda_init": "fixed:2.0"}
RECIPES = {
    "default": {"arch": "default", "data": SYNTH_EASY16, "epochs": 24, "lr": 0.05, "batch": 32,
                "aug": {"roll": True, "invert": True}, **ISSUE15},
    "slowonly": {"arch": "slowonly", "data": SYNTH_EASY16, "epochs": 12, "lr": 0.02, "batch": 32,
                 "aug": {"roll": True, "invert": True}, **ISSUE15},
    "slowfast": {"arch": "slowfast", "data": SYNTH_EASY16, "epochs": 16, "lr": 0.05, "batch": 32,
                 "aug": {"roll": True, "invert": True}, **ISSUE15},
    "digits2d": {"arch": "digits2d", "data": "digits", "epochs": 60, "lr": 0.05, "batch": 32,
                 "aug": {"roll": False, "invert": False}, **ISSUE15},
    # issue 15's recipe (ablation row R5, docs/training.md): one-cycle, lambda from 2.0, 40
    # epochs, 8,000 clips; before it: step schedule, 99.9th percentile, 24 epochs, 5,000 clips
    "deep": {"arch": "deep", "data": {"preset": "hard", "size": 16, "frames": 8, "train": 8000,
                                      "test": 1000, "seed": 1},
             "epochs": 40, "lr": 0.003, "batch": 32, "opt": "adam", "wd": 1e-4,
             "aug": {"roll": True, "invert": True}, **ISSUE15},
}


def parse_lambda_init(text):
    """'percentile' (the recipe's 99.9th percentile), 'percentile:P' or 'fixed:V' ->
    (percentile or None, fixed value or None)."""
    kind, _, val = text.partition(":")
    try:
        if kind == "percentile":
            p = float(val) if val else 99.9
            if 0 < p <= 100:
                return p, None
        elif kind == "fixed" and float(val) > 0:
            return None, float(val)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"'{text}': expected percentile, percentile:P (0 < P <= 100) "
                                     "or fixed:V (V > 0)")


def recipe_text(recipe, seed):
    """The training line of the card and of the ablation rows."""
    opt = "AdamW" if recipe.get("opt") == "adam" else "SGD momentum 0.9"
    if recipe.get("schedule", "step") == "onecycle":
        sched = f"one-cycle LR (peak {recipe['lr']}, 30 % warm-up, cosine down, per batch) over {recipe['epochs']} epochs"
    else:
        sched = f"lr {recipe['lr']} x0.1 at 50 % and 75 % of {recipe['epochs']} epochs"
    pct, fixed = parse_lambda_init(recipe.get("lambda_init", "percentile"))
    lam = (f"lambda initialised to {fixed:g}" if fixed is not None
           else f"lambda initialised to the {pct:g}th activation percentile")
    lam += ", learned" if recipe.get("lambda_learn", True) else ", frozen"
    if recipe.get("lambda_penalty") and recipe.get("lambda_learn", True):
        lam += f" with penalty {recipe['lambda_penalty']:g} * sum(lambda^2)"
    return (f"{opt}, {sched}, batch {recipe['batch']}, weight decay {recipe.get('wd', 1e-5):g} on "
            f"conv/linear weights (not on lambda/BN/bias), {lam}, seed {seed}, augmentation {recipe['aug']}")


def synth_command(d):
    return (f"sdmforge data synth --out DATA --preset {d['preset']} --size {d['size']} "
            f"--frames {d['frames']} --train {d['train']} --test {d['test']} --seed {d['seed']}")


def budget_table(layers, T=4, bits=4):
    """Spike-train storage for the iCE40 UP5K SPRAM (1 Mbit = 1048576 bits)."""
    rows, total = [], 0
    for name, shape, lam in layers:
        n = int(np.prod(shape))
        b = n * T * bits
        total += b
        rows.append(f"| {name} | {'x'.join(map(str, shape))} | {n} | {b} | {b / 1024:.1f} |")
    return rows, total


def write_card(out, name, recipe, model, in_shape, results, layers, onnx_info, classes, seed):
    w, p = M.weight_count(model)
    ops = E.synaptic_ops(model, in_shape)
    d = recipe["data"]
    if d == "digits":
        data_desc = ("scikit-learn's bundled 8x8 digits (1797 images), pixels 0-16 scaled to 0-255 "
                     "uint8, stored in `models/digits2d/data/{train,test}` (written by "
                     "`python/digits_data.py`, split seed 0, 1438 train / 359 test)")
        data_cmd = "/usr/bin/python3 python/digits_data.py --out models/digits2d/data"
    else:
        data_desc = (f"synthetic action dataset, preset `{d['preset']}`, {d['size']}x{d['size']}, "
                     f"{d['frames']} frames, {d['train']} train / {d['test']} test clips, seed {d['seed']}")
        data_cmd = synth_command(d)
    lines = [
        f"# Model card: `{name}`", "",
        f"Architecture: `{type(model).__name__}` ({recipe['arch']}), see `python/sdm_train/models.py`.",
        "", "```", str(model), "```", "",
        "| property | value |", "|---|---|",
        f"| input | 1x{'x'.join(map(str, in_shape[1:]))} uint8, fed as pixel/255 (N x {'x'.join(map(str, in_shape))}) |",
        f"| classes | {len(classes)}: {', '.join(classes)} |",
        f"| conv/linear weights | {w} |",
        f"| all parameters (incl. BN, biases, lambdas) | {p} |",
        f"| spiking (clip) layers | {len(layers)} |",
        f"| synaptic ops per time-step (dense MACs) | {ops} |",
        f"| data | {data_desc} |",
        f"| data command | `{data_cmd}` |",
        "| integer vs float | ≤ 0.5 points (8-bit weights, sdm α = 0.2 β = 5, T = 4, all test clips; "
        "the nightly test ModelCards.IntegerWithinCardTolerance reads this figure) |",
        f"| training | {recipe_text(recipe, seed)} |",
        f"| ANN test top-1 (PyTorch) | **{100 * results['test_acc']:.2f} %** ({results['test_n']} clips) |",
        f"| ANN train top-1 (last epoch, eval mode) | {100 * results['train_acc']:.2f} % |",
        f"| training time | {results['train_seconds']:.0f} s on {results['threads']} CPU threads ({results['host']}) |",
        f"| torch | {torch.__version__} |",
        f"| retrain | `python/retrain.sh {name}` |", "",
        "## Learned clip ceilings (lambda = theta at alpha = 1)", "",
        "| layer | output shape | lambda |", "|---|---|---|"]
    for lname, shape, lam in layers:
        lines.append(f"| {lname} | {'x'.join(map(str, shape))} | {lam:.4f} |")
    lines += ["", f"ONNX ops: {json.dumps(onnx_info['ops'], sort_keys=True)}; Clip max values in graph "
              f"order: {', '.join(f'{v:.4f}' for v in onnx_info['clip_max'])}.", ""]
    rows, total = budget_table(layers)
    lines += ["## Spike-train budget (iCE40 UP5K SPRAM, 1 Mbit)", "",
              "T = 4 time-steps x 4-bit signed spike counts (beta = 5 needs -1..5) per neuron:", "",
              "| layer | shape | neurons | bits | Kbit |", "|---|---|---|---|---|"] + rows
    peak = 0
    for i in range(len(layers)):
        cur = sum(int(np.prod(layers[j][1])) for j in range(max(0, i - 2), i + 1)) * 16
        peak = max(peak, cur)
    fits_all = total <= 1048576
    lines += ["", f"All layers at once: {total} bits = {total / 1024:.0f} Kbit "
              f"({'fits' if fits_all else 'does not fit'} in 1024 Kbit). "
              f"Layer-by-layer dataflow (a layer's input and output trains plus one residual "
              f"input kept alive, i.e. at most three consecutive layers): peak {peak / 1024:.0f} Kbit "
              f"({'fits' if peak <= 1048576 else 'does not fit'}).",
              f"Weights at 8 bit: {w * 8} bits = {w * 8 / 1024:.1f} Kbit of the 120 Kbit EBR "
              f"({'fits' if w * 8 <= 120 * 1024 else 'does not fit'}).", "",
              "## Files", "",
              "- `model.onnx`: opset 13, eval mode, dynamic batch, metadata `sdm_input_scale` = 1/255, `sdm_input_bias` = 0.",
              "- `reference.json`: PyTorch logits of the first 32 test clips (`logits`, `labels`, `predictions`), "
              "`reference_logits.npy` the same logits as float32 (32 x classes).", ""]
    with open(os.path.join(out, "card.md"), "w") as f:
        f.write("\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recipe", required=True, choices=sorted(RECIPES))
    ap.add_argument("--print-synth-args", action="store_true",
                    help="print the recipe's `data synth` options (or 'digits') and exit")
    ap.add_argument("--data", help="dataset root (train/ + test/); digits2d defaults to models/digits2d/data")
    ap.add_argument("--out")
    ap.add_argument("--epochs", type=int, help="override the recipe's epochs")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (1 is fastest on a shared 2-core machine; results are reproducible for a fixed count)")
    ap.add_argument("--limit-train", type=int, default=0, help="use only the first N training clips")
    g = ap.add_argument_group("recipe knobs (defaults: the recipe's own, i.e. the bundled models': "
                              "onecycle, fixed:2.0, learned, 0 for every recipe; docs/training.md, "
                              "'Recipe ablation')")
    g.add_argument("--train-clips", type=int,
                   help="training-set size of the recipe's data command (changes --print-synth-args, "
                        "so python/retrain.sh generates that dataset; the test split does not change)")
    g.add_argument("--schedule", choices=["step", "onecycle"],
                   help="step: lr x0.1 at 50 %% and 75 %% of the epochs (the recipes before issue 15); "
                        "onecycle: torch OneCycleLR peaking at the recipe's lr (every recipe's default)")
    g.add_argument("--lambda-init", metavar="percentile[:P]|fixed:V",
                   help="initial lambda of every clip layer: the P-th activation percentile over "
                        "512 training clips (P default 99.9; the recipes before issue 15) "
                        "or the fixed value V (every recipe's default: fixed:2.0)")
    g.add_argument("--lambda-mode", choices=["learned", "frozen"],
                   help="learned (default, Algorithm 1 line 14) or frozen at the initial value")
    g.add_argument("--lambda-penalty", type=float, metavar="C",
                   help="add C * sum(lambda^2) to the loss (pulls the ceilings down; default 0)")
    ap.add_argument("--no-card", action="store_true")
    a = ap.parse_args()

    recipe = dict(RECIPES[a.recipe])
    if a.train_clips:
        if not isinstance(recipe["data"], dict):
            ap.error(f"--train-clips: recipe {a.recipe} does not use synthetic data")
        recipe["data"] = dict(recipe["data"], train=a.train_clips)
    for knob in ("schedule", "lambda_penalty"):
        if getattr(a, knob) is not None:
            recipe[knob] = getattr(a, knob)
    if a.lambda_init is not None:
        try:
            parse_lambda_init(a.lambda_init)
        except argparse.ArgumentTypeError as e:
            ap.error(f"--lambda-init {e}")
        recipe["lambda_init"] = a.lambda_init
    if a.lambda_mode is not None:
        recipe["lambda_learn"] = a.lambda_mode == "learned"
    if a.print_synth_args:
        d = recipe["data"]
        print("digits" if d == "digits" else synth_command(d).split("--out DATA ")[1])
        return
    if a.epochs:
        recipe["epochs"] = a.epochs
    if not a.out:
        ap.error("--out is required")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    data = a.data or (os.path.join(root, "models/digits2d/data") if recipe["data"] == "digits" else None)
    if not data:
        sys.exit(f"train.py: --data is required (generate it with: {synth_command(recipe['data'])})")
    setup_determinism(a.seed, a.threads)
    xtr, ytr = load_split(data, "train")
    xte, yte = load_split(data, "test")
    if a.limit_train:
        xtr, ytr = xtr[:a.limit_train], ytr[:a.limit_train]
    classes = class_names(data) or [str(i) for i in range(int(max(ytr.max(), yte.max())) + 1)]
    if isinstance(recipe["data"], dict):
        d = recipe["data"]
        want = (1, d["frames"], d["size"], d["size"])
        if tuple(xtr.shape[1:]) != want:
            print(f"train.py: warning: data shape {tuple(xtr.shape[1:])} differs from the recipe's {want}")
    in_shape = tuple(xtr.shape[1:])
    model = M.build(recipe["arch"], len(classes))
    os.makedirs(a.out, exist_ok=True)
    log_lines = []

    def log(msg):
        print(msg, flush=True)
        log_lines.append(msg)

    w, p = M.weight_count(model)
    log(f"recipe {a.recipe}: arch {recipe['arch']}, {w} weights, {p} parameters, "
        f"train {tuple(xtr.shape)}, test {tuple(xte.shape)}, {recipe['epochs']} epochs, seed {a.seed}")
    log("training: " + recipe_text(recipe, a.seed))
    pct, fixed = parse_lambda_init(recipe.get("lambda_init", "percentile"))
    secs = train(model, xtr, ytr, xte, yte, recipe["epochs"], lr=recipe["lr"], batch=recipe["batch"],
                 seed=a.seed, aug=recipe["aug"], log=log, optimizer=recipe.get("opt", "sgd"),
                 weight_decay=recipe.get("wd", 1e-5), schedule=recipe.get("schedule", "step"),
                 calib_percentile=pct if pct is not None else 99.9, lambda_init=fixed,
                 learn_lambda=recipe.get("lambda_learn", True),
                 lambda_penalty=recipe.get("lambda_penalty", 0.0))
    test_acc, _ = evaluate(model, xte, yte)
    train_acc, _ = evaluate(model, xtr[:2000], ytr[:2000])
    log(f"final: test {100 * test_acc:.2f}% train(eval, first 2000) {100 * train_acc:.2f}% in {secs:.0f}s")

    onnx_path = os.path.join(a.out, "model.onnx")
    layers = E.spiking_layers(model, in_shape)
    E.export_onnx(model, in_shape, onnx_path, {
        "sdm_model": a.recipe, "classes": classes, "ann_test_top1": round(test_acc, 6),
        "lambdas": [round(l[2], 6) for l in layers]})
    info = E.inspect_onnx(onnx_path)
    lam_model = [l[2] for l in layers]
    if len(info["clip_max"]) != len(lam_model) or any(
            abs(x - y) > 1e-6 * max(1.0, abs(y)) for x, y in zip(info["clip_max"], lam_model)):
        sys.exit(f"train.py: Clip max values {info['clip_max']} differ from the lambdas {lam_model}")
    ref = E.reference(model, xte, yte, 32)
    ref.update({"model": a.recipe, "ann_test_top1": test_acc, "input_scale": "1/255",
                "data": recipe["data"] if recipe["data"] == "digits" else synth_command(recipe["data"]),
                "split": "test", "clip_indices": list(range(ref["count"]))})
    with open(os.path.join(a.out, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1)
    np.save(os.path.join(a.out, "reference_logits.npy"), np.array(ref["logits"], dtype=np.float32))
    with open(os.path.join(a.out, "train_log.txt"), "w") as f:
        f.write("\n".join(log_lines) + "\n")
    if not a.no_card:
        results = {"test_acc": test_acc, "train_acc": train_acc, "test_n": int(xte.shape[0]),
                   "train_seconds": secs, "threads": a.threads,
                   "host": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"}
        write_card(a.out, a.recipe, recipe, model, in_shape, results, layers, info, classes, a.seed)
    print(json.dumps({"recipe": a.recipe, "test_top1": test_acc, "weights": w, "seconds": round(secs, 1),
                      "onnx": onnx_path, "clip_max": info["clip_max"]}))


if __name__ == "__main__":
    main()
