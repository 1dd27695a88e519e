"""CPU control: ISA flags parsed from /proc/cpuinfo text; the control conv pair runs."""
import numpy as np

from benchmarks import cpu_check

CPUINFO = """processor\t: 0
model name\t: AMD EPYC 9B14
flags\t\t: fpu sse avx2 fma avx512f avx512_vnni
processor\t: 1
model name\t: AMD EPYC 9B14
flags\t\t: fpu sse avx2 fma avx512f avx512_vnni
"""


def test_isa_flags_reads_model_and_flags(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text(CPUINFO)
    name, flags = cpu_check.isa_flags(str(path))
    assert name == "AMD EPYC 9B14"
    assert flags["avx512_vnni"] and flags["avx2"] and not flags["avx_vnni"] and not flags["avx512_bf16"]


def test_isa_flags_without_cpuinfo(tmp_path):
    assert cpu_check.isa_flags(str(tmp_path / "missing")) == ("unknown", {})


def test_control_pair_is_float_and_full_int8():
    from bisenetv2_tf.runtime.litert import interpreter

    fp32, int8 = cpu_check.head_conv_models(hw=(8, 10))
    assert interpreter(content=fp32).get_input_details()[0]["dtype"] == np.float32
    assert interpreter(content=int8).get_input_details()[0]["dtype"] == np.int8
    speed = cpu_check.int8_speedup(threads=1, runs=1)
    assert speed["fp32_ms"] > 0 and speed["int8_ms"] > 0


def test_runs_as_a_file_from_a_checkout():
    """The form the developers' guide names, without installing the package."""
    import os
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "benchmarks/cpu_check.py", "--help"], cwd=root, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "INT8 faster than FP32" in out.stdout
