"""The `bisenetv2` command: verbs, usage, errors, and each verb running its module."""
import pytest

from bisenetv2_tf import cli, console


@pytest.fixture(autouse=True)
def _own_prog_names(monkeypatch):
    """console.main names each verb's parser "bisenetv2 VERB" for the rest of its process;
    keep that from leaking into other test files' help checks."""
    monkeypatch.setattr(cli, "PROG_NAMES", dict(cli.PROG_NAMES))


def test_usage_lists_every_verb(capsys):
    assert console.main([]) == 2
    out = capsys.readouterr().out
    for verb in ("train", "evaluate", "predict", "convert", "quant-report", "import", "summary", "benchmark",
                 "quickstart"):
        assert f"\n  {verb} " in out
    assert console.main(["--help"]) == 0


def test_unknown_verb_is_one_line(capsys):
    assert console.main(["trian"]) == 2
    assert capsys.readouterr().err.strip() == ("bisenetv2: error: unknown verb 'trian'; one of: "
                                              + ", ".join(console.VERBS))


def test_a_verb_runs_its_module_and_names_itself_in_help(capsys):
    console.main(["summary", "--num-classes", "3", "--input-size", "64", "64"])
    assert capsys.readouterr().out.startswith("# bisenetv2, 3 classes, input 1x64x64x3")
    with pytest.raises(SystemExit) as done:
        console.main(["evaluate", "--help"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("usage: bisenetv2 evaluate")


HELP_WITHOUT_TENSORFLOW = """
import runpy, sys
sys.argv = [{module!r}, "--help"]
try:
    runpy.run_module({module!r}, run_name="__main__")
except SystemExit as done:
    assert done.code in (0, None), done.code
heavy = sorted(m for m in ("tensorflow", "tf_keras", "onnxruntime", "ai_edge_litert", "torch") if m in sys.modules)
print("HEAVY", ",".join(heavy))
"""


@pytest.mark.parametrize("verb", list(console.VERBS))
def test_help_of_every_verb_loads_no_tensorflow(verb):
    """``python -m MODULE --help`` (what ``bisenetv2 VERB --help`` runs) parses with light
    modules only, so it answers in well under a second instead of ~5 s of TensorFlow import."""
    import subprocess
    import sys

    from conftest import REPO

    module = console.VERBS[verb][0]
    done = subprocess.run([sys.executable, "-c", HELP_WITHOUT_TENSORFLOW.format(module=module)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout
    assert done.stdout.rstrip().splitlines()[-1] == "HEAVY", f"{module} --help imported {done.stdout.splitlines()[-1]}"
