"""Segmentation head and the training-only auxiliary heads (the "booster")."""
import tf_keras as keras

from bisenetv2_tf.layers import conv, conv_bn_relu


def segment_head(x, num_classes, mid_channels, up_factor, aux, prefix, output_name, dropout=0.1):
    """CoinCheung ``SegmentHead``: (N,h,w,C) -> logits (N,h*up,w*up,num_classes).

    CBR3x3(mid) -> Dropout -> [aux only: nearest x2 -> CBR3x3(up^2)] -> 1x1 conv with
    bias -> bilinear (half-pixel) x``up_factor`` (x``up_factor/2`` for aux heads).
    The final upsampling runs in float32 so that mixed-precision logits are float32.
    """
    x = conv_bn_relu(x, mid_channels, 3, 1, prefix=f"{prefix}.conv")
    x = keras.layers.Dropout(dropout, name=f"{prefix}.drop")(x)
    if aux:
        x = keras.layers.UpSampling2D(2, interpolation="nearest", name=f"{prefix}.conv_out.0.0")(x)
        x = conv_bn_relu(x, up_factor * up_factor, 3, 1, prefix=f"{prefix}.conv_out.0.1")
        up_factor //= 2
    x = conv(x, num_classes, 1, name=f"{prefix}.conv_out.1", use_bias=True)
    return keras.layers.UpSampling2D(
        up_factor, interpolation="bilinear", dtype="float32", name=output_name
    )(x)

