"""The one command-line vocabulary: every CLI adds its shared flags from here, so a flag
means the same thing everywhere.

  --input-size H W   every static model input size (old: --size, --sizes HxW)
  --model PATH       always a model file; --arch NAME always an architecture
  --data-dir, --dataset, --split   on every tool that reads data
  --num-calibration N              every calibration image count (old: --qat-calibration)
  --threads N        wherever a TFLite/ONNX model runs; capped at the CPU count (with a note)
  --verbose          TensorFlow's own log lines (read by ``bisenetv2_tf`` at import, as
                     BISENETV2_VERBOSE=1 is)

Old spellings stay as hidden aliases (``help=argparse.SUPPRESS``) writing the same
destination, so existing scripts keep working.
"""
import argparse
import os
import sys

from bisenetv2_tf.fileio import OutputPathError
from bisenetv2_tf.names import MODEL_NAMES

DATASETS = ("camvid", "cityscapes", "folder")

# module -> the name its --help shows, when run as ``bisenetv2 VERB`` (set by console.py)
PROG_NAMES = {}
DATASET_HELP = (
    "dataset layout. camvid: DIR/SPLIT/*.png images and DIR/SPLITannot/*.png class-id labels (same file "
    "names), optional DIR/classes.json. cityscapes: DIR/leftImg8bit/SPLIT/CITY/*_leftImg8bit.png and "
    "DIR/gtFine/SPLIT/CITY/*_gtFine_labelIds.png (mapped to the 19 train ids). folder: DIR/SPLIT/images/* and "
    "DIR/SPLIT/labels/*.png (same file stem; --split '' reads DIR/images and DIR/labels) and a classes.json "
    "in DIR/SPLIT or DIR: {\"classes\": [names, at least 2], \"colors\": [[r, g, b] per class], "
    "\"ignore_index\": 255 (an id outside the classes, at most 255), \"label_format\": \"id\" (labels hold "
    "class ids) or \"color\" (RGB labels mapped by \"colors\")}")


def parser(prog, doc):
    """An ArgumentParser for ``python -m PROG`` with the module docstring as description,
    its examples kept as written, and ``--verbose``."""
    p = argparse.ArgumentParser(prog=PROG_NAMES.get(prog, f"python -m {prog}"), description=doc,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--verbose", action="store_true",
                   help="let TensorFlow print its own log lines (same as BISENETV2_VERBOSE=1)")
    return p


def add_input_size(p, default=None, required=False, help="static input height and width (multiples of 32)",
                   old=("--size",)):
    """``--input-size H W`` (two ints); ``old`` spellings are hidden aliases."""
    p.add_argument("--input-size", type=int, nargs=2, metavar=("H", "W"), default=default, required=required,
                   help=help)
    for flag in old:
        p.add_argument(flag, type=int, nargs=2, dest="input_size", help=argparse.SUPPRESS)


def add_input_sizes(p, default, help="static input sizes, one --input-size H W per size"):
    """``--input-size H W`` repeatable (a list of (H, W)); old ``--sizes 384x480 ...`` hidden."""
    p.add_argument("--input-size", type=int, nargs=2, metavar=("H", "W"), action="append", dest="input_sizes",
                   help=f"{help} (default: {' and '.join(f'{h} {w}' for h, w in default)})")
    p.add_argument("--sizes", nargs="+", type=_hxw, dest="old_sizes", help=argparse.SUPPRESS)
    p.set_defaults(_default_sizes=[tuple(s) for s in default])


def input_sizes(args):
    """The list of (H, W) that ``add_input_sizes`` collected."""
    if args.input_sizes:
        return [tuple(s) for s in args.input_sizes]
    if args.old_sizes:
        return list(args.old_sizes)
    return list(args._default_sizes)


def _hxw(text):
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HxW such as 384x480, got {text!r}") from None
    return h, w


def add_arch(p, default="bisenetv2", dest="arch", old=("--model",)):
    """``--arch NAME`` (one of the model names table); ``old`` spellings hidden."""
    p.add_argument("--arch", choices=MODEL_NAMES, default=default, dest=dest,
                   help="architecture: " + ", ".join(MODEL_NAMES))
    for flag in old:
        p.add_argument(flag, choices=MODEL_NAMES, dest=dest, help=argparse.SUPPRESS)


def add_data(p, required=True, split="val", split_help=None, data_help="dataset root"):
    """``--data-dir``, ``--dataset``, ``--split``."""
    p.add_argument("--data-dir", required=required, help=data_help)
    p.add_argument("--dataset", default="camvid", choices=DATASETS, help=DATASET_HELP + " (default: camvid)")
    p.add_argument("--split", default=split, help=split_help or "split to read")


def add_num_calibration(p, default=100, dest="num_calibration", help="calibration images", old=()):
    p.add_argument("--num-calibration", type=int, default=default, dest=dest, help=help)
    for flag in old:
        p.add_argument(flag, type=int, dest=dest, help=argparse.SUPPRESS)


def add_threads(p, default=2):
    p.add_argument("--threads", type=cpu_threads, default=default,
                   help=f"CPU threads of TFLite/ONNX runs (default {default}; at most the CPU count)")


def cpu_threads(text):
    """``--threads N`` as an int, capped at the CPU count with a one-line note: more
    threads than CPUs only add contention (ONNX evaluate at 1000 threads took 158 s).
    Values below 1 are left to each tool's own one-line check."""
    n = int(text)
    cpus = os.cpu_count()
    if cpus and n > cpus:
        print(f"note: --threads {n}: this machine has {cpus} CPUs; using {cpus} threads", file=sys.stderr)
        return cpus
    return n


def _file_key(path):
    """(device, inode) of an existing path, else None: the same file whatever the spelling."""
    try:
        st = os.stat(path)
    except (OSError, TypeError, ValueError):
        return None
    return st.st_dev, st.st_ino


def check_outputs(outputs, inputs, flag):
    """Up front, before any work: ``OutputPathError`` (one line naming ``flag``) when an
    output path is an existing file that is also one of ``inputs`` ((description, path)
    pairs, None paths skipped; the same file by device and inode, so links and other
    spellings count): an output never replaces an input. Returns the outputs that exist
    (for tools that refuse to replace files they did not write)."""
    keys = {}
    for what, path in inputs:
        keys.setdefault(_file_key(path) if path else None, what)
    keys.pop(None, None)
    existing = []
    for out in outputs:
        key = _file_key(out)
        if key is None:
            continue
        if key in keys:
            raise OutputPathError(f"{flag}: {out} is {keys[key]}, and an output never replaces an input: "
                                  f"choose another {flag.split()[0]}")
        existing.append(out)
    return existing
