"""Model names used by every CLI (``--model``) -> builder functions."""
from bisenetv2_tf.bisenetv1 import bisenetv1
from bisenetv2_tf.model import bisenetv2

MODEL_NAMES = ("bisenetv2", "bisenetv2-l", "bisenetv1")


def build_model(name, num_classes, input_shape=(None, None, 3), aux_heads=True, output="logits",
                batch_size=None):
    """Build a model by CLI name. Training models return [main, aux...] logits."""
    if name == "bisenetv2":
        return bisenetv2(num_classes, input_shape, "v2", aux_heads, output, batch_size)
    if name == "bisenetv2-l":
        return bisenetv2(num_classes, input_shape, "v2-l", aux_heads, output, batch_size)
    if name == "bisenetv1":
        return bisenetv1(num_classes, input_shape, aux_heads, output, batch_size)
    raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}")
