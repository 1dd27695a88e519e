"""Model names used by every CLI (``--arch``) -> built models, through the one registry
(``bisenetv2_tf.architectures``)."""
from bisenetv2_tf.architectures import get
from bisenetv2_tf.names import MODEL_NAMES

__all__ = ["MODEL_NAMES", "build_model"]


def build_model(name, num_classes, input_shape=(None, None, 3), aux_heads=True, output="logits",
                batch_size=None):
    """Build a model by CLI name. Training models return [main, aux...] logits."""
    return get(name).build(num_classes, input_shape, aux_heads, output, batch_size)
