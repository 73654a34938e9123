#!/usr/bin/env python3
"""Engine benchmark: cycles per clip of the generated accelerator for every bundled model,
next to the engine-v1 schedule on the same plan, and the MAC utilisation of the largest
layers (issue 12's targets).

usage: bench/engine_cycles.py SDMFORGE [--models DIR] [--work DIR] [--configs 4,32,2,16+bs]
                              [--clock icebreaker=24.375,ulx3s=50] [--doc docs/engine-cycles.md]

A config is a lane count, `LxS` lanes with `rtl --simd S`; `+bs` adds `rtl --batch-sums`,
`+sn` adds `rtl --shared-neuron`, `+p2` adds `rtl --positions 2`.

For each model: `sdmforge convert` (alpha 0.2, beta 5, T 4), `sdmforge rtl --lanes L`, then
from signature.json:
  * v2 cycles: `predicted_cycles.per_clip` (the generator's exact cycle model, which every
    co-simulation checks cycle for cycle);
  * v1 cycles (the reference run): the engine-v1 schedule evaluated on the same stages --
    every dynamic stage ran its S synapses once per time-step (T*(S + 5 + 1)), a tensor
    whose T values exceeded 16 bits stored one value per word -- the formula v1's
    signature printed and its co-simulations checked (commit 17f7ff3);
  * utilisation of a layer: its useful synaptic ops per cycle (the golden model's
    connections x T) / the products per cycle the MAC array has (lanes x simd x T), and / the
    device limit (products per cycle the board's multipliers could do: UP5K 8 DSP = 16
    8x8 products, ECP5-85F 156 MULT18X18D), and / the whole device limit of the
    configuration `rtl --board` picks (its signature's `board_choice.device_limit`:
    multipliers plus the lanes the spare LUTs could hold, fpga/estimate.h device_limit);
  * per board pick: clips/s and latency at --clock (the clock its bitstream runs at, as
    `sdmforge synth` measured it; given, not measured here).
Nothing here is timed: all figures are exact cycle counts.
"""
import argparse
import json
import math
import os
import subprocess
import sys

DRAIN = 5
DEVICE_PRODUCTS = {"icebreaker (UP5K, 8 DSP)": 16, "ulx3s (ECP5-85F, 156 MULT18)": 156}


def v1_per_clip(sig):
    """The engine-v1 cycle model on this plan (see the module doc)."""
    T, L = sig["config"]["T"], sig["lanes"]
    split = set()
    for m in sig["memories"]:
        for t in m["tensors"]:
            if t["steps"] > 1 and t["steps"] * t["value_bits"] > 16:
                split.add(t["tensor"])
    total = 0
    for s in sig["stages"]:
        c, f, h, w = s["out_shape"]
        S, mode, static = s["synapses_per_group_step"], s["mode"], s["static_input"]
        per = 0
        for g in range(math.ceil(c / L)):
            words = 0 if mode == "readout" else min(L, c - g * L) * (T if s["out_tensor"] in split else 1)
            if static and mode == "neuron":
                comp = S + DRAIN + 1 + 2 * (T - 1)
            elif static:
                comp = S + DRAIN + 1
            else:
                comp = T * (S + DRAIN + 1)
            per += comp + 2 + words + 1
        total += f * h * w * per
    return total + max(sig["num_classes"] - 1, 0)


def products(sig):
    """Products per cycle of the design's MAC array: lanes x simd x T (signature mac_units)."""
    mu = sig.get("mac_units", {})
    return mu.get("products_per_cycle", sig["lanes"] * sig["config"]["T"])


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        sys.exit(f"engine_cycles: {' '.join(cmd)} failed:\n{r.stdout}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sdmforge")
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--models", default=os.path.join(here, "..", "models"))
    ap.add_argument("--work", default="/tmp/sdm_engine_cycles")
    ap.add_argument("--configs", default="2,4,32,3+sn,16+bs,4x4,32x8,16x8+bs,4x4+p2,16x8+p2,32x8+p2")
    ap.add_argument("--doc", help="also write the tables as markdown here")
    ap.add_argument("--clock", default="",
                    help="BOARD=MHZ,...: the clock each board's bitstream runs at (synth's clock_mhz)")
    # per board: the v1 configuration it was built with -> the v2 configuration that fits it
    ap.add_argument("--boards", default="icebreaker=4,ulx3s=32",
                    help="BOARD=V1LANES,...: the v1 lane count each board was built with (in --configs); "
                         "the v2 side is what `rtl --board` picks")
    a = ap.parse_args()
    def parse(x):
        parts = x.split("+")
        ls = parts[0].split("x")
        return (int(ls[0]), int(ls[1]) if len(ls) > 1 else 1, "bs" in parts[1:], "sn" in parts[1:],
                2 if "p2" in parts[1:] else 1)

    def flags(S, bs, sn, P=1):
        return (["--simd", str(S), "--positions", str(P)] + (["--batch-sums"] if bs else [])
                + (["--shared-neuron"] if sn else []))

    def label(bs, sn, ov=True, S=1, P=1):
        return ", ".join(f for f, on in ((f"simd {S}", S > 1), ("2 positions", P > 1), ("batch sums", bs),
                                         ("shared neuron", sn), ("no output overlap", not ov)) if on) or "-"

    configs = [parse(x) for x in a.configs.split(",")]
    models = sorted(d for d in os.listdir(a.models) if os.path.isfile(os.path.join(a.models, d, "model.onnx")))
    lines = []

    def out(s=""):
        print(s)
        lines.append(s)

    out("| model | lanes | options | products/cycle (v1 -> v2) | v1 cycles/clip | v2 cycles/clip | v1 / v2 |")
    out("|---|---|---|---|---|---|---|")
    sigs = {}
    for m in models:
        work = os.path.join(a.work, m)
        os.makedirs(work, exist_ok=True)
        net = os.path.join(work, "net.sdm")
        run([a.sdmforge, "convert", os.path.join(a.models, m, "model.onnx"), "--alpha", "0.2", "--beta", "5",
             "--T", "4", "-o", net])
        for L, S, bs, sn, P in configs:
            d = os.path.join(work, f"rtl_L{L}{f'_S{S}' if S > 1 else ''}{'_p2' if P > 1 else ''}"
                                   f"{'_bs' if bs else ''}{'_sn' if sn else ''}")
            run([a.sdmforge, "rtl", net, "-o", d, "--lanes", str(L)] + flags(S, bs, sn, P))
            sig = json.load(open(os.path.join(d, "signature.json")))
            sigs[(m, L, S, bs, sn, P)] = sig
            v2 = sig["predicted_cycles"]["per_clip"]
            v1 = v1_per_clip(sig)
            out(f"| {m} | {L} | {label(bs, sn, True, S, P)} | {L} -> {products(sig)} | {v1:,} | {v2:,} | "
                f"{v1 / v2:.2f}x |")
    out()
    # what `rtl --board` picks for the default model (every configuration it searches)
    picks = {}
    net = os.path.join(a.work, "default", "net.sdm")
    for spec in a.boards.split(","):
        board = spec.split("=")[0]
        d = os.path.join(a.work, "default", f"rtl_board_{board}")
        run([a.sdmforge, "rtl", net, "-o", d, "--board", board])
        picks[board] = json.load(open(os.path.join(d, "signature.json")))

    def pick_label(sig):
        bc = sig["board_choice"]
        return (f"{bc['lanes']} lanes, "
                f"{label(bc['batch_sums'], bc['shared_neuron'], bc.get('overlap', True), bc.get('simd', 1), bc.get('positions', 1))}")

    out("Per board, default model: the v1 configuration it was built with against the v2 configuration "
        "`rtl --board` picks (placements and their Fmax, where measured: docs/fpga.md):")
    out()
    out("| board | v1 lanes | v1 cycles/clip | v2 config | v2 cycles/clip | v1 / v2 |")
    out("|---|---|---|---|---|---|")
    for spec in a.boards.split(","):
        board, v1l = spec.split("=")
        v1l = v1l.split(":")[0]
        key1 = ("default", int(v1l), 1, False, False, 1)
        if key1 in sigs:
            c1, c2 = v1_per_clip(sigs[key1]), picks[board]["predicted_cycles"]["per_clip"]
            out(f"| {board} | {v1l} | {c1:,} | {pick_label(picks[board])} | {c2:,} | {c1 / c2:.2f}x |")
    clocks = dict((k, float(v)) for k, v in (x.split("=") for x in a.clock.split(",") if x))
    out()
    out("What `rtl --board` picks for the default model, with the device limit of its widths "
        "(products per cycle: hard multipliers + the lanes the LUTs left after the fixed logic could hold):")
    out()
    out("| board | pick | cycles/clip | device limit (mult + LUT) | LUT4 per product | clock (synth) | clips/s | latency |")
    out("|---|---|---|---|---|---|---|---|")
    for board, sig in picks.items():
        bc, dl = sig["board_choice"], sig["board_choice"]["device_limit"]
        cyc = sig["predicted_cycles"]["per_clip"]
        mhz = clocks.get(board)
        rate = f"{mhz} MHz | {mhz * 1e6 / cyc:.2f} | {1e3 * cyc / (mhz * 1e6):.1f} ms" if mhz else "- | - | -"
        out(f"| {board} | {pick_label(sig)} | {cyc:,} | "
            f"{dl['products_per_cycle']:.0f} ({dl['mult_products']:.0f} + {dl['lut_products']:.0f}) | "
            f"{dl['lut4_per_product']} | {rate} |")
    out()
    out("Utilisation of the board picks' two largest layers, the honest way (useful synaptic ops per cycle "
        "/ the whole device limit above):")
    out()
    out("| board | layer | ops/cycle | / MAC array (L x S x T) | / device limit |")
    out("|---|---|---|---|---|")
    for board, sig in picks.items():
        lim = sig["board_choice"]["device_limit"]["products_per_cycle"]
        for st in sorted(sig["stages"], key=lambda x: -x["synaptic_ops"])[:2]:
            opc = st["synaptic_ops"] / st["predicted_cycles"]
            out(f"| {board} | {st['name']} | {opc:.2f} | {100 * opc / products(sig):.0f} % | {100 * opc / lim:.1f} % |")
    out()
    out("Utilisation of the two layers with the most synaptic ops (useful ops per cycle / products per cycle; "
        "the per-board columns divide by the hard multipliers' products alone, so a design whose shift-add "
        "products are in LUTs can exceed 100 % there: the whole device limit is in the table above):")
    out()
    out("| model | lanes | options | layer | ops/clip | cycles | ops/cycle | / MAC array (L x S x T) | "
        + " | ".join(f"/ {k}" for k in DEVICE_PRODUCTS) + " |")
    out("|---|---|---|---|---|---|---|---|" + "---|" * len(DEVICE_PRODUCTS))
    for (m, L, S, bs, sn, P), sig in sigs.items():
        st = sorted(sig["stages"], key=lambda s: -s["synaptic_ops"])[:2]
        for s in st:
            ops, cyc = s["synaptic_ops"], s["predicted_cycles"]
            opc = ops / cyc
            dev = " | ".join(f"{100 * opc / n:.0f} %" for n in DEVICE_PRODUCTS.values())
            out(f"| {m} | {L} | {label(bs, sn, True, S, P)} | {s['name']} | {ops:,} | {cyc:,} | {opc:.2f} | "
                f"{100 * opc / products(sig):.0f} % | {dev} |")
    if a.doc:
        with open(a.doc, "w") as fh:
            fh.write("# Engine cycles (generated)\n\nWritten by `bench/engine_cycles.py` (alpha 0.2, beta 5, T 4); "
                     "do not edit. v1 = the engine-v1 schedule on the same plan, v2 = the generator's exact "
                     "cycle model, checked by co-simulation.\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
