#!/usr/bin/env python3
"""Design-space exploration of sdmforge on Dask (docs/sweep.md).

Grid: method x alpha x beta x T x lanes x board (`--lanes auto`: per board, what
`sdmforge rtl --board` picks from its resource estimate -- lanes, --batch-sums,
--shared-neuron -- and a board nothing fits on is an error row, never placed). Each point
runs, as Dask tasks with their dependencies:
  eval    integer-mode accuracy on the test split, split into clip shards that are summed
          (one task per method/alpha/beta/shard serves every T: a run to the longest T
          yields the shorter ones);
  rtl     convert + RTL generation: predicted cycles per clip (exact cycle model);
  synth   Yosys + nextpnr on the board: LUT/FF/BRAM/DSP, Fmax, the clock the bitstream
          runs at (only for points on the provisional front unless --all);
  energy  the accelerator's hardware-aware energy per clip.
Every stage result is cached under a key of its inputs (model and data bytes, settings,
sdmforge's own binary and version), so a rerun recomputes only what changed and a killed
sweep resumes. A failing task records its one-line error in the point's row.

Runs on a dask.distributed LocalCluster (one worker per core by default) or, with
--scheduler ADDRESS, on any existing Dask cluster (SSH, Kubernetes, dask-jobqueue).
"""
import argparse
import csv
import hashlib
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

STAGE_VERSION = 4  # bump when a stage's meaning changes (3: rtl --board searches --simd; 4: and --positions)


# --------------------------------------------------------------------------- helpers
def sha256_file(path, h=None):
    h = h or hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h


def tool_id(cli):
    """sdmforge's version line and the hash of its binary: an upgrade changes every key."""
    version = subprocess.run([cli, "--version"], capture_output=True, text=True).stdout.strip()
    return version + " " + sha256_file(cli).hexdigest()[:16]


def key_of(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(json.dumps(p, sort_keys=True).encode())
        h.update(b"\0")
    return h.hexdigest()[:32]


class Cache:
    """One JSON file per stage result, written atomically (temp + rename)."""

    def __init__(self, root):
        self.root = root
        os.makedirs(root, exist_ok=True)

    def path(self, key):
        return os.path.join(self.root, key + ".json")

    def get(self, key):
        try:
            with open(self.path(key)) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def put(self, key, value):
        fd, tmp = tempfile.mkstemp(dir=self.root, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump(value, f)
        os.replace(tmp, self.path(key))
        return value


def run_cli(cli, args, cwd=None):
    """Runs sdmforge; returns its JSON (written to a temp file) or raises with its one-line
    error."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.json")
        p = subprocess.run([cli] + args + ["--json", out], capture_output=True, text=True, cwd=cwd)
        if p.returncode != 0:
            lines = [l for l in (p.stderr + p.stdout).splitlines() if "error" in l] or \
                (p.stderr + p.stdout).strip().splitlines()[-1:]
            raise RuntimeError(lines[-1] if lines else f"sdmforge {args[0]} exited {p.returncode}")
        with open(out) as f:
            return json.load(f)


def cached(cache, key, fn):
    """The stage result under `key`, computing it (and recording a failure as an error row)
    if it is not there yet. Returns (result, computed)."""
    hit = cache.get(key)
    if hit is not None:
        return hit, False
    try:
        value = {"ok": True, **fn()}
    except Exception as e:  # one-line error in the row, the sweep goes on
        value = {"ok": False, "error": str(e).splitlines()[0] if str(e) else type(e).__name__}
    return cache.put(key, value), True


# --------------------------------------------------------------------------- stages
# Each stage runs on a worker; arguments are plain data so any Dask cluster can run them.
def stage_eval(cfg, method, alpha, beta, shard):
    key = key_of("eval", STAGE_VERSION, cfg["tool"], cfg["model_hash"], cfg["shard_hashes"][shard],
                 method, alpha, beta, cfg["Ts"], cfg["weight_bits"])

    def work():
        j = run_cli(cfg["cli"], ["eval", cfg["model"], "--data", cfg["shards"][shard], "--methods", method,
                                 "--alpha", str(alpha), "--beta", str(beta),
                                 "--T", ",".join(map(str, cfg["Ts"])), "--mode", "int",
                                 "--weight-bits", str(cfg["weight_bits"]), "--threads", "1", "-q"])
        rows = {}
        for r in j["results"]:
            rows[str(r["T"])] = {"correct": r["correct"], "n": r["n"]}
        return {"rows": rows, "notes": j.get("notes", [])}

    res, computed = cached(Cache(cfg["cache"]), key, work)
    return {"res": res, "computed": computed}


def stage_rtl(cfg, method, alpha, beta, T, lanes, board=None):
    """lanes: a lane count (board ignored: one design for every board), or "auto": the
    configuration `rtl --board BOARD` picks."""
    key = key_of("rtl", STAGE_VERSION, cfg["tool"], cfg["model_hash"], method, alpha, beta, T, lanes,
                 cfg["weight_bits"], board if lanes == "auto" else None, cfg["positions"])
    design = os.path.join(cfg["work"], "rtl", key)

    def work():
        os.makedirs(design, exist_ok=True)
        net = os.path.join(design, "net.sdm")
        run_cli(cfg["cli"], ["convert", cfg["model"], "--method", method, "--alpha", str(alpha),
                             "--beta", str(beta), "--T", str(T), "--weight-bits", str(cfg["weight_bits"]),
                             "-o", net])
        rtl_dir = os.path.join(design, "rtl")
        size = ["--board", board] if lanes == "auto" else ["--lanes", str(lanes)]
        # positions: "auto" leaves them to rtl --board (1 with an explicit lane count)
        if cfg["positions"] != "auto":
            size += ["--positions", cfg["positions"]]
        sig = run_cli(cfg["cli"], ["rtl", net, "-o", rtl_dir] + size)
        hw = sig["hw_options"]
        return {"design": rtl_dir, "net": net, "cycles_per_clip": sig["predicted_cycles"]["per_clip"],
                "lanes": hw["lanes"], "batch_sums": hw["batch_sums"], "shared_neuron": hw["shared_neuron"],
                "overlap": hw.get("overlap", True), "simd": hw.get("simd", 1), "positions": hw.get("positions", 1)}

    res, computed = cached(Cache(cfg["cache"]), key, work)
    if res.get("ok") and not os.path.isdir(res["design"]):  # work folder removed: redo
        os.remove(Cache(cfg["cache"]).path(key))
        res, computed = cached(Cache(cfg["cache"]), key, work)
    return {"res": res, "computed": computed}


def verilog_fingerprint(design):
    """Hash of a design folder's Verilog (not its ROM files): designs that agree here may
    differ only in ROM contents, and then one placement serves them all (synth --patch;
    sdmforge's own architecture check decides, docs/fpga.md)."""
    h = hashlib.sha256()
    for name in sorted(os.listdir(design)):
        if name.endswith(".v"):
            h.update(name.encode())
            sha256_file(os.path.join(design, name), h)
    return h.hexdigest()


def placement_key(cfg, board, fingerprint):
    return key_of("placement", STAGE_VERSION, cfg["tool"], board, fingerprint, cfg["seed"], cfg["freq"])


def stage_synth(cfg, rtl, board, base=None):
    """Place and route `rtl`'s design on `board`. With `base` (the synth result of a design
    with the same Verilog on the same board), first try to reuse its placement: copy its
    build, put this design's files in and run `synth --patch` (seconds instead of minutes);
    a design whose architecture differs after all is placed from scratch."""
    if not rtl["res"].get("ok"):
        return {"res": {"ok": False, "error": "no RTL: " + rtl["res"].get("error", "")}, "computed": False}
    design = rtl["res"]["design"]
    h = hashlib.sha256()
    for name in sorted(os.listdir(design)):
        p = os.path.join(design, name)
        if os.path.isfile(p):
            h.update(name.encode())
            sha256_file(p, h)
    key = key_of("synth", STAGE_VERSION, cfg["tool"], h.hexdigest(), board, cfg["seed"], cfg["freq"])
    keep = ("fits", "lut", "ff", "bram", "spram", "dsp", "fmax_mhz", "clock_mhz", "meets_timing", "overflow")
    out = os.path.join(cfg["work"], "synth", key)
    local = os.path.join(out, "rtl")

    def work():
        t0 = time.time()
        base_dir = (base or {}).get("res", {}).get("dir")
        if base_dir and os.path.isdir(os.path.join(base_dir, "build-" + board)):
            shutil.rmtree(out, ignore_errors=True)
            shutil.copytree(base_dir, local)
            for name in os.listdir(local):  # the base design's own files out, this one's in
                if os.path.isfile(os.path.join(local, name)):
                    os.remove(os.path.join(local, name))
            shutil.copytree(design, local, dirs_exist_ok=True)
            try:
                j = run_cli(cfg["cli"], ["synth", local, "--board", board, "--seed", str(cfg["seed"]),
                                         "--freq", cfg["freq"], "--patch"])
                return {**{k: j.get(k) for k in keep}, "dir": local, "patched_from": base_dir,
                        "seconds": time.time() - t0}
            except RuntimeError as e:
                if "cannot patch" not in str(e):
                    raise
                shutil.rmtree(out, ignore_errors=True)  # architecture differs: place it
        os.makedirs(out, exist_ok=True)
        shutil.copytree(design, local, dirs_exist_ok=True)  # synth writes next to the design
        j = run_cli(cfg["cli"], ["synth", local, "--board", board, "--seed", str(cfg["seed"]),
                                 "--freq", cfg["freq"]])
        return {**{k: j.get(k) for k in keep}, "dir": local, "patched_from": None, "seconds": time.time() - t0}

    res, computed = cached(Cache(cfg["cache"]), key, work)
    if res.get("ok") and not res.get("patched_from") and res.get("fits") and res.get("meets_timing"):
        # index the placement by its Verilog: a later sweep (say, of the retrained model)
        # patches it instead of placing again
        Cache(cfg["cache"]).put(placement_key(cfg, board, verilog_fingerprint(design)), {"res": res})
    return {"res": res, "computed": computed}


def stage_energy(cfg, rtl, lanes):
    if not rtl["res"].get("ok"):
        return {"res": {"ok": False, "error": "no RTL"}, "computed": False}
    simd = rtl["res"].get("simd", 1)  # what the design was generated with (rtl --board may pick it)
    key = key_of("energy", STAGE_VERSION, cfg["tool"], sha256_file(rtl["res"]["net"]).hexdigest(),
                 cfg["data_hash"], lanes, simd, cfg["energy_clips"])

    def work():
        j = run_cli(cfg["cli"], ["energy", rtl["res"]["net"], "--data", cfg["data"], "--lanes", str(lanes),
                                 "--simd", str(simd),
                                 "--clips", str(cfg["energy_clips"]), "--threads", "1", "-q"])
        return {"energy_j": j["hardware"]["total_pj"] * 1e-12}

    res, computed = cached(Cache(cfg["cache"]), key, work)
    return {"res": res, "computed": computed}


def _noop(i):
    return i


def engine_overhead(client, workers, n=200):
    """The engine's own cost per task: n trivial tasks through the same cluster, wall time x
    workers / n (scheduling, serialization, transfer; no work). Seconds per task."""
    t0 = time.time()
    client.gather(client.map(_noop, range(n), pure=False))
    return (time.time() - t0) * max(1, workers) / n


# --------------------------------------------------------------------------- Pareto
def dominates(a, b, objectives):
    """a dominates b: no worse in every objective and better in one (None is worst)."""
    better = False
    for name, sense in objectives:
        va, vb = a.get(name), b.get(name)
        if va is None:
            return False
        if vb is None:
            better = True
            continue
        if (va - vb) * sense < 0:
            return False
        if va != vb:
            better = True
    return better


def pareto(points, objectives):
    return [not any(dominates(q, p, objectives) for q in points if q is not p) for p in points]


# --------------------------------------------------------------------------- data shards
def make_shards(data, count, root, limit):
    """Splits DATA's test split into `count` shards (prefix of `limit` clips) under root."""
    split = data if os.path.exists(os.path.join(data, "clips.npy")) else os.path.join(data, "test")
    clips = np.load(os.path.join(split, "clips.npy"), mmap_mode="r")
    labels = np.load(os.path.join(split, "labels.npy"))
    n = len(labels) if not limit else min(limit, len(labels))
    bounds = np.linspace(0, n, count + 1).astype(int)
    shards, hashes = [], []
    for k in range(count):
        d = os.path.join(root, f"shard{k}")
        os.makedirs(d, exist_ok=True)
        a, b = bounds[k], bounds[k + 1]
        c, l = np.ascontiguousarray(clips[a:b]), labels[a:b]
        hashes.append(hashlib.sha256(c.tobytes() + l.tobytes()).hexdigest()[:32])
        for name, arr in (("clips.npy", c), ("labels.npy", l)):
            tmp = os.path.join(d, name + ".tmp.npy")
            np.save(tmp, arr)
            os.replace(tmp, os.path.join(d, name))
        shards.append(d)
    return split, shards, hashes, n


# --------------------------------------------------------------------------- main
def parse_list(s, conv):
    return [conv(v) for v in s.split(",") if v.strip()]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--data", required=True)
    ap.add_argument("--alpha", default="0.2")
    ap.add_argument("--beta", default="5")
    ap.add_argument("--T", default="4")
    ap.add_argument("--methods", default="sdm")
    ap.add_argument("--lanes", default="4", help="lane counts, or auto: what `rtl --board` picks per board")
    ap.add_argument("--positions", default="auto",
                    help="output positions per cycle (P): 1, 2, or auto (what rtl --board picks with --lanes auto, "
                         "else 1)")
    ap.add_argument("--boards", default="icebreaker")
    ap.add_argument("--out", required=True)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler")
    ap.add_argument("--all", action="store_true", help="place and route every point")
    ap.add_argument("--min-accuracy", type=float, default=None,
                    help="best configuration per board needs this top-1 (default: ANN - 1)")
    ap.add_argument("--clips", type=int, default=0, help="first N test clips (0 = all)")
    ap.add_argument("--shards", type=int, default=0, help="clip shards per eval (default: workers)")
    ap.add_argument("--weight-bits", type=int, default=8)
    ap.add_argument("--energy-clips", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1, help="placement seed")
    ap.add_argument("--freq", default="auto", help="synth --freq: auto (timed clock) or MHz")
    ap.add_argument("--no-synth", action="store_true",
                    help="accuracy and predicted cycles only (no place and route, no energy)")
    ap.add_argument("--cache", default=None, help="stage cache (default OUT/cache)")
    ap.add_argument("--cli", default=os.environ.get("SDMFORGE", shutil.which("sdmforge") or "sdmforge"))
    ap.add_argument("--no-progress", action="store_true")
    a = ap.parse_args(argv)

    def die(msg):
        print(f"sdmforge: error: {msg}", file=sys.stderr)
        sys.exit(2)

    try:
        alphas = parse_list(a.alpha, float)
        betas = parse_list(a.beta, int)
        Ts = sorted(set(parse_list(a.T, int)))
        lanes_l = ["auto"] if a.lanes == "auto" else parse_list(a.lanes, int)
    except ValueError as e:
        die(f"bad list value: {e}")
    if a.positions.strip() not in ("1", "2", "auto"):
        die(f"--positions {a.positions}: one value, 1, 2 or auto (output positions per cycle; a block RAM "
            "has two read ports)")
    methods = parse_list(a.methods, str)
    boards = parse_list(a.boards, str)
    for name, vals in (("--alpha", alphas), ("--beta", betas), ("--T", Ts), ("--lanes", lanes_l),
                       ("--methods", methods), ("--boards", boards)):
        if not vals:
            die(f"{name} is empty")
    if any(not (0 < x <= 1) for x in alphas):
        die(f"--alpha values must be in (0, 1]: {a.alpha}")
    if any(t < 1 or t > 1024 for t in Ts) or any(b < 1 for b in betas) or \
            any(l != "auto" and l < 1 for l in lanes_l):
        die("--T, --beta and --lanes values must be >= 1 (T <= 1024)")
    if not os.path.isfile(a.model):
        die(f"model '{a.model}' is not a file")
    if not os.path.isfile(a.cli):
        die(f"sdmforge executable '{a.cli}' not found (--cli)")

    try:
        from dask.distributed import Client, LocalCluster, as_completed, get_task_stream
    except ImportError:
        die(f"dask.distributed is not installed for {sys.executable} (bash scripts/setup.sh)")

    os.makedirs(a.out, exist_ok=True)
    work = os.path.abspath(os.path.join(a.out, "work"))
    cache_dir = os.path.abspath(a.cache or os.path.join(a.out, "cache"))
    n_shards = a.shards or max(1, a.workers)
    split, shards, shard_hashes, n_clips = make_shards(a.data, n_shards, os.path.join(work, "shards"), a.clips)
    cfg = {
        "cli": os.path.abspath(a.cli), "tool": tool_id(a.cli), "model": os.path.abspath(a.model),
        "model_hash": sha256_file(a.model).hexdigest(), "data": shards[0] if a.clips else os.path.abspath(split),
        "data_hash": shard_hashes[0] if a.clips else key_of(shard_hashes), "shards": shards,
        "shard_hashes": shard_hashes, "Ts": Ts, "weight_bits": a.weight_bits, "cache": cache_dir,
        "work": work, "seed": a.seed, "energy_clips": a.energy_clips, "freq": a.freq,
        "positions": a.positions.strip(),
    }

    t0 = time.time()
    if a.scheduler:
        client = Client(a.scheduler)
        cluster = None
    else:
        cluster = LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0")
        client = Client(cluster)
    print(f"sweep: Dask dashboard {client.dashboard_link}", file=sys.stderr)
    n_workers = len(client.scheduler_info()["workers"]) or 1
    task_stream = get_task_stream(client)
    task_stream.__enter__()  # every stage task's compute interval, per worker

    # Stage 1: evals and RTL of every point, in parallel.
    evals = {}
    for m, al, be in itertools.product(methods, alphas, betas):
        for s in range(n_shards):
            evals[(m, al, be, s)] = client.submit(stage_eval, cfg, m, al, be, s, pure=False,
                                                  key=f"eval-{m}-{al}-{be}-{s}-{key_of(cfg['tool'])[:6]}")
    rtls = {}
    for m, al, be, T, L, board in itertools.product(methods, alphas, betas, Ts, lanes_l, boards):
        rk = (m, al, be, T, L, board if L == "auto" else None)
        if rk not in rtls:
            rtls[rk] = client.submit(stage_rtl, cfg, m, al, be, T, L, board, pure=False)
    stats = {"computed": 0, "cached": 0, "failed": 0}

    def wait_all(futs, label):
        total, done = len(futs), 0
        phase0 = time.time()
        for fut in as_completed(list(futs)):
            r = fut.result()
            done += 1
            stats["computed" if r["computed"] else "cached"] += 1
            stats["failed"] += not r["res"].get("ok")
            if not a.no_progress:
                el = time.time() - phase0
                tty = sys.stderr.isatty()
                # ETA of this phase: its mean time per finished task so far, for the rest
                eta = el / done * (total - done)
                print(f"{chr(13) if tty else ''}sweep: {label} {done}/{total} done, {stats['failed']} failed, "
                      f"{time.time() - t0:.0f}s elapsed, ETA {eta:.0f}s", end="" if tty else "\n",
                      file=sys.stderr, flush=True)
        if not a.no_progress and sys.stderr.isatty():
            print(file=sys.stderr)

    wait_all(list(evals.values()) + list(rtls.values()), "eval+rtl")
    eval_res = {k: f.result()["res"] for k, f in evals.items()}
    rtl_res = {k: f.result() for k, f in rtls.items()}

    points = []
    for m, al, be, T, L, board in itertools.product(methods, alphas, betas, Ts, lanes_l, boards):
        p = {"method": m, "alpha": al, "beta": be, "T": T, "board": board, "lanes": L,
             "positions": 1, "error": None}
        correct = n = 0
        for s in range(n_shards):
            e = eval_res[(m, al, be, s)]
            if not e.get("ok"):
                p["error"] = e["error"]
                break
            row = e["rows"].get(str(T))
            if row is None:
                p["error"] = "; ".join(e.get("notes") or ["no integer-mode result"])
                break
            correct += row["correct"]
            n += row["n"]
        p["accuracy"] = 100.0 * correct / n if n and not p["error"] else None
        rk = (m, al, be, T, L, board if L == "auto" else None)
        p["rtl_key"] = rk
        r = rtl_res[rk]["res"]
        p["cycles_per_clip"] = r.get("cycles_per_clip") if r.get("ok") else None
        if r.get("ok"):
            p.update({k: r.get(k) for k in ("lanes", "simd", "positions", "batch_sums", "shared_neuron", "overlap")})
        else:
            p.update({"lanes": None if L == "auto" else L, "simd": None, "positions": None, "batch_sums": None,
                      "shared_neuron": None, "overlap": None})
        if not r.get("ok"):
            p["error"] = p["error"] or r["error"]
        points.append(p)

    # Stage 2: place and route the provisional front per board (accuracy up, cycles down),
    # or every point with --all; energy for the same points. A front point that turns out not
    # to fit (the resource estimate was optimistic) or fails leaves the front: the points it
    # dominated are placed in the next round, until the front is all placed.
    synths, energies = {}, {}
    # Points whose designs share their Verilog on one board (e.g. the same architecture with
    # other ROM contents) are placed once: the first is placed, the others patch its build.
    placement_of = {}

    def submit_synth(p):
        rk = p["rtl_key"]
        fp = (p["board"], verilog_fingerprint(rtl_res[rk]["res"]["design"]))
        base = placement_of.get(fp)
        if base is None:  # placed by an earlier sweep sharing this cache
            base = Cache(cache_dir).get(placement_key(cfg, p["board"], fp[1]))
            if base is not None and not os.path.isdir(base["res"].get("dir", "")):
                base = None
        synths[id(p)] = client.submit(stage_synth, cfg, rtls[rk], p["board"], base, pure=False)
        if fp not in placement_of:
            placement_of[fp] = synths[id(p)] if base is None else base
        if rk not in energies:
            energies[rk] = client.submit(stage_energy, cfg, rtls[rk], p["lanes"], pure=False)

    rounds = 0
    while not a.no_synth:
        failed = {i for i, fut in synths.items()
                  if not fut.result()["res"].get("ok") or not fut.result()["res"].get("fits")}
        new = []
        for board in boards:
            cand = [p for p in points if p["board"] == board and p["error"] is None and id(p) not in failed]
            front = pareto(cand, [("accuracy", 1), ("cycles_per_clip", -1)]) if not a.all else [True] * len(cand)
            new += [p for p, f in zip(cand, front) if f and id(p) not in synths]
        if not new:
            break
        rounds += 1
        for p in new:
            submit_synth(p)
        wait_all(list(dict.fromkeys([synths[id(p)] for p in new] + [energies[p["rtl_key"]] for p in new])),
                 f"synth+energy (round {rounds})")

    placed = set()
    for p in points:
        p.update({k: None for k in ("lut", "ff", "bram", "dsp", "fmax_mhz", "clock_mhz", "clips_per_s",
                                    "energy_j", "fits")})
        if id(p) not in synths:
            if p["error"] is None and not a.no_synth:
                p["error"] = "not placed: dominated on accuracy and cycles (use --all)"
            continue
        s = synths[id(p)].result()["res"]
        e = energies[p["rtl_key"]].result()["res"]
        if not s.get("ok"):
            p["error"] = s["error"]
            continue
        for k in ("lut", "ff", "bram", "dsp", "fmax_mhz", "clock_mhz", "fits"):
            p[k] = s.get(k)
        if not s.get("fits"):  # placed resources are real; the design has no clock, no bitstream
            p["error"] = f"does not fit {p['board']} after place and route: {s.get('overflow') or 'over capacity'}"
            p["clock_mhz"] = p["fmax_mhz"] = None
            placed.add(id(p))
            continue
        if p["clock_mhz"] and p["cycles_per_clip"]:
            p["clips_per_s"] = p["clock_mhz"] * 1e6 / p["cycles_per_clip"]
        p["energy_j"] = e.get("energy_j") if e.get("ok") else None
        if not e.get("ok"):
            p["error"] = e["error"]
        placed.add(id(p))

    objectives = [("accuracy", 1), ("clips_per_s", 1), ("lut", -1), ("energy_j", -1)]
    cand = [p for p in points if id(p) in placed and p["error"] is None and p["fits"]]
    if a.no_synth:  # no placement: the front over what is known
        objectives = [("accuracy", 1), ("cycles_per_clip", -1)]
        cand = [p for p in points if p["error"] is None]
    flags = pareto(cand, objectives)
    for p in points:
        p["pareto"] = False
    for p, f in zip(cand, flags):
        p["pareto"] = bool(f)

    acc = [p["accuracy"] for p in points if p["accuracy"] is not None]
    min_acc = a.min_accuracy if a.min_accuracy is not None else (max(acc) - 1.0 if acc else None)
    best = {}
    for board in boards:
        ok = [p for p in cand if p["board"] == board and p["accuracy"] is not None and
              p["accuracy"] >= (min_acc if min_acc is not None else -1) and p["clips_per_s"]]
        if ok:
            b = max(ok, key=lambda p: p["clips_per_s"])
            best[board] = {k: b[k] for k in ("method", "alpha", "beta", "T", "lanes", "simd", "positions", "batch_sums",
                                             "shared_neuron", "overlap",
                                             "accuracy", "clips_per_s",
                                             "clock_mhz", "lut", "energy_j")}

    seconds = time.time() - t0
    task_stream.__exit__(None, None, None)
    computes = [ss["stop"] - ss["start"] for t in task_stream.data for ss in t["startstops"]
                if ss["action"] == "compute"]
    per_task = engine_overhead(client, n_workers)
    synth_res = [f.result()["res"] for f in synths.values()]
    engine = {
        "workers": n_workers,
        "stage_tasks": len(computes),
        "task_seconds_total": sum(computes),
        "task_seconds_mean": sum(computes) / len(computes) if computes else None,
        # share of the workers' wall time spent computing stage tasks (dependencies and the
        # tail of the last phase leave workers idle; so does a cached rerun)
        "worker_busy": sum(computes) / (n_workers * seconds) if seconds > 0 else None,
        "overhead_seconds_per_task": per_task,
        "overhead_share": per_task / (sum(computes) / len(computes)) if computes and sum(computes) > 0 else None,
        "placements": sum(1 for r in synth_res if r.get("ok") and not r.get("patched_from")),
        "patched": sum(1 for r in synth_res if r.get("ok") and r.get("patched_from")),
    }
    fields = ["method", "alpha", "beta", "T", "board", "lanes", "simd", "batch_sums", "shared_neuron", "overlap",
              "positions",
              "accuracy", "cycles_per_clip",
              "clips_per_s", "lut", "ff", "bram", "dsp", "fmax_mhz", "clock_mhz", "energy_j", "pareto", "error"]
    doc = {"model": cfg["model"], "data": os.path.abspath(split), "clips": n_clips, "tool": cfg["tool"],
           "min_accuracy": min_acc, "best": best, "seconds": seconds, "tasks": stats, "engine": engine,
           "workers": a.workers if not a.scheduler else None, "scheduler": a.scheduler,
           "points": [{k: p[k] for k in fields} for p in points]}
    tmp = os.path.join(a.out, "sweep.json.tmp")
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(tmp, os.path.join(a.out, "sweep.json"))
    with open(os.path.join(a.out, "sweep.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for p in points:
            w.writerow({k: p[k] for k in fields})
    write_report(a.out, doc, boards)
    client.close()
    if cluster:
        cluster.close()
    print(f"sweep: {len(points)} points, {sum(p['pareto'] for p in points)} on the Pareto front, "
          f"{stats['computed']} tasks computed, {stats['cached']} from the cache, {stats['failed']} failed, "
          f"{seconds:.0f} s -> {os.path.join(a.out, 'sweep.json')}", file=sys.stderr)
    if engine["overhead_share"] is not None:
        print(f"sweep: engine overhead {engine['overhead_seconds_per_task'] * 1e3:.1f} ms per task = "
              f"{100 * engine['overhead_share']:.3f} % of the mean stage task ({engine['task_seconds_mean']:.1f} s); "
              f"workers busy {100 * engine['worker_busy']:.0f} %; {engine['placements']} placements, "
              f"{engine['patched']} reused by synth --patch", file=sys.stderr)
    for board, b in best.items():
        print(f"sweep: best on {board}: {b['method']} alpha={b['alpha']} beta={b['beta']} T={b['T']} "
              f"lanes={b['lanes']}: {b['accuracy']:.2f} % at {b['clips_per_s']:.2f} clips/s "
              f"({b['clock_mhz']} MHz)", file=sys.stderr)
    return 0


def write_report(out, doc, boards):
    """Accuracy vs clips/s per board with the front marked; an HTML page with the table."""
    pts = doc["points"]
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, axes = plt.subplots(1, len(boards), figsize=(5 * len(boards), 4), squeeze=False)
        for ax, board in zip(axes[0], boards):
            bp = [p for p in pts if p["board"] == board and p["clips_per_s"] and p["accuracy"] is not None]
            for front in (False, True):
                sel = [p for p in bp if p["pareto"] == front]
                ax.scatter([p["clips_per_s"] for p in sel], [p["accuracy"] for p in sel],
                           c="tab:red" if front else "tab:gray", label="Pareto front" if front else "placed")
                for p in sel:
                    ax.annotate(f"a{p['alpha']} b{p['beta']} T{p['T']} L{p['lanes']}",
                                (p["clips_per_s"], p["accuracy"]), fontsize=6)
            ax.set_title(board)
            ax.set_xlabel("clips/s at the bitstream's clock")
            ax.set_ylabel("integer top-1 (%)")
            ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(out, "pareto.png"), dpi=110)
        plt.close(fig)
        # small multiples: one panel per (board, beta), the points of every alpha and T in it
        betas = sorted({p["beta"] for p in pts})
        fig, axes = plt.subplots(len(boards), len(betas), figsize=(3.6 * len(betas), 3.2 * len(boards)),
                                 squeeze=False, sharey=True)
        for row, board in zip(axes, boards):
            for ax, be in zip(row, betas):
                bp = [p for p in pts if p["board"] == board and p["beta"] == be and p["clips_per_s"]
                      and p["accuracy"] is not None]
                for front in (False, True):
                    sel = [p for p in bp if p["pareto"] == front]
                    ax.scatter([p["clips_per_s"] for p in sel], [p["accuracy"] for p in sel], s=14,
                               c="tab:red" if front else "tab:gray")
                    for p in sel:
                        ax.annotate(f"a{p['alpha']} T{p['T']}", (p["clips_per_s"], p["accuracy"]), fontsize=6)
                ax.set_title(f"{board}, beta {be}", fontsize=9)
                ax.set_xlabel("clips/s", fontsize=8)
            row[0].set_ylabel("integer top-1 (%)", fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(out, "pareto_beta.png"), dpi=110)
        plt.close(fig)
        img = '<img src="pareto.png"><h2>Per beta</h2><img src="pareto_beta.png">'
    except ImportError:
        img = "<p>(matplotlib not installed: no plot)</p>"
    cols = ["method", "alpha", "beta", "T", "board", "lanes", "accuracy", "cycles_per_clip", "clips_per_s",
            "lut", "bram", "dsp", "fmax_mhz", "clock_mhz", "energy_j", "pareto", "error"]

    def fmt(v):
        if isinstance(v, float):
            return f"{v:.4g}"
        return "" if v is None else str(v)

    rows = "\n".join("<tr{}>{}</tr>".format(' class="front"' if p["pareto"] else "",
                                             "".join(f"<td>{fmt(p[c])}</td>" for c in cols)) for p in pts)
    best = "".join(f"<li><b>{b}</b>: {v['method']} α={v['alpha']} β={v['beta']} T={v['T']} lanes={v['lanes']}: "
                   f"{v['accuracy']:.2f} % at {v['clips_per_s']:.2f} clips/s ({v['clock_mhz']} MHz)</li>"
                   for b, v in doc["best"].items()) or "<li>no placed point reaches the accuracy bound</li>"
    html = f"""<!doctype html><meta charset="utf-8"><title>sdmforge sweep</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:2px 6px;border-bottom:1px solid #ddd;font-size:12px}}
tr.front{{background:#fde}}</style>
<h1>Design-space sweep</h1><p>{doc['clips']} clips, {len(pts)} points, {doc['seconds']:.0f} s;
best configuration per board with accuracy ≥ {fmt(doc['min_accuracy'])} %:</p><ul>{best}</ul>{img}
<table><tr>{''.join(f'<th>{c}</th>' for c in cols)}</tr>{rows}</table>"""
    with open(os.path.join(out, "index.html"), "w") as f:
        f.write(html)


if __name__ == "__main__":
    sys.exit(main())
