"""Training throughput benchmark: one table row per precision and crop, plus TFLite."""
import pytest

from benchmarks import train_benchmark


def test_table_rows_for_each_crop_and_precision(capsys):
    train_benchmark.main(["--crops", "64x64", "--batch-size", "1", "--steps", "1", "--warmup", "0",
                          "--precisions", "float32", "mixed_bfloat16"])
    out = capsys.readouterr().out
    assert out.startswith("CPU: ")
    rows = [line.split("|")[1:-1] for line in out.splitlines() if line.startswith("| 64x64")]
    assert [r[1].strip() for r in rows] == ["train float32", "train mixed_bfloat16",
                                            "TFLite FP32 inference, batch 1, 2 threads"]
    for row in rows:
        s_step, img_s, gmac_s = float(row[2]), float(row[4]), float(row[5])
        assert s_step > 0 and img_s > 0 and gmac_s >= 0
    assert float(rows[0][6]) == 1.0


@pytest.mark.parametrize("flags", [["--crops", "60x64"], ["--steps", "0"], ["--batch-size", "0"]])
def test_bad_flags_exit_2(flags, capsys):
    with pytest.raises(SystemExit) as exc:
        train_benchmark.main(flags)
    assert exc.value.code == 2


def test_op_profile_names_the_kernels_a_step_runs():
    import tensorflow as tf

    x = tf.random.stateless_normal((64, 64), (1, 2))

    @tf.function
    def step():
        return tf.matmul(x, x) + 1.0

    rows = train_benchmark.op_profile(step, 2)
    kernels = [k for k, _, _ in rows]
    assert not any(k in ("Process", "Run") for k in kernels), kernels  # runtime wrappers are not ops
    assert any("MatMul" in k for k in kernels), kernels
    assert abs(sum(share for _, _, share in rows) - 1.0) < 1e-6
    assert all(ms >= 0 for _, ms, _ in rows)
