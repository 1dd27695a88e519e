"""A small synthetic road-scene dataset made by code, in CamVid layout.

Used by the README's main job and by tests so they run anywhere without downloads.
Scenes have sky, buildings with windows, road with lane marks, pavement, trees, cars
and poles, with texture noise, so a model has to learn something real; a thin band of
pixels is labelled ignore (255) like object borders in real datasets.

  python -m bisenetv2_tf.data.synthetic --out DIR [--train 48 --val 16 --size 128 160]
"""
import argparse
import json
import os

import numpy as np
from PIL import Image

CLASSES = ("sky", "building", "road", "pavement", "tree", "car", "pole")
COLORS = ((70, 130, 180), (128, 0, 0), (128, 64, 128), (60, 40, 222), (128, 128, 0), (64, 0, 128), (192, 192, 128))
IGNORE = 255


def _scene(rng, height, width):
    image = np.zeros((height, width, 3), np.float32)
    label = np.zeros((height, width), np.uint8)
    yy, xx = np.mgrid[0:height, 0:width]
    horizon = int(height * rng.uniform(0.4, 0.55))
    sky = np.array([110, 160, 220]) * rng.uniform(0.8, 1.1)
    image[:] = sky * (0.8 + 0.2 * yy[..., None] / height)
    # buildings along the horizon
    x = 0
    while x < width:
        w = int(rng.integers(width // 8, width // 3))
        top = int(rng.integers(height // 12, horizon - 4))
        color = rng.uniform(60, 170, 3)
        image[top:horizon, x:x + w] = color
        label[top:horizon, x:x + w] = 1
        for wy in range(top + 3, horizon - 3, 7):  # windows
            for wx in range(x + 2, min(x + w, width) - 3, 6):
                image[wy:wy + 3, wx:wx + 3] = color * 0.5
        x += w + int(rng.integers(0, width // 10))
    # road (trapezoid) and pavement below the horizon
    image[horizon:] = (150, 150, 150)
    label[horizon:] = 3
    half = (yy - horizon) / max(height - horizon, 1) * width * 0.6 + width * 0.08
    road = (yy >= horizon) & (np.abs(xx - width / 2) < half)
    image[road] = np.array([90, 90, 95]) * rng.uniform(0.8, 1.2)
    label[road] = 2
    lane = road & (np.abs(xx - width / 2) < 1 + (yy - horizon) * 0.03) & ((yy // 6) % 2 == 0)
    image[lane] = (230, 230, 230)
    # trees: green blobs on the sides
    for _ in range(int(rng.integers(1, 4))):
        cx, cy, r = rng.uniform(0, width), rng.uniform(horizon * 0.5, horizon), rng.uniform(6, height / 6)
        blob = (xx - cx) ** 2 + (yy - cy) ** 2 < r ** 2
        image[blob] = np.array([40, 110, 40]) * rng.uniform(0.7, 1.2)
        label[blob] = 4
    # poles
    for _ in range(int(rng.integers(0, 3))):
        px, top = int(rng.uniform(0, width - 2)), int(rng.uniform(height * 0.1, horizon))
        image[top:horizon + 8, px:px + 2] = (200, 200, 170)
        label[top:horizon + 8, px:px + 2] = 6
    # cars on the road
    for _ in range(int(rng.integers(0, 4))):
        cy = int(rng.uniform(horizon + 4, height - 6))
        scale = (cy - horizon) / max(height - horizon, 1)
        cw, ch = int(8 + 30 * scale), int(5 + 16 * scale)
        cx = int(width / 2 + rng.uniform(-0.5, 0.5) * half[cy, 0] * 1.2)
        y0, x0 = max(cy - ch, 0), max(cx - cw // 2, 0)
        image[y0:cy, x0:cx + cw // 2] = rng.uniform(20, 255, 3)
        label[y0:cy, x0:cx + cw // 2] = 5
    image += rng.normal(0, 8, image.shape)  # sensor noise / texture
    # ignore a thin band along class borders
    edge = np.zeros_like(label, bool)
    edge[:, 1:] |= label[:, 1:] != label[:, :-1]
    edge[1:, :] |= label[1:, :] != label[:-1, :]
    label[edge & (rng.random(label.shape) < 0.5)] = IGNORE
    return np.clip(image, 0, 255).astype(np.uint8), label


def make_dataset(out_dir, num_train=48, num_val=16, size=(128, 160), seed=0):
    """Write DIR/{train,val}{,annot}/*.png and DIR/classes.json; returns DIR.

    Skips the work when DIR already holds a complete dataset made with the same settings.
    """
    stamp = {"num_train": num_train, "num_val": num_val, "size": list(size), "seed": seed, "version": 1}
    stamp_path = os.path.join(out_dir, "synthetic.json")
    if os.path.isfile(stamp_path):
        with open(stamp_path) as f:
            if json.load(f) == stamp:
                return out_dir
    rng = np.random.default_rng(seed)
    for split, count in (("train", num_train), ("val", num_val)):
        os.makedirs(os.path.join(out_dir, split), exist_ok=True)
        os.makedirs(os.path.join(out_dir, split + "annot"), exist_ok=True)
        for i in range(count):
            image, label = _scene(rng, *size)
            name = f"{split}_{i:04d}.png"
            Image.fromarray(image).save(os.path.join(out_dir, split, name))
            Image.fromarray(label).save(os.path.join(out_dir, split + "annot", name))
    with open(os.path.join(out_dir, "classes.json"), "w") as f:
        json.dump({"classes": list(CLASSES), "colors": [list(c) for c in COLORS], "ignore_index": IGNORE,
                   "image_size_hw": list(size)}, f, indent=1)
    with open(stamp_path, "w") as f:
        json.dump(stamp, f)
    return out_dir


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m bisenetv2_tf.data.synthetic", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--train", type=int, default=48)
    p.add_argument("--val", type=int, default=16)
    p.add_argument("--size", type=int, nargs=2, default=(128, 160), metavar=("H", "W"))
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    print(make_dataset(a.out, a.train, a.val, tuple(a.size), a.seed))


if __name__ == "__main__":
    main()
