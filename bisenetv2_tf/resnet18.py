"""ResNet-18 backbone (no fc) of BiSeNet V1's context path, as in CoinCheung's ``Resnet18``.

Layer names mirror the PyTorch module paths under ``prefix`` (``cp.resnet`` in BiSeNet
V1), e.g. ``cp.resnet.layer2.0.downsample.0``, so the checkpoint importer is a lookup.
"""
import tf_keras as keras

from bisenetv2_tf.layers import batch_norm, conv, relu

# (layer name, output channels, stride of its first block, endpoint name or None)
RESNET18_STAGES = (
    ("layer1", 64, 1, None),
    ("layer2", 128, 2, "feat8"),
    ("layer3", 256, 2, "feat16"),
    ("layer4", 512, 2, "feat32"),
)
BLOCKS_PER_STAGE = 2
STEM_CHANNELS = 64


def basic_block(x, filters, strides=1, prefix=None):
    """ResNet ``BasicBlock``: (N,H,W,C) -> (N,H/strides,W/strides,filters).

    conv1 3x3 (stride here) -> bn1 -> ReLU -> conv2 3x3 -> bn2; the shortcut is
    ``downsample`` (1x1 conv, stride, no bias -> BN) when the channels or stride
    change, else identity. Output ReLU(shortcut + residual).
    """
    residual = conv(x, filters, 3, strides, name=f"{prefix}.conv1")
    residual = batch_norm(residual, f"{prefix}.bn1")
    residual = relu(residual, f"{prefix}.relu1")
    residual = conv(residual, filters, 3, 1, name=f"{prefix}.conv2")
    residual = batch_norm(residual, f"{prefix}.bn2")
    shortcut = x
    if strides != 1 or x.shape[-1] != filters:
        # A 1x1 stride-2 conv needs no padding: 'same' samples rows/cols 0, 2, 4, ...
        shortcut = conv(x, filters, 1, strides, name=f"{prefix}.downsample.0")
        shortcut = batch_norm(shortcut, f"{prefix}.downsample.1")
    out = keras.layers.Add(name=f"{prefix}.add")([shortcut, residual])
    return relu(out, f"{prefix}.relu")


def resnet18(x, prefix="cp.resnet", stages=RESNET18_STAGES, blocks=BLOCKS_PER_STAGE):
    """(N,H,W,3) -> {"feat8": (N,H/8,W/8,128), "feat16": (N,H/16,W/16,256),
    "feat32": (N,H/32,W/32,512)}.

    Stem: conv1 7x7 s2 -> bn1 -> ReLU -> max-pool 3x3 s2 (1/4), then four stages of
    ``blocks`` BasicBlocks; layer2/3/4 outputs are the endpoints.
    """
    feat = conv(x, STEM_CHANNELS, 7, 2, name=f"{prefix}.conv1")
    feat = batch_norm(feat, f"{prefix}.bn1")
    feat = relu(feat, f"{prefix}.relu")
    # Input is post-ReLU (>= 0), so zero padding equals PyTorch's -inf padding.
    feat = keras.layers.ZeroPadding2D(1, name=f"{prefix}.maxpool.pad")(feat)
    feat = keras.layers.MaxPooling2D(3, 2, padding="valid", name=f"{prefix}.maxpool")(feat)
    endpoints = {}
    for stage, filters, strides, endpoint in stages:
        for j in range(blocks):
            feat = basic_block(feat, filters, strides if j == 0 else 1, prefix=f"{prefix}.{stage}.{j}")
        if endpoint:
            endpoints[endpoint] = feat
    return endpoints
