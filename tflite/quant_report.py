r"""Where does INT8 lose accuracy? A per-layer INT8-vs-float error table on real images,
and a selective mode that keeps the worst N layers in float, with mIoU and latency.

  python -m tflite.quant_report --model models/camvid/bisenetv2.keras --input-size 384 480 \
      --data-dir ../shared/data/camvid --keep-float 5 --eval-limit 30

Uses TFLite's QuantizationDebugger: each quantized op's output is compared with the
float value it replaces (on the debug images). The table is sorted by RMSE divided by
the output's quantization scale: ~0.3 is the rounding floor (1/sqrt(12)); larger
values are layers whose INT8 grid fits the data badly.

--target-drop D searches for the fewest worst-first layers to keep in float so that the
INT8 model's mIoU is within D points of the FP32 TFLite model's (doubling 1, 2, 4, ...
until the target is met, then bisecting), writes that model and names its float layers:

  python -m tflite.quant_report --model M.keras --input-size 384 480 --data-dir DATA \
      --protocol drive-holdout --target-drop 1.0
"""
import argparse

import bisenetv2_tf  # noqa: F401
from bisenetv2_tf import cli
from bisenetv2_tf.data import protocols


def main(argv=None):
    p = cli.parser("tflite.quant_report", __doc__)
    p.add_argument("--model", required=True, help="float .keras model")
    cli.add_input_size(p, required=True)
    cli.add_data(p, split="val", split_help="split of the mIoU comparison (--keep-float; default val)")
    p.add_argument("--eval-split", dest="split", help=argparse.SUPPRESS)
    p.add_argument("--calib-split", default="train", help="split of the calibration and debug images (default train)")
    cli.add_num_calibration(p, help="INT8 calibration images (default 100)")
    p.add_argument("--num-debug", type=int, default=8, help="images the per-layer errors are measured on")
    p.add_argument("--top", type=int, default=15, help="rows to print")
    p.add_argument("--keep-float", type=int, default=0, help="also build a model with the worst N layers in float")
    p.add_argument("--target-drop", type=float, metavar="POINTS",
                   help="find the fewest worst layers to keep in float for an INT8 mIoU within POINTS of FP32 "
                        "(see above); writes that model")
    p.add_argument("--protocol", choices=tuple(protocols.PROTOCOLS),
                   help="score on a protocol's held-out frames and calibrate on its training frames (instead of "
                        "--split and --calib-split)")
    p.add_argument("--eval-limit", type=int, help="images for the mIoU comparison (default: all)")
    p.add_argument("--out-dir", default=".", help="where the selective model is written")
    cli.add_threads(p)
    args = p.parse_args(argv)
    from tflite import quant_debug  # TensorFlow: loaded only once the flags parse

    quant_debug.run(args)


if __name__ == "__main__":
    main()
