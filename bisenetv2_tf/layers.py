"""Small building functions shared by every block: conv/BN/ReLU in PyTorch's padding.

Every function takes an NHWC tensor and adds built-in Keras layers named after the
PyTorch module path they mirror (``prefix`` + ``.conv``/``.bn``/...), so the checkpoint
importer is a name lookup. PyTorch pads 3x3 ops symmetrically by 1; TF ``'same'`` only
agrees at stride 1, so every stride-2 op gets an explicit ``ZeroPadding2D(1)`` and
``'valid'`` padding.
"""
import tf_keras as keras

BN_EPSILON = 1e-5  # PyTorch's default; Keras' 1e-3 moves logits by ~1e-2.
BN_MOMENTUM = 0.9  # PyTorch momentum 0.1 == Keras momentum 0.9.


def batch_norm(x, name):
    """BatchNormalization with PyTorch's epsilon/momentum. Shape preserved."""
    return keras.layers.BatchNormalization(epsilon=BN_EPSILON, momentum=BN_MOMENTUM, name=name)(x)


def pad_for_stride(x, kernel_size, strides, name):
    """Symmetric ``kernel_size // 2`` zero padding when ``strides > 1``; returns (x, padding)."""
    if strides > 1 and kernel_size > 1:
        x = keras.layers.ZeroPadding2D(kernel_size // 2, name=name)(x)
        return x, "valid"
    return x, "same"


def conv(x, filters, kernel_size, strides=1, name=None, use_bias=False):
    """Conv2D with PyTorch padding ``k//2``. (N,H,W,C) -> (N,H/s,W/s,filters)."""
    x, padding = pad_for_stride(x, kernel_size, strides, name + ".pad")
    return keras.layers.Conv2D(
        filters, kernel_size, strides, padding=padding, use_bias=use_bias, name=name
    )(x)


def depthwise_conv(x, kernel_size=3, strides=1, depth_multiplier=1, name=None):
    """DepthwiseConv2D, no bias, PyTorch padding. (N,H,W,C) -> (N,H/s,W/s,C*depth_multiplier)."""
    x, padding = pad_for_stride(x, kernel_size, strides, name + ".pad")
    return keras.layers.DepthwiseConv2D(
        kernel_size,
        strides,
        padding=padding,
        depth_multiplier=depth_multiplier,
        use_bias=False,
        name=name,
    )(x)


def conv_bn_relu(x, filters, kernel_size=3, strides=1, prefix=None):
    """CoinCheung ``ConvBNReLU``: ``{prefix}.conv`` -> ``{prefix}.bn`` -> ReLU.

    (N,H,W,C) -> (N,H/strides,W/strides,filters). Three separate layers so that
    BN folds into the conv for QAT and TFLite.
    """
    x = conv(x, filters, kernel_size, strides, name=prefix + ".conv")
    x = batch_norm(x, prefix + ".bn")
    return keras.layers.ReLU(name=prefix + ".relu")(x)


def relu(x, name):
    """ReLU layer. Shape preserved."""
    return keras.layers.ReLU(name=name)(x)
