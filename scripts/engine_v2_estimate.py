#!/usr/bin/env python3
"""Cycle estimate of the engine-v2 plan (docs/architecture.md, "Engine v2 plan") from a
generated design's signature.json: T-batched dynamic stages and P output columns per cycle.

usage: scripts/engine_v2_estimate.py DESIGN/signature.json [L:P ...]
First re-derives today's predicted_cycles.per_clip from the signature's stages with today's
formula and exits 1 if it differs (the stage accounting is then wrong), then prints the v2
cycles per clip for each L:P (default: the table of the design note).
"""
import json
import math
import sys

DRAIN = 5  # kDrain in rtl_gen/accel_gen.h


def stages(sig):
    split = {t["tensor"] for m in sig["memories"] for t in m["tensors"] if t["layout"] == "value per word"}
    for s in sig["stages"]:
        c, f, h, w = s["out_shape"]
        yield s, c, f, h, w, s["out_tensor"] in split


def per_clip(sig, L, P, T, v2):
    total = 0
    for s, c, f, h, w, split in stages(sig):
        S, mode, static = s["synapses_per_group_step"], s["mode"], s["static_input"]
        per = 0
        for g in range(math.ceil(c / L)):
            words = 0 if mode == "readout" else min(L, c - g * L) * (T if split else 1)
            if static and mode == "neuron":
                comp = S + DRAIN + 1 + 2 * (T - 1)
            elif static:
                comp = S + DRAIN + 1
            elif not v2:
                comp = T * (S + DRAIN + 1)
            elif mode == "neuron":
                comp = S + DRAIN + 2 * T - 1  # T feeds, STEP_GAP 2
            else:
                comp = S + DRAIN + 1
            per += comp + 2 + words + 1
        total += f * h * math.ceil(w / P) * per
    return total + sig["num_classes"] - 1


def main():
    sig = json.load(open(sys.argv[1]))
    T = sig["config"]["T"]
    today = sig["predicted_cycles"]["per_clip"]
    mine = per_clip(sig, sig["lanes"], 1, T, v2=False)
    if mine != today:
        sys.exit(f"stage accounting gives {mine}, signature.json predicts {today}")
    pairs = sys.argv[2:] or ["4:1", "2:2", "4:2", "8:4", "16:4", "8:8", "16:8", "32:1"]
    print(f"today ({sig['lanes']} lanes): {today} cycles per clip (re-derived: {mine})")
    for lp in pairs:
        L, P = (int(x) for x in lp.split(":"))
        c = per_clip(sig, L, P, T, v2=True)
        print(f"L={L:2d} P={P:2d}: {c:>10d} cycles per clip ({today / c:.1f}x)")


if __name__ == "__main__":
    main()
