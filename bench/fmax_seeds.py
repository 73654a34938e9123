#!/usr/bin/env python3
"""Fmax over several nextpnr placement seeds (place-and-route results vary by seed: one seed
is noise). For one generated design and board, runs `sdmforge synth --freq F
--allow-timing-fail --seed S` per seed, then prints per seed the Fmax, the start and end
register of the critical path (from nextpnr's log), and min / median / max, and the clips/s
the design's predicted cycles give at the median and at the target clock.

  bench/fmax_seeds.py SDMFORGE DESIGN_DIR --board ulx3s --freq 80 [--seeds 1,2,3] [--json OUT]
  bench/fmax_seeds.py --table OUT.json [OUT.json ...]    # the markdown table docs/fpga.md quotes

Each run writes DESIGN_DIR/build-BOARD (the last seed's build stays there); every seed's
nextpnr log is kept as DESIGN_DIR/fmax_seed<S>.nextpnr.log.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time


def critical_path(log):
    """(first source, last sink) cell names of the critical path of the routed design."""
    text = open(log, errors="replace").read()
    i = text.rfind("Critical path report for clock")  # the routed design (the first is pre-route)
    if i < 0:
        return None, None
    # the first report block ends where the next report (or the max-frequency line) starts
    block = re.split(r"Info: (?:Critical path report|Max frequency)", text[i + 10:])[0]
    src = re.findall(r"Source (\S+)", block)
    snk = re.findall(r"Sink (\S+)", block)
    strip = lambda n: re.sub(r"^u_top\.u_accel\.", "", n).split("_TRELLIS")[0].split("_SB_")[0]
    return (strip(src[0]) if src else None), (strip(snk[-1]) if snk else None)


def table(paths):
    """Markdown rows of one or more --json summaries; every comparison is computed here."""
    print("| board | lanes | cycles/clip | target | Fmax per seed (MHz) | min / median / max | seeds meeting the target "
          "| clips/s at the median Fmax | critical path (first → last register, per seed) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for p in paths:
        j = json.load(open(p))
        per = ", ".join(f"{r['fmax_mhz']:.2f} (seed {r['seed']})" for r in j["seeds"])
        paths_ = "; ".join(sorted({f"{r['critical_from']} → {r['critical_to']}" for r in j["seeds"]}))
        lanes = f"{j['lanes']} × SIMD {j['simd']}" if j.get("simd", 1) > 1 else f"{j['lanes']}"
        if j.get("positions", 1) > 1:
            lanes += f", {j['positions']} positions"
        if j.get("router", "router1") != "router1":
            lanes += f" ({j['router']})"
        print(f"| {j['board']} | {lanes} | {j['cycles_per_clip']:,} | {j['target_mhz']:g} MHz | {per} | "
              f"{j['fmax_min']:.2f} / {j['fmax_median']:.2f} / {j['fmax_max']:.2f} | "
              f"{j['seeds_meeting_target']} of {len(j['seeds'])} | "
              f"{j['fmax_median'] * 1e6 / j['cycles_per_clip']:.2f} | {paths_} |")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--table":
        return table(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sdmforge")
    ap.add_argument("design")
    ap.add_argument("--board", required=True)
    ap.add_argument("--freq", type=float, required=True, help="placement target (MHz)")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--router", default="router1", choices=["router1", "router2"],
                    help="nextpnr router (sdmforge synth --router)")
    ap.add_argument("--json")
    ap.add_argument("--reuse", action="store_true",
                    help="a seed whose DESIGN/fmax_seed<S>.json and .nextpnr.log exist (a run of the same design "
                         "folder, e.g. seeds placed in parallel in copies of it and copied back) is read, not re-run")
    a = ap.parse_args()
    sig = json.load(open(os.path.join(a.design, "signature.json")))
    cycles = sig["predicted_cycles"]["per_clip"]
    rows = []
    for s in [int(x) for x in a.seeds.split(",")]:
        out = os.path.join(a.design, f"fmax_seed{s}.json")
        keep = os.path.join(a.design, f"fmax_seed{s}.nextpnr.log")
        t0 = time.time()
        if a.reuse and os.path.isfile(out) and os.path.isfile(keep):
            j = json.load(open(out))
            if j.get("board") not in (None, a.board) or abs(j.get("target_mhz", a.freq) - a.freq) > 1e-6 \
                    or j.get("router", "router1") != a.router or j.get("seed", s) != s:
                sys.exit(f"fmax_seeds: {out} is a run for {j.get('board')} at {j.get('target_mhz')} MHz, "
                         f"{j.get('router', 'router1')}, seed {j.get('seed', s)}")
        else:
            r = subprocess.run([a.sdmforge, "synth", a.design, "--board", a.board, "--freq", f"{a.freq:g}",
                                "--allow-timing-fail", "--seed", str(s), "--router", a.router, "--json", out],
                               capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"fmax_seeds: seed {s}: synth failed: {r.stderr.strip().splitlines()[-1:]}")
            j = json.load(open(out))
            log = os.path.join(a.design, f"build-{a.board}", "nextpnr.log")
            shutil.copyfile(log, keep)
        src, snk = critical_path(keep)
        rows.append({"seed": s, "fmax_mhz": j["fmax_mhz"], "lut": j.get("lut"), "seconds": round(time.time() - t0),
                     "pnr_seconds": j.get("pnr_seconds"),
                     "critical_from": src, "critical_to": snk})
        print(f"seed {s}: Fmax {j['fmax_mhz']:.2f} MHz at the {a.freq:g} MHz placement "
              f"({'meets' if j['fmax_mhz'] >= a.freq else 'misses'}), LUT {j.get('lut')}, "
              f"critical path {src} -> {snk}, {rows[-1]['seconds']} s", flush=True)
    f = sorted(r["fmax_mhz"] for r in rows)
    med = statistics.median(f)
    summary = {"board": a.board, "design": os.path.abspath(a.design), "target_mhz": a.freq, "router": a.router,
               "lanes": sig["lanes"],
               "simd": sig.get("hw_options", {}).get("simd", 1),
               "positions": sig.get("hw_options", {}).get("positions", 1),
               "cycles_per_clip": cycles, "seeds": rows, "fmax_min": f[0], "fmax_median": med, "fmax_max": f[-1],
               "seeds_meeting_target": sum(x >= a.freq for x in f)}
    print(f"{a.board}, {sig['lanes']} lanes, {cycles} cycles/clip: Fmax min {f[0]:.2f} / median {med:.2f} / "
          f"max {f[-1]:.2f} MHz over {len(f)} seeds; {summary['seeds_meeting_target']} of {len(f)} meet "
          f"{a.freq:g} MHz; at the median {med * 1e6 / cycles:.2f} clips/s, at {a.freq:g} MHz "
          f"{a.freq * 1e6 / cycles:.2f} clips/s")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(summary, fh, indent=1)


if __name__ == "__main__":
    main()
