"""The only custom layer: the argmax class map appended to an inference model."""
import tensorflow as tf
import tf_keras as keras


@keras.saving.register_keras_serializable(package="bisenetv2_tf")
class ClassMap(keras.layers.Layer):
    """Per-pixel argmax over the class axis: (N,H,W,K) logits -> (N,H,W) class ids.

    Lowers to TFLite's builtin ARG_MAX (which runs on CPU/XNNPACK and NNAPI but not
    on the GPU delegate). ``output_type`` is ``"int32"`` (default) or ``"uint8"``.
    """

    def __init__(self, output_type="int32", **kwargs):
        super().__init__(**kwargs)
        if output_type not in ("int32", "uint8"):
            raise ValueError(f"ClassMap output_type must be 'int32' or 'uint8', got {output_type!r}")
        self.output_type = output_type

    def call(self, logits):
        ids = tf.math.argmax(logits, axis=-1, output_type=tf.int32)
        return ids if self.output_type == "int32" else tf.cast(ids, tf.uint8)

    def compute_output_shape(self, input_shape):
        return tf.TensorShape(input_shape)[:-1]

    def get_config(self):
        return {**super().get_config(), "output_type": self.output_type}
