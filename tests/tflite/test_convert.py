"""Converter: every output kind runs on LiteRT and matches Keras; QAT on a tiny model;
metadata; ONNX; Edge TPU report; bad inputs leave no partial files."""
import json

import numpy as np
import pytest
import tf_keras as keras

from bisenetv2_tf import bisenetv2
from bisenetv2_tf.data import datasets
from bisenetv2_tf.qat import calibrate, quantize, quantize_scope
from bisenetv2_tf.runtime import metadata
from bisenetv2_tf.runtime.calibration import calibration_images
from bisenetv2_tf.runtime.litert import interpreter
from conftest import REPO, run_cli
from tflite import converter, convert, exporters, source
from tflite.formats import ConversionError
from tflite.request import ConversionRequest, dataset_info

pytestmark = pytest.mark.slow
HW = (64, 96)


@pytest.fixture(scope="module")
def spec(synthetic_dir):
    return datasets.camvid(synthetic_dir, "train")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    keras.utils.set_random_seed(0)
    m = bisenetv2(7, aux_heads=False)
    path = tmp_path_factory.mktemp("m") / "model.keras"
    m.save(path)
    return m, path


def _export(model, formats, out_dir, name, spec, **options):
    request = ConversionRequest(model, tuple(formats), HW, str(out_dir), name, dataset_info(spec, "bisenetv2"),
                                calibration=spec, **options)
    return exporters.export(request, log=lambda *a: None)


@pytest.fixture(scope="module")
def converted(model, spec, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    results = _export(model[0], ["fp32", "fp16", "dynamic", "int8-ptq"], out, "tiny", spec, num_calibration=4,
                      num_verify=2)
    return out, results


def test_every_precision_verifies_against_keras(converted):
    out, results = converted
    assert results["fp32"].verification["max_abs_error"] < 1e-4
    assert results["fp16"].verification["max_abs_error"] < 5e-2
    assert results["fp32"].verification["argmax_agreement_pct"] == 100.0
    for precision in ("fp16", "dynamic", "int8-ptq"):
        assert results[precision].verification["argmax_agreement_pct"] > 90.0, precision
    assert results["int8-ptq"].bytes < 0.3 * results["fp32"].bytes
    assert results["fp16"].bytes < 0.6 * results["fp32"].bytes
    assert set(results["int8-ptq"].ops) <= set(__import__("tflite.edgetpu").edgetpu.EDGETPU_OPS)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"tiny_{tag}.{ext}" for tag in ("fp32", "fp16", "dynamic", "int8_ptq") for ext in ("tflite", "json"))
    for precision, artifact in results.items():  # the record is what was written
        path = out / f"tiny_{precision.replace('-', '_')}.tflite"
        assert artifact.path == str(path) and artifact.bytes == path.stat().st_size
        assert json.loads(path.with_suffix(".json").read_text()) == artifact.metadata
        assert artifact.metadata["verification"] == artifact.verification


def test_metadata_describes_the_artifact(converted, spec):
    out, _ = converted
    meta = metadata.read(str(out / "tiny_int8_ptq.json"))
    assert meta["input"]["shape"] == [1, *HW, 3] and meta["input"]["dtype"] == "uint8"
    assert meta["input"]["quantization"]["scale"] > 0
    assert meta["output"]["kind"] == "logits" and meta["output"]["shape"] == [1, *HW, 7]
    assert meta["labels"] == list(spec.class_names) and len(meta["colors"]) == 7
    assert meta["normalization"]["mean"] == [0.3257, 0.369, 0.3223]
    assert meta["verification"]["images"] == 2
    fp32 = metadata.read(str(out / "tiny_fp32.json"))
    assert fp32["input"]["dtype"] == "float32" and fp32["input"]["quantization"] is None


def test_preprocess_rgb_feeds_the_interpreter(converted):
    out, _ = converted
    meta = metadata.read(str(out / "tiny_int8_ptq.json"))
    image = np.random.default_rng(0).integers(0, 255, (48, 96, 3), np.uint8)
    tensor = metadata.preprocess_rgb(image, meta)
    assert tensor.shape == (1, *HW, 3) and tensor.dtype == np.uint8
    zp = meta["input"]["quantization"]["zero_point"]
    assert (tensor[0, 48:] == zp).all()  # letterbox padding is normalized 0
    it = interpreter(path=str(out / "tiny_int8_ptq.tflite"))
    it.set_tensor(it.get_input_details()[0]["index"], tensor)
    it.invoke()
    ids = metadata.class_map_from_output(it.get_tensor(it.get_output_details()[0]["index"]), meta)
    assert ids.shape == HW and ids.max() < 7


@pytest.fixture(scope="module")
def small():
    """A two-conv segmentation model with the project's "logits" layer and 7 classes: what
    the output heads and I/O types are checked on (the head is independent of the body)."""
    keras.utils.set_random_seed(0)
    inp = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inp)
    return keras.Model(inp, keras.layers.Conv2D(7, 3, padding="same", name="logits")(x), name="small")


@pytest.mark.parametrize("output,io_dtype", [("argmax", "uint8"), ("probs", "int8")])
def test_output_heads_and_io_types(small, spec, tmp_path, output, io_dtype):
    from bisenetv2_tf.model import with_output_head

    headed = with_output_head(small, output)
    results = _export(headed, ["int8-ptq"], tmp_path, "h", spec, io_dtype=io_dtype, num_calibration=2,
                      num_verify=1, output_kind=output)
    it = interpreter(path=results["int8-ptq"].path)
    assert it.get_input_details()[0]["dtype"] == np.dtype(io_dtype)
    out = it.get_output_details()[0]
    assert list(out["shape"]) == ([1, *HW] if output == "argmax" else [1, *HW, 7])
    if output == "argmax":
        assert "ARG_MAX" in results["int8-ptq"].ops
        assert results["int8-ptq"].verification["argmax_agreement_pct"] > 90.0
    else:  # an untrained model's softmax is near-uniform: compare probabilities, not argmax
        assert results["int8-ptq"].verification["max_abs_error"] < 0.02
        assert "SOFTMAX" in results["int8-ptq"].ops


@pytest.fixture(scope="module")
def trained(spec):
    """The tiny V2 after 20 SGD steps on the synthetic frames: BN moving statistics of real
    activations and logits that are no longer tied (an untrained model's are both at their
    initial values, which makes QAT calibration and argmax agreement meaningless)."""
    keras.utils.set_random_seed(0)
    m = bisenetv2(7, aux_heads=False)
    images = np.concatenate(calibration_images(spec, HW, 8))
    labels = np.stack([datasets.read_label(spec, path) for path in spec.label_paths[:8]])
    labels[labels >= 7] = 0  # the ignore id: any class will do for 20 steps
    m.compile(keras.optimizers.SGD(0.01, momentum=0.9),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    m.fit(images, labels, batch_size=4, epochs=10, verbose=0)
    return m


def test_qat_tiny_model_trains_saves_and_converts(trained, spec, tmp_path):
    qat, report = quantize(trained)
    assert report["output_only"] == ["segment.S5_5.bn", "bga.right.mul", "bga.left.mul"]
    assert len(report["default"]) > 150
    images = calibration_images(spec, HW, 3)
    x = images[0]
    before = np.abs(qat(x).numpy() - trained(x).numpy()).max()
    assert calibrate(qat, images) == 3
    after = np.abs(qat(x).numpy() - trained(x).numpy()).max()
    assert after < before  # ranges from data beat TFMOT's initial +-6 (measured: 0.15 vs 1.27)
    qat.compile(keras.optimizers.SGD(1e-3), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    labels = np.zeros((2, *HW), np.int32)
    qat.fit(np.concatenate(images[:2]), labels, epochs=1, verbose=0)
    with quantize_scope():
        qat.save(tmp_path / "qat.h5")
    reloaded = source.load_keras_model(str(tmp_path / "qat.h5"))
    np.testing.assert_allclose(reloaded(x).numpy(), qat(x).numpy(), atol=1e-6)
    results = _export(trained, ["int8-qat"], tmp_path, "q", spec, qat_model=reloaded, num_calibration=2,
                      num_verify=2)
    # the dequantized logits against the QAT model's own (measured: mean error 0.016 of the
    # logits' spread, argmax agreement 99.6%)
    spread = float(np.std(reloaded(x).numpy()))
    assert results["int8-qat"].verification["mean_abs_error"] < 0.25 * spread
    assert results["int8-qat"].verification["argmax_agreement_pct"] > 95.0
    assert "DEQUANTIZE" not in results["int8-qat"].ops


def test_onnx_export_matches_keras(model, tmp_path):
    x = [np.random.default_rng(1).standard_normal((1, *HW, 3)).astype(np.float32)]
    result = exporters.export_onnx(model[0], HW, str(tmp_path / "m.onnx"), x)
    assert result["max_abs_error"] < 1e-4 and result["argmax_agreement_pct"] == 100.0


def test_onnx_sessions_keep_runtime_warnings_off_the_terminal(model, tmp_path, capfd):
    from bisenetv2_tf.runtime.predictors import onnx_session

    path = str(tmp_path / "m.onnx")
    exporters.export_onnx(model[0], HW, path, [np.zeros((1, *HW, 3), np.float32)])
    capfd.readouterr()
    session = onnx_session(path, threads=1)
    assert session.get_session_options().log_severity_level == 3  # errors only
    assert session.get_session_options().intra_op_num_threads == 1
    assert "onnxruntime" not in capfd.readouterr().err


def test_edgetpu_report_flags_cpu_ops():
    from tflite import edgetpu

    i8 = {"shape": np.array([1, 64, 64, 3]), "dtype": np.uint8}
    rows, problems = edgetpu.op_report({"CONV_2D": 3, "ARG_MAX": 1}, i8, i8)
    assert ("ARG_MAX", 1, "CPU fallback", "not in the Edge TPU operator list") in rows
    assert len(problems) == 1 and "ARG_MAX" in problems[0]
    _, problems = edgetpu.op_report({"CONV_2D": 1}, {"shape": np.array([-1, 64, 64, 3]), "dtype": np.float32}, i8)
    assert len(problems) == 2


def _cli(*args, process=False):
    return run_cli("tflite.convert", args, process)


@pytest.mark.parametrize("case", ["missing", "not_a_model", "size", "classes", "no_data"])
def test_bad_inputs_exit_cleanly_without_partial_files(case, model, synthetic_dir, tmp_path):
    out = tmp_path / "out"
    args = {"missing": ["--model", str(tmp_path / "nope.keras")],
            "not_a_model": ["--model", str(tmp_path / "bad.keras")],
            "size": ["--model", str(model[1])],
            "classes": ["--model", str(model[1])],
            "no_data": ["--model", str(model[1]), "--precision", "int8-ptq", "--class-file",
                        str(synthetic_dir) + "/classes.json"]}[case]
    (tmp_path / "bad.keras").write_bytes(b"garbage")
    size = ["60", "96"] if case == "size" else ["64", "96"]
    data = [] if case == "no_data" else ["--data-dir", str(synthetic_dir)]
    if case == "classes":
        data = ["--data-dir", str(REPO.parent / "shared" / "data" / "camvid")]
    result = _cli(*args, "--input-size", *size, "--out-dir", str(out), *data, process=case == "missing")
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "Traceback" not in result.stderr, result.stderr[-1500:]
    expected = {"missing": "not found", "not_a_model": "not a loadable", "size": "multiples of 32",
                "classes": "7 output classes but the dataset has 11", "no_data": "representative dataset"}[case]
    assert expected in last
    assert not out.exists() or not any(out.iterdir())


def test_empty_representative_set_is_an_error(spec):
    with pytest.raises(datasets.DatasetError, match="empty"):
        calibration_images(spec.subset([]), HW, 4)


def _tiny_conv():
    keras.utils.set_random_seed(0)
    inp = keras.Input((None, None, 3))
    return keras.Model(inp, keras.layers.Conv2D(4, 3, padding="same")(inp))


def test_int8_artifact_that_is_not_integer_is_refused(converted):
    """An empty calibration set makes TF emit a float32 model; it must never be called INT8."""
    tiny = _tiny_conv()
    with pytest.raises(ConversionError, match=r"int8-ptq: the converted model is not integer-only"):
        converter.to_tflite(tiny, "int8-ptq", (32, 32), lambda: iter([]))
    with pytest.raises(ConversionError, match="not integer-only"):
        converter.check_integer_only(converter.to_tflite(tiny, "fp32", (32, 32)))
    out, _ = converted
    converter.check_integer_only((out / "tiny_int8_ptq.tflite").read_bytes())  # the real INT8 artifact passes


@pytest.mark.parametrize("case", ["zero_calibration", "negative_calibration", "zero_verify", "out_dir_is_file",
                                  "out_dir_read_only", "truncated_calibration"])
def test_bad_flags_and_files_are_one_line_errors_before_conversion(case, model, synthetic_dir, tmp_path):
    import shutil

    data = tmp_path / "data"
    shutil.copytree(synthetic_dir, data)
    out = tmp_path / "out"
    flags = {"zero_calibration": ["--num-calibration", "0"], "negative_calibration": ["--num-calibration", "-2"],
             "zero_verify": ["--num-verify", "0"]}.get(case, ["--num-calibration", "100"])
    if case == "out_dir_is_file":
        out.write_text("keep")
    if case == "out_dir_read_only":
        out.mkdir()
        out.chmod(0o555)
    image = sorted((data / "train").iterdir())[3]
    if case == "truncated_calibration":
        image.write_bytes(image.read_bytes()[:200])
    try:
        result = _cli("--model", str(model[1]), "--precision", "fp32", "int8-ptq", "--input-size", *map(str, HW),
                      "--data-dir", str(data), "--out-dir", str(out), *flags)
    finally:
        if case == "out_dir_read_only":
            out.chmod(0o755)
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr[-1500:]
    last = result.stderr.strip().splitlines()[-1]
    expected = {"zero_calibration": "error: --num-calibration 0: INT8 calibration needs at least 1 image",
                "negative_calibration": "error: --num-calibration -2: INT8 calibration needs at least 1 image",
                "zero_verify": "error: --num-verify 0: must be at least 1",
                "out_dir_is_file": f"error: --out-dir {out}: is an existing file",
                "out_dir_read_only": f"error: --out-dir {out}: directory is not writable",
                "truncated_calibration": f"error: unreadable calibration image {image}: "}[case]
    assert last.startswith(expected), last
    if case == "out_dir_is_file":
        assert out.read_text() == "keep"
    else:
        assert not out.exists() or not any(out.iterdir())


# Issue 23: outputs stay inside --out-dir and never replace an input, checked before converting.
@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "tiny.keras"
    _tiny_conv().save(path)
    return path


def _main(*args):
    try:
        convert.main([str(a) for a in args])
    except SystemExit as exc:
        return str(exc.code)
    return None


def _class_file(path, k=4):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"classes": [f"c{i}" for i in range(k)], "ignore_index": 255}))
    return path


@pytest.mark.parametrize("name", ["../x", "sub/x", "..", "a\\b"])
def test_name_with_a_folder_is_refused_before_converting(tiny_path, tmp_path, monkeypatch, name):
    monkeypatch.setattr(exporters, "export", lambda *a, **k: pytest.fail("converted before the check"))
    classes = _class_file(tmp_path / "classes.json")
    out = tmp_path / "deep" / "out"
    out.mkdir(parents=True)
    message = _main("--model", tiny_path, "--precision", "fp32", "--input-size", 32, 32, "--out-dir", out,
                    "--class-file", classes, "--name", name)
    assert message == (f"error: --name {name!r}: must be a file name stem without a folder or '..' "
                       "(put the folder in --out-dir)")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["classes.json", "deep", "out"]


def test_artifact_that_is_an_input_is_refused_before_converting(tiny_path, tmp_path, monkeypatch):
    out = tmp_path / "out"
    classes = _class_file(out / "tiny_fp32.json")  # the metadata JSON of NAME_fp32.tflite would replace it
    before = classes.read_text()
    monkeypatch.setattr(exporters, "export", lambda *a, **k: pytest.fail("converted before the check"))
    message = _main("--model", tiny_path, "--precision", "fp32", "--input-size", 32, 32, "--out-dir", out,
                    "--class-file", classes, "--name", "tiny")
    assert message == (f"error: --out-dir {out}: {classes} is the --class-file, and an output never replaces an "
                       "input: choose another --out-dir")
    assert classes.read_text() == before and sorted(p.name for p in out.iterdir()) == ["tiny_fp32.json"]


# Issue 23 item 3: a Keras model that is not a segmentation model of this project is
# refused with one line before converting (today: converted, or a ValueError traceback).
def _foreign(case):
    keras.utils.set_random_seed(0)
    inp = keras.Input((64, 64, 3) if case == "static_other_size" else (None, None, 3))
    if case == "classifier":
        x = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(8, 3, padding="same")(inp))
        return keras.Model(inp, keras.layers.Dense(4)(x))
    if case == "half_res":
        return keras.Model(inp, keras.layers.Conv2D(4, 3, strides=2, padding="same")(inp))
    return keras.Model(inp, keras.layers.Conv2D(4, 3, padding="same")(inp))  # no "logits" layer


FOREIGN = {
    "classifier": "it is a classifier: its output (?,4) scores the whole image, not each pixel",
    "half_res": "run on a 32x32 test image, its output (1,16,16,4) is 16x16, not at its input's 32x32",
    "argmax_without_logits": "it has 1 output(s) and no \"logits\" layer to take argmax from",
    "static_other_size": "cannot run a 32x32 test image (ValueError: ",
}


@pytest.mark.parametrize("case", FOREIGN)
def test_model_that_is_not_a_segmentation_model_is_refused_before_converting(case, tmp_path, monkeypatch):
    from bisenetv2_tf.runtime.predictors import SEGMENTATION_IO

    path = tmp_path / f"{case}.keras"
    _foreign(case).save(path)
    monkeypatch.setattr(exporters, "export", lambda *a, **k: pytest.fail("converted before the check"))
    out = tmp_path / "out"
    out.mkdir()
    output = ["--output", "argmax"] if case == "argmax_without_logits" else []
    message = _main("--model", path, "--precision", "fp32", "--input-size", 32, 32, "--out-dir", out,
                    "--class-file", _class_file(tmp_path / "classes.json"), *output)
    assert message.startswith(f"error: {path}: {FOREIGN[case]}") and "\n" not in message, message
    assert message.endswith(SEGMENTATION_IO) and not any(out.iterdir())


def test_segmentation_model_check_passes_this_projects_models(model, tiny_path):
    """BiSeNetV2 (aux heads or not) and a tiny conv pass at the conversion size, with each head."""
    bise, path = model
    assert source.single_output(bise, path) is bise
    source.check_segmentation_model(bise, path, HW)
    keras.utils.set_random_seed(0)
    aux = bisenetv2(7, aux_heads=True)
    logits = source.single_output(aux, "aux.keras")
    source.check_segmentation_model(logits, "aux.keras", HW)
    assert logits.outputs[0].shape[-1] == 7
    argmax = source.single_output(aux, "aux.keras", "argmax")
    source.check_segmentation_model(argmax, "aux.keras", HW)
    assert argmax.outputs[0].shape.rank == 3
    tiny = source.load_keras_model(tiny_path)
    assert source.single_output(tiny, tiny_path) is tiny
    source.check_segmentation_model(tiny, tiny_path, (32, 32))


def test_a_diverged_model_is_refused_before_converting():
    x = keras.Input((32, 32, 3))
    model = keras.Model(x, keras.layers.Conv2D(3, 1, name="logits")(x))
    source.check_weights_sane(model, "ok.keras")
    layer = model.get_layer("logits")
    layer.kernel.assign(layer.kernel * 0 + 17055.0)
    with pytest.raises(ConversionError, match="logits/kernel.* holds 1.71e\\+04 .*diverged"):
        source.check_weights_sane(model, "m.keras")
