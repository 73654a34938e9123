"""Training loop of Algorithm 1 (lines 6-16) and evaluation."""
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from .data import to_input
from .layers import ClipAct, calibrate, clip_layers


def setup_determinism(seed, threads=2):
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)


def param_groups(model, weight_decay):
    """Weight decay on conv/linear weights only; lambda, BN and biases are not decayed
    (decaying lambda would pull the clip ceilings down independently of the loss)."""
    decay, no_decay = [], []
    for mod in model.modules():
        for name, p in mod.named_parameters(recurse=False):
            if isinstance(mod, (nn.Conv2d, nn.Conv3d, nn.Linear)) and name == "weight":
                decay.append(p)
            else:
                no_decay.append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def augment(x, gen, roll=True, invert=True):
    """Label-preserving augmentations of the synthetic data: cyclic spatial shift (clips are
    rendered on a torus) and contrast polarity inversion (polarity is random per clip)."""
    n = x.shape[0]
    if invert:
        flip = torch.rand(n, generator=gen) < 0.5
        x = torch.where(flip.view(-1, *([1] * (x.dim() - 1))), 1.0 - x, x)
    if roll:
        dy = int(torch.randint(0, x.shape[-2], (1,), generator=gen))
        dx = int(torch.randint(0, x.shape[-1], (1,), generator=gen))
        x = torch.roll(x, shifts=(dy, dx), dims=(-2, -1))
    return x


@torch.no_grad()
def evaluate(model, x, y, batch=256):
    model.eval()
    correct, logits = 0, []
    for i in range(0, x.shape[0], batch):
        out = model(to_input(x[i:i + batch]))
        logits.append(out)
        correct += int((out.argmax(1) == y[i:i + batch]).sum())
    return correct / max(1, x.shape[0]), torch.cat(logits) if logits else None


def train(model, xtr, ytr, xte, yte, epochs, lr=0.1, batch=64, step=None, gamma=0.1, seed=0,
          weight_decay=1e-5, aug=None, log=print, calib_percentile=99.9, optimizer="sgd",
          schedule="step", lambda_init=None, learn_lambda=True, lambda_penalty=0.0):
    """SGD momentum 0.9 (or AdamW). schedule "step": x gamma every `step` epochs (default at
    50 % and 75 %); "onecycle": torch's OneCycleLR per batch with peak `lr` (30 % warm-up,
    cosine down; AdamW's beta1 cycles 0.95 -> 0.85 -> 0.95).
    lambda_init None: every lambda = the `calib_percentile` of its layer's activations;
    a number: every lambda = that value. learn_lambda False freezes lambda at its initial
    value; lambda_penalty c adds c * sum(lambda^2) to the loss (pulls the ceilings down)."""
    aug = aug or {}
    gen = torch.Generator().manual_seed(seed)
    # Line 9 "reinitialise a in clip function": lambda from activation percentiles. The
    # calibration clips are drawn in every case, so the data order does not depend on it.
    idx = torch.randperm(xtr.shape[0], generator=gen)[:min(512, xtr.shape[0])]
    if lambda_init is None:
        lams = calibrate(model, to_input(xtr[idx]), calib_percentile)
    else:
        with torch.no_grad():
            for m in clip_layers(model):
                m.lam.fill_(float(lambda_init))
        lams = [float(m.lam) for m in clip_layers(model)]
    for m in clip_layers(model):
        m.lam.requires_grad_(learn_lambda)
    log(f"initial lambda ({'learned' if learn_lambda else 'frozen'}"
        f"{f', penalty {lambda_penalty:g}' if lambda_penalty else ''}): "
        f"{', '.join(f'{v:.3f}' for v in lams)}")
    if optimizer == "adam":  # the 13-layer net sat at chance for 4+ epochs under SGD
        opt = torch.optim.AdamW(param_groups(model, weight_decay), lr=lr)
    elif optimizer == "sgd":
        opt = torch.optim.SGD(param_groups(model, weight_decay), lr=lr, momentum=0.9)
    else:
        raise ValueError(f"unknown optimizer '{optimizer}' (sgd or adam)")
    n = xtr.shape[0]
    if schedule == "onecycle":
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, epochs=epochs,
                                                    steps_per_epoch=math.ceil(n / batch))
    elif schedule != "step":
        raise ValueError(f"unknown schedule '{schedule}' (step or onecycle)")
    elif step:
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=step, gamma=gamma)
    else:
        sched = torch.optim.lr_scheduler.MultiStepLR(
            opt, milestones=[max(1, epochs // 2), max(1, (3 * epochs) // 4)], gamma=gamma)
    t0 = time.time()
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        tot, correct, seen = 0.0, 0, 0
        for i in range(0, n, batch):
            b = perm[i:i + batch]
            xb = augment(to_input(xtr[b]), gen, **aug)
            out = model(xb)
            loss = F.cross_entropy(out, ytr[b])
            if lambda_penalty and learn_lambda:
                loss_fit = float(loss)
                loss = loss + lambda_penalty * sum(m.lam ** 2 for m in clip_layers(model))
            else:
                loss_fit = None
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if schedule == "onecycle":
                sched.step()
            with torch.no_grad():
                for m in clip_layers(model):
                    m.lam.clamp_(min=1e-3)
            tot += (float(loss) if loss_fit is None else loss_fit) * b.numel()
            correct += int((out.argmax(1) == ytr[b]).sum())
            seen += b.numel()
        if schedule != "onecycle":
            sched.step()
        msg = f"epoch {ep + 1}/{epochs} loss {tot / seen:.4f} train {100 * correct / seen:.2f}%"
        if xte is not None and (ep == epochs - 1 or (ep + 1) % max(1, epochs // 5) == 0):
            acc, _ = evaluate(model, xte, yte)
            msg += f" test {100 * acc:.2f}%"
        log(msg + f" ({time.time() - t0:.0f}s)")
    return time.time() - t0
