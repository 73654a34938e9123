#!/usr/bin/env python3
"""sdmforge sweep end to end on a real 2-worker Dask LocalCluster (CTest sweep_local).

1. A small grid of the bundled digits2d model with place and route on the iCEBreaker.
2. The same points run by hand with the CLI give the same accuracy, cycles and LUTs.
3. A second run resumes from the cache: no task is computed again.
4. A worker killed in the middle of a sweep: Dask reschedules its tasks and the sweep
   completes with every point.
5. --lanes auto: per board, the configuration `rtl --board` picks (by hand: the same
   lanes, options and cycles), or the same "nothing fits" as an error row.
6. Placement reuse: the same grid on a copy of the model with one weight negated (only ROM
   contents change) sharing the first sweep's cache places nothing: every point patches a
   placement of sweep 1 (same LUTs and Fmax, a new bitstream).
Usage: test_sweep.py SDMFORGE SOURCE_DIR WORK_DIR
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time



# Negates one weight of the model's last Conv/Gemm/MatMul (Debian's onnx, seen by
# /usr/bin/python3): argv[1] -> argv[2]. The smallest weight of at least max|w| / 16, so that
# it survives 8-bit quantization (the smallest nonzero weight rounds to 0: a flip of it left
# the converted network, and so every stage, unchanged, and the reuse check ran on nothing).
FLIP = """
import sys, numpy as np, onnx
from onnx import numpy_helper
m = onnx.load(sys.argv[1])
inits = {i.name: i for i in m.graph.initializer}
node = [n for n in m.graph.node if n.op_type in ("Conv", "Gemm", "MatMul") and n.input[1] in inits][-1]
w = numpy_helper.to_array(inits[node.input[1]]).copy()
flat = w.reshape(-1)
nz = np.flatnonzero(np.abs(flat) >= np.abs(flat).max() / 16)
i = nz[np.argmin(np.abs(flat[nz]))]
flat[i] = -flat[i]
inits[node.input[1]].CopyFrom(numpy_helper.from_array(w, node.input[1]))
onnx.save(m, sys.argv[2])
"""


def main():
    cli, src, work = sys.argv[1:4]
    model = os.path.join(src, "models/digits2d/model.onnx")
    data = os.path.join(src, "models/digits2d/data/test")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    CLIPS = "120"


    def sweep(out, *extra, onnx=model):
        cmd = [cli, "sweep", onnx, "--data", data, "--clips", CLIPS, "--out", out, "--no-progress"] + list(extra)
        p = subprocess.run(cmd, capture_output=True, text=True)
        assert p.returncode == 0, (cmd, p.stdout, p.stderr)
        with open(os.path.join(out, "sweep.json")) as f:
            return json.load(f), p.stderr


    def run_json(args):
        out = os.path.join(work, "by_hand.json")
        subprocess.run([cli] + args + ["--json", out], check=True, capture_output=True)
        with open(out) as f:
            return json.load(f)


    # 1. grid with P&R (a fixed 12 MHz clock: one placement per design)
    A = os.path.join(work, "A")
    grid = ["--alpha", "0.2,0.5", "--beta", "5", "--T", "2,4", "--lanes", "2", "--boards", "icebreaker",
            "--workers", "2", "--freq", "12"]
    doc, log = sweep(A, *grid)
    pts = doc["points"]
    assert len(pts) == 4, pts
    assert all(p["accuracy"] is not None and p["cycles_per_clip"] for p in pts), pts
    placed = [p for p in pts if p["lut"] is not None]
    assert placed and any(p["pareto"] for p in pts), pts
    assert all(p["clock_mhz"] == 12 and abs(p["clips_per_s"] - 12e6 / p["cycles_per_clip"]) < 1e-6 for p in placed)
    assert "icebreaker" in doc["best"], doc["best"]
    for name in ("sweep.csv", "index.html", "pareto.png"):
        assert os.path.getsize(os.path.join(A, name)) > 0, name
    print(f"sweep: {len(pts)} points, {len(placed)} placed, {doc['seconds']:.0f} s, tasks {doc['tasks']}")

    # 2. by hand
    p = placed[0]
    ev = run_json(["eval", model, "--data", data, "--limit", CLIPS, "--methods", "sdm", "--alpha", str(p["alpha"]),
                   "--beta", str(p["beta"]), "--T", str(p["T"]), "--mode", "int", "-q"])
    row = next(r for r in ev["results"] if r["T"] == p["T"])
    assert abs(row["top1"] - p["accuracy"]) < 1e-9, (row["top1"], p["accuracy"])
    net = os.path.join(work, "net.sdm")
    subprocess.run([cli, "convert", model, "--alpha", str(p["alpha"]), "--beta", str(p["beta"]), "--T", str(p["T"]),
                    "-o", net], check=True, capture_output=True)
    rtl = os.path.join(work, "rtl")
    sig = run_json(["rtl", net, "-o", rtl, "--lanes", "2"])
    assert sig["predicted_cycles"]["per_clip"] == p["cycles_per_clip"], (sig["predicted_cycles"], p)
    syn = run_json(["synth", rtl, "--board", "icebreaker", "--freq", "12", "--seed", "1"])
    assert syn["lut"] == p["lut"] and syn["clock_mhz"] == p["clock_mhz"], (syn, p)
    print(f"by hand: top-1 {row['top1']:.2f} %, {p['cycles_per_clip']} cycles, {syn['lut']} LUT: equal")

    # 3. resume: nothing recomputed
    doc2, _ = sweep(A, *grid)
    assert doc2["tasks"]["computed"] == 0, doc2["tasks"]
    assert [q["accuracy"] for q in doc2["points"]] == [q["accuracy"] for q in pts]
    print(f"resume: {doc2['tasks']['cached']} tasks from the cache, 0 computed, {doc2['seconds']:.1f} s")

    # 6. placement reuse: the same grid on a model whose weights differ only in ROM contents
    # (one readout weight negated: sum |w| and max |w| unchanged, so every width and the
    # Verilog stay the same) patches the placements of sweep 1 from the shared cache
    flip = os.path.join(work, "flipped.onnx")
    subprocess.run(["/usr/bin/python3", "-c", FLIP, model, flip], check=True)
    F = os.path.join(work, "F")
    doc6, _ = sweep(F, *grid, "--cache", os.path.join(A, "cache"), onnx=flip)
    eng = doc6["engine"]
    # the flipped model is another network: its conversion, evaluation and RTL are computed
    assert doc6["tasks"]["computed"] > 0, doc6["tasks"]
    placed6 = [q for q in doc6["points"] if q["lut"] is not None]
    assert eng["placements"] == 0 and eng["patched"] == len(placed6) == len(placed), (eng, placed6)
    for q in placed6:
        orig = next(o for o in placed if (o["alpha"], o["T"]) == (q["alpha"], q["T"]))
        assert (q["lut"], q["fmax_mhz"], q["clock_mhz"]) == (orig["lut"], orig["fmax_mhz"], orig["clock_mhz"]), (q, orig)
    cache = os.path.join(A, "cache")
    synth_rows = [json.load(open(os.path.join(cache, n))) for n in os.listdir(cache) if n.endswith(".json")]
    patched = [r for r in synth_rows if r.get("patched_from")]
    assert len(patched) == len(placed6), patched
    for r in patched:  # a new bitstream: the placement's, with the flipped weight in its ROM
        new_bin = os.path.join(r["dir"], "build-icebreaker", "design.bin")
        old_bin = os.path.join(r["patched_from"], "build-icebreaker", "design.bin")
        assert open(new_bin, "rb").read() != open(old_bin, "rb").read(), new_bin
    print(f"reuse: {eng['patched']} points patched into {len(placed)} placements of the first sweep, "
          f"{doc6['seconds']:.0f} s (first sweep {doc['seconds']:.0f} s)")

    # 5. --lanes auto
    C = os.path.join(work, "C")
    doc4, _ = sweep(C, "--alpha", "0.2", "--beta", "5", "--T", "4", "--lanes", "auto", "--boards",
                    "icebreaker,ulx3s,hx8k", "--no-synth", "--workers", "2")
    net4 = os.path.join(work, "net4.sdm")
    subprocess.run([cli, "convert", model, "--alpha", "0.2", "--beta", "5", "--T", "4", "-o", net4], check=True,
                   capture_output=True)
    for q in doc4["points"]:
        d = os.path.join(work, "auto_" + q["board"])
        r = subprocess.run([cli, "rtl", net4, "-o", d, "--board", q["board"]], capture_output=True, text=True)
        if r.returncode != 0:  # nothing fits: the sweep says so in the row
            assert q["error"] and "fits" in q["error"] and q["cycles_per_clip"] is None, q
            continue
        sig = json.load(open(os.path.join(d, "signature.json")))
        hw = sig["hw_options"]
        assert (q["lanes"], q["simd"], q["batch_sums"], q["shared_neuron"], q["overlap"]) == (
            hw["lanes"], hw["simd"], hw["batch_sums"], hw["shared_neuron"], hw["overlap"]), (q, hw)
        assert q["cycles_per_clip"] == sig["predicted_cycles"]["per_clip"] and q["error"] is None, q
    print("auto: " + ", ".join(f"{q['board']} {q['lanes']} lanes" if q["error"] is None else
                               f"{q['board']}: {q['error']}" for q in doc4["points"]))

    # 4. a worker dies mid-sweep
    from dask.distributed import Client, LocalCluster  # noqa: E402

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
    client = Client(cluster)
    B = os.path.join(work, "B")
    cache = os.path.join(B, "cache")
    killed = []


    def killer():
        while not os.path.isdir(cache) or len([f for f in os.listdir(cache) if f.endswith(".json")]) < 3:
            time.sleep(0.05)
        pid = next(iter(client.run(os.getpid).values()))
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)


    t = threading.Thread(target=killer, daemon=True)
    t.start()
    doc3, _ = sweep(B, "--alpha", "0.2,0.5,1", "--beta", "2,5", "--T", "1,2,4", "--lanes", "4,8",
                    "--no-synth", "--shards", "6", "--scheduler", cluster.scheduler_address)
    t.join(timeout=5)
    assert killed, "no worker was killed (the sweep finished first)"
    assert len(doc3["points"]) == 3 * 2 * 3 * 2
    assert all(q["error"] is None and q["accuracy"] is not None for q in doc3["points"]), doc3["points"]
    client.close()
    cluster.close()
    print(f"fault: worker pid {killed[0]} killed; {len(doc3['points'])} points complete")


# Dask's worker processes re-import this file: the test runs only as the main program.
if __name__ == "__main__":
    main()
