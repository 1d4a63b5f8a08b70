import pytest

from sknnscratch.nn.schedules import SCHEDULES


def test_constant():
    s = SCHEDULES["constant"](0.01)
    s.on_epoch_end(1000)
    assert s.learning_rate == 0.01
    assert s.on_plateau()[0] is True


def test_invscaling_follows_samples_seen():
    s = SCHEDULES["invscaling"](0.5, power_t=0.5)
    s.on_epoch_end(99)
    assert s.learning_rate == pytest.approx(0.5 / 10)
    assert s.on_plateau()[0] is True


def test_adaptive_divides_by_five_then_stops():
    s = SCHEDULES["adaptive"](1e-4)
    rates = []
    while True:
        stop, _ = s.on_plateau()
        if stop:
            break
        rates.append(s.learning_rate)
    assert rates == pytest.approx([2e-5, 4e-6, 8e-7])
    assert s.learning_rate <= 1e-6
