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
    with open(path) as f:
        meta = json.load(f)
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path}: not a {FORMAT} file")
    return meta


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
