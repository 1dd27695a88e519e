"""Evaluate a .keras or .tflite model at full resolution: per-class IoU, mIoU, pixel accuracy.

  python -m training.evaluate --model models/camvid/bisenetv2.keras \
      --data-dir ../shared/data/camvid --split val --json val.json [--flip] [--scales 0.75 1 1.25]

Images are evaluated at their own size (Keras: padded to a multiple of 32; TFLite:
letterboxed into its fixed input as apps do) and scored against the label at the
label's own size. The confusion matrix streams over the split.
"""
import argparse
import json
import sys
import time

import numpy as np
from PIL import Image

from training import datasets
from training.inference import InferenceError, load_predictor
from training.metrics import scores


def confusion(labels, predictions, num_classes, ignore_index):
    valid = (labels != ignore_index) & (labels < num_classes)
    idx = labels[valid].astype(np.int64) * num_classes + predictions[valid]
    return np.bincount(idx, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def evaluate(predictor, spec, limit=None, progress=True):
    """Returns the metrics dict (see module docstring) for ``spec``'s pairs."""
    k = spec.num_classes
    matrix = np.zeros((k, k), np.int64)
    count = len(spec) if limit is None else min(limit, len(spec))
    t0 = time.time()
    for i in range(count):
        with Image.open(spec.image_paths[i]) as img:
            image = np.asarray(img.convert("RGB"))
        with Image.open(spec.label_paths[i]) as lbl:
            label = datasets.map_label_array(
                spec, np.asarray(lbl.convert("RGB") if spec.label_palette is not None else lbl))
        pred = predictor.class_map(image)
        if pred.max(initial=0) >= k:
            raise InferenceError(f"model predicts class {pred.max()} but the dataset has {k} classes")
        matrix += confusion(label, pred, k, spec.ignore_index)
        if progress and ((i + 1) % 20 == 0 or i + 1 == count):
            print(f"  {i + 1}/{count} images, {(time.time() - t0) / (i + 1):.2f} s/image", file=sys.stderr,
                  flush=True)
    result = scores(matrix)
    return {
        "miou": result["miou"],
        "pixel_accuracy": result["pixel_accuracy"],
        "per_class_iou": {name: (None if np.isnan(v) else float(v))
                          for name, v in zip(spec.class_names, result["per_class_iou"])},
        "num_images": count,
        "seconds": time.time() - t0,
        "confusion_matrix": matrix.tolist(),
    }


def format_table(result):
    lines = ["| class | IoU |", "|---|---:|"]
    for name, iou in result["per_class_iou"].items():
        lines.append(f"| {name} | {'n/a' if iou is None else f'{100 * iou:.2f}'} |")
    lines.append(f"| **mIoU** | **{100 * result['miou']:.2f}** |")
    lines.append(f"| pixel accuracy | {100 * result['pixel_accuracy']:.2f} |")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m training.evaluate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help=".keras or .tflite model")
    p.add_argument("--data-dir", required=True)
    p.add_argument("--split", default="val")
    p.add_argument("--dataset", default="camvid", choices=("camvid", "cityscapes", "folder"))
    p.add_argument("--class-file")
    p.add_argument("--json", help="write the metrics here")
    p.add_argument("--flip", action="store_true", help="average with the horizontally flipped image")
    p.add_argument("--scales", type=float, nargs="+", default=[1.0], help="multi-scale (Keras models)")
    p.add_argument("--limit", type=int, help="evaluate only the first N images")
    p.add_argument("--threads", type=int, default=2, help="TFLite interpreter threads")
    args = p.parse_args(argv)
    try:
        spec = datasets.load_spec(args.dataset, args.data_dir, args.split, args.class_file)
        predictor = load_predictor(args.model, tuple(args.scales), args.flip, args.threads)
        result = evaluate(predictor, spec, args.limit)
    except (datasets.DatasetError, InferenceError, FileNotFoundError) as err:
        sys.exit(f"error: {err}")
    result.update(model=args.model, split=args.split, data_dir=args.data_dir, flip=args.flip,
                  scales=args.scales)
    print(format_table(result))
    print(f"{result['num_images']} images in {result['seconds']:.1f}s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
