"""The one LiteRT helper: open an interpreter, run a normalized float input through
any model (quantizing the input and dequantizing the output as its tensors say), a
ready-to-time runner, and the op list."""
import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType

from bisenetv2_tf import compat, quiet_native_logs
from bisenetv2_tf.runtime import metadata


def interpreter(content=None, path=None, threads=2):
    """A LiteRT interpreter (default delegates, ``threads`` CPU threads), tensors allocated."""
    with quiet_native_logs():  # "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
        it = Interpreter(model_content=content, model_path=path, num_threads=threads)
        it.allocate_tensors()
    return it


def run_prepared(it, tensor):
    """Set an input tensor already in the model's dtype (``metadata.preprocess_rgb``'s
    output), invoke, and return the raw output tensor; ``ValueError`` naming both when
    the tensor's shape or dtype is not the model's input."""
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    if tuple(inp["shape"]) != tuple(tensor.shape) or np.dtype(inp["dtype"]) != tensor.dtype:
        raise ValueError(f"model input {list(inp['shape'])} {np.dtype(inp['dtype'])} does not match the "
                         f"tensor's {list(tensor.shape)} {tensor.dtype}")
    it.set_tensor(inp["index"], tensor)
    it.invoke()
    return it.get_tensor(out["index"])


def run_tflite(it, x):
    """Run one (1,H,W,3) float32 normalized input; quantizes/dequantizes as the model needs.

    Returns the output as float32 (dequantized logits) or int32 (class map).
    """
    inp, out = it.get_input_details()[0], it.get_output_details()[0]
    if inp["dtype"] in (np.uint8, np.int8):
        x = metadata.quantize(x, inp["dtype"], *inp["quantization"])
    it.set_tensor(inp["index"], x.astype(inp["dtype"], copy=False))
    it.invoke()
    return metadata.dequantize(it.get_tensor(out["index"]), out)


def timed_runner(path, hw, threads=2):
    """A no-argument function that runs the model at ``path`` once on a fixed random
    input, already quantized for integer inputs (so a timing loop times the model, not
    numpy)."""
    it = interpreter(path=path, threads=threads)
    x = np.random.default_rng(0).standard_normal((1, *hw, 3)).astype(np.float32)
    inp = it.get_input_details()[0]
    if inp["dtype"] != np.float32:
        x = metadata.quantize(x, inp["dtype"], *inp["quantization"])
    x = x.astype(inp["dtype"])
    out_index = it.get_output_details()[0]["index"]

    def run():
        it.set_tensor(inp["index"], x)
        it.invoke()
        return it.get_tensor(out_index)
    return run


def op_names(content):
    """The TFLite model's op names in execution order, as the builtin kernels run them
    (XNNPACK off, which would otherwise replace the ops it takes by "DELEGATE")."""
    it = Interpreter(model_content=content,
                     experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    return [op["op_name"] for op in compat.litert_op_details(it)]


def op_histogram(content):
    """{op name: count} of a TFLite model, most frequent first."""
    counts = {}
    for name in op_names(content):
        counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))
