"""The conversion request and the exporter table: every format the CLI offers has one
entry; each bad request is refused with its one line when built, before any conversion
work; a good one exports its artifacts."""
import json

import pytest
import tf_keras as keras

from bisenetv2_tf.data.datasets import DatasetSpec
from bisenetv2_tf.fileio import OutputPathError
from bisenetv2_tf.runtime.model_info import ModelInfo
from tflite import convert, exporters, formats
from tflite.request import ConversionRequest, dataset_info, formats_of

HW = (32, 32)


@pytest.fixture(scope="module")
def conv():
    keras.utils.set_random_seed(0)
    x = keras.Input((None, None, 3))
    return keras.Model(x, keras.layers.Conv2D(4, 3, padding="same", name="logits")(x))


@pytest.fixture(scope="module")
def classifier():
    x = keras.Input((None, None, 3))
    return keras.Model(x, keras.layers.Dense(4)(keras.layers.GlobalAveragePooling2D()(x)))


INFO = ModelInfo(("a", "b", "c", "d"), ((0, 0, 0),) * 4, model="tiny")
DATA = DatasetSpec(("never/read.png",), ("never/read_L.png",), INFO.class_names, INFO.colors)


def _cli_args(*flags):
    return convert.parse_args(["--model", "m.keras", "--input-size", "32", "32", "--out-dir", "out", *flags])


def test_the_table_covers_every_format_the_cli_offers():
    assert tuple(exporters.EXPORTERS) == formats.FORMATS
    everything = _cli_args("--precision", *formats.PRECISIONS, "--onnx", "--edgetpu")
    assert formats_of(everything) == formats.FORMATS
    assert formats_of(_cli_args()) == ("fp32", "fp16", "int8-ptq")  # the default --precision
    with pytest.raises(SystemExit):
        _cli_args("--precision", "int4")


def test_each_entry_names_its_files():
    files = {fmt: [p.split("/")[-1] for p in entry.files("out", "m")] for fmt, entry in exporters.EXPORTERS.items()}
    assert files == {"fp32": ["m_fp32.tflite", "m_fp32.json"], "fp16": ["m_fp16.tflite", "m_fp16.json"],
                     "dynamic": ["m_dynamic.tflite", "m_dynamic.json"],
                     "int8-ptq": ["m_int8_ptq.tflite", "m_int8_ptq.json"],
                     "int8-qat": ["m_int8_qat.tflite", "m_int8_qat.json"], "onnx": ["m.onnx"], "edgetpu": []}


def _request(conv, out, **changes):
    fields = dict(model=conv, formats=("fp32", "int8-ptq"), input_size=HW, out_dir=str(out), name="m", info=INFO,
                  calibration=DATA)
    return ConversionRequest(**{**fields, **changes})


def test_a_good_request_lists_what_it_writes(conv, tmp_path):
    request = _request(conv, tmp_path, formats=("int8-ptq", "onnx", "edgetpu"))
    assert [p.split("/")[-1] for p in request.outputs()] == ["m_int8_ptq.tflite", "m_int8_ptq.json", "m.onnx"]
    assert not any(tmp_path.iterdir())


BAD = {  # changed field(s) -> the one line
    "format": ({"formats": ("fp32", "int4")},
               "unknown format 'int4'; choose from fp32, fp16, dynamic, int8-ptq, int8-qat, onnx, edgetpu"),
    "edgetpu_first": ({"formats": ("edgetpu", "int8-ptq")},
                      "edgetpu derives from int8-ptq or int8-qat: request one before it"),
    "size": ({"input_size": (30, 32)}, "input size must be positive multiples of 32, got 30x32"),
    "calibration_count": ({"num_calibration": 0}, "--num-calibration 0: INT8 calibration needs at least 1 image"),
    "negative_calibration": ({"formats": ("fp32",), "num_calibration": -1},
                             "--num-calibration -1: INT8 calibration needs at least 1 image"),
    "verify": ({"num_verify": 0}, "--num-verify 0: must be at least 1"),
    "threads": ({"threads": 0}, "--threads 0: must be at least 1"),
    "io_dtype": ({"io_dtype": "float32"}, "--io-dtype 'float32': choose from uint8, int8"),
    "name": ({"name": "../m"}, "--name '../m': must be a file name stem without a folder or '..' "
                               "(put the folder in --out-dir)"),
    "no_data": ({"calibration": None}, "INT8 conversion needs a representative dataset: pass --data-dir"),
    "no_qat": ({"formats": ("int8-qat",)},
               "int8-qat needs a QAT model (--qat-model, made by python -m training.train --qat)"),
    "classes": ({"info": ModelInfo(("a", "b", "c"), ((0, 0, 0),) * 3)},
                "model has 4 output classes but the dataset has 3"),
}


@pytest.mark.parametrize("case", BAD)
def test_each_bad_request_is_one_line_before_any_work(case, conv, tmp_path, monkeypatch):
    monkeypatch.setattr(exporters, "export", lambda *a, **k: pytest.fail("exported"))
    changes, message = BAD[case]
    with pytest.raises(formats.ConversionError) as err:
        _request(conv, tmp_path, **changes)
    assert str(err.value) == message
    assert not any(tmp_path.iterdir())


def test_a_model_that_is_not_a_segmentation_model_is_refused(conv, classifier, tmp_path):
    with pytest.raises(formats.ConversionError, match="^c.keras: it is a classifier"):
        _request(classifier, tmp_path, model_file="c.keras")
    with pytest.raises(formats.ConversionError, match="^the QAT model: it is a classifier"):
        _request(conv, tmp_path, qat_model=classifier)


def test_an_unusable_out_dir_or_an_artifact_that_is_an_input_is_refused(conv, tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("keep")
    with pytest.raises(OutputPathError, match=f"^--out-dir {afile}: is an existing file"):
        _request(conv, afile)
    classes = tmp_path / "m_fp32.json"
    classes.write_text(json.dumps({"classes": list("abcd")}))
    with pytest.raises(OutputPathError, match=f"{classes} is the --class-file, and an output never replaces"):
        _request(conv, tmp_path, class_file=str(classes))
    assert afile.read_text() == "keep" and sorted(p.name for p in tmp_path.iterdir()) == ["afile", "m_fp32.json"]


def test_a_request_exports_artifacts_with_their_metadata(conv, tmp_path):
    """What benchmarks/compare_models.py does: build the request, export, read the Artifacts."""
    request = ConversionRequest(conv, ("fp32",), HW, str(tmp_path), "m", dataset_info(DATA, "tiny"), calibration=DATA,
                                num_verify=1)
    artifact = exporters.export(request, log=lambda *a: None)["fp32"]
    assert isinstance(artifact, exporters.Artifact) and artifact.format == "fp32"
    assert artifact.path == str(tmp_path / "m_fp32.tflite")
    assert artifact.bytes == (tmp_path / "m_fp32.tflite").stat().st_size > 0
    assert artifact.verification["argmax_agreement_pct"] == 100.0 and artifact.ops
    assert json.loads((tmp_path / "m_fp32.json").read_text())["model"] == "tiny"


@pytest.mark.parametrize("flags,expected", [
    (["--num-calibration", "0", "--precision", "int8-ptq"], "--num-calibration 0: INT8 calibration needs at least"),
    (["--num-verify", "0"], "--num-verify 0: must be at least 1"),
    (["--name", "a/b"], "--name 'a/b': must be a file name stem"),
    (["--input-size", "30", "32"], "input size must be positive multiples of 32, got 30x32"),
])
def test_flags_are_checked_before_any_model_is_loaded(flags, expected, tmp_path, monkeypatch):
    from tflite import request, source

    monkeypatch.setattr(source, "load_keras_model", lambda *a: pytest.fail("loaded a model before the flag check"))
    with pytest.raises(formats.ConversionError, match=expected.replace("(", r"\(")):
        request.from_args(_cli_args(*flags))
