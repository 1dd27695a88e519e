"""interleaved_stats: every runner once per round, after the warm-up rounds."""
from benchmarks.benchmark import interleaved_stats


def test_runners_are_called_in_rounds():
    calls = []
    runners = [lambda: calls.append("a"), lambda: calls.append("b")]
    stats = interleaved_stats(runners, runs=3, warmup=1)
    assert calls == ["a", "b"] * 4
    assert len(stats) == 2
    for median, p90 in stats:
        assert 0 <= median <= p90
