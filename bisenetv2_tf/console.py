"""The ``bisenetv2`` command: one entry point for every tool, from any folder.

  bisenetv2 train --dataset camvid --data-dir DATA --out-dir runs/x
  bisenetv2 evaluate --model M --data-dir DATA
  bisenetv2 VERB --help

Each verb runs the same code as its ``python -m`` form. The apps (training/, tflite/,
benchmarks/) are installed inside this package, under ``bisenetv2_tf/_apps``, so that no
top-level ``tflite`` module shadows the PyPI package of that name; this command puts that
folder (or, in a repository checkout, the repository root) first on its own sys.path.
"""
import importlib
import os
import sys

import bisenetv2_tf
from bisenetv2_tf import cli

# verb -> (module with main(argv), one line of help)
VERBS = {
    "train": ("training.train", "train a model with Keras fit (OHEM, aux heads, resume, QAT with --qat)"),
    "evaluate": ("training.evaluate", "per-class IoU, mIoU and pixel accuracy of any model file"),
    "predict": ("training.predict", "coloured masks and overlays of images"),
    "convert": ("tflite.convert", "TFLite (fp32, fp16, dynamic, int8-ptq, int8-qat) and ONNX, verified"),
    "quant-report": ("tflite.quant_report", "per-layer INT8 error; keep the worst layers in float"),
    "import": ("bisenetv2_tf.import_torch", "a CoinCheung/BiSeNet .pth or .npz checkpoint -> .keras"),
    "summary": ("bisenetv2_tf.summary", "parameters, MACs per block and output shapes"),
    "benchmark": ("benchmarks.benchmark", "latency table of every artifact, interleaved, with the CPU line"),
    "quickstart": ("tflite.quickstart", "train, QAT, convert and evaluate on a synthetic dataset, end to end"),
}


def apps_root():
    """The folder holding ``training``, ``tflite`` and ``benchmarks``: the installed
    ``bisenetv2_tf/_apps``, or the repository root of a checkout."""
    here = os.path.dirname(os.path.abspath(__file__))
    installed = os.path.join(here, "_apps")
    return installed if os.path.isdir(installed) else os.path.dirname(here)


def usage():
    width = max(map(len, VERBS))
    lines = ["usage: bisenetv2 VERB [options]   (bisenetv2 VERB --help for a verb's options)", "", "verbs:"]
    lines += [f"  {verb:<{width}}  {text}" for verb, (_, text) in VERBS.items()]
    return "\n".join(lines)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(usage())
        return 0 if argv else 2
    verb, rest = argv[0], argv[1:]
    if verb in ("--version", "version"):
        print(f"bisenetv2-tf {bisenetv2_tf.__version__}")
        return 0
    if verb not in VERBS:
        print(f"bisenetv2: error: unknown verb {verb!r}; one of: {', '.join(VERBS)}", file=sys.stderr)
        return 2
    root = apps_root()
    if root not in sys.path:
        sys.path.insert(0, root)
    bisenetv2_tf.quiet_cli(rest)
    cli.PROG_NAMES[VERBS[verb][0]] = f"bisenetv2 {verb}"
    module = importlib.import_module(VERBS[verb][0])
    sys.argv = [f"bisenetv2 {verb}", *rest]
    result = getattr(module, "cli_main", module.main)(rest)
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
