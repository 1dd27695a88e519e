"""BiSeNet V2 builders: the training model (main + 4 aux logits) and inference models.

The architecture is written as data (``BiSeNetV2Config``) so that the Large variant is
another table, not a fork of the code.
"""
import dataclasses

import tf_keras as keras

from bisenetv2_tf.aggregation import bilateral_guided_aggregation
from bisenetv2_tf.detail_branch import DETAIL_STAGES, detail_branch
from bisenetv2_tf.heads import AUX_HEADS, segment_head
from bisenetv2_tf.names import BISENETV2, BISENETV2_L
from bisenetv2_tf.output_layers import ClassMap
from bisenetv2_tf.semantic_branch import EXPANSION, SEMANTIC_STAGES, STEM_CHANNELS, semantic_branch

OUTPUTS = ("logits", "probs", "argmax")


@dataclasses.dataclass(frozen=True)
class BiSeNetV2Config:
    """Architecture table. Stage tuples are (name, channels, number of layers)."""

    detail_stages: tuple = DETAIL_STAGES
    stem_channels: int = STEM_CHANNELS
    semantic_stages: tuple = SEMANTIC_STAGES
    expansion: int = EXPANSION
    head_mid_channels: int = 1024
    aux_mid_channels: int = 128


def _large_config():
    """BiSeNetV2-L: semantic-branch width x2 and depth x3 (paper: alpha=2, d=3).

    The paper gives only the two multipliers. Our reading: every semantic-branch width
    (stem, S3, S4, S5, CE) doubles; every stage keeps one stride-2 GE layer and has 3x
    as many GE layers in total (S3/S4: 2 -> 6, S5: 4 -> 12). The detail branch, BGA
    width (128) and heads are unchanged; BGA's semantic-side convs map 256 -> 128.
    """
    stages = tuple((name, 2 * ch, 3 * n) for name, ch, n in SEMANTIC_STAGES)
    return BiSeNetV2Config(stem_channels=2 * STEM_CHANNELS, semantic_stages=stages)


VARIANTS = {BISENETV2.variant: BiSeNetV2Config(), BISENETV2_L.variant: _large_config()}


def _check_input_shape(input_shape):
    if len(input_shape) != 3 or input_shape[-1] != 3:
        raise ValueError(f"input_shape must be (H, W, 3), got {tuple(input_shape)}")
    for side in input_shape[:2]:
        if side is not None and side % 32:
            raise ValueError(
                f"input height and width must be multiples of 32, got {tuple(input_shape[:2])}"
            )


def bisenetv2(
    num_classes,
    input_shape=(None, None, 3),
    variant="v2",
    aux_heads=True,
    output="logits",
    batch_size=None,
    name=None,
):
    """Build BiSeNet V2 as one flat functional model of built-in Keras layers.

    Args:
      num_classes: number of output classes.
      input_shape: (H, W, 3); H and W multiples of 32, or None for any size.
      variant: "v2" or "v2-l" (or a ``BiSeNetV2Config``).
      aux_heads: True builds the training model whose outputs are
        ``[logits, aux2, aux3, aux4, aux5_4]``, each (N,H,W,num_classes) float32.
        False builds the inference model with the single output ``logits``.
      output: "logits", "probs" (softmax) or "argmax" (int32 class map (N,H,W)) for
        the main output.
      batch_size: fixed batch (1 for Edge TPU / LiteRT.js), or None.

    Input is an RGB image normalized as in the pipeline (``(x/255 - mean) / std``).
    """
    if isinstance(variant, str) and variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {sorted(VARIANTS)}")
    config = VARIANTS[variant] if isinstance(variant, str) else variant
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes}")
    _check_input_shape(input_shape)

    image = keras.Input(shape=tuple(input_shape), batch_size=batch_size, name="image")
    feat_d = detail_branch(image, config.detail_stages)
    feats = semantic_branch(image, config.stem_channels, config.semantic_stages, config.expansion)
    feat_head = bilateral_guided_aggregation(feat_d, feats["feat5_5"])
    logits = segment_head(
        feat_head, num_classes, config.head_mid_channels, 8, aux=False, prefix="head", output_name="logits"
    )
    outputs = [_output_head(logits, output)]
    if aux_heads:
        for head_name, endpoint, up in AUX_HEADS:
            outputs.append(
                segment_head(
                    feats[endpoint], num_classes, config.aux_mid_channels, up, aux=True,
                    prefix=head_name, output_name=head_name,
                )
            )
    default_name = BISENETV2.keras_name if config == VARIANTS[BISENETV2.variant] else BISENETV2_L.keras_name
    return keras.Model(image, outputs if aux_heads else outputs[0], name=name or default_name)


def _output_head(logits, output):
    if output == "probs":
        return keras.layers.Softmax(dtype="float32", name="probs")(logits)
    if output == "argmax":
        return ClassMap(name="argmax")(logits)
    return logits


def to_inference(model, output="logits"):
    """Drop the auxiliary heads: a model sharing ``model``'s weights with one output."""
    return with_output_head(model, output)


def with_output_head(model, output="logits"):
    """A model over the same weights whose single output is logits, probs or argmax."""
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
    logits = model.get_layer("logits").output
    return keras.Model(model.inputs, _output_head(logits, output), name=model.name)
