"""Model zoo of sdmforge. Every model obeys the export rules of docs/training.md:
Conv (groups=1) -> BatchNorm -> ClipAct, AvgPool instead of MaxPool, residual Add before
the block's last ClipAct, channel Concat, global average pool, flatten, one final Linear
(no activation). No ReLU / MaxPool / Dropout / slicing anywhere."""
import torch
import torch.nn as nn

from .layers import ClipAct


def _triple(k):
    return k if isinstance(k, tuple) else (k, k, k)


class ConvBNClip(nn.Module):
    """conv -> BN -> clip (a spiking layer after conversion)."""

    def __init__(self, cin, cout, k=3, stride=1, dims=3, act=True):
        super().__init__()
        if dims == 3:
            k = _triple(k)
            pad = tuple(x // 2 for x in k)
            self.conv = nn.Conv3d(cin, cout, k, stride=stride, padding=pad, bias=False)
            self.bn = nn.BatchNorm3d(cout)
        else:
            self.conv = nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False)
            self.bn = nn.BatchNorm2d(cout)
        self.act = ClipAct() if act else None

    def forward(self, x):
        x = self.bn(self.conv(x))
        return self.act(x) if self.act is not None else x


class BasicBlock3d(nn.Module):
    """Two 3D convs; the shortcut (identity, or 1x1x1 conv + BN when the shape changes) is
    added before the second clip."""

    def __init__(self, cin, cout, stride=1, k1=3, k2=3, zero_init=False):
        super().__init__()
        self.c1 = ConvBNClip(cin, cout, k1, stride)
        self.c2 = ConvBNClip(cout, cout, k2, 1, act=False)
        if zero_init:  # block starts as its shortcut: lets deep stacks train from scratch
            nn.init.zeros_(self.c2.bn.weight)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv3d(cin, cout, 1, stride=stride, bias=False),
                                       nn.BatchNorm3d(cout))
        self.act = ClipAct()

    def forward(self, x):
        s = x if self.short is None else self.short(x)
        return self.act(self.c2(self.c1(x)) + s)


class Head(nn.Module):
    def __init__(self, cin, classes, dims=3):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool3d(1) if dims == 3 else nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(x), 1))


class DefaultNet(nn.Module):
    """Tiny 3D ResNet for 1x8x16x16 clips, sized for the iCE40 UP5K (<= 12 K weights)."""

    def __init__(self, classes=10):
        super().__init__()
        self.stem = ConvBNClip(1, 8)                 # 8 x 8 x 16 x 16
        self.block = BasicBlock3d(8, 8)              # 8 x 8 x 16 x 16
        self.pool1 = nn.AvgPool3d(2)                 # 8 x 4 x 8 x 8
        self.conv3 = ConvBNClip(8, 12)               # 12 x 4 x 8 x 8
        self.pool2 = nn.AvgPool3d(2)                 # 12 x 2 x 4 x 4
        self.conv4 = ConvBNClip(12, 16)              # 16 x 2 x 4 x 4
        self.head = Head(16, classes)

    def forward(self, x):
        x = self.block(self.stem(x))
        x = self.conv3(self.pool1(x))
        x = self.conv4(self.pool2(x))
        return self.head(x)


class SlowOnlyNet(nn.Module):
    """Tiny SlowOnly: 2D (1x3x3) kernels early, temporal (3x3x3) kernels only in the later
    residual stage, as in SlowOnly/SlowFast's slow pathway."""

    def __init__(self, classes=10):
        super().__init__()
        self.stem = ConvBNClip(1, 8, (1, 3, 3))          # 8 x 8 x 16 x 16
        self.conv2 = ConvBNClip(8, 8, (1, 3, 3))         # 8 x 8 x 16 x 16
        self.pool1 = nn.AvgPool3d((1, 2, 2))             # 8 x 8 x 8 x 8
        self.conv3 = ConvBNClip(8, 16, 3)                # 16 x 8 x 8 x 8
        self.block = BasicBlock3d(16, 16)                # 16 x 8 x 8 x 8
        self.pool2 = nn.AvgPool3d(2)                     # 16 x 4 x 4 x 4
        self.head = Head(16, classes)

    def forward(self, x):
        x = self.pool1(self.conv2(self.stem(x)))
        x = self.block(self.conv3(x))
        return self.head(self.pool2(x))


class SlowFastNet(nn.Module):
    """Tiny SlowFast. Slow pathway: temporal stride 2 in its first conv (no frame slicing),
    more channels; fast pathway: full frame rate, few channels; a lateral connection
    (conv with temporal kernel 3, stride 2, from fast to slow) fused by channel Concat;
    both pathways globally pooled, concatenated, one Linear."""

    def __init__(self, classes=10):
        super().__init__()
        self.fast1 = ConvBNClip(1, 4, 3)                                 # 4 x 8 x 16 x 16
        self.slow1 = ConvBNClip(1, 8, (1, 3, 3), stride=(2, 1, 1))       # 8 x 4 x 16 x 16
        self.lateral = ConvBNClip(4, 4, (3, 1, 1), stride=(2, 1, 1))     # 4 x 4 x 16 x 16
        self.pool_s = nn.AvgPool3d((1, 2, 2))
        self.pool_f = nn.AvgPool3d((1, 2, 2))
        self.slow2 = ConvBNClip(12, 16, 3)                               # 16 x 4 x 8 x 8
        self.fast2 = ConvBNClip(4, 8, 3)                                 # 8 x 8 x 8 x 8
        self.slow3 = ConvBNClip(16, 16, 3)
        self.fast3 = ConvBNClip(8, 8, 3)
        self.gp_s = nn.AdaptiveAvgPool3d(1)
        self.gp_f = nn.AdaptiveAvgPool3d(1)
        self.fc = nn.Linear(16 + 8, classes)

    def forward(self, x):
        f = self.fast1(x)
        s = torch.cat([self.slow1(x), self.lateral(f)], dim=1)
        s = self.slow3(self.slow2(self.pool_s(s)))
        f = self.fast3(self.fast2(self.pool_f(f)))
        z = torch.cat([torch.flatten(self.gp_s(s), 1), torch.flatten(self.gp_f(f), 1)], dim=1)
        return self.fc(z)


class Digits2dNet(nn.Module):
    """2D CNN for 1x8x8 digit images (the paper's 2D generalization experiment)."""

    def __init__(self, classes=10):
        super().__init__()
        self.c1 = ConvBNClip(1, 8, 3, dims=2)    # 8 x 8 x 8
        self.c2 = ConvBNClip(8, 16, 3, dims=2)   # 16 x 8 x 8
        self.pool = nn.AvgPool2d(2)              # 16 x 4 x 4
        self.c3 = ConvBNClip(16, 16, 3, dims=2)  # 16 x 4 x 4
        self.head = Head(16, classes, dims=2)

    def forward(self, x):
        return self.head(self.c3(self.pool(self.c2(self.c1(x)))))


class DeepResNet3d(nn.Module):
    """ResNet3D with BatchNorm: stem + 3 stages x 2 basic blocks (13 spiking layers),
    stride-2 stages; for the hard preset."""

    def __init__(self, classes=14, widths=(8, 16, 32)):
        super().__init__()
        w1, w2, w3 = widths
        self.stem = ConvBNClip(1, w1)
        B = lambda a, b, s=1: BasicBlock3d(a, b, stride=s, zero_init=True)  # noqa: E731
        self.s1 = nn.Sequential(B(w1, w1), B(w1, w1))
        self.s2 = nn.Sequential(B(w1, w2, 2), B(w2, w2))
        self.s3 = nn.Sequential(B(w2, w3, 2), B(w3, w3))
        self.head = Head(w3, classes)

    def forward(self, x):
        return self.head(self.s3(self.s2(self.s1(self.stem(x)))))


ARCHS = {
    "default": DefaultNet,
    "slowonly": SlowOnlyNet,
    "slowfast": SlowFastNet,
    "digits2d": Digits2dNet,
    "deep": DeepResNet3d,
}


def build(arch, classes):
    if arch not in ARCHS:
        raise ValueError(f"unknown architecture '{arch}' (known: {', '.join(ARCHS)})")
    return ARCHS[arch](classes)


def weight_count(model):
    """Conv/Linear weights (what the FPGA weight ROMs hold) and all parameters."""
    w = sum(m.weight.numel() for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Conv3d, nn.Linear)))
    p = sum(p.numel() for p in model.parameters())
    return w, p
