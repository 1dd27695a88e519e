"""An artifact against the Keras model it was made from: the one comparison every
exporter reports (argmax agreement, logit errors), run on LiteRT or ONNX Runtime."""
import numpy as np

from bisenetv2_tf.runtime.litert import interpreter, run_tflite
from bisenetv2_tf.runtime.predictors import onnx_session


def compare(run, model, images):
    """The Keras model vs an artifact's ``run(x) -> output`` on ``images`` (list of (1,H,W,3)).

    Returns the argmax agreement in percent, the image count and, for logits outputs,
    max/mean absolute logit error (absent for class-map outputs).
    """
    errors, agree, total = [], 0, 0
    for x in images:
        ref = model(x, training=False)
        ref = ref.numpy() if hasattr(ref, "numpy") else np.asarray(ref)
        got = run(x)
        if got.ndim == ref.ndim and got.shape == ref.shape and ref.ndim == 4:
            errors.append(np.abs(got.astype(np.float32) - ref))
            ref_ids, got_ids = ref.argmax(-1), got.argmax(-1)
        else:
            ref_ids, got_ids = (ref.argmax(-1) if ref.ndim == 4 else ref), got
        agree += int(np.sum(ref_ids == got_ids))
        total += ref_ids.size
    result = {"argmax_agreement_pct": 100.0 * agree / max(total, 1), "images": len(images)}
    if errors:
        result["max_abs_error"] = float(max(e.max() for e in errors))
        result["mean_abs_error"] = float(np.mean([e.mean() for e in errors]))
    return result


def verify_tflite(content, model, images, threads=2):
    """``compare`` for TFLite bytes run on LiteRT (dequantized outputs)."""
    it = interpreter(content, threads=threads)
    return compare(lambda x: run_tflite(it, x), model, images)


def verify_onnx(content, model, images):
    """``compare`` for ONNX bytes run on ONNX Runtime."""
    session = onnx_session(content)
    name = session.get_inputs()[0].name
    return compare(lambda x: session.run(None, {name: x})[0], model, images)
