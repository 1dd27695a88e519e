"""Semantic Branch: Stem block, Gather-and-Expansion layers, Context Embedding (1/32).

Layer names mirror CoinCheung/BiSeNet's ``segment.*`` module paths.
"""
import tf_keras as keras

from bisenetv2_tf.layers import batch_norm, conv, conv_bn_relu, depthwise_conv, relu


def stem_block(x, channels, prefix="segment.S1S2"):
    """(N,H,W,3) -> (N,H/4,W/4,channels).

    conv 3x3 s2 -> [CBR1x1(C/2) -> CBR3x3 s2 (C) ‖ MaxPool 3x3 s2] -> concat -> CBR3x3.
    """
    feat = conv_bn_relu(x, channels, 3, 2, prefix=f"{prefix}.conv")
    left = conv_bn_relu(feat, channels // 2, 1, 1, prefix=f"{prefix}.left.0")
    left = conv_bn_relu(left, channels, 3, 2, prefix=f"{prefix}.left.1")
    # Input is post-ReLU (>= 0), so zero padding equals PyTorch's -inf padding.
    right = keras.layers.ZeroPadding2D(1, name=f"{prefix}.right.pad")(feat)
    right = keras.layers.MaxPooling2D(3, 2, padding="valid", name=f"{prefix}.right")(right)
    feat = keras.layers.Concatenate(name=f"{prefix}.concat")([left, right])
    return conv_bn_relu(feat, channels, 3, 1, prefix=f"{prefix}.fuse")


def ge_layer_s1(x, expansion=6, prefix=None):
    """Gather-and-Expansion layer, stride 1, residual: (N,H,W,C) -> (N,H,W,C)."""
    channels = x.shape[-1]
    feat = conv_bn_relu(x, channels, 3, 1, prefix=f"{prefix}.conv1")
    feat = depthwise_conv(feat, 3, 1, expansion, name=f"{prefix}.dwconv.0")
    feat = batch_norm(feat, f"{prefix}.dwconv.1")
    feat = relu(feat, f"{prefix}.dwconv.relu")
    feat = conv(feat, channels, 1, name=f"{prefix}.conv2.0")
    feat = batch_norm(feat, f"{prefix}.conv2.1")
    feat = keras.layers.Add(name=f"{prefix}.add")([feat, x])
    return relu(feat, f"{prefix}.relu")


def ge_layer_s2(x, out_channels, expansion=6, prefix=None):
    """Gather-and-Expansion layer, stride 2: (N,H,W,C) -> (N,H/2,W/2,out_channels).

    Main path: CBR3x3 -> dw3x3 s2 (x expansion) -> BN -> dw3x3 -> BN -> ReLU -> 1x1 -> BN.
    Shortcut: dw3x3 s2 -> BN -> 1x1 -> BN. Sum -> ReLU.
    """
    channels = x.shape[-1]
    feat = conv_bn_relu(x, channels, 3, 1, prefix=f"{prefix}.conv1")
    feat = depthwise_conv(feat, 3, 2, expansion, name=f"{prefix}.dwconv1.0")
    feat = batch_norm(feat, f"{prefix}.dwconv1.1")
    feat = depthwise_conv(feat, 3, 1, 1, name=f"{prefix}.dwconv2.0")
    feat = batch_norm(feat, f"{prefix}.dwconv2.1")
    feat = relu(feat, f"{prefix}.dwconv2.relu")
    feat = conv(feat, out_channels, 1, name=f"{prefix}.conv2.0")
    feat = batch_norm(feat, f"{prefix}.conv2.1")
    short = depthwise_conv(x, 3, 2, 1, name=f"{prefix}.shortcut.0")
    short = batch_norm(short, f"{prefix}.shortcut.1")
    short = conv(short, out_channels, 1, name=f"{prefix}.shortcut.2")
    short = batch_norm(short, f"{prefix}.shortcut.3")
    feat = keras.layers.Add(name=f"{prefix}.add")([feat, short])
    return relu(feat, f"{prefix}.relu")


def context_embedding(x, prefix="segment.S5_5"):
    """Context Embedding block: (N,H,W,C) -> (N,H,W,C).

    Global average pool (keepdims) -> BN -> CBR1x1 -> broadcast add x -> CBR3x3.
    """
    channels = x.shape[-1]
    feat = keras.layers.GlobalAveragePooling2D(keepdims=True, name=f"{prefix}.gap")(x)
    feat = batch_norm(feat, f"{prefix}.bn")
    feat = conv_bn_relu(feat, channels, 1, 1, prefix=f"{prefix}.conv_gap")
    feat = keras.layers.Add(name=f"{prefix}.add")([feat, x])
    return conv_bn_relu(feat, channels, 3, 1, prefix=f"{prefix}.conv_last")


def semantic_branch(x, stem_channels, stages, expansion):
    """(N,H,W,3) -> dict of endpoints.

    ``feat2`` (H/4, stem), ``feat3`` (H/8), ``feat4`` (H/16), ``feat5_4`` (H/32, before
    the CE block) and ``feat5_5`` (H/32, CE output), named like the reference outputs.
    """
    feats = {"feat2": stem_block(x, stem_channels)}
    feat = feats["feat2"]
    for stage, channels, layers in stages:
        prefix = f"segment.{stage}"
        feat = ge_layer_s2(feat, channels, expansion, prefix=f"{prefix}.0")
        for j in range(1, layers):
            feat = ge_layer_s1(feat, expansion, prefix=f"{prefix}.{j}")
        feats["feat" + stage[1:]] = feat
    feats["feat5_5"] = context_embedding(feat)
    return feats
