"""The JSON file an app reads beside each converted model (``MODEL.tflite`` ->
``MODEL.json``), and the reference preprocessing every runtime must reproduce.

Schema (version 1)::

  {
    "format": "bisenetv2-tf/metadata", "version": 1,
    "model": "bisenetv2", "precision": "int8_qat" | "int8_ptq" | "fp32" | "fp16" | "dynamic",
    "input":  {"name", "shape": [1, H, W, 3], "layout": "NHWC", "dtype": "uint8"|"int8"|"float32",
               "quantization": {"scale": s, "zero_point": z} | null},
    "output": {"name", "kind": "logits"|"probs"|"argmax", "shape": [1, H, W, K] or [1, H, W],
               "dtype", "quantization": {...} | null},
    "normalization": {"formula": "(rgb_uint8 / 255 - mean) / std", "mean": [3], "std": [3]},
    "resize": "letterbox",     # see below
    "labels": [K names], "colors": [[r, g, b] x K], "num_classes": K, "ignore_index": i
  }

Preprocessing (``preprocess_rgb``), in float32 in exactly this order so that Java/JS
reproduce the tensor bit for bit:
  1. letterbox: an RGB image of h x w is scaled by ``r = min(H/h, W/w)`` (no resize when
     r == 1) to round(h*r) x round(w*r) and placed at the top-left of the H x W input;
     the rest of the tensor is the normalized value 0.0 (the dataset mean color).
  2. ``x = (p / 255f - mean[c]) / std[c]`` per pixel p (uint8) and channel c.
  3. quantized inputs: ``q = clamp(floor(x / scale + 0.5) + zero_point, qmin, qmax)``
     (round half up); padding is ``clamp(zero_point)``.
The class map of the valid top-left region is scaled back to h x w (nearest).

``read`` refuses a file that is not JSON of this format and ``check_against`` one that
does not describe the model beside it (shapes, dtypes, quantization, class count), each
with one line naming the file.
"""
import json

import numpy as np

FORMAT = "bisenetv2-tf/metadata"
VERSION = 1
QRANGE = {"uint8": (0, 255), "int8": (-128, 127)}


def tensor_info(detail, kind=None):
    """A LiteRT interpreter tensor detail -> the metadata dict for it."""
    scale, zero_point = detail.get("quantization", (0.0, 0))
    info = {
        "name": detail["name"],
        "shape": [int(v) for v in detail["shape"]],
        "dtype": np.dtype(detail["dtype"]).name,
        "quantization": {"scale": float(scale), "zero_point": int(zero_point)} if scale else None,
    }
    if kind:
        info["kind"] = kind
    return info


def build(model_name, precision, input_detail, output_detail, output_kind, normalization,
          class_names, colors, ignore_index):
    """Metadata dict for one converted model."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "model": model_name,
        "precision": precision,
        "input": {**tensor_info(input_detail), "layout": "NHWC"},
        "output": tensor_info(output_detail, output_kind),
        "normalization": normalization.to_json(),
        "resize": "letterbox",
        "labels": list(class_names),
        "colors": [list(map(int, c)) for c in colors],
        "num_classes": len(class_names),
        "ignore_index": int(ignore_index),
    }


def float_input(hw, normalization):
    """The part of the metadata ``preprocess_rgb`` reads, for a float32 (1,H,W,3) input
    with the given ``Normalization`` (calibration images, ONNX models)."""
    return {"input": {"shape": [1, hw[0], hw[1], 3], "dtype": "float32", "quantization": None},
            "normalization": normalization.to_json()}


def read(path):
    """The metadata dict in ``path``. ValueError naming the file when it is not UTF-8 JSON
    (a truncated file) or not a JSON object of this format; OSError as ``open`` raises it."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        meta = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text (UTF-8) file") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON, truncated? ({err.msg} at line {err.lineno} column "
                         f"{err.colno})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"{path}: not a {FORMAT} file")
    return meta


OUTPUT_KINDS = ("logits", "probs", "argmax")


def check_against(meta, input_detail, output_detail, path, model_path="its model"):
    """ValueError naming ``path`` (the JSON file) unless ``meta`` describes the LiteRT model
    whose first input and output details are given: version, input and output shape, dtype
    and quantization (scale and zero point), input layout NHWC, output kind matching the
    output's rank, a class count equal to the output's channels (logits) with one label and
    one RGB colour per class, three means and three non-zero stds, letterbox resizing.
    Everything ``preprocess_rgb`` and the apps read is checked here, so a mismatch is one
    line at load time instead of "Cannot set tensor: Got FLOAT32 but expected UINT8", a
    KeyError at the first image, or a silently wrong quantization."""
    try:
        _check_fields(meta, input_detail, output_detail)
    except ValueError as err:
        raise ValueError(f"{path}: {err}: not the metadata of {model_path} (python -m tflite.convert writes the "
                         "two together)") from None


def _get(meta, dotted):
    node = meta
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            raise ValueError(f'no "{dotted}"')
        node = node[key]
    return node


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)


def _check_fields(meta, input_detail, output_detail):
    if meta.get("version") != VERSION:
        raise ValueError(f"version {meta.get('version')!r}, this code reads version {VERSION}")
    for side, detail in (("input", input_detail), ("output", output_detail)):
        shape, want = _get(meta, f"{side}.shape"), [int(v) for v in detail["shape"]]
        if shape != want:
            raise ValueError(f"{side} shape {shape} but the model's is {want}")
        dtype, want_dtype = _get(meta, f"{side}.dtype"), np.dtype(detail["dtype"]).name
        if dtype != want_dtype:
            raise ValueError(f"{side} dtype {dtype} but the model's is {want_dtype}")
        quant, (scale, zero_point) = _get(meta, f"{side}.quantization"), detail["quantization"]
        if not scale:
            if quant is not None:
                raise ValueError(f"{side} quantization {json.dumps(quant)} but the model's {side} is not quantized")
        elif not (isinstance(quant, dict) and _number(quant.get("scale")) and _is_int(quant.get("zero_point"))
                  and np.isclose(quant["scale"], scale, rtol=1e-6, atol=0) and quant["zero_point"] == zero_point):
            raise ValueError(f"{side} quantization {json.dumps(quant)} but the model's is "
                             f'{{"scale": {float(scale)!r}, "zero_point": {int(zero_point)}}}')
    if meta["input"].get("layout", "NHWC") != "NHWC":
        raise ValueError(f"input layout {meta['input']['layout']!r}, the model's is NHWC")
    kind, rank = _get(meta, "output.kind"), len(output_detail["shape"])
    if kind not in OUTPUT_KINDS or (kind == "argmax") != (rank == 3):
        raise ValueError(f"output kind {kind!r} but the model's {rank}-d output is "
                         f"{'class ids (argmax)' if rank == 3 else 'logits or probs'}")
    k = _get(meta, "num_classes")
    if not _is_int(k) or k < 1:
        raise ValueError(f"num_classes {k!r} is not a positive integer")
    if rank == 4 and k != int(output_detail["shape"][-1]):
        raise ValueError(f"num_classes {k} but the model outputs {int(output_detail['shape'][-1])} classes")
    labels, colors = _get(meta, "labels"), _get(meta, "colors")
    if not isinstance(labels, list) or len(labels) != k:
        raise ValueError(f"{len(labels) if isinstance(labels, list) else 'no list of'} labels for {k} classes")
    if not isinstance(colors, list) or len(colors) != k or not all(
            isinstance(c, list) and len(c) == 3 and all(_is_int(v) and 0 <= v <= 255 for v in c) for c in colors):
        raise ValueError(f"colors must be {k} [r, g, b] lists of 0..255, one per class")
    for key in ("mean", "std"):
        values = _get(meta, f"normalization.{key}")
        if not (isinstance(values, list) and len(values) == 3 and all(_number(v) for v in values)
                and (key == "mean" or all(values))):
            raise ValueError(f"normalization.{key} {json.dumps(values)}: three finite numbers expected"
                             + (", none of them 0" if key == "std" else ""))
    if meta.get("resize", "letterbox") != "letterbox":
        raise ValueError(f"resize {meta['resize']!r}, this code and the apps letterbox")
    if not _is_int(meta.get("ignore_index", 255)):
        raise ValueError(f"ignore_index {meta['ignore_index']!r} is not an integer")


def letterbox_geometry(image_hw, input_hw):
    """(h, w), (H, W) -> (scale, resized (h', w')) for the top-left letterbox."""
    (h, w), (big_h, big_w) = image_hw, input_hw
    r = min(big_h / h, big_w / w)
    if r == 1.0:
        return r, (h, w)
    return r, (min(big_h, max(1, round(h * r))), min(big_w, max(1, round(w * r))))


def preprocess_rgb(image, meta):
    """(h,w,3) uint8 RGB -> the model's (1,H,W,3) input tensor, per the module docstring.

    Resizing (only when the image does not already fit) uses PIL bilinear; the
    bit-exact contract covers steps 2-3 on the resized pixels.
    """
    _, big_h, big_w, _ = meta["input"]["shape"]
    image = np.asarray(image, np.uint8)
    _, (new_h, new_w) = letterbox_geometry(image.shape[:2], (big_h, big_w))
    if (new_h, new_w) != image.shape[:2]:
        from PIL import Image

        image = np.asarray(Image.fromarray(image).resize((new_w, new_h), Image.BILINEAR))
    mean = np.asarray(meta["normalization"]["mean"], np.float32)
    std = np.asarray(meta["normalization"]["std"], np.float32)
    x = np.zeros((big_h, big_w, 3), np.float32)
    x[:new_h, :new_w] = (image.astype(np.float32) / np.float32(255.0) - mean) / std
    quant = meta["input"]["quantization"]
    dtype = meta["input"]["dtype"]
    if dtype in QRANGE:
        x = quantize(x, dtype, quant["scale"], quant["zero_point"])
    return x[None]


def quantize(x, dtype, scale, zero_point):
    """Float32 ``x`` -> ``dtype`` (uint8/int8) by step 3 of the contract:
    ``clamp(floor(x / scale + 0.5) + zero_point, qmin, qmax)`` (round half up, as the
    Java and JS ports do; the one quantizer of the Python side)."""
    lo, hi = QRANGE[np.dtype(dtype).name]
    q = np.floor(x / np.float32(scale) + np.float32(0.5)) + zero_point
    return np.clip(q, lo, hi).astype(dtype)


def class_map_from_output(output, meta):
    """The model's output tensor (1,H,W,K) or (1,H,W) -> (H,W) int32 class ids."""
    out = np.asarray(output)[0]
    if meta["output"]["kind"] == "argmax" or out.ndim == 2:
        return out.astype(np.int32)
    return np.argmax(out, axis=-1).astype(np.int32)


def dequantize(y, detail):
    """An output tensor -> float32 ``(q - zero_point) * scale`` when its LiteRT ``detail``
    says uint8/int8 with a scale; otherwise ``y`` as it is."""
    scale, zero_point = detail["quantization"]
    if np.dtype(detail["dtype"]).name in QRANGE and scale:
        return (y.astype(np.float32) - zero_point) * scale
    return y
