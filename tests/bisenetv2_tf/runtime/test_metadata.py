"""The quantization contract every Python path uses (bisenetv2_tf.runtime.metadata.quantize):
round half up (floor(x / scale + 0.5)), as the Java and JS ports do, then clamp."""
import numpy as np

from bisenetv2_tf.runtime import metadata


def test_quantize_rounds_half_up_and_clamps():
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49, -0.51, 1e6, -1e6], np.float32)
    q = metadata.quantize(x, "int8", 1.0, 0)
    assert q.dtype == np.int8
    assert q.tolist() == [-2, -1, 0, 1, 2, 3, 0, -1, 127, -128]  # np.round would give -2, -2, 0, 0, 2, 2
    u = metadata.quantize(np.array([-1.0, 0.25, 0.75], np.float32), np.uint8, 0.5, 128)
    assert u.dtype == np.uint8 and u.tolist() == [126, 129, 130]


def test_preprocess_rgb_quantizes_with_the_contract():
    meta = {"input": {"shape": [1, 2, 3, 3], "dtype": "uint8", "quantization": {"scale": 0.02, "zero_point": 120}},
            "normalization": {"mean": [0.5, 0.4, 0.3], "std": [0.2, 0.25, 0.3]}}
    image = np.random.default_rng(0).integers(0, 256, (2, 3, 3), np.uint8)
    x = (image.astype(np.float32) / np.float32(255.0) - np.float32([0.5, 0.4, 0.3])) / np.float32([0.2, 0.25, 0.3])
    expected = np.clip(np.floor(x / np.float32(0.02) + np.float32(0.5)) + 120, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(metadata.preprocess_rgb(image, meta)[0], expected)


def test_dequantize_only_quantized_outputs():
    q = np.array([0, 10, 255], np.uint8)
    y = metadata.dequantize(q, {"dtype": np.uint8, "quantization": (0.5, 10)})
    assert y.dtype == np.float32 and y.tolist() == [-5.0, 0.0, 122.5]
    logits = np.array([1.5], np.float32)
    assert metadata.dequantize(logits, {"dtype": np.float32, "quantization": (0.0, 0)}) is logits
    ids = np.array([3], np.int32)  # class-map output
    assert metadata.dequantize(ids, {"dtype": np.int32, "quantization": (0.0, 0)}) is ids


def test_float_input_meta_feeds_preprocess_rgb():
    from bisenetv2_tf.preprocessing import CITYSCAPES

    meta = metadata.float_input((4, 6), CITYSCAPES)
    assert meta["input"] == {"shape": [1, 4, 6, 3], "dtype": "float32", "quantization": None}
    assert meta["normalization"] == CITYSCAPES.to_json()
    x = metadata.preprocess_rgb(np.full((2, 6, 3), 128, np.uint8), meta)  # fits: no resize
    assert x.shape == (1, 4, 6, 3) and x.dtype == np.float32 and (x[0, 2:] == 0).all()
