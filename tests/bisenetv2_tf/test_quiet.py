"""Quiet by default: no TensorFlow C++ log lines on stderr unless BISENETV2_VERBOSE=1.

The lines (oneDNN note, "Could not find cuda drivers", "failed call to cuInit") come from
absl during ``import tensorflow`` and from device setup; ``bisenetv2_tf.import_tensorflow_quietly``
(called by every command-line package) points fd 2 at /dev/null during that import only, and
importing ``bisenetv2_tf`` sets TF_CPP_MIN_LOG_LEVEL=3 if unset. Importing ``bisenetv2_tf``
itself loads no TensorFlow and reads no command line.
"""
import os
import subprocess
import sys

from tests.conftest import REPO

NOISE = ("cuInit", "oneDNN", "cuda_platform", "cudart_stub", "cpu_feature_guard", "I0000", "E0000",
         "absl::InitializeLog")


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL", "BISENETV2_VERBOSE")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


def _run(args, env, cwd=REPO):
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)


def _noise(stderr):
    return [line for line in stderr.splitlines() if any(m in line for m in NOISE)]


def test_help_of_train_and_evaluate_is_quiet():
    for module in ("training.train", "training.evaluate"):
        r = _run(["-m", module, "--help"], _env())
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith(f"usage: python -m {module}")
        assert _noise(r.stderr) == [], r.stderr
        assert r.stderr == ""


def test_device_setup_is_quiet_and_own_errors_still_reach_stderr():
    # Listing devices is where "failed call to cuInit" appears on a machine without a GPU.
    code = ("import bisenetv2_tf, sys; bisenetv2_tf.import_tensorflow_quietly(); import tensorflow as tf; "
            "tf.config.list_physical_devices(); "
            "tf.zeros([2]) + 1; sys.exit('error: --flag: own message')")
    r = _run(["-c", code], _env())
    assert r.returncode == 1
    assert r.stderr == "error: --flag: own message\n"


def test_python_exception_after_import_still_reaches_stderr():
    r = _run(["-c", "import bisenetv2_tf\nraise RuntimeError('boom after import')"], _env())
    assert r.returncode == 1
    assert "Traceback" in r.stderr and "RuntimeError: boom after import" in r.stderr


def _fake_tensorflow(tmp_path):
    """A ``tensorflow`` that writes to fd 2 the way absl does, then fails to import."""
    pkg = tmp_path / "tensorflow"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        "import os\nos.write(2, b'I0000 fake absl line on fd 2\\n')\nraise ImportError('fake tensorflow is broken')\n")
    return str(tmp_path)


def test_fd2_restored_when_tensorflow_import_fails(tmp_path):
    fake = _fake_tensorflow(tmp_path)
    code = ("import sys\nimport bisenetv2_tf\ntry:\n    bisenetv2_tf.import_tensorflow_quietly()\n"
            "except ImportError as e:\n"
            "    print('caught:', e, file=sys.stderr, flush=True)\n"
            "import os\nos.write(2, b'fd 2 works again\\n')\nraise SystemExit('error: after')\n")
    r = _run(["-c", code], _env(PYTHONPATH=os.pathsep.join([fake, str(REPO)])), cwd=tmp_path)
    assert r.returncode == 1
    assert "fake absl line" not in r.stderr
    assert r.stderr.splitlines() == ["caught: fake tensorflow is broken", "fd 2 works again", "error: after"]

    # Uncaught, the import error itself is printed with its traceback.
    r = _run(["-c", "import bisenetv2_tf; bisenetv2_tf.import_tensorflow_quietly()"],
             _env(PYTHONPATH=os.pathsep.join([fake, str(REPO)])), cwd=tmp_path)
    assert r.returncode == 1
    assert "ImportError: fake tensorflow is broken" in r.stderr
    assert "fake absl line" not in r.stderr


def test_verbose_leaves_fd2_alone(tmp_path):
    fake = _fake_tensorflow(tmp_path)
    r = _run(["-c", "import bisenetv2_tf; bisenetv2_tf.import_tensorflow_quietly()"],
             _env(PYTHONPATH=os.pathsep.join([fake, str(REPO)]), BISENETV2_VERBOSE="1"), cwd=tmp_path)
    assert r.returncode == 1
    assert "I0000 fake absl line on fd 2" in r.stderr
    assert "ImportError: fake tensorflow is broken" in r.stderr


def test_verbose_brings_tensorflow_lines_back():
    # What plain TensorFlow prints on this machine, if anything, must come back with BISENETV2_VERBOSE=1.
    bare = _run(["-c", "import os; os.environ['TF_USE_LEGACY_KERAS'] = '1'; import tensorflow"], _env())
    assert bare.returncode == 0, bare.stderr
    markers = {m for m in NOISE if m in bare.stderr}
    # a command's --verbose (read by the command-line package on import) or the variable
    load = "import sys; sys.argv = ['prog', *{argv!r}]; import training; import tensorflow"
    for argv, env in ((["--verbose"], _env()), ([], _env(BISENETV2_VERBOSE="1"))):
        r = _run(["-c", load.format(argv=argv)], env)
        assert r.returncode == 0, r.stderr
        assert {m for m in NOISE if m in r.stderr} >= markers
    quiet = _run(["-c", load.format(argv=[])], _env())
    assert quiet.returncode == 0 and _noise(quiet.stderr) == [], quiet.stderr


CONVERT_AND_RUN = """
import bisenetv2_tf
bisenetv2_tf.quiet_cli()
import numpy as np, tf_keras as keras
from tflite.converter import to_tflite
from bisenetv2_tf.runtime.litert import interpreter
x = keras.Input((32, 32, 3), batch_size=1)
m = keras.Model(x, keras.layers.Conv2D(2, 1)(x))
rng = np.random.default_rng(0)
rep = lambda: ([rng.standard_normal((1, 32, 32, 3)).astype(np.float32)] for _ in range(2))
interpreter(to_tflite(m, "int8-ptq", (32, 32), rep)).invoke()
from benchmarks.cpu_check import head_conv_models  # int8 I/O: TFLite warns about input statistics
head_conv_models((8, 8))
from tflite.quant_debug import layer_errors, selective_model  # QuantizationDebugger: converter + interpreter
calib = [rng.standard_normal((1, 32, 32, 3)).astype(np.float32) for _ in range(2)]
assert layer_errors(m, (32, 32), calib, calib[:1])
selective_model(m, (32, 32), calib, calib[:1], [])
"""


def test_conversion_and_interpreter_are_quiet_unless_verbose():
    """The converter's "fully_quantize: ..." and LiteRT's "Created TensorFlow Lite XNNPACK
    delegate" lines are C++ output on fd 2: off by default, back with --verbose."""
    quiet = _run(["-c", CONVERT_AND_RUN], _env())
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    loud = _run(["-c", CONVERT_AND_RUN, "--verbose"], _env())
    assert loud.returncode == 0
    assert "fully_quantize" in loud.stderr + loud.stdout or "XNNPACK" in loud.stderr + loud.stdout


def test_importing_the_package_loads_no_tensorflow_and_reads_no_argv():
    code = ("import sys, bisenetv2_tf; print('tensorflow' in sys.modules, bisenetv2_tf.verbose(), "
            "sys.modules['os'].environ.get('TF_USE_LEGACY_KERAS'))")
    r = _run(["-c", code, "--verbose"], _env())
    assert r.returncode == 0 and r.stdout.split() == ["False", "False", "1"], r.stderr
    # the model builders load TensorFlow (quietly) on first use
    r = _run(["-c", "import sys, bisenetv2_tf; bisenetv2_tf.bisenetv2; print('tensorflow' in sys.modules)"], _env())
    assert r.returncode == 0 and r.stdout.split() == ["True"] and r.stderr == "", r.stderr


def test_metadata_and_litert_runner_import_without_tensorflow():
    code = ("import sys; from bisenetv2_tf.runtime import metadata; "
            "from bisenetv2_tf.runtime.litert import interpreter, run_prepared; "
            "print('tensorflow' in sys.modules)")
    r = _run(["-c", code], _env())
    assert r.returncode == 0 and r.stdout.split() == ["False"], r.stderr


def test_cli_packages_load_tensorflow_only_when_imported_and_then_quietly():
    code = ("import sys, tflite; assert 'tensorflow' not in sys.modules, 'loaded on package import'; "
            "import tensorflow as tf; tf.config.list_physical_devices(); "
            "assert type(tf.__spec__.loader).__name__ != '_QuietLoader'; print('ok')")
    r = _run(["-c", code], _env())
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok" and r.stderr == "", r.stderr
    loud = _run(["-c", code.replace("import sys, tflite", "import sys, bisenetv2_tf, tflite")], _env(BISENETV2_VERBOSE="1"))
    assert loud.returncode == 0 and _noise(loud.stderr), "verbose keeps TensorFlow's own lines"
