"""Segment image(s) with a .keras or .tflite model; write colored masks and overlays.

  python -m training.predict --model models/camvid/bisenetv2_int8_qat.tflite \
      --out-dir preds/ IMAGE [IMAGE ...]

Writes NAME_mask.png (class colors) and NAME_overlay.png (mask blended over the
image) for each input. Colors come from the model's metadata JSON, --class-file, or
a default palette.
"""
import argparse
import os
import sys

import numpy as np
from PIL import Image, UnidentifiedImageError

from training import datasets
from training.inference import InferenceError, load_predictor


def colorize(ids, colors):
    palette = np.zeros((256, 3), np.uint8)
    palette[: len(colors)] = np.asarray(colors, np.uint8)
    return palette[np.clip(ids, 0, 255)]


def overlay(image, mask_rgb, alpha=0.5):
    return (image.astype(np.float32) * (1 - alpha) + mask_rgb.astype(np.float32) * alpha).round().astype(np.uint8)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m training.predict", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("images", nargs="+")
    p.add_argument("--model", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--class-file", help="classes.json for the colors")
    p.add_argument("--alpha", type=float, default=0.5, help="mask opacity in the overlay")
    p.add_argument("--flip", action="store_true")
    args = p.parse_args(argv)
    try:
        predictor = load_predictor(args.model, flip=args.flip)
    except (InferenceError, FileNotFoundError) as err:
        sys.exit(f"error: {err}")
    if args.class_file:
        colors = datasets.read_class_file(args.class_file)[1]
    elif getattr(predictor, "meta", None) and predictor.meta["colors"] and any(map(any, predictor.meta["colors"])):
        colors = predictor.meta["colors"]
    else:
        colors = datasets.default_colors(getattr(predictor, "num_classes", 256))
    os.makedirs(args.out_dir, exist_ok=True)
    failed = 0
    for path in args.images:
        try:
            with Image.open(path) as img:
                image = np.asarray(img.convert("RGB"))
        except (OSError, UnidentifiedImageError) as err:
            print(f"error: cannot read image {path}: {err}", file=sys.stderr)
            failed += 1
            continue
        mask = colorize(predictor.class_map(image), colors)
        stem = os.path.join(args.out_dir, os.path.splitext(os.path.basename(path))[0])
        Image.fromarray(mask).save(stem + "_mask.png")
        Image.fromarray(overlay(image, mask, args.alpha)).save(stem + "_overlay.png")
        print(f"{path} -> {stem}_mask.png, {stem}_overlay.png")
    if failed:
        sys.exit(f"error: {failed} of {len(args.images)} images could not be read")


if __name__ == "__main__":
    main()
