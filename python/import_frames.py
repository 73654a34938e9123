#!/usr/bin/python3
"""UCF-101 / HMDB-51 frame folders with JPEG/PNG frames -> sdmforge data folder.

Same options and output as `sdmforge data import` (which reads PGM/PPM frames natively):

  /usr/bin/python3 python/import_frames.py --ucf101 FRAMES_DIR --splits ucfTrainTestlist \
      --split 1 --out DIR --size 16 --frames 8 [--skip-missing]
  /usr/bin/python3 python/import_frames.py --hmdb51 FRAMES_DIR --splits testTrainMulti_7030_splits ...

Frames: FRAMES_DIR/<Class>/<video>/*.jpg|png (or FRAMES_DIR/<video>/...), sorted by name;
clip frame i = source frame floor((2i + 1) n / (2F)); grey = (299 R + 587 G + 114 B + 500)
// 1000; centre square crop then area-mean resize (Pillow's BOX filter). Uses Pillow.
"""
import argparse
import glob
import json
import os
import sys

import numpy as np

EXTS = (".jpg", ".jpeg", ".png", ".pgm", ".ppm", ".bmp")


def fail(msg):
    sys.exit(f"import_frames: error: {msg}")


def grey_square(path, size):
    from PIL import Image
    im = Image.open(path).convert("RGB")
    w, h = im.size
    m = min(w, h)
    im = im.crop(((w - m) // 2, (h - m) // 2, (w - m) // 2 + m, (h - m) // 2 + m))
    a = np.asarray(im, dtype=np.int64)
    g = ((299 * a[..., 0] + 587 * a[..., 1] + 114 * a[..., 2] + 500) // 1000).astype(np.uint8)
    return np.asarray(Image.fromarray(g).resize((size, size), Image.BOX), dtype=np.uint8)


def clip_from(video_dir, size, frames):
    files = sorted(f for f in os.listdir(video_dir) if f.lower().endswith(EXTS))
    if not files:
        fail(f"frame folder '{video_dir}' holds no image frames")
    n = len(files)
    return np.stack([grey_square(os.path.join(video_dir, files[min(n - 1, (2 * i + 1) * n // (2 * frames))]), size)
                     for i in range(frames)])[None]


def ucf_entries(splits, split):
    def lines(p):
        if not os.path.isfile(p):
            fail(f"cannot open split file '{p}'")
        return [l.strip() for l in open(p) if l.strip()]
    cls_ind = os.path.join(splits, "classInd.txt")
    index = {}
    if os.path.isfile(cls_ind):
        for l in lines(cls_ind):
            i, name = l.split()[:2]
            index[name] = int(i) - 1
    ents = []
    for fname, train in ((f"trainlist{split:02d}.txt", True), (f"testlist{split:02d}.txt", False)):
        for l in lines(os.path.join(splits, fname)):
            path = l.split()[0]
            if "/" not in path:
                fail(f"{fname}: line '{l}' is not Class/video.avi")
            ents.append((os.path.splitext(path)[0], path.split("/")[0], train))
    if not index:
        index = {c: i for i, c in enumerate(sorted({e[1] for e in ents}))}
    classes = [None] * len(index)
    for c, i in index.items():
        classes[i] = c
    return ents, classes


def hmdb_entries(splits, split):
    files = sorted(glob.glob(os.path.join(splits, f"*_test_split{split}.txt")))
    if not files:
        fail(f"--splits '{splits}' holds no *_test_split{split}.txt files")
    ents, classes = [], []
    for p in files:
        cls = os.path.basename(p)[:-len(f"_test_split{split}.txt")]
        classes.append(cls)
        for l in open(p):
            parts = l.split()
            if not parts:
                continue
            if len(parts) < 2 or parts[1] not in ("0", "1", "2"):
                fail(f"{p}: malformed line '{l.strip()}'")
            if parts[1] != "0":
                ents.append((cls + "/" + os.path.splitext(parts[0])[0], cls, parts[1] == "1"))
    return ents, classes


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--ucf101")
    g.add_argument("--hmdb51")
    ap.add_argument("--splits", required=True)
    ap.add_argument("--split", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("--size", type=int, default=16)
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--skip-missing", action="store_true")
    a = ap.parse_args()
    if a.size not in (16, 32):
        fail(f"--size {a.size} is not 16 or 32")
    if not 1 <= a.frames <= 64:
        fail(f"--frames {a.frames} is out of range 1..64")
    if a.split not in (1, 2, 3):
        fail(f"--split {a.split} is not 1, 2 or 3")
    frames_dir = a.ucf101 or a.hmdb51
    if not os.path.isdir(frames_dir):
        fail(f"frames folder '{frames_dir}' does not exist")
    ents, classes = (ucf_entries if a.ucf101 else hmdb_entries)(a.splits, a.split)
    idx = {c: i for i, c in enumerate(classes)}
    data = {True: ([], []), False: ([], [])}
    skipped = 0
    for rel, cls, train in ents:
        d = os.path.join(frames_dir, rel)
        if not os.path.isdir(d):
            d = os.path.join(frames_dir, os.path.basename(rel))
        if not os.path.isdir(d):
            if a.skip_missing:
                skipped += 1
                continue
            fail(f"frame folder of video '{rel}' not found under '{frames_dir}' (use --skip-missing to skip)")
        data[train][0].append(clip_from(d, a.size, a.frames))
        data[train][1].append(idx[cls])
    for train, name in ((True, "train"), (False, "test")):
        os.makedirs(os.path.join(a.out, name), exist_ok=True)
        x = np.stack(data[train][0]) if data[train][0] else np.zeros((0, 1, a.frames, a.size, a.size), np.uint8)
        np.save(os.path.join(a.out, name, "clips.npy"), x)
        np.save(os.path.join(a.out, name, "labels.npy"), np.array(data[train][1], dtype=np.int64))
    with open(os.path.join(a.out, "classes.json"), "w") as f:
        json.dump({"format": "sdmforge-import", "version": 1, "dataset": "ucf101" if a.ucf101 else "hmdb51",
                   "split": a.split, "classes": classes, "num_classes": len(classes), "size": a.size,
                   "frames": a.frames, "channels": 1,
                   "counts": {"train": len(data[True][1]), "test": len(data[False][1]), "skipped": skipped},
                   "layout": "clips.npy: N x C x F x H x W uint8; labels.npy: N int64",
                   "input_scale": "pixel / 255"}, f, indent=2)
    print(f"import_frames: {len(data[True][1])} train + {len(data[False][1])} test clips, "
          f"{len(classes)} classes ({skipped} skipped) -> {a.out}")


if __name__ == "__main__":
    main()
