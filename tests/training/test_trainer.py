"""training.trainer's pure rules (the training loop itself: test_train_cli.py)."""
import pytest

from training.trainer import check_ema


@pytest.mark.parametrize("decay, steps", [(0.0, 1), (0.995, 1350), (0.999, 10035), (0.2154, 3)])
def test_ema_decays_that_forget_the_initial_weights_pass(decay, steps):
    check_ema(decay, steps)


@pytest.mark.parametrize("decay, steps, share", [(0.999, 1350, "26%"), (0.9, 3, "73%"), (0.99, 100, "37%")])
def test_ema_decays_that_keep_the_initial_weights_are_refused(decay, steps, share):
    with pytest.raises(ValueError, match=f"--ema {decay}: after this run's {steps} steps .* hold {share} of the "
                                         f"initial weights"):
        check_ema(decay, steps)


def test_the_suggested_decay_is_the_largest_that_passes():
    """Rounded down: the decay the message names passes."""
    with pytest.raises(ValueError, match=r"at most 0\.9965, or train longer"):
        check_ema(0.999, 1350)
    check_ema(0.9965, 1350)
