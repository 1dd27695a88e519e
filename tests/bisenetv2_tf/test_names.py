"""One table of model names (bisenetv2_tf/names.py) that builders, CLIs and the importer read."""
import pytest
import tf_keras as keras

from bisenetv2_tf import builders, checkpoint, import_torch, model, names, summary
from bisenetv2_tf.checkpoint import export_state_dict, torch_layout, write_npz


def test_every_list_of_names_is_read_from_the_table():
    assert names.MODEL_NAMES == ("bisenetv2", "bisenetv2-l", "bisenetv1")
    assert builders.MODEL_NAMES is names.MODEL_NAMES
    assert summary.VARIANT_TO_MODEL is names.VARIANT_TO_MODEL
    assert names.VARIANT_TO_MODEL == {"v2": "bisenetv2", "v2-l": "bisenetv2-l", "v1": "bisenetv1"}
    assert set(model.VARIANTS) == {names.BISENETV2.variant, names.BISENETV2_L.variant}
    with pytest.raises(ValueError, match="unknown model 'bisenetv3'; choose one of bisenetv2, bisenetv2-l, bisenetv1"):
        builders.build_model("bisenetv3", 3)


@pytest.mark.parametrize("entry", names.MODELS, ids=lambda m: m.name)
def test_each_name_builds_its_model_and_aux_prefixes_are_its_aux_heads(entry):
    train = builders.build_model(entry.name, 3, (64, 64, 3), aux_heads=True)
    infer = builders.build_model(entry.name, 3, (64, 64, 3), aux_heads=False)
    assert train.name == infer.name == entry.keras_name
    aux_keys = set(torch_layout(train)) - set(torch_layout(infer))
    assert aux_keys and all(k.startswith(checkpoint.AUX_PREFIXES) for k in aux_keys)
    assert not any(k.startswith(checkpoint.AUX_PREFIXES) for k in torch_layout(infer))
    # each aux head is an output of the training model, named as the table of heads says
    assert len(train.outputs) == 1 + len({k.split(".")[0] for k in aux_keys})


def test_aux_prefixes_unchanged():
    assert checkpoint.AUX_PREFIXES == ("aux2.", "aux3.", "aux4.", "aux5_4.", "conv_out16.", "conv_out32.")


def test_summary_variant_and_model_flags(capsys):
    summary.main(["--variant", "v1", "--num-classes", "3", "--size", "64", "64"])
    assert capsys.readouterr().out.startswith("# bisenetv1, 3 classes, input 1x64x64x3")
    summary.main(["--model", "bisenetv2-l", "--num-classes", "3", "--size", "64", "64"])
    assert capsys.readouterr().out.startswith("# bisenetv2-l, 3 classes")
    summary.main(["--num-classes", "3", "--size", "64", "64"])
    assert capsys.readouterr().out.startswith("# bisenetv2, 3 classes")


@pytest.mark.parametrize("flags,keras_name", [
    (["--variant", "v2-l"], "bisenetv2_l"),
    (["--model", "bisenetv1"], "bisenetv1"),
    (["--variant", "v1"], "bisenetv1"),
])
def test_import_torch_model_and_variant_flags(tmp_path, capsys, flags, keras_name):
    name = names.VARIANT_TO_MODEL.get(flags[1], flags[1])
    npz = tmp_path / "w.npz"
    write_npz(export_state_dict(builders.build_model(name, 3, aux_heads=True)), npz)
    out = tmp_path / "m.keras"
    import_torch.main([str(npz), "--num-classes", "3", "--out", str(out), *flags])
    assert f"wrote {out}: {name}, 3 classes, inference model; ignored" in capsys.readouterr().out
    assert keras.models.load_model(out).name == keras_name
