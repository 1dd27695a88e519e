"""Model names used by every CLI (``--model``) -> builder functions.

The names come from the one table in ``bisenetv2_tf.names``.
"""
from bisenetv2_tf.bisenetv1 import bisenetv1
from bisenetv2_tf.model import bisenetv2
from bisenetv2_tf.names import BISENETV1, MODEL_NAMES, by_name

__all__ = ["MODEL_NAMES", "build_model"]


def build_model(name, num_classes, input_shape=(None, None, 3), aux_heads=True, output="logits",
                batch_size=None):
    """Build a model by CLI name. Training models return [main, aux...] logits."""
    entry = by_name(name)
    if entry is BISENETV1:
        return bisenetv1(num_classes, input_shape, aux_heads, output, batch_size)
    return bisenetv2(num_classes, input_shape, entry.variant, aux_heads, output, batch_size)
