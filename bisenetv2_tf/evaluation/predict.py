"""Segment image files into coloured masks and overlays: unique output names for the
inputs (``output_names``), outputs checked before any prediction (``check_outputs``), the
mask colours (``class_colors``), one image predicted and written (``predict_file``); ``run``
is the body of ``python -m training.predict`` (its help says what the command does)."""
import collections
import os
import sys

from PIL import Image

from bisenetv2_tf import cli
from bisenetv2_tf.fileio import OutputPathError, atomic_path, check_writable_dir
from bisenetv2_tf.data import datasets
from bisenetv2_tf.runtime.predictors import InferenceError, bounded_class_map, load_predictor, read_image
from bisenetv2_tf.runtime.segmenter import blend as overlay, class_info, colorize


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
    predicts), else the class colours the model file carries, the ones ``Segmenter`` paints
    (``segmenter.class_info``), else a default palette (noted)."""
    num_classes = getattr(predictor, "num_classes", None)
    if args.class_file:
        colors = datasets.read_class_file(args.class_file)[1]
        if num_classes and len(colors) < num_classes:
            raise InferenceError(f"--class-file {args.class_file}: {len(colors)} classes but the model predicts "
                                 f"{num_classes}; classes {len(colors)}..{num_classes - 1} would be painted black")
        return colors
    try:
        info = class_info(args.model, predictor)
    except ValueError as err:  # class information that does not fit the model
        raise InferenceError(str(err)) from None
    if info.source != "default":
        return list(info.colors)
    print(f"note: {args.model} carries no class colors: masks use a default palette "
          f"(pass --class-file classes.json for the class colors)", file=sys.stderr)
    return datasets.default_colors(num_classes or 256)


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


def run(args):
    """``python -m training.predict`` with its parsed ``args``: checks every input and
    output, loads the model, then writes each image's mask and overlay; exits with one
    ``error:`` line for an unusable input, and with status 1 when some images failed."""
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
