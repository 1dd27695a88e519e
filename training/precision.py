"""Which compute precision a training run uses, chosen from the hardware.

On a CUDA GPU of compute capability 7.0 or newer (tensor cores), ``auto`` picks
``mixed_float16`` (Keras wraps the optimizer in a loss-scale optimizer). On CPUs,
bfloat16 matmuls and convolutions are fast only where the CPU has them in hardware
(AVX-512 BF16 or AMX-BF16); elsewhere TensorFlow emulates them and a mixed_bfloat16
step was measured 11x slower than float32. So ``auto`` picks ``mixed_bfloat16`` only
on such CPUs, and says why either way. (Never run on a GPU here: the GPU branch is
tested with a faked device list only.)
"""
from bisenetv2_tf import quiet_native_logs
from bisenetv2_tf.runtime.cpu import cpu_flags  # noqa: F401  (also read as precision.cpu_flags)

BF16_FLAGS = ("avx512_bf16", "amx_bf16")
PRECISIONS = ("auto", "float32", "mixed_bfloat16", "mixed_float16")
MIN_FP16_CAPABILITY = (7, 0)


def gpu_capabilities():
    """[(name, (major, minor))] of the visible GPUs, from TensorFlow's device list."""
    import tensorflow as tf

    found = []
    with quiet_native_logs():  # "failed call to cuInit" on machines without a GPU
        devices = tf.config.list_physical_devices("GPU")
    for device in devices:
        details = tf.config.experimental.get_device_details(device)
        found.append((details.get("device_name", device.name), tuple(details.get("compute_capability") or (0, 0))))
    return found


def choose(requested, qat=False, flags=None, gpus=None):
    """(Keras policy name, one-line reason) for ``--precision requested``. ``flags`` (CPU
    flags) and ``gpus`` ([(name, (major, minor))]) default to this machine's."""
    if requested not in PRECISIONS:
        raise ValueError(f"--precision must be one of {', '.join(PRECISIONS)}, got {requested!r}")
    if qat:
        if requested.startswith("mixed"):
            raise ValueError(f"--precision {requested} cannot be used with --qat: "
                             "TFMOT's fake-quant ops are float32-only")
        return "float32", "float32 (QAT: TFMOT's fake-quant ops are float32-only)"
    if requested != "auto":
        return requested, f"{requested} (as requested)"
    if gpus is None:
        gpus = gpu_capabilities()
    if gpus:
        name, capability = gpus[0]
        if all(c >= MIN_FP16_CAPABILITY for _, c in gpus):
            return "mixed_float16", (f"mixed_float16 (auto: GPU {name}, compute capability "
                                     f"{capability[0]}.{capability[1]} has tensor cores)")
        return "float32", (f"float32 (auto: GPU {name}, compute capability {capability[0]}.{capability[1]} "
                           f"< 7.0, float16 would not be faster)")
    if flags is None:
        flags = cpu_flags()[1]
    have = [f for f in BF16_FLAGS if f in flags]
    if have:
        return "mixed_bfloat16", f"mixed_bfloat16 (auto: the CPU has {', '.join(have)})"
    return "float32", f"float32 (auto: the CPU lacks {' and '.join(BF16_FLAGS)}, bf16 would be emulated)"
