"""quickstart's and quant_report's latency columns come from the one timing loop
(bisenetv2_tf.runtime.timing.interleaved_stats) and time a real LiteRT model."""
import numpy as np
import tensorflow as tf
import tf_keras as keras

from tflite import quant_debug, quickstart
from bisenetv2_tf.runtime import timing
from bisenetv2_tf.runtime.litert import interpreter


def _tiny_int8(hw=(4, 6)):
    keras.utils.set_random_seed(0)
    x = keras.Input((*hw, 3), batch_size=1)
    model = keras.Model(x, keras.layers.Conv2D(2, 1)(x))
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(0)
    converter.representative_dataset = lambda: ([rng.standard_normal((1, *hw, 3)).astype(np.float32)]
                                                for _ in range(4))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.int8
    return converter.convert()


def _spy(monkeypatch, module):
    calls = []
    real = timing.interleaved_stats

    def spy(runners, runs, warmup=3):
        calls.append((len(runners), runs, warmup))
        return real(runners, runs, warmup)
    monkeypatch.setattr(module, "interleaved_stats", spy, raising=False)
    monkeypatch.setattr(timing, "interleaved_stats", spy)
    return calls


def test_quickstart_latency_times_invoke(tmp_path, monkeypatch):
    path = tmp_path / "m.tflite"
    path.write_bytes(_tiny_int8())
    calls = _spy(monkeypatch, quickstart)
    assert quickstart._latency_ms(interpreter(path=str(path)), runs=3) > 0
    assert calls == [(1, 3, 1)]


def test_quant_report_latency_runs_the_quantized_model(monkeypatch):
    calls = _spy(monkeypatch, quant_debug)
    assert quant_debug.latency_ms(_tiny_int8(), (4, 6), runs=3, threads=1) > 0
    assert calls == [(1, 3, 1)]
