#!/usr/bin/env python3
"""docs/sweep.md's measured section is what python/sweep_report.py renders from the stored
runs (docs/sweep-runs/*.json): a re-measured sweep without a regenerated section, or a hand
edit of its numbers, fails here. Also checks the runs are the same grid (the scaling ratio
compares like with like) and that each run's best configuration is one of its own points."""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "python"))
import sweep_report  # noqa: E402

runs = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(ROOT, "docs", "sweep-runs", "*.json")))]
fails = []


def need(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        fails.append(what)


need(len(runs) >= 2, "at least two stored runs (1 and 2 workers)")
need(sweep_report.render(runs) in open(sweep_report.DOC).read(),
     "docs/sweep.md's measured section is the one rendered from docs/sweep-runs/*.json")
keys = [sorted((p["method"], p["alpha"], p["beta"], p["T"], p["board"]) for p in r["points"]) for r in runs]
need(all(k == keys[0] for k in keys), "every stored run has the same grid")
for r in runs:
    for board, b in r["best"].items():
        need(any(p["board"] == board and p["alpha"] == b["alpha"] and p["beta"] == b["beta"] and p["T"] == b["T"]
                 and p["clips_per_s"] == b["clips_per_s"] and p["error"] is None for p in r["points"]),
             f"{r['workers']} workers: the best on {board} is one of the run's placed points")

# bad input: one line naming the file, non-zero exit, the document untouched
with tempfile.TemporaryDirectory() as tmp:
    doc = os.path.join(tmp, "sweep.md")
    shutil.copy(sweep_report.DOC, doc)
    before = open(doc).read()
    w0 = dict(runs[0], workers=0)
    cases = {"truncated.json": "{", "array.json": "[]", "zero_workers.json": json.dumps(w0)}
    for name, text in cases.items():
        path = os.path.join(tmp, name)
        open(path, "w").write(text)
        p = subprocess.run([sys.executable, os.path.join(ROOT, "python", "sweep_report.py"), "doc", path, "--doc", doc],
                           capture_output=True, text=True)
        need(p.returncode != 0 and p.stderr.count("\n") == 1 and p.stderr.startswith("sweep_report.py: error:")
             and name in p.stderr and open(doc).read() == before, f"bad run file {name}: one-line error ({p.stderr!r})")
sys.exit(1 if fails else 0)
