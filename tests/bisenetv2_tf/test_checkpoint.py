"""Parity with CoinCheung/BiSeNet's BiSeNetV2 on the reference fixture, and the importer."""

import numpy as np
import pytest
import tf_keras as keras

from bisenetv2_tf import bisenetv2, to_inference
from bisenetv2_tf.checkpoint import (
    AUX_PREFIXES, CheckpointMismatchError, export_state_dict, import_model, load_state_dict, read_checkpoint, write_npz,
)
from bisenetv2_tf.complexity import count_params
from conftest import REFERENCE_DIR, load_npz, require, run_cli

WEIGHTS = REFERENCE_DIR / "coincheung_bisenetv2_c11.npz"
IO = REFERENCE_DIR / "coincheung_bisenetv2_c11_io.npz"
TOL = 1e-4
INTERMEDIATES = {
    "feat_detail": "detail.S3.2.relu", "feat2": "segment.S1S2.fuse.relu", "feat3": "segment.S3.1.relu",
    "feat4": "segment.S4.1.relu", "feat5_4": "segment.S5_4.3.relu", "feat5_5": "segment.S5_5.conv_last.relu",
    "feat_bga": "bga.conv.2", "logits_lowres": "head.conv_out.1",
}


@pytest.fixture(scope="module")
def state():
    return load_npz(WEIGHTS)


@pytest.fixture(scope="module")
def io():
    return load_npz(IO)


@pytest.fixture(scope="module")
def imported(state):
    model = bisenetv2(11, aux_heads=True)
    assert load_state_dict(model, state) == []
    return model


def test_parameter_counts_equal_reference():
    train, infer = bisenetv2(11, aux_heads=True), bisenetv2(11, aux_heads=False)
    assert count_params(infer) == (3_350_427, 17_328)
    assert count_params(train) == (5_212_375, 21_072)


def test_outputs_match_reference(imported, io):
    outs = imported(io["input_nhwc"], training=False)
    for name, out in zip(["logits", "aux2", "aux3", "aux4", "aux5_4"], outs):
        diff = np.abs(out.numpy().transpose(0, 3, 1, 2) - io[name]).max()
        assert diff <= TOL, f"{name}: max abs diff {diff}"


def test_intermediates_match_reference(imported, io):
    probe = keras.Model(imported.input, [imported.get_layer(n).output for n in INTERMEDIATES.values()])
    for name, out in zip(INTERMEDIATES, probe(io["input_nhwc"], training=False)):
        diff = np.abs(out.numpy().transpose(0, 3, 1, 2) - io[name]).max()
        assert diff <= TOL, f"{name}: max abs diff {diff}"


def test_inference_model_ignores_aux_keys_and_matches(state, io):
    model = bisenetv2(11, aux_heads=False)
    ignored = load_state_dict(model, state)
    assert len(ignored) == 48 and all(k.startswith("aux") for k in ignored)
    diff = np.abs(model(io["input_nhwc"]).numpy().transpose(0, 3, 1, 2) - io["logits"]).max()
    assert diff <= TOL


def test_save_reload_other_size_identical(imported, tmp_path):
    x = np.random.default_rng(7).standard_normal((2, 96, 160, 3)).astype(np.float32)
    inference = to_inference(imported)
    expected = inference(x).numpy()
    inference.save(tmp_path / "v2.keras")
    np.testing.assert_array_equal(keras.models.load_model(tmp_path / "v2.keras")(x).numpy(), expected)


def test_export_round_trip_is_lossless(imported, state):
    exported = export_state_dict(imported)
    assert set(exported) == set(state)
    for key, value in state.items():
        assert exported[key].shape == value.shape or key.endswith("num_batches_tracked"), key
        np.testing.assert_array_equal(exported[key].reshape(value.shape), value, err_msg=key)


def _weights_snapshot(model):
    return [w.copy() for w in model.get_weights()]


@pytest.mark.parametrize("mutate,message", [
    (lambda s: s.pop("bga.left1.0.weight"), "1 missing key"),
    (lambda s: s.__setitem__("bga.extra.weight", np.zeros(3, np.float32)), "1 unexpected key"),
    (lambda s: s.__setitem__("head.conv_out.1.bias", np.zeros(12, np.float32)), "1 mis-shaped key"),
])
def test_mismatched_checkpoints_are_refused_whole(state, mutate, message):
    model = bisenetv2(11, aux_heads=True)
    before = _weights_snapshot(model)
    broken = dict(state)
    mutate(broken)
    with pytest.raises(CheckpointMismatchError, match=message):
        load_state_dict(model, broken)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_read_checkpoint_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_checkpoint(str(tmp_path / "none.npz"))
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(CheckpointMismatchError, match="not a readable"):
        read_checkpoint(str(bad))
    with pytest.raises(CheckpointMismatchError, match="unsupported"):
        (tmp_path / "w.ckpt").write_bytes(b"x")
        read_checkpoint(str(tmp_path / "w.ckpt"))
    truncated = tmp_path / "truncated.npz"
    data = require(WEIGHTS).read_bytes()
    truncated.write_bytes(data[: len(data) // 2])  # a zip without its central directory: BadZipFile
    with pytest.raises(CheckpointMismatchError, match="truncated.npz: not a readable .npz checkpoint"):
        read_checkpoint(str(truncated))


def test_write_npz_round_trip(imported, tmp_path):
    write_npz(export_state_dict(imported), tmp_path / "w.npz")
    model = bisenetv2(11, aux_heads=True)
    load_state_dict(model, read_checkpoint(str(tmp_path / "w.npz")))
    for a, b in zip(model.get_weights(), imported.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_import_model_api_matches_reference_at_a_static_size(io):
    require(WEIGHTS)
    model, ignored = import_model(str(WEIGHTS), 11, "bisenetv2", input_size=io["input_nhwc"].shape[1:3])
    assert ignored and all(k.startswith(AUX_PREFIXES) for k in ignored)  # an inference model
    assert model.input_shape[1:3] == io["input_nhwc"].shape[1:3]
    diff = np.abs(model(io["input_nhwc"], training=False).numpy().transpose(0, 3, 1, 2) - io["logits"]).max()
    assert diff <= TOL
    with pytest.raises(ValueError, match="--num-classes 0: must be at least 1"):
        import_model(str(WEIGHTS), 0, "bisenetv2")
    with pytest.raises(ValueError, match="--input-size 0 64: must be positive"):
        import_model(str(WEIGHTS), 11, "bisenetv2", input_size=(0, 64))


def _run_cli(*args, process=False):
    return run_cli("bisenetv2_tf.import_torch", args, process)


def test_import_cli_writes_loadable_inference_model(tmp_path, io):
    out = tmp_path / "camvid.keras"
    result = _run_cli(str(require(WEIGHTS)), "--num-classes", "11", "--out", str(out))
    assert result.returncode == 0, result.stderr
    model = keras.models.load_model(out)
    assert len(model.outputs) == 1
    diff = np.abs(model(io["input_nhwc"]).numpy().transpose(0, 3, 1, 2) - io["logits"]).max()
    assert diff <= TOL


def test_import_cli_mismatch_exits_with_one_line(tmp_path):
    out = tmp_path / "x.keras"
    result = _run_cli(str(require(WEIGHTS)), "--num-classes", "19", "--out", str(out), process=True)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: checkpoint does not fit") and "head.conv_out.1" in last
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_import_cli_truncated_npz_one_line_no_partial_file(tmp_path):
    data = require(WEIGHTS).read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) * 3 // 4])
    out = tmp_path / "out" / "x.keras"
    result = _run_cli(str(tmp_path / "cut.npz"), "--num-classes", "11", "--out", str(out))
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "cut.npz: not a readable .npz checkpoint" in last
    assert "Traceback" not in result.stderr
    assert not out.exists() and not any(p.name.endswith(".keras") for p in tmp_path.rglob("*"))


@pytest.mark.parametrize("case", ["directory", "read_only", "parent_is_file", "classes", "size"])
def test_import_cli_bad_out_or_number_is_refused_before_building(tmp_path, case):
    # a bad number is refused before --out's missing folder is made
    out = {"directory": tmp_path / "d.keras", "read_only": tmp_path / "ro.keras",
           "parent_is_file": tmp_path / "afile" / "x.keras", "classes": tmp_path / "new" / "x.keras",
           "size": tmp_path / "new" / "x.keras"}[case]
    (tmp_path / "d.keras").mkdir()
    (tmp_path / "ro.keras").write_text("old")
    (tmp_path / "ro.keras").chmod(0o444)
    (tmp_path / "afile").write_text("")
    classes = "0" if case == "classes" else "11"
    size = ["--input-size", "0", "64"] if case == "size" else []
    result = _run_cli(str(require(WEIGHTS)), "--num-classes", classes, "--out", str(out), *size)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    expected = {"directory": f"error: --out {out}: is a directory", "read_only": f"error: --out {out}: file exists "
                "and is read-only", "parent_is_file": f"error: --out {out}: ", "classes": "error: --num-classes 0: "
                "must be at least 1", "size": "error: --input-size 0 64: must be positive"}[case]
    assert last.startswith(expected), last
    assert (tmp_path / "ro.keras").read_text() == "old" and (tmp_path / "d.keras").is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "d.keras", "ro.keras"]
