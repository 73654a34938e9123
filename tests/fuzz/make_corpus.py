#!/usr/bin/env python3
"""Writes the fuzz seed corpus tests/fuzz/corpus/<target>/ (small files, committed).

    python3 tests/fuzz/make_corpus.py SDMFORGE_EXE

Valid inputs made from a tiny ONNX network (built here with onnx.helper), the bundled
digits2d model and its data, plus truncated and corrupted variants of each. Artifacts are
written by the real `sdmforge convert`, so the seeds track the current format.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def npy_bytes(a, version=None):
    import io
    buf = io.BytesIO()
    if version is None:
        np.save(buf, a)
    else:
        np.lib.format.write_array(buf, a, version=version)
    return buf.getvalue()


def variants(target, stem, data):
    """A valid file plus truncations and a few flipped bytes (deterministic)."""
    put(target, stem, data)
    for cut in sorted({8, 11, len(data) // 2, len(data) - 1}):
        if 0 < cut < len(data):
            put(target, f"{stem}.cut{cut}", data[:cut])
    rng = np.random.default_rng(len(data))
    for k in range(2):
        b = bytearray(data)
        for i in rng.integers(0, len(b), size=3):
            b[i] ^= 0xFF
        put(target, f"{stem}.flip{k}", bytes(b))


def npy_corpus():
    rng = np.random.default_rng(1)
    clips = rng.integers(0, 256, size=(2, 1, 2, 4, 4), dtype=np.uint8)
    variants("npy", "clips_u1_v1.npy", npy_bytes(clips))
    put("npy", "clips_u1_v2.npy", npy_bytes(clips, (2, 0)))
    put("npy", "clips_u1_v3.npy", npy_bytes(clips, (3, 0)))
    variants("npy", "labels_i8.npy", npy_bytes(np.array([0, 3, 1], dtype=np.int64)))
    put("npy", "labels_i4.npy", npy_bytes(np.array([2, 1], dtype=np.int32)))
    put("npy", "labels_nx1.npy", npy_bytes(np.array([[1], [0]], dtype=np.int64)))
    put("npy", "labels_big.npy", npy_bytes(np.array([4294967297], dtype=np.int64)))
    put("npy", "clips_f4.npy", npy_bytes(clips.astype(np.float32)))
    put("npy", "fortran.npy", npy_bytes(np.asfortranarray(clips[0, 0])))
    put("npy", "big_endian.npy", npy_bytes(np.array([1, 2], dtype=">i8")))
    hdr = b"{'descr': '|u1', 'fortran_order': False, 'shape': (99999999999, 99999999999, 3), }"
    hdr += b" " * (63 - (10 + len(hdr)) % 64) + b"\n"
    put("npy", "huge_shape.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr + b"\0" * 8)
    put("npy", "short_v2.npy", b"\x93NUMPY\x02\x00\xff\xff")
    put("npy", "raw.bin", bytes(range(32)))


def tiny_onnx():
    """Conv(1->2, 3x3) -> Clip -> AvgPool -> Flatten -> Gemm(->3): a 1x6x6 image model."""
    rng = np.random.default_rng(2)
    w = helper.make_tensor("w", TensorProto.FLOAT, [2, 1, 3, 3], rng.normal(0, 0.5, 18).astype(np.float32))
    b = helper.make_tensor("b", TensorProto.FLOAT, [2], [0.1, -0.1])
    lo = helper.make_tensor("lo", TensorProto.FLOAT, [], [0.0])
    hi = helper.make_tensor("hi", TensorProto.FLOAT, [], [1.5])
    fw = helper.make_tensor("fw", TensorProto.FLOAT, [3, 8], rng.normal(0, 0.5, 24).astype(np.float32))
    fb = helper.make_tensor("fb", TensorProto.FLOAT, [3], [0.0, 0.1, -0.1])
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], name="conv1"),
        helper.make_node("Clip", ["c", "lo", "hi"], ["r"], name="clip1"),
        helper.make_node("AveragePool", ["r"], ["p"], kernel_shape=[3, 3], strides=[3, 3], name="pool1"),
        helper.make_node("Flatten", ["p"], ["f"], axis=1, name="flat"),
        helper.make_node("Gemm", ["f", "fw", "fb"], ["y"], transB=1, name="fc"),
    ]
    g = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 6, 6])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])], [w, b, lo, hi, fw, fb])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m.SerializeToString()


def onnx_findings(tiny):
    """The fuzzer's findings, rebuilt from the tiny model (regression inputs of
    OnnxKinds.ShapeInferenceFaultsOnMalformedNodesAreOneLineErrors): libonnx 1.12's shape
    inference reads out of bounds on a Conv whose kernel rank (from its weight: no
    kernel_shape) exceeds its input's spatial rank, and divides by a zero stride."""
    m = onnx.load_from_string(tiny)
    conv = m.graph.node[0]
    del conv.attribute[:]
    conv.attribute.extend([helper.make_attribute("pads", [1, 1, 1, 1])])
    shape = m.graph.input[0].type.tensor_type.shape
    del shape.dim[2:]  # rank 2: no spatial dims
    put("onnx", "crash-conv-kernel-rank.onnx", m.SerializeToString())
    m = onnx.load_from_string(tiny)
    m.graph.node[0].attribute.extend([helper.make_attribute("strides", [0, 0])])
    put("onnx", "conv-stride0.onnx", m.SerializeToString())


def onnx_corpus(tiny):
    variants("onnx", "tiny.onnx", tiny)
    onnx_findings(tiny)
    with open(os.path.join(ROOT, "models", "digits2d", "model.onnx"), "rb") as f:
        put("onnx", "digits2d.onnx", f.read())


def artifact_corpus(sdmforge, tiny):
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "tiny.onnx")
        with open(model, "wb") as f:
            f.write(tiny)
        for name, args in [("tiny_sdm.sdm", ["--alpha", "0.5", "--beta", "3", "--T", "2"]),
                           ("tiny_burst.sdm", ["--method", "burst", "--T", "2", "--weight-bits", "4"]),
                           ("tiny_rts.sdm", ["--method", "rts", "--T", "2"])]:
            out = os.path.join(tmp, name)
            subprocess.run([sdmforge, "convert", model, "-o", out] + args, check=True,
                           stderr=subprocess.DEVNULL)
            with open(out, "rb") as f:
                data = f.read()
            if name == "tiny_sdm.sdm":
                variants("artifact", name, data)
                # A valid CRC over a manifest that lies: stride 0 (issue 17, Kind 4).
                m_len = struct.unpack_from("<Q", data, 12)[0]
                man = data[20:20 + m_len].replace(b'"stride":[1,1,1]', b'"stride":[0,1,1]', 1)
                body = data[:12] + struct.pack("<Q", len(man)) + man + data[20 + m_len:-4]
                put("artifact", "stride0.sdm", body + struct.pack("<I", zlib.crc32(body)))
            else:
                put("artifact", name, data)


def board_corpus():
    def frame(t, payload):
        body = bytes([ord(t)]) + payload
        return b"\x5a" + body + bytes([sum(body) & 0xFF])
    # Protocol 2: the info payload ends with the receive FIFO size (streaming).
    info = frame("I", bytes([2, 3, 2, 16]) + struct.pack("<IIII", 64, 12_000_000, 115200, 128))
    res = frame("R", bytes([2]) + struct.pack("<iii", -5, 7, 100) + struct.pack("<I", 1234))
    variants("board_frame", "info_result.bin", info + res)
    put("board_frame", "noise_first.bin", b"\x00\xff\x13" + info + res)
    put("board_frame", "error_frame.bin", info + b"\x5aE\x01" + bytes([(ord("E") + 1) & 0xFF]))
    put("board_frame", "bad_class.bin", info + frame("R", bytes([9]) + bytes(12) + bytes(4)))
    put("board_frame", "version1.bin", frame("I", bytes([1, 3, 2, 16]) + bytes(12)))
    put("board_frame", "version3.bin", frame("I", bytes([3, 3, 2, 16]) + bytes(16)))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_corpus.py SDMFORGE_EXE")
    for target in ("npy", "onnx", "artifact", "board_frame"):  # README.md stays
        shutil.rmtree(os.path.join(OUT, target), ignore_errors=True)
    tiny = tiny_onnx()
    npy_corpus()
    onnx_corpus(tiny)
    artifact_corpus(sys.argv[1], tiny)
    board_corpus()
    n = sum(len(fs) for _, _, fs in os.walk(OUT))
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f"make_corpus: {n} files, {size} bytes in {OUT}")


if __name__ == "__main__":
    main()
