r"""Convert a trained Keras model to TFLite (FP32, FP16, dynamic-range, INT8 PTQ, INT8
from a QAT model) and ONNX; every artifact is verified against Keras and gets a
metadata JSON (labels, colors, normalization, input size) beside it.

  python -m tflite.convert --model models/camvid/bisenetv2.keras \
      --precision fp32 fp16 int8-ptq --input-size 384 480 \
      --dataset camvid --data-dir ../shared/data/camvid --out-dir models/camvid

Artifacts are static batch 1 with fixed H x W (what LiteRT.js and the Edge TPU need).
Inputs are normalized RGB (see bisenetv2_tf/runtime/metadata.py); INT8 models take uint8 (or int8,
``--io-dtype``) quantized inputs and return quantized logits.

Before converting, the model must be a segmentation model this project can convert:
one NHWC (1,H,W,3) RGB input and one output of (1,H,W,K) logits (or class ids) at the
input's size, checked by running it once at --input-size (a classifier, a model from
another project with a half-resolution output, or a grayscale one is refused with one
line). --name must be a plain file name stem (no folder, no '..'), and no
artifact path (OUT_DIR/NAME_PRECISION.tflite/.json, NAME.onnx) may be one of the input
files (--model, --qat-model, --class-file).
"""
import sys

import bisenetv2_tf  # noqa: F401
from bisenetv2_tf import cli
from bisenetv2_tf.data import datasets, protocols
from bisenetv2_tf.fileio import OutputPathError
from tflite.formats import INT8, PRECISIONS, ConversionError


def parse_args(argv=None):
    p = cli.parser("tflite.convert", __doc__)
    p.add_argument("--model", required=True, help="float .keras model (inference or training)")
    p.add_argument("--qat-model", help="QAT model (.h5 from python -m training.train --qat) for int8-qat")
    p.add_argument("--precision", nargs="+", default=["fp32", "fp16", "int8-ptq"], choices=PRECISIONS)
    cli.add_input_size(p, required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--name", help="file name stem (default: the model's name, e.g. bisenetv2)")
    p.add_argument("--io-dtype", default="uint8", choices=("uint8", "int8"), help="INT8 model I/O type")
    p.add_argument("--output", default="logits", choices=("logits", "probs", "argmax"),
                   help="output head; argmax (ARG_MAX) does not run on the GPU delegate")
    cli.add_data(p, required=False, split="train", split_help="split used for calibration (default train)",
                 data_help="representative data for INT8 calibration and verification")
    p.add_argument("--class-file", help="classes.json when no --data-dir is given")
    p.add_argument("--protocol", choices=tuple(protocols.PROTOCOLS),
                   help="calibrate and verify on a protocol's training frames (never its held-out drive) "
                        "instead of --split")
    cli.add_num_calibration(p, help="INT8 calibration images (default 100)")
    p.add_argument("--num-verify", type=int, default=8, help="images compared against Keras (default 8)")
    cli.add_threads(p)
    p.add_argument("--onnx", action="store_true", help="also export NAME.onnx (fp32, tf2onnx, opset 17)")
    p.add_argument("--edgetpu", action="store_true",
                   help="Edge TPU profile of the INT8 model(s): op report, edgetpu_compiler if installed")
    args = p.parse_args(argv)
    if args.edgetpu and not any(x in INT8 for x in args.precision):
        p.error("--edgetpu needs an int8 precision (int8-ptq or int8-qat)")
    if args.edgetpu and args.output == "argmax":
        p.error("--edgetpu: ARG_MAX is not an Edge TPU op; use --output logits")
    return args


def main(argv=None):
    args = parse_args(argv)
    from tflite import exporters, request  # TensorFlow: loaded only once the flags parse

    try:
        exporters.export(request.from_args(args))
    except (ConversionError, datasets.DatasetError, OutputPathError, FileNotFoundError) as err:
        sys.exit(f"error: {err}")


if __name__ == "__main__":
    main()
