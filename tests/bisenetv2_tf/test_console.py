"""The `bisenetv2` command: verbs, usage, errors, and each verb running its module."""
import pytest

from bisenetv2_tf import console


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
