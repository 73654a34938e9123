"""Clip activation with a learnable ceiling lambda (Algorithm 1, lines 2, 9, 14)."""
import torch
import torch.nn as nn


class ClipAct(nn.Module):
    """y = clip(x, 0, lambda), lambda learnable (one scalar per layer).

    Training: y = min(relu(x), lambda); d y / d lambda = 1 where x > lambda (PACT-style),
    so lambda follows the loss gradient as in Algorithm 1, line 14.
    Export: y = torch.clamp(x, 0.0, float(lambda)) -> ONNX Clip(x, 0, lambda) with both
    bounds as constant scalars, which is what the sdmforge importer reads as lambda.
    Calibration: when `calibrating` is set the layer passes relu(x) through and records
    the given percentile of its positive activations (initial lambda, see calibrate()).
    """

    def __init__(self, init=1.0):
        super().__init__()
        self.lam = nn.Parameter(torch.tensor(float(init)))
        self.exporting = False
        self.calibrating = False
        self.percentile = 99.9
        self.observed = []

    def forward(self, x):
        if self.exporting:
            return torch.clamp(x, 0.0, float(self.lam.detach()))
        if self.calibrating:
            y = torch.relu(x)
            v = y.detach().flatten()
            v = v[v > 0]
            if v.numel() > 0:
                k = max(1, int(round(v.numel() * self.percentile / 100.0)))
                self.observed.append(float(torch.kthvalue(v, min(k, v.numel())).values))
            return y
        return torch.minimum(torch.relu(x), self.lam)

    def extra_repr(self):
        return f"lambda={float(self.lam.detach()):.4f}"


def clip_layers(model):
    return [m for m in model.modules() if isinstance(m, ClipAct)]


def set_exporting(model, on=True):
    for m in clip_layers(model):
        m.exporting = on


@torch.no_grad()
def calibrate(model, batch, percentile=99.9):
    """Sets every lambda to the `percentile` of that layer's positive ReLU activations over
    `batch` (done once before training; layers see un-clipped inputs from earlier layers)."""
    layers = clip_layers(model)
    was_training = model.training
    model.train()  # BN uses batch statistics, as in the first training steps
    for m in layers:
        m.calibrating, m.percentile, m.observed = True, percentile, []
    model(batch)
    for m in layers:
        m.calibrating = False
        if m.observed:
            m.lam.fill_(max(1e-3, sum(m.observed) / len(m.observed)))
    model.train(was_training)
    return [float(m.lam) for m in layers]
