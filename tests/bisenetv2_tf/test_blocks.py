"""Output shapes of every BiSeNet V2 block on tiny inputs."""
import numpy as np
import pytest
import tf_keras as keras

from bisenetv2_tf.aggregation import bilateral_guided_aggregation
from bisenetv2_tf.detail_branch import detail_branch
from bisenetv2_tf.heads import segment_head
from bisenetv2_tf.model import BISENETV2_SPEC as SPEC
from bisenetv2_tf.semantic_branch import context_embedding, ge_layer_s1, ge_layer_s2, semantic_branch, stem_block


def _shape(fn, input_shape):
    x = keras.Input(input_shape, batch_size=2)
    out = fn(x)
    model = keras.Model(x, out)
    result = model(np.zeros((2, *input_shape), np.float32))
    if isinstance(result, dict):
        return {k: tuple(v.shape) for k, v in result.items()}
    return tuple(result.shape)


def test_detail_branch_is_one_eighth_with_128_channels():
    assert _shape(lambda x: detail_branch(x, SPEC.detail_stages), (64, 96, 3)) == (2, 8, 12, 128)


def test_stem_block_is_one_quarter():
    assert _shape(lambda x: stem_block(x, 16), (64, 96, 3)) == (2, 16, 24, 16)


def test_ge_layer_s1_keeps_shape():
    assert _shape(lambda x: ge_layer_s1(x, prefix="g"), (8, 12, 32)) == (2, 8, 12, 32)


def test_ge_layer_s2_halves_and_widens():
    assert _shape(lambda x: ge_layer_s2(x, 64, prefix="g"), (8, 12, 32)) == (2, 4, 6, 64)


def test_context_embedding_keeps_shape():
    assert _shape(context_embedding, (2, 3, 128)) == (2, 2, 3, 128)


def test_semantic_branch_endpoints():
    shapes = _shape(lambda x: semantic_branch(x, SPEC.stem_channels, SPEC.semantic_stages, SPEC.expansion),
                    (64, 96, 3))
    assert shapes == {
        "feat2": (2, 16, 24, 16), "feat3": (2, 8, 12, 32), "feat4": (2, 4, 6, 64),
        "feat5_4": (2, 2, 3, 128), "feat5_5": (2, 2, 3, 128),
    }


def test_bga_fuses_to_detail_resolution():
    x_d = keras.Input((8, 12, 128))
    x_s = keras.Input((2, 3, 128))
    out = bilateral_guided_aggregation(x_d, x_s)
    assert tuple(out.shape) == (None, 8, 12, 128)


@pytest.mark.parametrize("aux,up,expected", [(False, 8, (2, 64, 96, 5)), (True, 16, (2, 128, 192, 5))])
def test_segment_head_upsamples_to_input(aux, up, expected):
    fn = lambda x: segment_head(x, 5, 32, up, aux, prefix="h", output_name="out")  # noqa: E731
    assert _shape(fn, (8, 12, 16)) == expected
