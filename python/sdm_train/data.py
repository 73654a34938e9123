"""Reads the clips.npy/labels.npy layout written by `sdmforge data synth` (and import)."""
import json
import os

import numpy as np
import torch


def resolve_split(path, split):
    """`path` is a dataset root (with train/ and test/) or directly a split folder."""
    p = os.path.join(path, split)
    if os.path.isfile(os.path.join(p, "clips.npy")):
        return p
    if os.path.isfile(os.path.join(path, "clips.npy")):
        return path
    raise FileNotFoundError(f"no {split}/clips.npy under '{path}'")


def load_split(path, split):
    d = resolve_split(path, split)
    x = np.load(os.path.join(d, "clips.npy"))
    y = np.load(os.path.join(d, "labels.npy"))
    if x.dtype != np.uint8 or x.ndim not in (4, 5):
        raise ValueError(f"{d}/clips.npy: expected uint8 N x C x [F x] H x W, got {x.dtype} {x.shape}")
    if y.dtype != np.int64 or y.shape != (x.shape[0],):
        raise ValueError(f"{d}/labels.npy: expected int64 ({x.shape[0]},), got {y.dtype} {y.shape}")
    return torch.from_numpy(x), torch.from_numpy(y)


def class_names(path):
    for p in (os.path.join(path, "classes.json"), os.path.join(os.path.dirname(path.rstrip("/")), "classes.json")):
        if os.path.isfile(p):
            with open(p) as f:
                return json.load(f)["classes"]
    return None


def to_input(x_uint8):
    """SPEC §11: a uint8 pixel p enters the model as the float p / 255."""
    return x_uint8.float() / 255.0
