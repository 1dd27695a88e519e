r"""Segment image(s) with a .keras, .h5, .tflite or .onnx model; write colored masks and overlays.

  python -m training.predict --model models/camvid/bisenetv2_int8_qat.tflite \
      --out-dir preds/ IMAGE_OR_FOLDER [...]

Writes NAME_mask.png (class colors) and NAME_overlay.png (mask blended over the
image) for each input, each file complete or absent (temp file + rename). A folder
stands for its images (.png, .jpg, .jpeg, .bmp; not its subfolders). Photos are
turned upright by their EXIF orientation, so the mask matches what viewers show.

Nothing is overwritten by surprise: before any prediction, an output that is one of
the inputs (d/street_mask.png among the images with --out-dir d) is refused, and so
is an output file that already exists, unless --overwrite (which still never
replaces an input). An image that cannot be read (corrupt, or a header claiming more
pixels than PIL's decompression-bomb limit) is reported in one line and the others
are still predicted; the exit status is then 1 ("2 of 5 images failed"). Inputs that
share a file name (a/frame.png and b/frame.png, or frame.png and frame.jpg) never
overwrite each other: they are named after their folders (a_frame_mask.png,
b_frame_mask.png), with a numeric suffix when the folders do not tell them apart
(a_frame_1_mask.png); all names are fixed before any prediction, and each renamed
input is listed. Inputs with a unique name keep NAME_mask.png.

Colors come from --class-file, else the model's metadata: the TFLite/ONNX model's
metadata JSON (MODEL.json), or for a .keras/.h5 model the train_args.json that
training.train wrote beside it (or above OUT_DIR/checkpoints/), used only when its
class count matches the model's; else a default palette (said on stderr). A
--class-file with fewer classes than the model predicts is refused (those classes
would be painted black). Images whose longer side exceeds --max-side (default 2048)
are predicted at that size and the mask scaled back to the image, so very large
photos do not exhaust memory.
"""
import collections
import json
import os
import sys

import numpy as np
from PIL import Image

from bisenetv2_tf import cli
from bisenetv2_tf.fileio import OutputPathError, atomic_path, check_writable_dir
from bisenetv2_tf.data import datasets
from bisenetv2_tf.runtime import metadata, model_info
from bisenetv2_tf.runtime.predictors import (DEFAULT_MAX_SIDE, InferenceError, bounded_class_map, load_predictor,
                                              read_image)
from bisenetv2_tf.runtime.segmenter import blend as overlay, colorize


def _valid_colors(colors, num_classes):
    """``colors`` as a list of (r, g, b) ints when it is one color per class (and not all
    black, the placeholder of metadata built without classes), else None."""
    try:
        colors = [tuple(int(v) for v in c) for c in colors]
    except (TypeError, ValueError):
        return None
    if not colors or any(len(c) != 3 or not all(0 <= v <= 255 for v in c) for c in colors):
        return None
    if num_classes and len(colors) != num_classes:
        return None
    return colors if any(map(any, colors)) else None


def _train_args_colors(model_path, num_classes):
    """Colors from the train_args.json training.train wrote beside OUT_DIR/model.keras
    (or above OUT_DIR/checkpoints/*.keras), when its class count matches the model's."""
    for path in model_info.train_args_paths(model_path):
        try:
            with open(path) as f:
                info = json.load(f)
            colors = info["colors"]
            count = int(info.get("num_classes") or len(colors))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if count == num_classes:
            return _valid_colors(colors, num_classes)
    return None


def _onnx_colors(model_path, num_classes):
    """Colors from a valid metadata JSON beside MODEL.onnx (MODEL.json), if any."""
    path = os.path.splitext(model_path)[0] + ".json"
    if not os.path.isfile(path):
        return None
    try:
        meta = metadata.read(path)
        return _valid_colors(meta["colors"], num_classes)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def model_colors(model_path, predictor):
    """The class colors the model carries (TFLite metadata, the ONNX model's JSON, a Keras
    model's train_args.json), or None."""
    num_classes = getattr(predictor, "num_classes", None)
    if model_path.endswith(".tflite"):
        meta = getattr(predictor, "meta", None) or {}
        return _valid_colors(meta.get("colors") or [], None)  # as before: any non-black colors
    if model_path.endswith(".onnx"):
        return _onnx_colors(model_path, num_classes)
    return _train_args_colors(model_path, num_classes)


def output_names(paths):
    """One output name (without _mask.png) per input, unique and deterministic: the file
    stem, or for stems shared by several inputs (compared case-insensitively, as some
    filesystems do) the nearest parent folder names that tell them apart joined with
    '_', with a numeric suffix for those the folders cannot."""
    stems = [os.path.splitext(os.path.basename(p))[0] for p in paths]
    groups = collections.defaultdict(list)
    for i, stem in enumerate(stems):
        groups[stem.casefold()].append(i)
    names = list(stems)
    taken = {stems[g[0]].casefold() for g in groups.values() if len(g) == 1}
    for group in (g for g in groups.values() if len(g) > 1):
        parents = [[part for part in os.path.normpath(os.path.abspath(paths[i])).split(os.sep)[:-1] if part]
                   for i in group]
        chosen = None
        for depth in range(1, max(len(p) for p in parents) + 1):
            candidates = ["_".join(p[-depth:] + [stems[i]]) for p, i in zip(parents, group)]
            keys = [c.casefold() for c in candidates]
            if len(set(keys)) == len(keys) and not taken.intersection(keys):
                chosen = candidates
                break
        if chosen is None:  # same folders (frame.png and frame.jpg, or one file twice): number them
            chosen = []
            bases = ["_".join(p[-1:] + [stems[i]]) for p, i in zip(parents, group)]
            counts = collections.Counter(b.casefold() for b in bases)
            for base in bases:
                if counts[base.casefold()] == 1 and base.casefold() not in taken:
                    chosen.append(base)
                    taken.add(base.casefold())
                    continue
                n = 1
                while f"{base}_{n}".casefold() in taken or f"{base}_{n}".casefold() in counts:
                    n += 1
                chosen.append(f"{base}_{n}")
                taken.add(chosen[-1].casefold())
        for i, name in zip(group, chosen):
            names[i] = name
            taken.add(name.casefold())
    return names


def expand_inputs(paths):
    """The input paths with each folder replaced by its images (``datasets.list_images``:
    sorted, not recursive); ``DatasetError`` for a folder without images."""
    expanded = []
    for path in paths:
        if os.path.isdir(path):
            expanded += [os.path.join(path, name) for name in datasets.list_images(path)]
        else:
            expanded.append(path)
    return expanded


def output_paths(out_dir, names):
    """(mask path, overlay path) per output name."""
    return [(os.path.join(out_dir, f"{name}_mask.png"), os.path.join(out_dir, f"{name}_overlay.png"))
            for name in names]


def check_outputs(images, outputs, out_dir, overwrite=False):
    """Before any prediction: ``OutputPathError`` when an output is one of the input
    images, or (unless ``overwrite``) when an output file already exists."""
    flat = [path for pair in outputs for path in pair]
    existing = cli.check_outputs(flat, [("an input image", p) for p in images], f"--out-dir {out_dir}")
    if existing and not overwrite:
        more = f" (and {len(existing) - 1} more outputs)" if len(existing) > 1 else ""
        raise OutputPathError(f"--out-dir {out_dir}: {existing[0]} already exists{more}; pass --overwrite to "
                              "replace files this run did not write, or choose another --out-dir")


def class_colors(args, predictor):
    """The mask colors: --class-file (refused when it has fewer classes than the model
    predicts), else the model's own (``model_colors``), else a default palette (noted)."""
    num_classes = getattr(predictor, "num_classes", None)
    if args.class_file:
        colors = datasets.read_class_file(args.class_file)[1]
        if num_classes and len(colors) < num_classes:
            raise InferenceError(f"--class-file {args.class_file}: {len(colors)} classes but the model predicts "
                                 f"{num_classes}; classes {len(colors)}..{num_classes - 1} would be painted black")
        return colors
    colors = model_colors(args.model, predictor)
    if colors is None:
        colors = datasets.default_colors(num_classes or 256)
        print(f"note: {args.model} carries no class colors: masks use a default palette "
              f"(pass --class-file classes.json for the class colors)", file=sys.stderr)
    return colors


def predict_file(predictor, path, outputs, colors, alpha, max_side):
    """Predict one image file and write its mask and overlay (each atomically)."""
    image = read_image(path)
    ids, work_hw = bounded_class_map(predictor, image, max_side)
    if work_hw != image.shape[:2]:
        print(f"note: {path} is {image.shape[1]}x{image.shape[0]}: predicted at {work_hw[1]}x{work_hw[0]} "
              f"(--max-side {max_side}), mask scaled back", file=sys.stderr)
    mask = colorize(ids, colors)
    for out, array in zip(outputs, (mask, overlay(image, mask, alpha))):
        with atomic_path(out) as tmp:
            Image.fromarray(array).save(tmp, format="PNG")


def main(argv=None):
    p = cli.parser("training.predict", __doc__)
    p.add_argument("images", nargs="+", metavar="IMAGE_OR_FOLDER",
                   help="image files, or folders standing for their images (not recursive)")
    p.add_argument("--model", required=True, help=".keras, .h5, .tflite or .onnx model")
    p.add_argument("--out-dir", required=True)
    p.add_argument("--overwrite", action="store_true",
                   help="replace existing output files (an output that is one of the inputs is always refused)")
    p.add_argument("--class-file", help="classes.json for the colors (at least the model's class count)")
    p.add_argument("--alpha", type=float, default=0.5, help="mask opacity in the overlay")
    p.add_argument("--flip", action="store_true", help="average with the flipped image (logits models)")
    p.add_argument("--max-side", type=int, default=DEFAULT_MAX_SIDE,
                   help=f"predict larger images at this longer side, mask scaled back (0: never; default "
                        f"{DEFAULT_MAX_SIDE})")
    cli.add_threads(p)
    args = p.parse_args(argv)
    try:
        if args.max_side < 0 or 0 < args.max_side < 32:
            raise InferenceError(f"--max-side {args.max_side}: must be 0 (no cap) or at least 32")
        if not 0 <= args.alpha <= 1:
            raise InferenceError(f"--alpha {args.alpha}: must be in [0, 1]")
        if args.threads < 1:
            raise InferenceError(f"--threads {args.threads}: must be at least 1")
        check_writable_dir(args.out_dir, "--out-dir", create=False)
        images = expand_inputs(args.images)
        names = output_names(images)
        outputs = output_paths(args.out_dir, names)
        check_outputs(images, outputs, args.out_dir, args.overwrite)
        predictor = load_predictor(args.model, flip=args.flip, threads=args.threads)
        colors = class_colors(args, predictor)
    except (InferenceError, OutputPathError, datasets.DatasetError, FileNotFoundError) as err:
        sys.exit(f"error: {err}")
    for path, name in zip(images, names):
        if name != os.path.splitext(os.path.basename(path))[0]:
            print(f"note: {path} shares its file name with another input: written as {name}_mask.png, "
                  f"{name}_overlay.png", file=sys.stderr)
    check_writable_dir(args.out_dir, "--out-dir")  # creates it
    failed = 0
    for path, pair in zip(images, outputs):
        try:
            predict_file(predictor, path, pair, colors, args.alpha, args.max_side)
        except Exception as err:  # one bad image never stops the batch: named here, counted in the exit status
            message = str(err) if isinstance(err, InferenceError) else f"{path}: {type(err).__name__}: {err}"
            print(f"error: {datasets.printable_path(message.splitlines()[0])}", file=sys.stderr)
            failed += 1
            continue
        print(datasets.printable_path(f"{path} -> {pair[0]}, {pair[1]}"))
    if failed:
        sys.exit(f"error: {failed} of {len(images)} images failed")


if __name__ == "__main__":
    main()
