"""One command-line vocabulary (bisenetv2_tf/cli.py): every CLI's help shows the shared
spellings, hides the old ones, keeps the examples' line breaks, and old spellings still parse."""
import argparse
import importlib
import subprocess
import sys

import pytest

from bisenetv2_tf import cli
from conftest import REPO

# module -> what its help must show
CLIS = {
    "training.train": {"--arch", "--num-calibration", "--data-dir", "--dataset"},
    "training.evaluate": {"--model", "--data-dir", "--dataset", "--split", "--threads"},
    "training.predict": {"--model", "--threads"},
    "tflite.convert": {"--model", "--input-size", "--data-dir", "--dataset", "--split", "--num-calibration",
                       "--threads"},
    "tflite.quant_report": {"--model", "--input-size", "--data-dir", "--dataset", "--split", "--num-calibration",
                            "--threads"},
    "tflite.quickstart": {"--input-size", "--threads"},
    "bisenetv2_tf.summary": {"--arch", "--input-size"},
    "bisenetv2_tf.import_torch": {"--arch", "--input-size"},
    "benchmarks.benchmark": {"--model", "--qat-model", "--input-size", "--data-dir", "--dataset", "--split",
                             "--num-calibration", "--threads"},
    "benchmarks.compare_models": {"--model", "--arch", "--input-size", "--data-dir", "--dataset", "--split",
                                  "--num-calibration", "--threads"},
    "benchmarks.cpu_check": {"--threads"},
    "benchmarks.train_benchmark": {"--arch", "--threads"},
    "benchmarks.pipeline_benchmark": {"--data-dir", "--dataset", "--split"},
}
OLD_SPELLINGS = ("--size ", "--sizes", "--keras", "--qat-calibration", "--eval-split", "ARCH=")


def _help(module, capsys):
    with pytest.raises(SystemExit) as info:
        importlib.import_module(module).main(["--help"])
    assert info.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("module", sorted(CLIS))
def test_help_uses_the_shared_vocabulary(module, capsys):
    text = _help(module, capsys)
    assert text.startswith(f"usage: python -m {module}")
    missing = {flag for flag in CLIS[module] | {"--verbose"} if flag not in text}
    assert not missing, f"{module} help lacks {missing}"
    shown = [old for old in OLD_SPELLINGS if old in text]
    assert not shown, f"{module} help shows old spellings {shown}"
    if module in ("training.train", "bisenetv2_tf.summary", "bisenetv2_tf.import_torch",
                  "benchmarks.train_benchmark"):
        assert "--model" not in text, f"{module}: --model is a file elsewhere; the architecture is --arch"


def test_help_examples_keep_their_line_breaks(capsys):
    for module in ("tflite.convert", "tflite.quant_report", "benchmarks.benchmark", "training.train"):
        lines = _help(module, capsys).splitlines()
        assert any(line.rstrip().endswith("\\") for line in lines), module


def test_old_spellings_still_parse():
    p = cli.parser("x", "doc")
    cli.add_input_size(p, default=(1, 2))
    cli.add_arch(p)
    cli.add_num_calibration(p, old=("--qat-calibration",))
    args = p.parse_args(["--size", "64", "96", "--model", "bisenetv1", "--qat-calibration", "7"])
    assert (args.input_size, args.arch, args.num_calibration) == ([64, 96], "bisenetv1", 7)
    args = p.parse_args([])
    assert (tuple(args.input_size), args.arch, args.num_calibration) == ((1, 2), "bisenetv2", 100)

    q = argparse.ArgumentParser()
    cli.add_input_sizes(q, default=[(384, 480)])
    assert cli.input_sizes(q.parse_args([])) == [(384, 480)]
    assert cli.input_sizes(q.parse_args(["--input-size", "64", "96", "--input-size", "32", "32"])) == [
        (64, 96), (32, 32)]
    assert cli.input_sizes(q.parse_args(["--sizes", "64x96", "32x32"])) == [(64, 96), (32, 32)]
    with pytest.raises(SystemExit):
        q.parse_args(["--sizes", "64by96"])


def test_train_accepts_arch_and_old_model_alike():
    from training import train

    base = ["--data-dir", "d", "--out-dir", "o"]
    assert train.parse_args(base + ["--arch", "bisenetv1"]).model == "bisenetv1"
    assert train.parse_args(base + ["--model", "bisenetv1"]).model == "bisenetv1"
    assert train.parse_args(base + ["--num-calibration", "5"]).qat_calibration == 5
    assert train.parse_args(base + ["--qat-calibration", "5"]).qat_calibration == 5


def test_verbose_flag_is_read_by_the_cli_packages_before_tensorflow_loads():
    code = "import training, bisenetv2_tf; print(bisenetv2_tf.VERBOSE)"
    env_run = lambda *argv: subprocess.run(  # noqa: E731
        [sys.executable, "-c", f"import sys; sys.argv = ['prog', *{list(argv)!r}]; {code}"], cwd=REPO,
        capture_output=True, text=True, timeout=300).stdout.strip()
    assert env_run("--verbose") == "True"
    assert env_run("--threads", "2") == "False"
