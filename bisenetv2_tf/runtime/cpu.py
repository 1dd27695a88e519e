"""What this CPU can do: its name and the vector-ISA flags that XNNPACK's INT8 kernels and
TensorFlow's bf16 kernels depend on (INT8 beats FP32 only with VNNI; bf16 training is fast
only with avx512_bf16/amx_bf16). Printed beside every latency or speed figure."""
FLAGS = ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8")


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


def isa_flags(cpuinfo="/proc/cpuinfo"):
    """(model name, {flag: present}) for the flags in FLAGS; ("unknown", {}) off Linux."""
    name, flags = cpu_flags(cpuinfo)
    if not flags:
        return name, {}
    return name, {flag: flag in flags for flag in FLAGS}


def cpu_line():
    """One line: the CPU's name and which of FLAGS it has and lacks."""
    name, flags = isa_flags()
    present = [f for f, ok in flags.items() if ok]
    missing = [f for f, ok in flags.items() if not ok]
    return (f"CPU: {name}; has {', '.join(present) or 'none of ' + ', '.join(FLAGS)}"
            + (f"; lacks {', '.join(missing)}" if missing else ""))
