"""One predictor interface over Keras (.keras, .h5), TFLite (.tflite) and ONNX models.

``predictor.class_map(image)`` maps an (h,w,3) uint8 RGB image to (h,w) int32 class
ids at the image's own size:
- Keras models take any multiple-of-32 size: the normalized image is zero-padded
  bottom/right to a multiple of 32 (optionally also flipped / rescaled, averaging
  softmax probabilities) and the prediction is cropped back.
- TFLite models have a static input: the image is letterboxed exactly as apps do
  (bisenetv2_tf/runtime/metadata.py, reading ``MODEL.json`` beside the model), and the valid region
  of the class map is cropped and resized back (nearest).
- ONNX models have a static input too and are letterboxed like TFLite.

``--flip`` (average with the horizontally flipped image) works for every model type
with a logits output and is refused for class-map (argmax) outputs; ``--scales``
needs a Keras model and is refused for TFLite/ONNX. ``bounded_class_map`` caps the
working size (``--max-side``) so that very large images do not exhaust memory, and
refuses ``--scales`` whose largest scale would take an image past it.

Every predictor checks its model when it loads it (``check_io``): one RGB NHWC input
(1,H,W,3) and one output of (1,H,W,K) logits or (1,H,W) class ids at the input's H,W
(Keras models with a dynamic size are run once on a small image to see it). A
classifier, a half-resolution output, a grayscale or channels-first (NCHW) input is
refused with one line; so is a TFLite ``MODEL.json`` that does not describe its model
(``metadata.check_against``).

``read_image`` reads a photo to predict, turned upright by its EXIF orientation as
photo viewers show it (dataset images are read as stored, aligned with their labels).
"""
import os

import numpy as np
import tensorflow as tf
import tf_keras as keras
from PIL import Image, ImageOps

import bisenetv2_tf
from bisenetv2_tf.model import with_output_head
from bisenetv2_tf.preprocessing import CITYSCAPES, normalize_numpy
from bisenetv2_tf.qat import quantize_scope
from bisenetv2_tf.runtime import metadata, model_info
from bisenetv2_tf.runtime.litert import interpreter
from bisenetv2_tf.runtime.working_size import DEFAULT_MAX_SIDE, working_hw


class InferenceError(ValueError):
    """A model file, image or setting that cannot be used for prediction; the message names it."""


SEGMENTATION_IO = ("a segmentation model here takes an NHWC (1,H,W,3) RGB image and outputs (1,H,W,K) logits "
                   "or (1,H,W) class ids at the input's H,W")
PROBE_HW = (64, 96)  # the test image a Keras model with a dynamic input size is run on once


def _dims(shape):
    """A model's tensor shape -> a tuple with None for each unknown dimension (Keras None,
    LiteRT -1, an ONNX dimension name)."""
    return tuple(int(d) if isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0 else None
                 for d in shape)


def _shape_text(dims):
    return "(" + ",".join("?" if d is None else str(d) for d in dims) + ")"


def check_io(path, input_shape, output_shape, output_integer=None, logits_only=False, context=""):
    """``InferenceError`` naming ``path`` unless the shapes are those of a segmentation model
    here (``SEGMENTATION_IO``); unknown dimensions (None) pass. ``output_integer`` False
    refuses a (1,H,W) output that is not class ids (e.g. a depth map); ``logits_only``
    refuses class-id outputs (the Keras predictor averages softmax probabilities).
    ``context`` starts the reason (e.g. how a dynamic-size model was run)."""
    inp, out = _dims(input_shape), _dims(output_shape)

    def refuse(what):
        raise InferenceError(f"{path}: {context}{what}; {SEGMENTATION_IO}")

    if len(inp) != 4:
        refuse(f"its input {_shape_text(inp)} is not a batch of images")
    if inp[3] != 3:
        if inp[1] == 3:
            refuse(f"its input {_shape_text(inp)} is channels-first (NCHW)")
        channels = "an unknown number of" if inp[3] is None else inp[3]
        refuse(f"its input {_shape_text(inp)} takes {channels}-channel images, not RGB")
    if inp[0] not in (None, 1):
        refuse(f"its input {_shape_text(inp)} takes batches of {inp[0]}, not 1")
    if len(out) == 2:
        refuse(f"it is a classifier: its output {_shape_text(out)} scores the whole image, not each pixel")
    if len(out) not in (3, 4):
        refuse(f"its output {_shape_text(out)} is not a class map")
    if None not in inp[1:3] + out[1:3] and out[1:3] != inp[1:3]:
        refuse(f"its output {_shape_text(out)} is {out[1]}x{out[2]}, not at its input's {inp[1]}x{inp[2]}")
    if len(out) == 3 and logits_only:
        refuse(f"its output {_shape_text(out)} is class ids (argmax); this needs (1,H,W,K) logits")
    if len(out) == 3 and output_integer is False:
        refuse(f"its output {_shape_text(out)} is not integer class ids (a depth or mask map?)")
    if len(out) == 4 and out[3] is not None and out[3] < 2:
        refuse(f"its output {_shape_text(out)} has {out[3]} channel (a mask or depth map?), not K >= 2 class "
               "scores")


def check_keras_model(model, path, hw=None, logits_only=False):
    """``check_io`` for a loaded single-output Keras model: first its static shapes, then,
    when ``hw`` is given or a size is dynamic, one run on a zero image of ``hw`` (default:
    the input's static size, else ``PROBE_HW``) whose output must be at that size."""
    if len(model.inputs) != 1:
        raise InferenceError(f"{path}: it has {len(model.inputs)} inputs; {SEGMENTATION_IO}")
    inp, out = model.inputs[0].shape, model.outputs[0].shape
    if inp.rank is None or out.rank is None:
        raise InferenceError(f"{path}: its input or output has an unknown rank; {SEGMENTATION_IO}")
    integer = model.outputs[0].dtype.is_integer
    check_io(path, inp.as_list(), out.as_list(), integer, logits_only)
    dims, out_dims = _dims(inp.as_list()), _dims(out.as_list())
    if hw is None and None not in dims[1:3] + out_dims[1:3]:
        return
    h, w = hw or (dims[1] or PROBE_HW[0], dims[2] or PROBE_HW[1])
    try:
        y = model(np.zeros((1, h, w, 3), np.float32), training=False)
    except Exception as err:  # a model that cannot take this size raises anything
        raise InferenceError(f"{path}: cannot run a {h}x{w} test image ({type(err).__name__}: {_first_line(err)}); "
                             f"{SEGMENTATION_IO}") from None
    check_io(path, (1, h, w, 3), tuple(y.shape), integer, logits_only, f"run on a {h}x{w} test image, ")


def keras_single_output(model, path, output="logits"):
    """``with_output_head``, ``InferenceError`` for a multi-output model without this
    project's "logits" layer (e.g. a detector)."""
    try:
        return with_output_head(model, output)
    except ValueError:
        raise InferenceError(f"{path}: it has {len(model.outputs)} output(s) and no \"logits\" layer to take "
                             f"{output} from; {SEGMENTATION_IO}") from None


def _first_line(err):
    """An exception's first non-blank message line (its type name when it has none)."""
    return next((line for line in str(err).splitlines() if line.strip()), type(err).__name__)


def read_image(path):
    """An image file -> (h, w, 3) uint8 RGB, turned by its EXIF orientation (a phone
    photo comes out upright, as viewers show it). ``InferenceError`` naming the file for
    anything PIL cannot read, including DecompressionBombError (a header claiming
    more than twice ``Image.MAX_IMAGE_PIXELS``)."""
    try:
        with Image.open(path) as img:
            return np.asarray(ImageOps.exif_transpose(img).convert("RGB"))
    except Exception as err:  # PIL raises many types for corrupt or oversized files
        raise InferenceError(f"cannot read image {path}: {_first_line(err)}") from None


def _pad_to(x, multiple=32):
    h, w = x.shape[:2]
    ph, pw = (-h) % multiple, (-w) % multiple
    return np.pad(x, ((0, ph), (0, pw), (0, 0))) if ph or pw else x


class KerasPredictor:
    """A .keras/.h5 model taking normalized float RGB: by ``norm``, else the statistics the
    file carries, else Cityscapes'."""

    def __init__(self, path, scales=(1.0,), flip=False, norm=None):
        try:
            norm = norm or model_info.embedded_normalization(path)
        except ValueError as err:
            raise InferenceError(str(err)) from None
        try:
            with quantize_scope():
                model = keras.models.load_model(path, compile=False)
        except Exception as err:
            raise InferenceError(f"{path}: not a loadable Keras model ({type(err).__name__}: {err})") from err
        if len(model.outputs) > 1:
            model = keras_single_output(model, path)
        check_keras_model(model, path, logits_only=True)
        self.model = model
        self.num_classes = int(model.outputs[0].shape[-1])
        self.scales, self.flip, self.norm = tuple(scales), flip, norm
        self._run = tf.function(lambda x: tf.nn.softmax(model(x, training=False)), reduce_retracing=True)
        self.input_hw = tuple(model.inputs[0].shape[1:3])

    def probabilities(self, image):
        """(h,w,3) uint8 -> (h,w,K) float32 softmax, averaged over scales/flips."""
        h, w = image.shape[:2]
        x = normalize_numpy(image, self.norm)
        total = np.zeros((h, w, self.num_classes), np.float32)
        for scale in self.scales:
            xs = x if scale == 1.0 else tf.image.resize(x, (round(h * scale), round(w * scale))).numpy()
            padded = _pad_to(xs)
            batch = padded[None] if not self.flip else np.stack([padded, padded[:, ::-1]])
            probs = self._run(tf.constant(batch)).numpy()
            if self.flip:
                probs = (probs[0] + probs[1][:, ::-1]) / 2
            else:
                probs = probs[0]
            probs = probs[: xs.shape[0], : xs.shape[1]]
            if scale != 1.0:
                probs = tf.image.resize(probs, (h, w)).numpy()
            total += probs
        return total / len(self.scales)

    def class_map(self, image):
        return self.probabilities(image).argmax(-1).astype(np.int32)


class TFLitePredictor:
    def __init__(self, path, threads=2, flip=False):
        with open(path, "rb") as f:
            head = f.read(8)
        if len(head) < 8 or head[4:8] != b"TFL3":
            raise InferenceError(f"{path}: not a TFLite flatbuffer")
        try:
            self.it = interpreter(path=path, threads=threads)
        except (ValueError, RuntimeError) as err:
            raise InferenceError(f"{path}: not a valid TFLite model, truncated or corrupt? "
                                 f"({_first_line(err)})") from None
        inputs = self.it.get_input_details()
        if len(inputs) != 1:
            raise InferenceError(f"{path}: it has {len(inputs)} inputs; {SEGMENTATION_IO}")
        self.inp = inputs[0]
        self.out = self.it.get_output_details()[0]
        integer = np.dtype(self.out["dtype"]).kind in "iu" and not self.out["quantization"][0]
        check_io(path, self.inp["shape"], self.out["shape"], integer)
        dtype = np.dtype(self.inp["dtype"]).name
        if dtype != "float32" and not (dtype in metadata.QRANGE and self.inp["quantization"][0]):
            bare = " without quantization" if dtype in metadata.QRANGE else ""
            raise InferenceError(f"{path}: its input is {dtype}{bare}; a model here takes normalized RGB as float32 "
                                 "or as quantized uint8/int8")
        meta_path = os.path.splitext(path)[0] + ".json"
        if os.path.isfile(meta_path):
            try:
                self.meta = metadata.read(meta_path)
                metadata.check_against(self.meta, self.inp, self.out, meta_path, path)
            except (OSError, ValueError) as err:
                raise InferenceError(_first_line(err)) from None
        else:  # no metadata: build it from the interpreter with the default normalization
            kind = "argmax" if len(self.out["shape"]) == 3 else "logits"
            k = int(self.out["shape"][-1]) if kind == "logits" else 0
            self.meta = metadata.build("unknown", "unknown", self.inp, self.out, kind, CITYSCAPES,
                                       [str(i) for i in range(k)], [(0, 0, 0)] * k, 255)
        if flip and len(self.out["shape"]) != 4:
            raise InferenceError(f"{path}: --flip needs a logits output; this model outputs class ids (argmax)")
        self.flip = flip
        self.input_hw = tuple(int(v) for v in self.inp["shape"][1:3])
        self.num_classes = (int(self.out["shape"][-1]) if len(self.out["shape"]) == 4
                            else int(self.meta.get("num_classes") or 0) or None)

    def _raw(self, tensor):
        self.it.set_tensor(self.inp["index"], tensor)
        self.it.invoke()
        return metadata.dequantize(self.it.get_tensor(self.out["index"])[0], self.out)

    def class_map(self, image):
        h, w = image.shape[:2]
        tensor = metadata.preprocess_rgb(image, self.meta)
        _, (vh, vw) = metadata.letterbox_geometry((h, w), self.input_hw)
        y = self._raw(tensor)
        if self.flip:
            flipped = metadata.preprocess_rgb(image[:, ::-1], self.meta)
            y = _flip_average(y, self._raw(flipped), vh, vw)
        ids = y.argmax(-1) if y.ndim == 3 else y
        return _unletterbox(ids, (vh, vw), (h, w))


def _unletterbox(ids, valid_hw, image_hw):
    """Crop the valid top-left (vh, vw) region of a class map and scale it back to the
    image's (h, w) with nearest sampling; int32."""
    (vh, vw), (h, w) = valid_hw, image_hw
    ids = ids[:vh, :vw].astype(np.int32)
    if (vh, vw) != (h, w):
        rows = np.minimum((np.arange(h) * vh / h).astype(int), vh - 1)
        cols = np.minimum((np.arange(w) * vw / w).astype(int), vw - 1)
        ids = ids[rows][:, cols]
    return ids


def _flip_average(y, y_flipped, vh, vw):
    """Average softmax of a prediction and of its flipped input's prediction (valid region)."""
    probs = tf.nn.softmax(y).numpy()
    flipped = tf.nn.softmax(y_flipped).numpy()
    probs[:vh, :vw] += flipped[:vh, :vw][:, ::-1]
    return probs


def onnx_session(model, threads=None):
    """An ONNX Runtime CPU session of ``model`` (a path or serialized bytes).

    ``threads`` sets the intra-op pool (None: ONNX Runtime's default). Its warnings (e.g.
    tf2onnx's deprecated ``tf_half_pixel_for_nn`` resize attribute, harmless) stay off the
    terminal unless --verbose / BISENETV2_VERBOSE=1; errors still show."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    severity = 2 if bisenetv2_tf.VERBOSE else 3  # 2: ONNX Runtime's own default (warnings)
    onnxruntime.set_default_logger_severity(severity)  # the model loader logs to the default logger
    options.log_severity_level = severity
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


class ONNXPredictor:
    """An ONNX model with a static (1,H,W,3) float input, letterboxed like TFLite."""

    def __init__(self, path, threads=2, flip=False):
        try:
            self.session = onnx_session(path, threads)
        except Exception as err:
            raise InferenceError(f"{path}: not a loadable ONNX model ({_first_line(err)})") from None
        inputs = self.session.get_inputs()
        if len(inputs) != 1:
            raise InferenceError(f"{path}: it has {len(inputs)} inputs; {SEGMENTATION_IO}")
        inp, out = inputs[0], self.session.get_outputs()[0]
        self.name = inp.name
        check_io(path, inp.shape, out.shape, "int" in out.type)
        if inp.type != "tensor(float)":
            raise InferenceError(f"{path}: its input is {inp.type}; a model here takes normalized RGB as "
                                 "tensor(float)")
        if None in _dims(inp.shape):
            raise InferenceError(f"{path}: needs a static (1,H,W,3) input, got {inp.shape}")
        self.input_hw = tuple(int(v) for v in inp.shape[1:3])
        out_shape = out.shape
        if None in _dims(out_shape):  # a dynamic output shape: run once to see it
            try:
                y = self._raw(np.zeros((1, *self.input_hw, 3), np.float32))[None]
            except Exception as err:  # onnxruntime raises its own types
                raise InferenceError(f"{path}: cannot run a zero image ({_first_line(err)})") from None
            check_io(path, inp.shape, y.shape, np.issubdtype(y.dtype, np.integer), context="run on a zero image, ")
            out_shape = y.shape
        logits = len(out_shape) == 4
        if flip and not logits:
            raise InferenceError(f"{path}: --flip needs a logits output; this model outputs class ids (argmax)")
        self.num_classes = int(out_shape[-1]) if logits and isinstance(out_shape[-1], int) else None
        self.flip = flip
        try:  # float input, normalized by the statistics the file carries (else Cityscapes')
            self.meta = metadata.float_input(self.input_hw, model_info.embedded_normalization(path))
        except ValueError as err:
            raise InferenceError(str(err)) from None

    def _raw(self, tensor):
        return self.session.run(None, {self.name: tensor})[0][0]

    def class_map(self, image):
        h, w = image.shape[:2]
        y = self._raw(metadata.preprocess_rgb(image, self.meta))
        _, (vh, vw) = metadata.letterbox_geometry((h, w), self.input_hw)
        if self.flip:
            y = _flip_average(y, self._raw(metadata.preprocess_rgb(image[:, ::-1], self.meta)), vh, vw)
        ids = y.argmax(-1) if y.ndim == 3 else y
        return _unletterbox(ids, (vh, vw), (h, w))


def check_scales(predictor, image_hw, max_side=DEFAULT_MAX_SIDE):
    """``InferenceError`` unless the largest of ``predictor.scales`` (Keras multi-scale)
    times the working size of an ``image_hw`` image fits ``max_side``: ``--scales 12``
    must not turn a 480x360 image into a 5760x4320 tensor (std::bad_alloc)."""
    scale = max(getattr(predictor, "scales", (1.0,)))
    h, w = working_hw(image_hw, max_side)
    if max_side and scale * max(h, w) > max_side:
        capped = "" if (h, w) == tuple(image_hw) else f" (capped to {w}x{h})"
        raise InferenceError(
            f"--scales {scale:g}: a {image_hw[1]}x{image_hw[0]} image{capped} would be predicted at "
            f"{round(w * scale)}x{round(h * scale)}, over --max-side {max_side}; lower --scales or raise "
            f"--max-side (0: no cap)")


def bounded_class_map(predictor, image, max_side=DEFAULT_MAX_SIDE):
    """``predictor.class_map`` with the image's longer side capped at ``max_side``.

    A larger image is resized (PIL bilinear) so its longer side is ``max_side``, and the
    class map is scaled back to the image's size (nearest). ``max_side`` 0 or None: no cap.
    ``check_scales`` first: the largest scale must keep the working size within ``max_side``.
    Returns (class map, working (h, w)).
    """
    h, w = image.shape[:2]
    check_scales(predictor, (h, w), max_side)
    nh, nw = working_hw((h, w), max_side)
    if (nh, nw) == (h, w):
        return predictor.class_map(image), (h, w)
    small = np.asarray(Image.fromarray(np.asarray(image, np.uint8)).resize((nw, nh), Image.BILINEAR))
    return _unletterbox(predictor.class_map(small), (nh, nw), (h, w)), (nh, nw)


def load_predictor(path, scales=(1.0,), flip=False, threads=2):
    if threads is None or threads < 1:
        raise InferenceError(f"--threads {threads}: must be at least 1")
    if not scales or any(not x > 0 for x in scales):
        raise InferenceError(f"--scales {' '.join(map(str, scales))}: every scale must be positive")
    if not os.path.isfile(path):
        raise InferenceError(f"model not found: {path}")
    if path.endswith(".tflite") or path.endswith(".onnx"):
        if tuple(scales) != (1.0,):
            kind = "TFLite" if path.endswith(".tflite") else "ONNX"
            raise InferenceError(f"--scales needs a Keras model ({kind} models have a fixed input size)")
        if path.endswith(".tflite"):
            return TFLitePredictor(path, threads, flip)
        return ONNXPredictor(path, threads, flip)
    if path.endswith(".keras") or path.endswith(".h5"):
        return KerasPredictor(path, scales, flip)
    raise InferenceError(f"{path}: unsupported model type (use .keras, .h5, .tflite or .onnx)")
