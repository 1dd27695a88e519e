"""--aux-resolution own: the training model's aux outputs at each head's own size."""
import numpy as np
import pytest

from bisenetv2_tf.builders import build_model
from training.aux_resolution import own_resolution_aux


@pytest.mark.parametrize("arch,sizes", [("bisenetv2", [64, 32, 16, 8, 4]), ("bisenetv1", [64, 8, 4])])
def test_aux_outputs_skip_their_upsampling_and_keep_names_and_weights(arch, sizes):
    full = build_model(arch, 3, (64, 96, 3))
    own = own_resolution_aux(full)
    assert own.output_names == full.output_names
    assert [o.shape[1] for o in own.outputs] == sizes
    assert all(o.dtype == "float32" for o in own.outputs)
    assert len(own.weights) == len(full.weights) and own.count_params() == full.count_params()
    x = np.random.default_rng(0).standard_normal((1, 64, 96, 3)).astype(np.float32)
    np.testing.assert_array_equal(own(x, training=False)[0], full(x, training=False)[0])


def test_a_model_without_aux_heads_is_unchanged_in_outputs():
    model = build_model("bisenetv2", 3, (64, 64, 3), aux_heads=False)
    assert own_resolution_aux(model).output_names == model.output_names
