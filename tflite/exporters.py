"""The exporter table: one entry per format (the five TFLite precisions, ONNX, the Edge
TPU profile), saying which files it writes beside NAME, which model it converts (the
float or the QAT one, calibrated or not, or another format's artifact) and the function
that makes, verifies and writes it, returning an ``Artifact``. ``export`` runs a checked
``ConversionRequest`` (tflite/request.py) through the table in the request's order.

Each file is written atomically once its artifact has been verified: a failure leaves
no partial file.
"""
import dataclasses
import json
import os
import time
from typing import Callable

import numpy as np

from bisenetv2_tf.fileio import atomic_write, check_writable_dir
from bisenetv2_tf.runtime import metadata, model_info
from bisenetv2_tf.runtime.calibration import calibration_images
from bisenetv2_tf.runtime.litert import interpreter, op_histogram
from tflite import edgetpu
from tflite.converter import to_onnx, to_tflite
from tflite.formats import INT8
from tflite.verify import verify_onnx, verify_tflite


@dataclasses.dataclass(frozen=True)
class Artifact:
    """What one entry made."""
    format: str
    path: str             # the file written; None for an entry that writes none of its own
    bytes: int
    verification: dict    # its check against Keras (argmax agreement, logit errors, images);
                          # the Edge TPU profile: {INT8 format: its problems, whether the compiler ran}
    metadata: dict = None  # written with it: the JSON beside a .tflite, the class information in a .onnx
    ops: dict = None       # TFLite op histogram
    seconds: float = 0.0


@dataclasses.dataclass
class Run:
    """One export's shared state: images read once, the artifacts made so far, the log."""
    calibration: list     # INT8 representative images; None when no requested entry is calibrated
    verification: list    # what every TFLite artifact is compared with Keras on
    log: Callable
    made: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Exporter:
    """One format: its files, what it converts, and ``make(request, format, run) -> Artifact``."""
    suffixes: tuple           # the files it writes, NAME + suffix: the artifact, then its metadata
    make: Callable
    source: str = "model"     # the request's model it converts: "model" or "qat_model"
    calibrated: bool = False  # needs INT8 calibration images (the request's calibration dataset)
    derives_from: tuple = ()  # formats whose artifacts it reads; one of them must run before it

    def files(self, out_dir, name):
        return tuple(os.path.join(out_dir, name + suffix) for suffix in self.suffixes)


def export(request, log=print):
    """Make every format of the checked ``request``, in its order; {format: Artifact}.

    ``log`` gets one line per phase (calibration images read, calibration progress at each
    quarter, verification, each artifact written); ``lambda *a: None`` for silence."""
    hw, calibration = request.input_size, None
    if any(EXPORTERS[fmt].calibrated for fmt in request.formats):
        log(f"reading {min(request.num_calibration, len(request.calibration))} calibration images "
            f"({hw[0]}x{hw[1]}) ...")
        calibration = calibration_images(request.calibration, hw, request.num_calibration,
                                         norm=request.info.normalization)
    verification = calibration[:request.num_verify] if calibration else [
        np.random.default_rng(0).standard_normal((1, hw[0], hw[1], 3)).astype(np.float32) for _ in range(2)]
    check_writable_dir(request.out_dir, "--out-dir")
    run = Run(calibration, verification, log)
    for fmt in request.formats:
        run.made[fmt] = EXPORTERS[fmt].make(request, fmt, run)
    return run.made


def export_tflite(request, fmt, run):
    """Convert (INT8: calibrated on the run's images), compare with Keras on LiteRT, write
    NAME_TAG.tflite and NAME_TAG.json (the metadata apps read, with the verification)."""
    t0, entry, info = time.time(), EXPORTERS[fmt], request.info
    model = getattr(request, entry.source)
    representative = (lambda: _with_progress(run.calibration, fmt, run.log)) if entry.calibrated else None
    run.log(f"{fmt}: converting" + (f", calibrating on {len(run.calibration)} images" if representative else "")
            + " ...")
    content = to_tflite(model, fmt, request.input_size, representative, request.io_dtype)
    run.log(f"{fmt}: verifying against Keras on {len(run.verification)} images ...")
    report = verify_tflite(content, model, run.verification, request.threads)
    it = interpreter(content)
    meta = metadata.build(info.model, fmt.replace("-", "_"), it.get_input_details()[0], it.get_output_details()[0],
                          request.output_kind, info.normalization, info.class_names, info.colors, info.ignore_index)
    meta["verification"] = report
    path, meta_path = entry.files(request.out_dir, request.name)
    atomic_write(path, content)
    atomic_write(meta_path, json.dumps(meta, indent=1))
    err = (f"max |err| {report['max_abs_error']:.4f}, mean {report['mean_abs_error']:.5f}, "
           if "max_abs_error" in report else "")
    run.log(f"{fmt:9s} {path} {len(content) / 1e6:.2f} MB: {err}argmax agreement "
            f"{report['argmax_agreement_pct']:.2f}% on {report['images']} images ({time.time() - t0:.0f}s)")
    return Artifact(fmt, path, len(content), report, meta, op_histogram(content), time.time() - t0)


def _with_progress(images, label, log):
    """Yield ``[x]`` per image (the converter's representative dataset), logging each quarter."""
    marks = {max(1, round(len(images) * q / 4)) for q in (1, 2, 3, 4)}
    for i, x in enumerate(images, start=1):
        yield [x]
        if i in marks:
            log(f"{label}: calibration {i}/{len(images)}")


def export_onnx(model, hw, path, check_images, opset=17):
    """tf2onnx export (fp32, static batch 1) checked with onnxruntime against Keras on
    ``check_images``, written atomically to ``path`` (its folder must exist).

    Returns {"path", "bytes", "max_abs_error", "argmax_agreement_pct"}."""
    content = to_onnx(model, hw, opset)
    check = verify_onnx(content, model, check_images)
    atomic_write(path, content)
    return {"path": path, "bytes": len(content), "max_abs_error": check.get("max_abs_error", 0.0),
            "argmax_agreement_pct": check["argmax_agreement_pct"]}


def export_onnx_artifact(request, fmt, run):
    """NAME.onnx of the float model, checked on two calibration images (one random image
    without a dataset), with the class information embedded."""
    t0, hw = time.time(), request.input_size
    if run.calibration and len(run.calibration) >= 2:  # the same two images, already read
        check = run.calibration[:2]
    elif request.calibration:
        check = calibration_images(request.calibration, hw, 2, norm=request.info.normalization)
    else:
        check = [np.random.default_rng(0).standard_normal((1, *hw, 3)).astype(np.float32)]
    (path,) = EXPORTERS[fmt].files(request.out_dir, request.name)
    onnx = export_onnx(request.model, hw, path, check)
    info = dataclasses.replace(request.info, source="embedded")
    model_info.embed(path, info)
    run.log(f"onnx      {path} {onnx['bytes'] / 1e6:.2f} MB: max |err| {onnx['max_abs_error']:.2e}, "
            f"argmax agreement {onnx['argmax_agreement_pct']:.2f}% (onnxruntime)")
    verification = {"argmax_agreement_pct": onnx["argmax_agreement_pct"], "images": len(check),
                    "max_abs_error": onnx["max_abs_error"]}
    return Artifact(fmt, path, os.path.getsize(path), verification, info.to_json(), seconds=time.time() - t0)


def profile_edgetpu(request, fmt, run):
    """The Edge TPU op report of each INT8 artifact made before it (and edgetpu_compiler's
    output where it is installed; it writes NAME_TAG_edgetpu.tflite itself)."""
    t0, sources = time.time(), EXPORTERS[fmt].derives_from
    report = {made: edgetpu.profile(artifact.path, run.log) for made, artifact in run.made.items() if made in sources}
    return Artifact(fmt, None, 0, report, seconds=time.time() - t0)


EXPORTERS = {
    "fp32": Exporter(("_fp32.tflite", "_fp32.json"), export_tflite),
    "fp16": Exporter(("_fp16.tflite", "_fp16.json"), export_tflite),
    "dynamic": Exporter(("_dynamic.tflite", "_dynamic.json"), export_tflite),
    "int8-ptq": Exporter(("_int8_ptq.tflite", "_int8_ptq.json"), export_tflite, calibrated=True),
    "int8-qat": Exporter(("_int8_qat.tflite", "_int8_qat.json"), export_tflite, source="qat_model",
                         calibrated=True),
    "onnx": Exporter((".onnx",), export_onnx_artifact),
    "edgetpu": Exporter((), profile_edgetpu, derives_from=INT8),
}
