"""Can this CPU run INT8 faster than FP32 at all? A control for the model benchmarks.

  python -m benchmarks.cpu_check [--threads 2]     # or: python benchmarks/cpu_check.py

Prints the CPU's vector-ISA flags that XNNPACK's int8 and bf16 kernels depend on, and
times one convolution (3x3, 128->1024 channels at 48x60, then 1x1 to 128: the shape of
BiSeNet V2's segmentation head at 384x480) as a TFLite FP32 model and as a full-INT8
model, side by side. Without AVX-512 VNNI / AVX-VNNI the int8 GEMM kernels gain little
over FP32 FMA, so an INT8 model is not faster on such a machine whatever its graph.
"""

if not __package__:  # run as a file (python benchmarks/cpu_check.py): import from this checkout
    import os
    import sys

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import bisenetv2_tf  # noqa: E402,F401  (sets TF_USE_LEGACY_KERAS before tf_keras is used)
import numpy as np

from bisenetv2_tf import cli
from bisenetv2_tf.runtime.litert import interpreter
from bisenetv2_tf.runtime.timing import interleaved_stats
from tflite.converter import run_converter
from bisenetv2_tf.runtime.cpu import FLAGS, cpu_line, isa_flags  # noqa: F401  (this tool's vocabulary)


def head_conv_models(hw=(48, 60)):
    """(fp32 bytes, int8 bytes): the head-shaped conv pair as TFLite models."""
    import tensorflow as tf
    import tf_keras as keras

    keras.utils.set_random_seed(0)
    x = keras.Input((*hw, 128), batch_size=1)
    y = keras.layers.Conv2D(1024, 3, padding="same", activation="relu")(x)
    model = keras.Model(x, keras.layers.Conv2D(128, 1)(y))
    fp32 = run_converter(tf.lite.TFLiteConverter.from_keras_model(model))
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(0)
    converter.representative_dataset = lambda: ([rng.random((1, *hw, 128), np.float32)] for _ in range(4))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.int8
    return fp32, run_converter(converter)


def int8_speedup(threads=2, runs=10):
    """{"fp32_ms", "int8_ms", "ratio"}: median latency of the head-shaped conv pair."""

    def runner(content):
        it = interpreter(content=content, threads=threads)
        inp = it.get_input_details()[0]
        it.set_tensor(inp["index"], np.zeros(inp["shape"], inp["dtype"]))
        return it

    runners = [runner(content).invoke for content in head_conv_models()]
    (fp32, _), (int8, _) = interleaved_stats(runners, runs, warmup=1)
    return {"fp32_ms": fp32, "int8_ms": int8, "ratio": int8 / fp32}


def report(threads=2, runs=10):
    """Markdown lines: CPU flags and the INT8/FP32 ratio of the control conv."""
    speed = int8_speedup(threads, runs)
    return [
        cpu_line(),
        f"Control (one 3x3 128->1024 + 1x1 conv at 48x60, {threads} threads): TFLite FP32 "
        f"{speed['fp32_ms']:.1f} ms, INT8 {speed['int8_ms']:.1f} ms, ratio {speed['ratio']:.2f}",
    ]


def main(argv=None):
    p = cli.parser("benchmarks.cpu_check", __doc__)
    cli.add_threads(p)
    p.add_argument("--runs", type=int, default=10)
    args = p.parse_args(argv)
    print("\n".join(report(args.threads, args.runs)))


if __name__ == "__main__":
    main()
