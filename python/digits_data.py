#!/usr/bin/python3
"""Writes scikit-learn's bundled 8x8 digits as an sdmforge data folder:
OUT/{train,test}/clips.npy (N x 1 x 8 x 8 uint8, pixels 0..16 scaled by 255/16 and rounded)
+ labels.npy (int64) + OUT/classes.json. Split: a seeded permutation (seed 0), 80 / 20.
Needs python3-sklearn (Debian) for /usr/bin/python3."""
import argparse
import json
import os

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--test-fraction", type=float, default=0.2)
    a = ap.parse_args()
    from sklearn.datasets import load_digits
    d = load_digits()
    x = np.clip(np.floor(d.images * (255.0 / 16.0) + 0.5), 0, 255).astype(np.uint8)[:, None]
    y = d.target.astype(np.int64)
    perm = np.random.RandomState(a.seed).permutation(len(y))
    nte = int(round(len(y) * a.test_fraction))
    splits = {"test": perm[:nte], "train": perm[nte:]}
    for name, idx in splits.items():
        os.makedirs(os.path.join(a.out, name), exist_ok=True)
        np.save(os.path.join(a.out, name, "clips.npy"), np.ascontiguousarray(x[idx]))
        np.save(os.path.join(a.out, name, "labels.npy"), y[idx])
    with open(os.path.join(a.out, "classes.json"), "w") as f:
        json.dump({"format": "sdmforge-digits", "version": 1, "classes": [str(i) for i in range(10)],
                   "num_classes": 10, "size": 8, "channels": 1, "seed": a.seed,
                   "counts": {k: int(len(v)) for k, v in splits.items()},
                   "source": "sklearn.datasets.load_digits (UCI ML hand-written digits, 8x8, 0..16)",
                   "layout": "clips.npy: N x C x H x W uint8; labels.npy: N int64",
                   "input_scale": "pixel / 255"}, f, indent=2)
    print(f"digits: {len(splits['train'])} train / {len(splits['test'])} test -> {a.out}")


if __name__ == "__main__":
    main()
