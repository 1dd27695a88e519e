"""verify.compare, the one Keras-vs-artifact check (TFLite verify and the ONNX export)."""
import numpy as np

from tflite import verify


def _images(n=2):
    return [np.random.default_rng(i).standard_normal((1, 2, 3, 4)).astype(np.float32) for i in range(n)]


def test_logits_outputs_give_errors_and_agreement():
    model = lambda x, training=False: x  # noqa: E731  (logits = input, 4 classes)
    flipped = {}

    def run(x):  # one pixel of the first image predicts another class
        y = x.copy()
        if not flipped:
            flipped[0] = True
            y[0, 0, 0] = 100 * np.eye(4, dtype=np.float32)[(x[0, 0, 0].argmax() + 1) % 4]
        return y
    result = verify.compare(run, model, _images())
    assert result["images"] == 2
    assert result["argmax_agreement_pct"] == 100.0 * 11 / 12
    assert result["max_abs_error"] > 1 and 0 < result["mean_abs_error"] < result["max_abs_error"]


def test_class_map_outputs_compare_ids_only():
    model = lambda x, training=False: x  # noqa: E731
    result = verify.compare(lambda x: x.argmax(-1), model, _images())
    assert result == {"argmax_agreement_pct": 100.0, "images": 2}
    assert verify.compare(lambda x: x.argmax(-1), model, [])["argmax_agreement_pct"] == 0.0
