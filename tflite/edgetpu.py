"""Edge TPU profile: which ops of a full-integer TFLite model the Edge TPU compiler can
map, and a run of ``edgetpu_compiler`` when it is installed.

The table is Coral's documented operator list (Edge TPU compiler 16) with its
restrictions; it is a static check. The compiler has the last word (it also refuses
ops it considers too imprecise or too large, e.g. some ResizeBilinear sizes), so run it
where it is available: ``edgetpu_compiler`` is distributed by Coral's Debian repository,
which this project's machines cannot reach.
"""
import os
import shutil
import subprocess

from bisenetv2_tf.runtime.litert import interpreter, op_histogram

# op -> restriction that still applies (empty: none)
EDGETPU_OPS = {
    "ADD": "", "AVERAGE_POOL_2D": "no fused activation", "CONCATENATION": "no fused activation",
    "CONV_2D": "same dilation in x and y", "DEPTHWISE_CONV_2D": "same dilation in x and y",
    "EXPAND_DIMS": "", "FULLY_CONNECTED": "default weights format, 1-D output", "L2_NORMALIZATION": "",
    "LOGISTIC": "", "LSTM": "unidirectional", "MAXIMUM": "", "MAX_POOL_2D": "no fused activation",
    "MEAN": "no reduction over batch; a z-reduction needs depth % 4 == 0", "MINIMUM": "", "MUL": "",
    "PACK": "not over batch", "PAD": "not over batch", "PRELU": "1-D alpha", "QUANTIZE": "",
    "REDUCE_MAX": "not over batch", "REDUCE_MIN": "not over batch", "RELU": "", "RELU6": "",
    "RELU_N1_TO_1": "", "RESHAPE": "large reshapes may stay on CPU",
    "RESIZE_BILINEAR": "3-D in/out; the compiler may keep large or imprecise resizes on CPU",
    "RESIZE_NEAREST_NEIGHBOR": "3-D in/out; the compiler may keep some sizes on CPU",
    "RSQRT": "", "SLICE": "", "SOFTMAX": "1-D input, at most 16,000 elements", "SPACE_TO_DEPTH": "",
    "SPLIT": "not over batch", "SQUEEZE": "", "STRIDED_SLICE": "", "SUB": "", "SUM": "",
    "SQUARED_DIFFERENCE": "", "TANH": "", "TRANSPOSE": "", "TRANSPOSE_CONV": "",
}


def op_report(op_counts, input_detail, output_detail):
    """Rows (op, count, status, note) plus a list of problems that block full mapping."""
    rows, problems = [], []
    for op, count in op_counts.items():
        if op in EDGETPU_OPS:
            rows.append((op, count, "Edge TPU", EDGETPU_OPS[op]))
        else:
            rows.append((op, count, "CPU fallback", "not in the Edge TPU operator list"))
            problems.append(f"{op} x{count} would run on the CPU (and split the graph)")
    for name, detail in (("input", input_detail), ("output", output_detail)):
        shape = list(detail["shape"])
        if detail["dtype"].__name__ not in ("uint8", "int8", "int32"):
            problems.append(f"{name} is {detail['dtype'].__name__}: the Edge TPU needs full integer I/O")
        if any(int(v) <= 0 for v in shape) or (shape and int(shape[0]) != 1):
            problems.append(f"{name} shape {shape}: the Edge TPU needs batch 1 and static H x W")
    return rows, problems


def format_report(rows, problems):
    lines = ["| op | count | where | note |", "|---|---:|---|---|"]
    lines += [f"| {op} | {count} | {where} | {note} |" for op, count, where, note in rows]
    lines.append("")
    lines.append("All ops map to the Edge TPU (static check)." if not problems else
                 "Would fall back to CPU: " + "; ".join(problems))
    return "\n".join(lines)


def run_compiler(tflite_path, out_dir):
    """Run edgetpu_compiler if installed: returns (ran, log text)."""
    exe = shutil.which("edgetpu_compiler")
    if exe is None:
        return False, ("edgetpu_compiler is not on PATH: the static report above is all that was checked. "
                       "Install it from Coral's Debian package repository "
                       "(package edgetpu-compiler) on an x86-64 Linux machine and rerun.")
    result = subprocess.run([exe, "-s", "-o", out_dir, tflite_path], capture_output=True, text=True)
    log = result.stdout + result.stderr
    if result.returncode:
        raise RuntimeError(f"edgetpu_compiler failed ({result.returncode}): {log.strip().splitlines()[-1:]}")
    return True, log


def profile(tflite_path, log=print):
    """Log the Edge TPU op report of a full-integer model and run the compiler if present;
    returns {"problems": [...], "compiler_ran": bool}."""
    with open(tflite_path, "rb") as f:
        content = f.read()
    it = interpreter(content)
    rows, problems = op_report(op_histogram(content), it.get_input_details()[0], it.get_output_details()[0])
    log(f"Edge TPU profile of {tflite_path}:")
    log(format_report(rows, problems))
    ran, text = run_compiler(tflite_path, os.path.dirname(tflite_path) or ".")
    log(text)
    return {"problems": problems, "compiler_ran": ran}
