"""BiSeNet V2 builders: the training model (main + 4 aux logits) and inference models.

The architecture is written as data (``BiSeNetV2Spec``, one literal per variant) so
that the Large variant is another table, not a fork of the code.
"""
import dataclasses

import tf_keras as keras

from bisenetv2_tf.aggregation import bilateral_guided_aggregation
from bisenetv2_tf.detail_branch import detail_branch
from bisenetv2_tf.heads import segment_head
from bisenetv2_tf.names import BISENETV2, BISENETV2_L
from bisenetv2_tf.output_layers import OUTPUTS, assemble, check_build_args, output_head
from bisenetv2_tf.semantic_branch import semantic_branch

@dataclasses.dataclass(frozen=True)
class BiSeNetV2Spec:
    """One variant's architecture (the paper's Table 1 and the heads), as data.

    Stage tuples are (name, output channels, number of layers); the first layer of each
    stage has stride 2. Semantic stages are gather-and-expansion (GE) layers with
    ``expansion``; the Context Embedding block (S5_5) keeps the last stage's width.
    ``aux_heads``: (output name, semantic endpoint it taps, upsampling factor to the
    input size), the training-only booster heads.
    """

    detail_stages: tuple
    stem_channels: int
    semantic_stages: tuple
    expansion: int
    head_mid_channels: int
    aux_mid_channels: int
    aux_heads: tuple

    @property
    def aux_modules(self):
        """PyTorch module names of the aux heads (the Keras layer prefixes)."""
        return tuple(head[0] for head in self.aux_heads)


BISENETV2_SPEC = BiSeNetV2Spec(
    detail_stages=(("S1", 64, 2), ("S2", 64, 3), ("S3", 128, 3)),
    stem_channels=16,
    semantic_stages=(("S3", 32, 2), ("S4", 64, 2), ("S5_4", 128, 4)),
    expansion=6,
    head_mid_channels=1024,
    aux_mid_channels=128,
    aux_heads=(("aux2", "feat2", 4), ("aux3", "feat3", 8), ("aux4", "feat4", 16), ("aux5_4", "feat5_4", 32)),
)

# BiSeNetV2-L: semantic-branch width x2 and depth x3 (paper: alpha=2, d=3). The paper gives
# only the two multipliers. Our reading: every semantic-branch width (stem, S3, S4, S5, CE)
# doubles; every stage keeps one stride-2 GE layer and has 3x as many GE layers in total
# (S3/S4: 2 -> 6, S5: 4 -> 12). The detail branch, BGA width (128) and heads are
# unchanged; BGA's semantic-side convs map 256 -> 128.
BISENETV2_L_SPEC = BiSeNetV2Spec(
    detail_stages=(("S1", 64, 2), ("S2", 64, 3), ("S3", 128, 3)),
    stem_channels=32,
    semantic_stages=(("S3", 64, 6), ("S4", 128, 6), ("S5_4", 256, 12)),
    expansion=6,
    head_mid_channels=1024,
    aux_mid_channels=128,
    aux_heads=(("aux2", "feat2", 4), ("aux3", "feat3", 8), ("aux4", "feat4", 16), ("aux5_4", "feat5_4", 32)),
)

VARIANTS = {BISENETV2.variant: BISENETV2_SPEC, BISENETV2_L.variant: BISENETV2_L_SPEC}
# the Keras model name of each spec (a spec of one's own is named "bisenetv2_custom" unless
# ``name`` is given: never mistaken for a shipped variant)
KERAS_NAMES = {BISENETV2_SPEC: BISENETV2.keras_name, BISENETV2_L_SPEC: BISENETV2_L.keras_name}


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
      variant: "v2" or "v2-l" (or a ``BiSeNetV2Spec``).
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
    check_build_args(num_classes, input_shape, output)

    image = keras.Input(shape=tuple(input_shape), batch_size=batch_size, name="image")
    feat_d = detail_branch(image, config.detail_stages)
    feats = semantic_branch(image, config.stem_channels, config.semantic_stages, config.expansion)
    feat_head = bilateral_guided_aggregation(feat_d, feats["feat5_5"])
    logits = segment_head(
        feat_head, num_classes, config.head_mid_channels, 8, aux=False, prefix="head", output_name="logits"
    )
    aux = None
    if aux_heads:
        aux = [segment_head(feats[endpoint], num_classes, config.aux_mid_channels, up, aux=True, prefix=head_name,
                            output_name=head_name)
               for head_name, endpoint, up in config.aux_heads]
    return assemble(image, logits, aux, output, name or KERAS_NAMES.get(config, "bisenetv2_custom"))


def to_inference(model, output="logits"):
    """Drop the auxiliary heads: a model sharing ``model``'s weights with one output."""
    return with_output_head(model, output)


def with_output_head(model, output="logits"):
    """A model over the same weights whose single output is logits, probs or argmax."""
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
    logits = model.get_layer("logits").output
    return keras.Model(model.inputs, output_head(logits, output), name=model.name)
