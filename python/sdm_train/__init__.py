"""sdm_train: Algorithm 1 (lines 1-16) of the SDM paper for sdmforge.

ReLU -> clip(x, 0, lambda) with a learnable lambda per layer, MaxPool -> AvgPool, SGD
(momentum 0.9, weight decay 1e-5 on conv/linear weights), step LR, deterministic for a
seed; ONNX export (opset 13) with lambda baked into the Clip nodes. See docs/training.md.
"""
