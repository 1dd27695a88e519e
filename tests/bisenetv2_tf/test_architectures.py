"""The one registry of architectures: every name resolves, builds its own model with its
own heads, and the checkpoint importer's aux prefixes come from it."""
import pytest

from bisenetv2_tf import architectures, checkpoint, names
from bisenetv2_tf.model import BiSeNetV2Spec, BISENETV2_SPEC, bisenetv2
from tflite.source import model_name_of


@pytest.mark.parametrize("arch", architectures.REGISTRY, ids=lambda a: a.name)
def test_each_entry_builds_its_model_with_its_names_and_heads(arch):
    model = arch.build(3, (64, 64, 3))
    assert model.name == arch.keras_name
    assert tuple(model.output_names) == ("logits", *arch.aux_outputs)
    inference = arch.build(3, (64, 64, 3), aux_heads=False)
    assert inference.output_names == ["logits"] and model_name_of(inference) == arch.name
    for key in (arch.name, arch.names.variant, arch.keras_name):
        assert architectures.get(key) is arch


def test_registry_covers_the_names_table_and_unknown_names_are_refused():
    assert [a.names for a in architectures.REGISTRY] == list(names.MODELS)
    with pytest.raises(ValueError, match="unknown model 'bisenetv3'"):
        architectures.get("bisenetv3")


def test_aux_prefixes_come_from_the_registry():
    assert checkpoint.AUX_PREFIXES == ("aux2.", "aux3.", "aux4.", "aux5_4.", "conv_out16.", "conv_out32.")


def test_a_spec_of_ones_own_is_never_named_as_a_shipped_variant():
    import dataclasses

    narrow = dataclasses.replace(BISENETV2_SPEC, head_mid_channels=64)
    assert isinstance(narrow, BiSeNetV2Spec)
    model = bisenetv2(3, (64, 64, 3), narrow, aux_heads=False)
    assert model.name == "bisenetv2_custom" and model_name_of(model) == "bisenetv2_custom"
