"""A model's artifacts at one input size, for timing them side by side: the files in a
folder when they have that size, the others converted into a scratch folder."""
import os
import sys

from bisenetv2_tf.runtime.litert import interpreter
from tflite.exporters import EXPORTERS, export
from tflite.formats import INT8
from tflite.request import ConversionRequest, dataset_info
from tflite.source import model_name_of

TIMED = ("fp32", "fp16") + INT8 + ("onnx",)


def static_hw(path):
    """(H, W) of a static .tflite or .onnx model's input."""
    if path.endswith(".onnx"):
        import onnx

        dims = onnx.load(path, load_external_data=False).graph.input[0].type.tensor_type.shape.dim
        return (dims[1].dim_value, dims[2].dim_value)
    it = interpreter(path=path)
    return tuple(int(v) for v in it.get_input_details()[0]["shape"][1:3])


def artifacts_at(size, name, folder, model, qat, spec, scratch, num_calibration):
    """{format: path} at ``size`` for each of TIMED (int8-qat only with a ``qat`` model):
    FOLDER/NAME_TAG.tflite and FOLDER/NAME.onnx where they have this size, the others
    converted into ``scratch`` (INT8 calibrated on ``num_calibration`` images of ``spec``)."""
    found = {}
    for fmt in TIMED:
        path = EXPORTERS[fmt].files(folder, name)[0]
        if os.path.isfile(path) and static_hw(path) == size:
            found[fmt] = path
    missing = tuple(fmt for fmt in TIMED if fmt not in found and (fmt != "int8-qat" or qat is not None))
    if set(missing) - {"onnx"}:
        print(f"converting {', '.join(f for f in missing if f != 'onnx')} at {size[0]}x{size[1]} ...",
              file=sys.stderr, flush=True)
    if missing:
        request = ConversionRequest(model, missing, size, scratch, f"{name}_{size[0]}x{size[1]}",
                                    dataset_info(spec, model_name_of(model)), calibration=spec, qat_model=qat,
                                    num_calibration=num_calibration, num_verify=1)
        found.update({fmt: artifact.path for fmt, artifact in export(request, log=lambda *a: None).items()})
    return found
