"""Evaluate a model on a dataset: ``evaluate`` streams the confusion matrix over the pairs
and returns per-class IoU, mIoU and pixel accuracy; ``run`` is the body of
``python -m training.evaluate`` (its help says what the command does).

Each image is predicted at its own size (``bounded_class_map``: at most ``max_side`` on
its longer side, the class map scaled back) and scored against its label at the label's
own size. With ``check`` the pairs are first checked as training checks them and the
model's class count must equal the dataset's.
"""
import json
import sys
import time

import numpy as np
from PIL import Image

from bisenetv2_tf.fileio import OutputPathError, atomic_write, check_writable_file
from bisenetv2_tf import cli
from bisenetv2_tf.data import datasets, protocols
from bisenetv2_tf.runtime.predictors import (DEFAULT_MAX_SIDE, InferenceError, bounded_class_map, check_scales,
                                             load_predictor)
from bisenetv2_tf.evaluation.metrics import confusion_matrix, scores


def check_classes(predictor, spec, model_name="model"):
    """``InferenceError`` unless the model predicts as many classes as the dataset has."""
    k = getattr(predictor, "num_classes", None)
    if k is not None and k != spec.num_classes:
        raise InferenceError(f"{model_name} predicts {k} classes but the dataset has {spec.num_classes} "
                             f"({', '.join(spec.class_names[:4])}{', ...' if spec.num_classes > 4 else ''}); "
                             "wrong model or --dataset/--class-file?")


def evaluate(predictor, spec, limit=None, progress=True, max_side=DEFAULT_MAX_SIDE, check=True,
             model_name="model"):
    """Returns the metrics dict (see module docstring) for ``spec``'s pairs.

    With ``check`` (default) the pairs are first checked as training checks them
    (``datasets.check_files``) and the model's class count against the dataset's.
    """
    if limit is not None and limit < 1:
        raise InferenceError(f"--limit {limit}: must be at least 1")
    k = spec.num_classes
    count = len(spec) if limit is None else min(limit, len(spec))
    if count < len(spec):
        spec = spec.subset(range(count))
    if check:
        check_classes(predictor, spec, model_name)
        datasets.check_files(spec)
        for path in spec.image_paths:  # --scales against --max-side, before any prediction
            with Image.open(path) as img:
                check_scales(predictor, img.size[::-1], max_side)
    matrix = np.zeros((k, k), np.int64)
    t0 = time.time()
    noted = False
    for i in range(count):
        with Image.open(spec.image_paths[i]) as img:
            image = np.asarray(img.convert("RGB"))
        label = datasets.read_label(spec, spec.label_paths[i])
        pred, work_hw = bounded_class_map(predictor, image, max_side)
        if progress and not noted and work_hw != image.shape[:2]:
            noted = True
            print(f"note: {spec.image_paths[i]} is {image.shape[1]}x{image.shape[0]}: predicted at "
                  f"{work_hw[1]}x{work_hw[0]} (--max-side {max_side}) and scaled back; images larger than "
                  f"--max-side are all treated so", file=sys.stderr, flush=True)
        if pred.max(initial=0) >= k:
            raise InferenceError(f"model predicts class {pred.max()} but the dataset has {k} classes")
        matrix += confusion_matrix(label, pred, k, spec.ignore_index).numpy()
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


def _check_args(args):
    """One-line errors for numeric flags, before anything is loaded."""
    if args.limit is not None and args.limit < 1:
        raise InferenceError(f"--limit {args.limit}: must be at least 1")
    if args.threads < 1:
        raise InferenceError(f"--threads {args.threads}: must be at least 1")
    if args.max_side < 0 or 0 < args.max_side < 32:
        raise InferenceError(f"--max-side {args.max_side}: must be 0 (no cap) or at least 32")
    if args.json:
        check_writable_file(args.json, "--json")
        cli.check_outputs([args.json], [("the --model", args.model), ("the --class-file", args.class_file)],
                          "--json")


def run(args):
    """``python -m training.evaluate`` with its parsed ``args``: checks, loads, evaluates,
    prints the table and writes --json; an unusable input exits with one ``error:`` line."""
    try:
        _check_args(args)
        if args.protocol:
            spec = protocols.protocol_specs(args.protocol, args.dataset, args.data_dir, args.class_file)[1]
        else:
            spec = datasets.load_spec(args.dataset, args.data_dir, args.split, args.class_file)
        predictor = load_predictor(args.model, tuple(args.scales), args.flip, args.threads)
        result = evaluate(predictor, spec, args.limit, max_side=args.max_side, model_name=args.model)
    except (datasets.DatasetError, InferenceError, OutputPathError, FileNotFoundError) as err:
        sys.exit(f"error: {err}")
    result.update(model=args.model, split=f"protocol {args.protocol}" if args.protocol else args.split,
                  protocol=args.protocol, data_dir=args.data_dir, flip=args.flip,
                  scales=args.scales, max_side=args.max_side)
    print(format_table(result))
    print(f"{result['num_images']} images in {result['seconds']:.1f}s")
    if args.json:
        for key in ("miou", "pixel_accuracy"):  # no valid pixel at all: JSON null, never NaN
            if np.isnan(result[key]):
                result[key] = None
        try:
            atomic_write(args.json, json.dumps(result, indent=1, allow_nan=False))
        except (OSError, ValueError) as err:
            sys.exit(f"error: --json {args.json}: {err}")
