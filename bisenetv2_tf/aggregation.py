"""Bilateral Guided Aggregation (BGA) layer."""
import tf_keras as keras

from bisenetv2_tf.layers import batch_norm, conv, depthwise_conv, relu


def bilateral_guided_aggregation(x_d, x_s, prefix="bga"):
    """Fuse detail (N,H/8,W/8,C) and semantic (N,H/32,W/32,C_s) into (N,H/8,W/8,C).

    left1 = dw3x3(x_d) -> BN -> 1x1;  left2 = conv3x3 s2 -> BN -> AvgPool 3x3 s2
    right1 = conv3x3(x_s) -> BN;      right2 = dw3x3(x_s) -> BN -> 1x1
    out = CBR3x3(left1 * sigmoid(up4(right1)) + up4(left2 * sigmoid(right2)))
    ``up4`` is nearest-neighbour, as in the reference.
    """
    channels = x_d.shape[-1]
    left1 = depthwise_conv(x_d, 3, 1, 1, name=f"{prefix}.left1.0")
    left1 = batch_norm(left1, f"{prefix}.left1.1")
    left1 = conv(left1, channels, 1, name=f"{prefix}.left1.2")

    left2 = conv(x_d, channels, 3, 2, name=f"{prefix}.left2.0")
    left2 = batch_norm(left2, f"{prefix}.left2.1")
    # count_include_pad=True in PyTorch: pad with zeros, then a 'valid' pool divides by 9.
    left2 = keras.layers.ZeroPadding2D(1, name=f"{prefix}.left2.pad")(left2)
    left2 = keras.layers.AveragePooling2D(3, 2, padding="valid", name=f"{prefix}.left2.2")(left2)

    right1 = conv(x_s, channels, 3, 1, name=f"{prefix}.right1.0")
    right1 = batch_norm(right1, f"{prefix}.right1.1")
    right2 = depthwise_conv(x_s, 3, 1, 1, name=f"{prefix}.right2.0")
    right2 = batch_norm(right2, f"{prefix}.right2.1")
    right2 = conv(right2, channels, 1, name=f"{prefix}.right2.2")

    right1 = keras.layers.UpSampling2D(4, interpolation="nearest", name=f"{prefix}.up1")(right1)
    right1 = keras.layers.Activation("sigmoid", name=f"{prefix}.right1.sigmoid")(right1)
    left = keras.layers.Multiply(name=f"{prefix}.left.mul")([left1, right1])
    right2 = keras.layers.Activation("sigmoid", name=f"{prefix}.right2.sigmoid")(right2)
    right = keras.layers.Multiply(name=f"{prefix}.right.mul")([left2, right2])
    right = keras.layers.UpSampling2D(4, interpolation="nearest", name=f"{prefix}.up2")(right)
    out = keras.layers.Add(name=f"{prefix}.add")([left, right])
    out = conv(out, channels, 3, 1, name=f"{prefix}.conv.0")
    out = batch_norm(out, f"{prefix}.conv.1")
    return relu(out, f"{prefix}.conv.2")
