"""--precision auto: bf16 only where the CPU has it in hardware; QAT always float32."""
import pytest

from training import precision


def test_auto_picks_bf16_only_with_hardware_bf16():
    assert precision.choose("auto", flags={"avx2", "avx512_bf16"})[0] == "mixed_bfloat16"
    assert precision.choose("auto", flags={"avx2", "amx_bf16"})[0] == "mixed_bfloat16"
    policy, why = precision.choose("auto", flags={"avx2", "fma", "avx512f"})
    assert policy == "float32" and "lacks avx512_bf16 and amx_bf16" in why


def test_explicit_choice_and_qat():
    assert precision.choose("float32", flags={"avx512_bf16"}) == ("float32", "float32 (as requested)")
    assert precision.choose("mixed_bfloat16", flags=set())[0] == "mixed_bfloat16"
    assert precision.choose("auto", qat=True, flags={"avx512_bf16"})[0] == "float32"
    with pytest.raises(ValueError, match="cannot be used with --qat"):
        precision.choose("mixed_bfloat16", qat=True)
    with pytest.raises(ValueError, match="--precision must be one of"):
        precision.choose("fp8")


def test_cpu_flags_reads_cpuinfo(tmp_path):
    path = tmp_path / "cpuinfo"
    path.write_text("model name\t: Test CPU\nflags\t\t: fpu avx2 amx_bf16\n\nmodel name\t: Test CPU\n")
    assert precision.cpu_flags(str(path)) == ("Test CPU", {"fpu", "avx2", "amx_bf16"})
    assert precision.cpu_flags(str(tmp_path / "missing")) == ("unknown", set())


def test_mixed_precision_is_an_alias_and_no_example_uses_it():
    from conftest import REPO
    from training import train

    base = ["--data-dir", "d", "--out-dir", "o"]
    assert train.parse_args(base).precision == "auto"
    assert train.parse_args(base + ["--precision", "float32"]).precision == "float32"
    assert train.parse_args(base + ["--mixed-precision"]).precision == "mixed_bfloat16"
    readme = (REPO / "README.md").read_text()
    assert "--precision auto" in readme
    assert "--mixed-precision" not in readme and "--mixed-precision" not in train.__doc__


def test_auto_picks_float16_on_a_tensor_core_gpu_and_float32_on_an_older_one():
    policy, why = precision.choose("auto", flags=set(), gpus=[("NVIDIA H100", (9, 0))])
    assert policy == "mixed_float16" and "compute capability 9.0" in why
    assert precision.choose("auto", flags={"avx512_bf16"}, gpus=[("Tesla P100", (6, 0))])[0] == "float32"
    assert precision.choose("auto", flags={"avx512_bf16"}, gpus=[])[0] == "mixed_bfloat16"
    assert precision.choose("auto", qat=True, gpus=[("NVIDIA H100", (9, 0))])[0] == "float32"


def test_gpu_list_comes_from_tensorflow(monkeypatch):
    import tensorflow as tf

    class Device:
        name = "/physical_device:GPU:0"

    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind: [Device()] if kind == "GPU" else [])
    monkeypatch.setattr(tf.config.experimental, "get_device_details",
                        lambda d: {"device_name": "NVIDIA A100", "compute_capability": (8, 0)})
    assert precision.gpu_capabilities() == [("NVIDIA A100", (8, 0))]
    assert precision.choose("auto", flags=set())[0] == "mixed_float16"
