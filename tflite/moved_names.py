"""Names ``tflite.convert`` had before it became a TensorFlow-free command front (its
``MOVED``), served from there on first use to callers not yet moved to the modules that
now hold them: benchmarks/compare_models.py, cpu_check.py, train_benchmark.py and tests
under tests/bisenetv2_tf/ and tests/tflite/test_compare.py. Delete once nothing imports
them from tflite.convert.
"""
from tflite.converter import run_converter, to_tflite  # noqa: F401
from tflite.exporters import export, export_onnx  # noqa: F401
from tflite.formats import check_input_size  # noqa: F401
from tflite.request import ConversionRequest, dataset_info
from tflite.source import load_keras_model, model_name_of  # noqa: F401
from tflite.verify import compare  # noqa: F401


def convert_all(model, precisions, hw, out_dir, name, spec, log=print, model_name="bisenetv2", **options):
    """The old call (classes and calibration from the dataset ``spec``; ``options``:
    ``ConversionRequest`` fields) and its old result: {precision: {"path", "bytes",
    "verify", "ops", "seconds"}}."""
    request = ConversionRequest(model, tuple(precisions), tuple(hw), out_dir, name, dataset_info(spec, model_name),
                                calibration=spec, **options)
    return {fmt: {"path": a.path, "bytes": a.bytes, "verify": a.verification, "ops": a.ops, "seconds": a.seconds}
            for fmt, a in export(request, log).items()}
