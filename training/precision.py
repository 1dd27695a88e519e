"""Which compute precision a training run uses, chosen from what the CPU can do.

bfloat16 matmuls and convolutions are fast only where the CPU has them in hardware
(AVX-512 BF16 or AMX-BF16); elsewhere TensorFlow emulates them and a mixed_bfloat16
step was measured 11x slower than float32. So ``auto`` picks ``mixed_bfloat16`` only
on such CPUs, and says why either way.
"""
BF16_FLAGS = ("avx512_bf16", "amx_bf16")
PRECISIONS = ("auto", "float32", "mixed_bfloat16")


def cpu_flags(cpuinfo="/proc/cpuinfo"):
    """(model name, set of CPU flags); ("unknown", set()) where /proc/cpuinfo is absent."""
    try:
        with open(cpuinfo) as f:
            text = f.read()
    except OSError:
        return "unknown", set()
    name, flags = "unknown", set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and name == "unknown":
            name = value.strip()
        elif key.strip() == "flags":
            flags.update(value.split())
    return name, flags


def choose(requested, qat=False, flags=None):
    """(Keras policy name, one-line reason) for ``--precision requested``."""
    if requested not in PRECISIONS:
        raise ValueError(f"--precision must be one of {', '.join(PRECISIONS)}, got {requested!r}")
    if qat:
        if requested == "mixed_bfloat16":
            raise ValueError("--precision mixed_bfloat16 cannot be used with --qat: "
                             "TFMOT's fake-quant ops are float32-only")
        return "float32", "float32 (QAT: TFMOT's fake-quant ops are float32-only)"
    if requested != "auto":
        return requested, f"{requested} (as requested)"
    if flags is None:
        flags = cpu_flags()[1]
    have = [f for f in BF16_FLAGS if f in flags]
    if have:
        return "mixed_bfloat16", f"mixed_bfloat16 (auto: the CPU has {', '.join(have)})"
    return "float32", f"float32 (auto: the CPU lacks {' and '.join(BF16_FLAGS)}, bf16 would be emulated)"
