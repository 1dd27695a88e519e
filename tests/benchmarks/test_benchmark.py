"""interleaved_stats (bisenetv2_tf.runtime.timing, the one latency loop): every runner once per
round, after the warm-up rounds; the benchmarks' INT8 runner (runtime.litert.timed_runner) feeds
the contract-quantized input."""
from bisenetv2_tf.runtime.timing import interleaved_stats


def test_runners_are_called_in_rounds():
    calls = []
    runners = [lambda: calls.append("a"), lambda: calls.append("b")]
    stats = interleaved_stats(runners, runs=3, warmup=1)
    assert calls == ["a", "b"] * 4
    assert len(stats) == 2
    for median, p90 in stats:
        assert 0 <= median <= p90


def test_tflite_runner_feeds_the_contract_quantized_input(tmp_path, monkeypatch):
    """The timed INT8 input is quantized as apps quantize it (bisenetv2_tf.runtime.metadata.quantize)."""
    import numpy as np
    import tensorflow as tf
    import tf_keras as keras

    from bisenetv2_tf.runtime import litert, metadata

    keras.utils.set_random_seed(0)
    x = keras.Input((4, 6, 3), batch_size=1)
    model = keras.Model(x, keras.layers.Conv2D(2, 1)(x))
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(0)
    converter.representative_dataset = lambda: ([rng.standard_normal((1, 4, 6, 3)).astype(np.float32)]
                                                for _ in range(4))
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.int8
    path = tmp_path / "m.tflite"
    path.write_bytes(converter.convert())
    made = []
    real = litert.interpreter
    monkeypatch.setattr(litert, "interpreter", lambda **kw: made.append(real(**kw)) or made[-1])
    litert.timed_runner(str(path), (4, 6), 1)()
    inp = made[0].get_input_details()[0]
    expected = metadata.quantize(np.random.default_rng(0).standard_normal((1, 4, 6, 3)).astype(np.float32),
                                 inp["dtype"], *inp["quantization"])
    np.testing.assert_array_equal(made[0].get_tensor(inp["index"]), expected)
