"""BiSeNet V1 (the baseline of the BiSeNet V2 paper), as CoinCheung's ``BiSeNetV1``.

Context path (ResNet-18 + attention refinement modules), spatial path, feature
fusion module and ``BiSeNetOutput`` heads, in one flat functional graph of built-in
Keras layers named after the PyTorch module paths (``cp.arm16.conv_atten``,
``sp.conv1.conv``, ``ffm.convblk.bn``, ``conv_out.conv_out``...).
"""
import dataclasses

import tf_keras as keras

from bisenetv2_tf.layers import batch_norm, conv, conv_bn_relu
from bisenetv2_tf.output_layers import assemble, check_build_args
from bisenetv2_tf.names import BISENETV1
from bisenetv2_tf.resnet18 import resnet18


@dataclasses.dataclass(frozen=True)
class BiSeNetV1Spec:
    """BiSeNet V1's widths and heads, as data (like ``model.BiSeNetV2Spec``).

    ``aux_heads``: (output name, PyTorch module, endpoint it taps, up factor); CoinCheung's
    feat_out16 comes from ``conv_out16`` on the 1/8 context feature, feat_out32 from the
    1/16 one.
    """

    context_channels: int
    spatial_channels: tuple  # sp.conv1 (7x7 s2), conv2, conv3 (3x3 s2), conv_out (1x1)
    fusion_channels: int
    head_mid_channels: int
    aux_mid_channels: int
    aux_heads: tuple

    @property
    def aux_modules(self):
        """PyTorch module names of the aux heads (the Keras layer prefixes)."""
        return tuple(head[1] for head in self.aux_heads)


BISENETV1_SPEC = BiSeNetV1Spec(
    context_channels=128,
    spatial_channels=(64, 64, 64, 128),
    fusion_channels=256,
    head_mid_channels=256,
    aux_mid_channels=64,
    aux_heads=(("aux16", "conv_out16", "feat_cp8", 8), ("aux32", "conv_out32", "feat_cp16", 16)),
)
CONTEXT_CHANNELS = BISENETV1_SPEC.context_channels
SPATIAL_CHANNELS = BISENETV1_SPEC.spatial_channels
FUSION_CHANNELS = BISENETV1_SPEC.fusion_channels


def channel_attention(x, conv_name, bn_name, prefix):
    """Attention weights (N,1,1,C) of x (N,H,W,C): sigmoid(BN(conv1x1(mean_HW(x))))."""
    atten = keras.layers.GlobalAveragePooling2D(keepdims=True, name=f"{prefix}.gap")(x)
    atten = conv(atten, x.shape[-1], 1, name=conv_name)
    atten = batch_norm(atten, bn_name)
    return keras.layers.Activation("sigmoid", name=f"{prefix}.sigmoid")(atten)


def attention_refinement(x, filters=CONTEXT_CHANNELS, prefix=None):
    """ARM: (N,H,W,C) -> (N,H,W,filters). CBR3x3, then times its channel attention."""
    feat = conv_bn_relu(x, filters, 3, 1, prefix=f"{prefix}.conv")
    atten = channel_attention(feat, f"{prefix}.conv_atten", f"{prefix}.bn_atten", prefix)
    return keras.layers.Multiply(name=f"{prefix}.mul")([feat, atten])


def context_path(x, channels=CONTEXT_CHANNELS, prefix="cp"):
    """(N,H,W,3) -> dict: ResNet endpoints ``feat8/16/32`` plus ``feat_cp8``
    (N,H/8,W/8,128) and ``feat_cp16`` (N,H/16,W/16,128).

    avg = CBR1x1(mean_HW(feat32)); feat_cp16 = CBR3x3(up2(arm32(feat32) + avg));
    feat_cp8 = CBR3x3(up2(arm16(feat16) + feat_cp16)); ``up2`` is nearest-neighbour.
    """
    feats = resnet18(x, prefix=f"{prefix}.resnet")
    avg = keras.layers.GlobalAveragePooling2D(keepdims=True, name=f"{prefix}.avg")(feats["feat32"])
    avg = conv_bn_relu(avg, channels, 1, 1, prefix=f"{prefix}.conv_avg")

    feat32 = attention_refinement(feats["feat32"], channels, prefix=f"{prefix}.arm32")
    feat32 = keras.layers.Add(name=f"{prefix}.add32")([feat32, avg])  # broadcast over H, W
    feat32 = keras.layers.UpSampling2D(2, interpolation="nearest", name=f"{prefix}.up32")(feat32)
    feats["feat_cp16"] = conv_bn_relu(feat32, channels, 3, 1, prefix=f"{prefix}.conv_head32")

    feat16 = attention_refinement(feats["feat16"], channels, prefix=f"{prefix}.arm16")
    feat16 = keras.layers.Add(name=f"{prefix}.add16")([feat16, feats["feat_cp16"]])
    feat16 = keras.layers.UpSampling2D(2, interpolation="nearest", name=f"{prefix}.up16")(feat16)
    feats["feat_cp8"] = conv_bn_relu(feat16, channels, 3, 1, prefix=f"{prefix}.conv_head16")
    return feats


def spatial_path(x, channels=SPATIAL_CHANNELS, prefix="sp"):
    """(N,H,W,3) -> (N,H/8,W/8,channels[-1]): CBR7x7 s2, CBR3x3 s2, CBR3x3 s2, CBR1x1."""
    c1, c2, c3, c_out = channels
    feat = conv_bn_relu(x, c1, 7, 2, prefix=f"{prefix}.conv1")
    feat = conv_bn_relu(feat, c2, 3, 2, prefix=f"{prefix}.conv2")
    feat = conv_bn_relu(feat, c3, 3, 2, prefix=f"{prefix}.conv3")
    return conv_bn_relu(feat, c_out, 1, 1, prefix=f"{prefix}.conv_out")


def feature_fusion(feat_sp, feat_cp, filters=FUSION_CHANNELS, prefix="ffm"):
    """FFM: (N,h,w,Cs) and (N,h,w,Cc) -> (N,h,w,filters).

    feat = CBR1x1(concat[sp, cp]) (spatial path first); out = feat * atten + feat.
    """
    feat = keras.layers.Concatenate(name=f"{prefix}.concat")([feat_sp, feat_cp])
    feat = conv_bn_relu(feat, filters, 1, 1, prefix=f"{prefix}.convblk")
    atten = channel_attention(feat, f"{prefix}.conv", f"{prefix}.bn", prefix)
    feat_atten = keras.layers.Multiply(name=f"{prefix}.mul")([feat, atten])
    return keras.layers.Add(name=f"{prefix}.add")([feat_atten, feat])


def bisenet_output(x, num_classes, mid_channels, up_factor, prefix, output_name):
    """``BiSeNetOutput``: (N,h,w,C) -> logits (N,h*up,w*up,num_classes) float32.

    CBR3x3(mid) -> 1x1 conv with bias -> bilinear (half-pixel) x``up_factor``.
    """
    x = conv_bn_relu(x, mid_channels, 3, 1, prefix=f"{prefix}.conv")
    x = conv(x, num_classes, 1, name=f"{prefix}.conv_out", use_bias=True)
    return keras.layers.UpSampling2D(
        up_factor, interpolation="bilinear", dtype="float32", name=output_name
    )(x)


def bisenetv1(
    num_classes,
    input_shape=(None, None, 3),
    aux_heads=True,
    output="logits",
    batch_size=None,
    name=None,
    spec=BISENETV1_SPEC,
):
    """Build BiSeNet V1 (ResNet-18) as one flat functional model of built-in Keras layers.

    Args:
      num_classes: number of output classes.
      input_shape: (H, W, 3); H and W multiples of 32, or None for any size.
      aux_heads: True builds the training model whose outputs are
        ``[logits, aux16, aux32]``, each (N,H,W,num_classes) float32 (CoinCheung's
        ``feat_out, feat_out16, feat_out32``). False builds the inference model with
        the single output ``logits``.
      output: "logits", "probs" (softmax) or "argmax" (int32 class map (N,H,W)) for
        the main output.
      batch_size: fixed batch (1 for Edge TPU / LiteRT.js), or None.

    Input is an RGB image normalized as in the pipeline (``(x/255 - mean) / std``).
    """
    check_build_args(num_classes, input_shape, output)
    image = keras.Input(shape=tuple(input_shape), batch_size=batch_size, name="image")
    feats = context_path(image, spec.context_channels)
    feat_sp = spatial_path(image, spec.spatial_channels)
    feat_fuse = feature_fusion(feat_sp, feats["feat_cp8"], spec.fusion_channels)
    logits = bisenet_output(feat_fuse, num_classes, spec.head_mid_channels, 8, "conv_out", "logits")
    aux = None
    if aux_heads:
        aux = [bisenet_output(feats[endpoint], num_classes, spec.aux_mid_channels, up, module, head_name)
               for head_name, module, endpoint, up in spec.aux_heads]
    return assemble(image, logits, aux, output, name or BISENETV1.keras_name)
