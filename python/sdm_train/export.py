"""ONNX export (opset 13) for the sdmforge importer, plus graph checks and the reference
logits file. Rules (docs/training.md): eval mode, lambda baked as a constant scalar `max`
input of every Clip, BN may stay (the importer folds it), global average pooling, flatten,
final Gemm; only the ops in ALLOWED_OPS."""
import io
import json

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from .layers import clip_layers, set_exporting

ALLOWED_OPS = {"Conv", "BatchNormalization", "Clip", "AveragePool", "GlobalAveragePool",
               "ReduceMean", "Add", "Concat", "Flatten", "Reshape", "Gemm", "MatMul",
               "Constant", "Identity", "Shape", "Pad"}


def export_onnx(model, in_shape, path, metadata=None):
    """Exports `model` (eval mode, lambdas as float constants) to `path`; dynamic batch."""
    model.eval()
    set_exporting(model, True)
    try:
        dummy = torch.zeros(1, *in_shape)
        torch.onnx.export(model, dummy, path, opset_version=13, input_names=["input"],
                          output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                          training=torch.onnx.TrainingMode.EVAL, do_constant_folding=True)
    finally:
        set_exporting(model, False)
    m = onnx.load(path)
    # Keys read by golden/onnx_import.cc: a pixel p enters as p * sdm_input_scale + sdm_input_bias.
    meta = {"sdm_input_scale": repr(1.0 / 255.0), "sdm_input_bias": "0", "producer_note": "sdmforge python/sdm_train"}
    meta.update({k: (v if isinstance(v, str) else json.dumps(v)) for k, v in (metadata or {}).items()})
    for k, v in meta.items():
        p = m.metadata_props.add()
        p.key, p.value = k, v
    onnx.checker.check_model(m)
    onnx.save(m, path)


def _constants(graph):
    vals = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    for n in graph.node:
        if n.op_type == "Constant":
            for a in n.attribute:
                if a.name == "value":
                    vals[n.output[0]] = numpy_helper.to_array(a.t)
    return vals


def inspect_onnx(path):
    """Returns {'ops': {op: count}, 'clip_max': [lambda per Clip, graph order],
    'clip_min': [...]} and raises ValueError on a forbidden op or a Clip whose bounds are
    not constant scalars."""
    m = onnx.load(path)
    g = m.graph
    consts = _constants(g)
    ops, cmax, cmin = {}, [], []
    for n in g.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
        if n.op_type not in ALLOWED_OPS:
            raise ValueError(f"{path}: node '{n.name}' has op {n.op_type}, not allowed for sdmforge")
        if n.op_type == "Clip":
            if len(n.input) < 3 or n.input[2] not in consts or n.input[1] not in consts:
                raise ValueError(f"{path}: Clip node '{n.name}' has no constant min/max input")
            lo, hi = consts[n.input[1]], consts[n.input[2]]
            if lo.size != 1 or hi.size != 1:
                raise ValueError(f"{path}: Clip node '{n.name}' bounds are not scalars")
            cmin.append(float(lo.reshape(())))
            cmax.append(float(hi.reshape(())))
    return {"ops": ops, "clip_max": cmax, "clip_min": cmin}


@torch.no_grad()
def reference(model, x_uint8, y, count=32):
    """PyTorch logits of the first `count` clips (export-mode forward = the ONNX graph)."""
    model.eval()
    set_exporting(model, True)
    try:
        logits = model(x_uint8[:count].float() / 255.0)
    finally:
        set_exporting(model, False)
    return {"count": int(min(count, x_uint8.shape[0])),
            "labels": [int(v) for v in y[:count]],
            "logits": [[float(v) for v in row] for row in logits],
            "predictions": [int(v) for v in logits.argmax(1)]}


@torch.no_grad()
def spiking_layers(model, in_shape):
    """(name, output shape, lambda) of every ClipAct, in execution order."""
    out = []
    hooks = []
    names = {m: n for n, m in model.named_modules()}
    for m in clip_layers(model):
        hooks.append(m.register_forward_hook(
            lambda mod, inp, o: out.append((names[mod], tuple(o.shape[1:]), float(mod.lam)))))
    model.eval()
    model(torch.zeros(1, *in_shape))
    for h in hooks:
        h.remove()
    return out


@torch.no_grad()
def synaptic_ops(model, in_shape):
    """Multiply-accumulates of conv/linear layers for one forward pass (= synaptic ops per
    time-step of the SNN if every input fired)."""
    total = [0]
    hooks = []
    for m in model.modules():
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Conv3d)):
            hooks.append(m.register_forward_hook(
                lambda mod, inp, o: total.__setitem__(0, total[0] + o.numel() // o.shape[0] * mod.weight[0].numel())))
        elif isinstance(m, torch.nn.Linear):
            hooks.append(m.register_forward_hook(
                lambda mod, inp, o: total.__setitem__(0, total[0] + mod.weight.numel())))
    model.eval()
    model(torch.zeros(1, *in_shape))
    for h in hooks:
        h.remove()
    return total[0]
