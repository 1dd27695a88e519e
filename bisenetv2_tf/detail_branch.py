"""Detail Branch: wide, shallow, 1/8 resolution (paper Table 1, left column)."""
from bisenetv2_tf.layers import conv_bn_relu


def detail_branch(x, stages, prefix="detail"):
    """(N,H,W,3) -> (N,H/8,W/8,C_last); ``stages``: (name, channels, ConvBNReLU 3x3 count;
    the first has stride 2). Layers named ``detail.S{i}.{j}.{conv,bn,relu}``."""
    for stage, channels, repeats in stages:
        for j in range(repeats):
            x = conv_bn_relu(x, channels, 3, 2 if j == 0 else 1, prefix=f"{prefix}.{stage}.{j}")
    return x
