"""The one command-line vocabulary: every CLI adds its shared flags from here, so a flag
means the same thing everywhere.

  --input-size H W   every static model input size (old: --size, --sizes HxW)
  --model PATH       always a model file; --arch NAME always an architecture
  --data-dir, --dataset, --split   on every tool that reads data
  --num-calibration N              every calibration image count (old: --qat-calibration)
  --threads N        wherever a TFLite/ONNX model runs
  --verbose          TensorFlow's own log lines (read by ``bisenetv2_tf`` at import, as
                     BISENETV2_VERBOSE=1 is)

Old spellings stay as hidden aliases (``help=argparse.SUPPRESS``) writing the same
destination, so existing scripts keep working.
"""
import argparse

from bisenetv2_tf.names import MODEL_NAMES

DATASETS = ("camvid", "cityscapes", "folder")


def parser(prog, doc):
    """An ArgumentParser for ``python -m PROG`` with the module docstring as description,
    its examples kept as written, and ``--verbose``."""
    p = argparse.ArgumentParser(prog=f"python -m {prog}", description=doc, 
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
    p.add_argument("--dataset", default="camvid", choices=DATASETS, help="dataset layout")
    p.add_argument("--split", default=split, help=split_help or "split to read")


def add_num_calibration(p, default=100, dest="num_calibration", help="calibration images", old=()):
    p.add_argument("--num-calibration", type=int, default=default, dest=dest, help=help)
    for flag in old:
        p.add_argument(flag, type=int, dest=dest, help=argparse.SUPPRESS)


def add_threads(p, default=2):
    p.add_argument("--threads", type=int, default=default, help=f"CPU threads of TFLite/ONNX runs (default {default})")
