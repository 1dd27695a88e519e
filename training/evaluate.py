r"""Evaluate a .keras, .h5, .tflite or .onnx model at full resolution: per-class IoU, mIoU, pixel accuracy.

  python -m training.evaluate --model models/camvid/bisenetv2.keras \
      --data-dir ../shared/data/camvid --split val --json val.json [--flip] [--scales 0.75 1 1.25]

Images are evaluated at their own size (Keras: padded to a multiple of 32; TFLite
and ONNX: letterboxed into the fixed input as apps do) and scored against the label
at the label's own size. Images whose longer side exceeds --max-side (default 2048)
are predicted at that size and the class map is scaled back, so an 8000x6000 photo
does not take tens of GB. The confusion matrix streams over the split.

Before any prediction the pairs are checked as training checks them (readable
files, matching sizes, label ids in range, no RGB color labels in an id dataset) and
the model's class count must equal the dataset's.
"""
from bisenetv2_tf import cli
from bisenetv2_tf.data import protocols
from bisenetv2_tf.runtime.working_size import DEFAULT_MAX_SIDE


def parser():
    """The command line of ``python -m training.evaluate`` (built without TensorFlow)."""
    p = cli.parser("training.evaluate", __doc__)
    p.add_argument("--model", required=True, help=".keras, .h5, .tflite or .onnx model")
    cli.add_data(p, split="val", split_help="split to evaluate (default val)")
    p.add_argument("--class-file")
    p.add_argument("--protocol", choices=tuple(protocols.PROTOCOLS),
                   help="evaluate the held-out frames of a protocol instead of --split: " + "; ".join(
                       f"{x.name}: {x.summary}" for x in protocols.PROTOCOLS.values()))
    p.add_argument("--json", help="write the metrics here")
    p.add_argument("--flip", action="store_true",
                   help="average with the horizontally flipped image (models with a logits output)")
    p.add_argument("--scales", type=float, nargs="+", default=[1.0], help="multi-scale (Keras models)")
    p.add_argument("--limit", type=int, help="evaluate only the first N images")
    cli.add_threads(p)
    p.add_argument("--max-side", type=int, default=DEFAULT_MAX_SIDE,
                   help="predict images whose longer side is larger at this size, class map scaled back to "
                        f"the label (bounds memory; 0: never; default {DEFAULT_MAX_SIDE})")
    return p


def main(argv=None):
    """Parse ``argv``, then load TensorFlow and run ``bisenetv2_tf.evaluation.evaluate.run``."""
    p = parser()
    args = p.parse_args(argv)
    if args.protocol and args.split != "val":
        p.error(f"--protocol {args.protocol} names the frames to evaluate: drop --split")
    from bisenetv2_tf.evaluation.evaluate import run

    run(args)


if __name__ == "__main__":
    main()
