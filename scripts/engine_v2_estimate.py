#!/usr/bin/env python3
"""Cycle estimate of the P-positions plan (docs/architecture.md, "Engine v2: what is left")
on top of the built T-batched schedule, from a generated design's signature.json.

usage: scripts/engine_v2_estimate.py DESIGN/signature.json [L:P ...]
First re-derives the design's predicted_cycles.per_clip from its stages with the built
formula and exits 1 if it differs (the stage accounting is then wrong), then prints the
estimated cycles per clip with P consecutive output columns per cycle: positions / P, the
synapse loop shared by the P positions, the neuron feed and the write-back run once per
position (the output unit's O cycles P times as long, still overlapped with the next group).
The re-derivation walks every group (as predict_cycles does): seconds on the default model.
"""
import json
import math
import sys


def per_clip(sig, L, P):
    T = sig["config"]["T"]
    k = sig["predicted_cycles"]["constants"]  # the FSM's state lengths (rtl_gen/accel_gen.h)
    words_of = {t["tensor"]: t["words_per_value"] for m in sig["memories"] for t in m["tensors"]}
    total = 0
    for s in sig["stages"]:
        c, f, h, w = s["out_shape"]
        S, mode = s["syn_cycles_per_group"], s["mode"]
        # the built schedule (rtl_gen/accel_plan.cc group_cycles): the output unit's O cycles
        # overlap the next group's S + D + 1 except where the group is held
        G = math.ceil(c / L)
        O = []
        for g in range(G):
            lanes = min(L, c - g * L)
            words = 0 if mode == "readout" else lanes * words_of[s["out_tensor"]]
            F = lanes * T if sig.get("neurons", L) == 1 and L > 1 else T
            feed = 1 if mode == "sum" else 1 + k["neuron_step_gap"] * (F - 1)
            O.append(P * feed + k["neuron_latency"] + P * words)
        n = f * h * math.ceil(w / P) * G
        D = k["drain"]
        for i in range(n):
            g = i % G
            held = i == n - 1 or not s["overlap"]
            prev = 0 if i == 0 or not s["overlap"] else O[(g - 1) % G]
            total += S + D + 1 + max(0, prev - S - D) + (O[g] + 1 if held else 0)
    return total + max(sig["num_classes"] - 1, 0)


def main():
    sig = json.load(open(sys.argv[1]))
    built = sig["predicted_cycles"]["per_clip"]
    mine = per_clip(sig, sig["lanes"], 1)
    if mine != built:
        sys.exit(f"stage accounting gives {mine}, signature.json predicts {built}")
    pairs = sys.argv[2:] or ["4:1", "2:2", "4:2", "8:1", "8:2", "8:4", "16:4", "8:8"]
    print(f"built ({sig['lanes']} lanes, P = 1): {built} cycles per clip (re-derived: {mine})")
    for lp in pairs:
        L, P = (int(x) for x in lp.split(":"))
        c = per_clip(sig, L, P)
        print(f"L={L:2d} P={P:2d}: {c:>10d} cycles per clip ({built / c:.2f}x)")


if __name__ == "__main__":
    main()
