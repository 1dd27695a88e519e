"""`pip install .`: exact pins equal to requirements.txt; the installed `bisenetv2` command
works from any folder; no top-level `tflite`/`training` module is installed."""
import os
import re
import subprocess
import sys
import tomllib

import pytest

from conftest import REPO


def _pins(lines):
    return sorted(line.split("#")[0].strip() for line in lines if line.split("#")[0].strip())


def test_pyproject_pins_are_the_requirements_pins():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["test"]
    assert _pins(declared) == _pins((REPO / "requirements.txt").read_text().splitlines())
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.]*", pin) for pin in declared)
    assert project["scripts"] == {"bisenetv2": "bisenetv2_tf.console:main"}


@pytest.mark.slow
def test_installed_command_runs_from_another_folder(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    pip = subprocess.run([venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-deps",
                          "--disable-pip-version-check", str(REPO)], capture_output=True, text=True, timeout=600,
                         cwd=tmp_path)
    assert pip.returncode == 0, pip.stderr[-3000:]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    run = subprocess.run([venv / "bin" / "bisenetv2", "summary", "--num-classes", "3", "--input-size", "64", "64"],
                         cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and run.stdout.startswith("# bisenetv2, 3 classes"), run.stderr[-2000:]
    probe = ("import importlib.util as u, bisenetv2_tf; print(bisenetv2_tf.__file__); "
             "print([m for m in ('tflite', 'training', 'benchmarks') if u.find_spec(m)])")
    found = subprocess.run([venv / "bin" / "python", "-c", probe], cwd=elsewhere, env=env, capture_output=True,
                           text=True, timeout=120)
    path, tops = found.stdout.splitlines()
    assert str(venv) in path and tops == "[]", found.stdout + found.stderr
