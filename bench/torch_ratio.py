#!/usr/bin/python3
"""Speed of the C++ golden model against the same SNN written in PyTorch (docs/performance.md).

Builds the float SNN (docs/neurons.md) in PyTorch straight from the ONNX file (a small interpreter
for the ops of the bundled models: Conv, BatchNormalization, Clip -> SDM neurons, Add,
Concat, Pad, AveragePool, GlobalAveragePool, ReduceMean, Flatten, Reshape, Gemm; weights
read with onnx.numpy_helper), runs it densely per
time-step on the same clips as the C++ benchmark, checks that its predictions equal the C++
float SNN's (bench/profile_golden float), and prints the time per clip of

  torch float, batch 1      one clip at a time, like the golden model
  torch float, batch N      every clip in one batch (PyTorch's best case)
  C++ int (IntSnn)          bench_golden BM_IntSnn (single thread)
  C++ float (FloatSnn)      bench_golden BM_FloatSnnSparse (single thread)

and the ratios. Single thread everywhere (torch.set_num_threads(1)). Times are CPU seconds
(process time) so that other load on a shared machine inflates them less; wall times are
printed too. Run by Debian's interpreter:

  /usr/bin/python3 bench/torch_ratio.py --bench BUILD/bench/bench_golden \
      --model models/default/model.onnx [--data DIR] [--T 4] [--json OUT]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

torch.set_num_threads(1)


class TorchSnn:
    """The float SNN of docs/neurons.md over an ONNX graph (per step, dense, float32)."""

    def __init__(self, path, alpha=0.2, beta=5):
        m = onnx.load(path)
        self.alpha, self.beta = alpha, beta
        meta = {p.key: p.value for p in m.metadata_props}
        self.scale = float(eval(meta.get("sdm_input_scale", "1/255"), {}))  # noqa: S307 (a number)
        self.bias = float(meta.get("sdm_input_bias", "0"))
        self.init = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in m.graph.initializer}
        self.input = m.graph.input[0].name
        self.output = m.graph.output[0].name
        self.nodes = []
        for n in m.graph.node:
            attrs = {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}
            if n.op_type == "Constant":
                self.init[n.output[0]] = torch.from_numpy(numpy_helper.to_array(attrs["value"]).copy())
                continue
            self.nodes.append((n.op_type, list(n.input), n.output[0], attrs))
        # Nodes that depend only on the input are computed once per clip (as in C++).
        static = {self.input}
        for op, ins, out, _ in self.nodes:
            if op != "Clip" and all(i in static or i in self.init or i == "" for i in ins):
                static.add(out)
        self.static = static

    def _const(self, name):
        return self.init[name]

    def _op(self, op, ins, attrs, env):
        x = env[ins[0]] if ins[0] in env else self.init[ins[0]]
        if op == "Conv":
            w = self._const(ins[1])
            b = self._const(ins[2]) if len(ins) > 2 and ins[2] else None
            pads = attrs.get("pads", [0] * 6)
            k = len(pads) // 2
            conv = F.conv3d if k == 3 else F.conv2d
            if pads[:k] != pads[k:]:
                pad = []
                for a in reversed(range(k)):
                    pad += [pads[a], pads[a + k]]
                x = F.pad(x, pad)
                pads = [0] * (2 * k)
            return conv(x, w, b, stride=attrs.get("strides", [1] * k), padding=pads[:k])
        if op == "BatchNormalization":
            sc, b, mean, var = (self._const(i) for i in ins[1:5])
            return F.batch_norm(x, mean, var, sc, b, False, 0.0, attrs.get("epsilon", 1e-5))
        if op == "Concat":
            return torch.cat([env[i] if i in env else self.init[i] for i in ins], dim=attrs["axis"])
        if op == "Reshape":
            shape = [int(v) for v in self._const(ins[1]).tolist()]
            shape = [x.shape[i] if v == 0 else v for i, v in enumerate(shape)]
            return x.reshape(shape)
        if op == "Add":
            return x + (env[ins[1]] if ins[1] in env else self.init[ins[1]])
        if op == "Pad":
            p = self._const(ins[1]).tolist()
            k = len(p) // 2
            pad = []
            for a in reversed(range(k)):
                pad += [p[a], p[a + k]]
            return F.pad(x, pad)
        if op == "AveragePool":
            ks = attrs["kernel_shape"]
            pads = attrs.get("pads", [0] * (2 * len(ks)))
            if any(pads):
                pad = []
                for a in reversed(range(len(ks))):
                    pad += [pads[a], pads[a + len(ks)]]
                x = F.pad(x, pad)  # zero padding counted in the divisor (count_include_pad)
            pool = F.avg_pool3d if len(ks) == 3 else F.avg_pool2d
            return pool(x, ks, attrs.get("strides", ks))
        if op == "GlobalAveragePool":
            return x.mean(dim=tuple(range(2, x.dim())), keepdim=True)
        if op == "ReduceMean":
            return x.mean(dim=tuple(attrs["axes"]), keepdim=bool(attrs.get("keepdims", 1)))
        if op in ("Flatten",):
            return x.flatten(1)
        if op == "Identity":
            return x
        if op == "Gemm":
            w = self._const(ins[1])
            if not attrs.get("transB", 0):
                w = w.t()
            b = self._const(ins[2]) if len(ins) > 2 else None
            return F.linear(x, w, b)
        raise SystemExit(f"torch_ratio: op {op} not supported by this interpreter")

    @torch.no_grad()
    def run(self, pixels, T):
        """pixels: uint8 array N x C x F x H x W. Returns summed readout currents (N x K)."""
        x = torch.from_numpy(pixels).float() * self.scale + self.bias
        env = {self.input: x}
        state = {}
        for op, ins, out, attrs in self.nodes:  # static part, once
            if out in self.static:
                env[out] = self._op(op, ins, attrs, env)
        logits = 0
        for _ in range(T):
            for op, ins, out, attrs in self.nodes:
                if out in self.static:
                    continue
                if op == "Clip":
                    I = env[ins[0]]
                    lam = float(self._const(ins[2]))
                    th = lam * self.alpha
                    if out not in state:
                        state[out] = (torch.full_like(I, th / 2), torch.zeros_like(I))
                    v, M = state[out]
                    v += I
                    M += I
                    n = torch.where(v >= th, torch.clamp(torch.floor(v / th), max=self.beta),
                                    torch.where((v <= -th) & (M > 0), -torch.ones_like(v), torch.zeros_like(v)))
                    v -= n * th
                    env[out] = n * th
                else:
                    env[out] = self._op(op, ins, attrs, env)
            logits = logits + env[self.output]
        return logits / T


def cpp_bench(binary, model, data, T, filt, min_time):
    env = dict(os.environ, SDM_BENCH_MODEL=model, SDM_BENCH_DATA=data, SDM_BENCH_T=str(T))
    out = subprocess.run([binary, f"--benchmark_filter={filt}", "--benchmark_format=json",
                          f"--benchmark_min_time={min_time}"], env=env, check=True,
                         capture_output=True, text=True).stdout
    res = {}
    for b in json.loads(out)["benchmarks"]:
        scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
        res[b["name"]] = {"cpu_s": b["cpu_time"] * scale, "wall_s": b["real_time"] * scale,
                          "events_per_s": b.get("events_per_s", 0.0)}
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", required=True, help="bench_golden binary")
    ap.add_argument("--model", required=True, help="ONNX model")
    ap.add_argument("--data", help="split folder with clips.npy (default: synthesized, 64 test clips)")
    ap.add_argument("--T", type=int, default=4)
    ap.add_argument("--clips", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=3, help="best of this many timing rounds")
    ap.add_argument("--json", help="write the figures here")
    a = ap.parse_args()

    bdir = os.path.dirname(os.path.abspath(a.bench))
    tmp = None
    data = a.data
    if not data:
        tmp = tempfile.mkdtemp(prefix="sdm_torch_ratio_")
        tool = os.path.join(bdir, "..", "data", "sdm_synth_tool")
        cli = os.path.join(bdir, "..", "apps", "sdmforge")
        if os.path.exists(cli):
            cmd = [cli, "data", "synth"]
        elif os.path.exists(tool):
            cmd = [tool]
        else:
            sys.exit("torch_ratio: pass --data (no sdmforge / sdm_synth_tool next to the benchmark)")
        subprocess.run(cmd + ["--out", tmp, "--train", "10", "--test", str(a.clips), "--seed", "1"],
                       check=True, capture_output=True)
        data = os.path.join(tmp, "test")
    if os.path.isdir(os.path.join(data, "test")):
        data = os.path.join(data, "test")
    clips = np.load(os.path.join(data, "clips.npy"))[: a.clips]
    n = len(clips)

    snn = TorchSnn(a.model)
    # Same SNN: PyTorch's predictions equal the C++ float SNN's (profile_golden float).
    prof = os.path.join(bdir, "profile_golden")
    agree = None
    if os.path.exists(prof):
        out = subprocess.run([prof, "float", str(n), str(a.T)], check=True, capture_output=True, text=True,
                             env=dict(os.environ, SDM_BENCH_MODEL=a.model, SDM_BENCH_DATA=data)).stdout
        cpp_cls = [int(c) for c in out.split("classes:")[1].split(",")]
        torch_cls = snn.run(clips, a.T).argmax(1).tolist()
        agree = sum(int(x == y) for x, y in zip(cpp_cls, torch_cls))
        print(f"predictions: torch float SNN == C++ float SNN on {agree}/{n} clips")

    def timed(fn):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        return time.process_time() - c0, time.perf_counter() - w0

    best = {}

    def keep(name, cpu, wall):
        b = best.setdefault(name, {"cpu_s": float("inf"), "wall_s": float("inf")})
        b["cpu_s"] = min(b["cpu_s"], cpu)
        b["wall_s"] = min(b["wall_s"], wall)

    for r in range(a.rounds):
        cpu, wall = timed(lambda: [snn.run(clips[i:i + 1], a.T) for i in range(n)])
        keep("torch_b1", cpu / n, wall / n)
        cpu, wall = timed(lambda: snn.run(clips, a.T))
        keep("torch_bN", cpu / n, wall / n)
        res = cpp_bench(a.bench, os.path.abspath(a.model), data, a.T, "BM_IntSnn$|BM_FloatSnnSparse", 0.5)
        for k, v in res.items():
            keep(k, v["cpu_s"], v["wall_s"])
            best[k]["events_per_s"] = max(best[k].get("events_per_s", 0), v["events_per_s"])

    rows = [("torch float, batch 1", "torch_b1"), (f"torch float, batch {n}", "torch_bN"),
            ("C++ int (IntSnn)", "BM_IntSnn"), ("C++ float (FloatSnn)", "BM_FloatSnnSparse")]
    print(f"\nT = {a.T}, {n} clips, single thread, best of {a.rounds} rounds; ms per clip")
    print(f"{'':26s} {'cpu':>9s} {'wall':>9s} {'events/s':>10s}")
    for label, k in rows:
        e = best[k].get("events_per_s", 0)
        print(f"{label:26s} {best[k]['cpu_s'] * 1e3:9.3f} {best[k]['wall_s'] * 1e3:9.3f} "
              f"{(f'{e / 1e6:.0f} M' if e else ''):>10s}")
    ratios = {
        "int_vs_torch_b1": best["torch_b1"]["cpu_s"] / best["BM_IntSnn"]["cpu_s"],
        "int_vs_torch_batched": best["torch_bN"]["cpu_s"] / best["BM_IntSnn"]["cpu_s"],
        "float_vs_torch_b1": best["torch_b1"]["cpu_s"] / best["BM_FloatSnnSparse"]["cpu_s"],
        "float_vs_torch_batched": best["torch_bN"]["cpu_s"] / best["BM_FloatSnnSparse"]["cpu_s"],
    }
    print()
    for k, v in ratios.items():
        print(f"speed ratio {k:24s} {v:6.1f}x")
    print(f"goal: C++ integer >= 5x faster than PyTorch float: "
          f"{'met' if min(ratios['int_vs_torch_b1'], ratios['int_vs_torch_batched']) >= 5 else 'NOT met'}"
          f" (batch 1: {ratios['int_vs_torch_b1']:.1f}x, batched: {ratios['int_vs_torch_batched']:.1f}x)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"T": a.T, "clips": n, "torch": torch.__version__, "times": best, "ratios": ratios,
                       "predictions_agree": agree}, f, indent=2)
    if tmp:
        subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
