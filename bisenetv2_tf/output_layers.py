"""What every architecture puts at its input and output: the input-shape check, the
output head (logits, softmax probabilities or the argmax class map) and ``ClassMap``,
the only custom layer. V2 and V1 both build with these."""
import tensorflow as tf
import tf_keras as keras

OUTPUTS = ("logits", "probs", "argmax")


def check_input_shape(input_shape):
    """ValueError unless ``input_shape`` is (H, W, 3) with H and W multiples of 32 (or None)."""
    if len(input_shape) != 3 or input_shape[-1] != 3:
        raise ValueError(f"input_shape must be (H, W, 3), got {tuple(input_shape)}")
    for side in input_shape[:2]:
        if side is not None and side % 32:
            raise ValueError(
                f"input height and width must be multiples of 32, got {tuple(input_shape[:2])}"
            )


def check_build_args(num_classes, input_shape, output):
    """ValueError for a bad class count, input shape or output kind (every builder's checks)."""
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes}")
    check_input_shape(input_shape)


def assemble(image, logits, aux_logits, output, name):
    """The model every architecture returns: the main ``output`` head over ``logits``, then
    the aux logits (training model) when ``aux_logits`` is not None; one output otherwise."""
    outputs = [output_head(logits, output)]
    if aux_logits is None:
        return keras.Model(image, outputs[0], name=name)
    return keras.Model(image, outputs + list(aux_logits), name=name)


def output_head(logits, output):
    """(N,H,W,K) logits -> themselves, softmax ``probs`` (float32) or the ``argmax``
    class map (N,H,W) int32."""
    if output == "probs":
        return keras.layers.Softmax(dtype="float32", name="probs")(logits)
    if output == "argmax":
        return ClassMap(name="argmax")(logits)
    return logits


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
