r"""Segment image(s) with a .keras, .h5, .tflite or .onnx model; write colored masks and overlays.

  python -m training.predict --model models/camvid/bisenetv2_int8_qat.tflite \
      --out-dir preds/ IMAGE [IMAGE ...]

Writes NAME_mask.png (class colors) and NAME_overlay.png (mask blended over the
image) for each input, each file complete or absent (temp file + rename). Colors come
from the model's metadata JSON, --class-file, or a default palette. Images whose longer
side exceeds --max-side (default 2048) are predicted at that size and the mask scaled
back to the image, so very large photos do not exhaust memory.
"""
import argparse
import os
import sys

import numpy as np
from PIL import Image, UnidentifiedImageError

from bisenetv2_tf.fileio import OutputPathError, atomic_path, check_writable_dir
from bisenetv2_tf.data import datasets
from bisenetv2_tf.runtime.predictors import DEFAULT_MAX_SIDE, InferenceError, bounded_class_map, load_predictor


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
    p.add_argument("--model", required=True, help=".keras, .h5, .tflite or .onnx model")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--class-file", help="classes.json for the colors")
    p.add_argument("--alpha", type=float, default=0.5, help="mask opacity in the overlay")
    p.add_argument("--flip", action="store_true", help="average with the flipped image (logits models)")
    p.add_argument("--max-side", type=int, default=DEFAULT_MAX_SIDE,
                   help=f"predict larger images at this longer side, mask scaled back (0: never; default "
                        f"{DEFAULT_MAX_SIDE})")
    args = p.parse_args(argv)
    try:
        if args.max_side < 0 or 0 < args.max_side < 32:
            raise InferenceError(f"--max-side {args.max_side}: must be 0 (no cap) or at least 32")
        if not 0 <= args.alpha <= 1:
            raise InferenceError(f"--alpha {args.alpha}: must be in [0, 1]")
        check_writable_dir(args.out_dir, "--out-dir", create=False)
        predictor = load_predictor(args.model, flip=args.flip)
        if args.class_file:
            datasets.read_class_file(args.class_file)
    except (InferenceError, OutputPathError, datasets.DatasetError, FileNotFoundError) as err:
        sys.exit(f"error: {err}")
    if args.class_file:
        colors = datasets.read_class_file(args.class_file)[1]
    elif getattr(predictor, "meta", None) and predictor.meta["colors"] and any(map(any, predictor.meta["colors"])):
        colors = predictor.meta["colors"]
    else:
        colors = datasets.default_colors(getattr(predictor, "num_classes", 256))
    check_writable_dir(args.out_dir, "--out-dir")  # creates it
    failed = 0
    for path in args.images:
        try:
            with Image.open(path) as img:
                image = np.asarray(img.convert("RGB"))
        except (OSError, UnidentifiedImageError) as err:
            print(f"error: cannot read image {path}: {err}", file=sys.stderr)
            failed += 1
            continue
        ids, work_hw = bounded_class_map(predictor, image, args.max_side)
        if work_hw != image.shape[:2]:
            print(f"note: {path} is {image.shape[1]}x{image.shape[0]}: predicted at {work_hw[1]}x{work_hw[0]} "
                  f"(--max-side {args.max_side}), mask scaled back", file=sys.stderr)
        mask = colorize(ids, colors)
        stem = os.path.join(args.out_dir, os.path.splitext(os.path.basename(path))[0])
        for suffix, array in (("_mask.png", mask), ("_overlay.png", overlay(image, mask, args.alpha))):
            with atomic_path(stem + suffix) as tmp:
                Image.fromarray(array).save(tmp, format="PNG")
        print(f"{path} -> {stem}_mask.png, {stem}_overlay.png")
    if failed:
        sys.exit(f"error: {failed} of {len(args.images)} images could not be read")


if __name__ == "__main__":
    main()
