"""PyTorch (CoinCheung/BiSeNet) state_dict <-> Keras weights, with strict key checks.

Keras layers are named after the PyTorch module paths, so each Conv2D /
DepthwiseConv2D / BatchNormalization layer ``name`` owns the keys ``name.weight``
(and ``name.bias``, ``name.running_mean``, ``name.running_var``). Conv weights are
OIHW in PyTorch and HWIO in Keras; a depthwise weight (C*M,1,k,k) is (k,k,C,M).
"""
import os

import numpy as np
import tf_keras as keras

from bisenetv2_tf.architectures import AUX_PREFIXES
from bisenetv2_tf.builders import build_model

# Training-only heads that an inference model may ignore (PyTorch loads them with
# strict=False in tools/demo.py): AUX_PREFIXES, their PyTorch module names, read from the
# registry's head tables (V2 aux2 ... aux5_4, V1 conv_out16 and conv_out32). Anything
# else unexpected is an error.
IGNORED_SUFFIXES = (".num_batches_tracked",)


class CheckpointMismatchError(ValueError):
    """The checkpoint's keys or shapes do not fit the model."""


def _layer_entries(layer):
    """[(torch key, keras variable, kind)] for one layer with weights."""
    name = layer.name
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        entries = [(f"{name}.weight", layer.depthwise_kernel, "depthwise")]
    elif isinstance(layer, keras.layers.Conv2D):
        entries = [(f"{name}.weight", layer.kernel, "conv")]
        if layer.use_bias:
            entries.append((f"{name}.bias", layer.bias, "vector"))
    elif isinstance(layer, keras.layers.BatchNormalization):
        entries = [
            (f"{name}.weight", layer.gamma, "vector"),
            (f"{name}.bias", layer.beta, "vector"),
            (f"{name}.running_mean", layer.moving_mean, "vector"),
            (f"{name}.running_var", layer.moving_variance, "vector"),
        ]
    elif layer.weights:
        raise TypeError(f"layer {name!r} ({type(layer).__name__}) has weights with no PyTorch mapping")
    else:
        entries = []
    return entries


def torch_layout(model):
    """{torch key: (keras variable, kind, torch shape)} for every weight of ``model``."""
    layout = {}
    for layer in model.layers:
        for key, var, kind in _layer_entries(layer):
            shape = tuple(var.shape)
            if kind == "conv":
                kh, kw, cin, cout = shape
                torch_shape = (cout, cin, kh, kw)
            elif kind == "depthwise":
                kh, kw, c, m = shape
                torch_shape = (c * m, 1, kh, kw)
            else:
                torch_shape = shape
            layout[key] = (var, kind, torch_shape)
    return layout


def keras_value(kind, array, var_shape):
    """Convert one PyTorch array to the Keras variable's layout."""
    array = np.asarray(array, dtype=np.float32)
    if kind == "conv":
        return array.transpose(2, 3, 1, 0)
    if kind == "depthwise":
        kh, kw, c, m = var_shape
        return array.reshape(c, m, kh, kw).transpose(2, 3, 0, 1)
    return array


def torch_value(kind, array):
    """Convert one Keras weight to PyTorch's layout."""
    if kind == "conv":
        return array.transpose(3, 2, 0, 1)
    if kind == "depthwise":
        kh, kw, c, m = array.shape
        return array.transpose(2, 3, 0, 1).reshape(c * m, 1, kh, kw)
    return array


def _summarize(keys, limit=4):
    keys = sorted(keys)
    shown = ", ".join(keys[:limit])
    return shown + (f" (+{len(keys) - limit} more)" if len(keys) > limit else "")


def load_state_dict(model, state):
    """Assign a PyTorch state_dict (name -> array) to ``model``; all-or-nothing.

    Raises ``CheckpointMismatchError`` naming missing, unexpected or mis-shaped keys
    before any weight is assigned. Auxiliary-head keys are ignored when the model has
    no auxiliary heads. Returns the list of ignored keys.
    """
    layout = torch_layout(model)
    has_aux = any(k.startswith(AUX_PREFIXES) for k in layout)
    relevant = {k: v for k, v in state.items() if not k.endswith(IGNORED_SUFFIXES)}
    missing = [k for k in layout if k not in relevant]
    unexpected = [k for k in relevant if k not in layout]
    ignored = []
    if not has_aux:
        ignored = [k for k in unexpected if k.startswith(AUX_PREFIXES)]
        unexpected = [k for k in unexpected if not k.startswith(AUX_PREFIXES)]
    misshaped = [
        f"{k} {tuple(np.shape(relevant[k]))} != {layout[k][2]}"
        for k in layout
        if k in relevant and tuple(np.shape(relevant[k])) != layout[k][2]
    ]
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing key(s): {_summarize(missing)}")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected key(s): {_summarize(unexpected)}")
    if misshaped:
        problems.append(f"{len(misshaped)} mis-shaped key(s): {_summarize(misshaped, 3)}")
    if problems:
        raise CheckpointMismatchError(
            f"checkpoint does not fit model {model.name!r}: " + "; ".join(problems)
        )
    for key, (var, kind, _) in layout.items():
        var.assign(keras_value(kind, relevant[key], tuple(var.shape)).astype(var.dtype.as_numpy_dtype))
    return ignored


def export_state_dict(model):
    """The model's weights as a PyTorch-layout state_dict of numpy arrays.

    BN layers also get ``num_batches_tracked`` (int64 0, as a fresh PyTorch module),
    so the result has exactly the reference checkpoint's keys.
    """
    state = {}
    for key, (var, kind, _) in torch_layout(model).items():
        state[key] = np.ascontiguousarray(torch_value(kind, var.numpy().astype(np.float32)))
        if key.endswith(".running_var"):
            state[key[: -len("running_var")] + "num_batches_tracked"] = np.array(0, dtype=np.int64)
    return state


def read_checkpoint(path):
    """Read a state_dict from ``.npz`` or ``.pth``/``.pt`` (needs torch) into numpy arrays."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint not found: {path}")
    ext = os.path.splitext(path)[1].lower()
    if ext == ".npz":
        try:
            with np.load(path, allow_pickle=False) as data:
                return {k: data[k] for k in data.files}
        except Exception as err:  # zipfile.BadZipFile, EOFError, zlib.error, ValueError... (truncated/corrupt)
            raise CheckpointMismatchError(
                f"{path}: not a readable .npz checkpoint, truncated or corrupt? ({type(err).__name__}: {err})"
            ) from None
    if ext in (".pth", ".pt"):
        return _read_pth(path)
    raise CheckpointMismatchError(f"{path}: unsupported checkpoint type {ext!r} (use .pth or .npz)")


def _read_pth(path):
    try:
        import torch
    except ImportError as err:
        raise ImportError(
            "reading .pth checkpoints needs PyTorch: `pip install torch==2.13.0` (CPU), "
            "or convert it to .npz with numpy where torch is installed"
        ) from err
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch raises many types for corrupt files
        raise CheckpointMismatchError(f"{path}: not a readable PyTorch checkpoint ({err})") from err
    for wrapper in ("state_dict", "model", "net"):
        if isinstance(obj, dict) and isinstance(obj.get(wrapper), dict):
            obj = obj[wrapper]
    if not isinstance(obj, dict):
        raise CheckpointMismatchError(f"{path}: expected a state_dict, got {type(obj).__name__}")
    state = {}
    for key, value in obj.items():
        key = key[len("module."):] if key.startswith("module.") else key  # DataParallel
        state[key] = value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)
    return state


def write_npz(state, path):
    """Write a state_dict as ``.npz`` (same keys as the ``.pth``)."""
    np.savez(path, **state)


def check_import_values(num_classes, input_size=None):
    """ValueError (one line, naming the flag) unless ``num_classes`` >= 1 and ``input_size``
    (H, W), if given, is positive."""
    if num_classes < 1:
        raise ValueError(f"--num-classes {num_classes}: must be at least 1")
    if input_size and min(input_size) <= 0:
        raise ValueError(f"--input-size {input_size[0]} {input_size[1]}: must be positive")


def import_model(path, num_classes, arch, with_aux=False, input_size=None):
    """(Keras model, ignored auxiliary-head keys): ``arch`` for ``num_classes`` (the training
    model with the aux heads if ``with_aux``; static ``input_size`` (H, W), else any size)
    holding the weights of the checkpoint at ``path`` (.pth or .npz), every key matched.
    Raises CheckpointMismatchError, FileNotFoundError, ImportError (a .pth without torch)
    or ValueError, each with a one-line message."""
    check_import_values(num_classes, input_size)
    state = read_checkpoint(path)
    if with_aux and not any(k.startswith(AUX_PREFIXES) for k in state):
        raise CheckpointMismatchError(
            f"{path} has no auxiliary-head keys; drop --with-aux to import the inference model")
    shape = (*input_size, 3) if input_size else (None, None, 3)
    model = build_model(arch, num_classes, shape, aux_heads=with_aux)
    return model, load_state_dict(model, state)
