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


# --- per-update schedules: the rate of update k + 1 after k updates ----------

#: lr0 = 0.01: k -> lr0 / (1 + decay * k), worked out by hand.
INVERSE_TIME_RATES = {
    5e-7: {
        0: 0.01,
        1: 0.0099999950000025,  # 0.01 / 1.0000005
        10: 0.00999995000025,  # 0.01 / 1.000005
        1000: 0.009995002498750625,  # 0.01 / 1.0005
    },
    0.1: {
        0: 0.01,
        1: 0.009090909090909091,  # 0.01 / 1.1
        10: 0.005,  # 0.01 / 2
        1000: 9.900990099009901e-05,  # 0.01 / 101
    },
}


@pytest.mark.parametrize("decay", sorted(INVERSE_TIME_RATES))
def test_inverse_time_hand_computed_rates(decay):
    s = SCHEDULES["inverse_time"](0.01, decay=decay)
    assert s.learning_rate == 0.01  # the first update's, before any on_update
    for k, expected in INVERSE_TIME_RATES[decay].items():
        s.on_update(k)
        assert s.learning_rate == pytest.approx(expected, rel=1e-13), k
        assert s.rate(k) == s.learning_rate


def test_inverse_time_is_stateless_in_the_count():
    # The rate depends on the count alone, not on the calls before it.
    s = SCHEDULES["inverse_time"](0.5, decay=0.25)
    s.on_update(12)
    s.on_update(4)
    assert s.learning_rate == 0.5 / 2.0
    s.on_update(0)
    assert s.learning_rate == 0.5


# lr0 = 1, max_iter = 2 epochs of 5 updates: T = 10 updates. Half-cosine values
# 0.5 * (1 + cos(pi * j / 10)), with cos(pi/10) = 0.9510565162951535,
# cos(pi/5) = 0.8090169943749475, cos(3 pi/10) = 0.5877852522924731,
# cos(2 pi/5) = 0.30901699437494745.
COSINE_RATES = [
    1.0,
    0.9755282581475768,
    0.9045084971874737,
    0.7938926261462366,
    0.6545084971874737,
    0.5,
    0.3454915028125263,
    0.2061073738537634,
    0.0954915028125263,
    0.0244717418524232,
]
# warmup_iter = 1: W = 5 updates of linear warm-up (k + 1) / 5, then the
# half cosine over the T - W = 5 updates left, 0.5 * (1 + cos(pi * j / 5)).
COSINE_WARMUP_RATES = [
    0.2,
    0.4,
    0.6,
    0.8,
    1.0,
    1.0,
    0.9045084971874737,
    0.6545084971874737,
    0.3454915028125263,
    0.0954915028125263,
]


@pytest.mark.parametrize(
    ("warmup_iter", "expected"),
    [(0, COSINE_RATES), (1, COSINE_WARMUP_RATES)],
    ids=["no-warmup", "warmup"],
)
def test_cosine_hand_computed_rates(warmup_iter, expected):
    s = SCHEDULES["cosine"](
        1.0, max_iter=2, updates_per_epoch=5, warmup_iter=warmup_iter
    )
    assert s.learning_rate == expected[0]  # set at construction
    rates = []
    for k in range(10):
        s.on_update(k)
        rates.append(s.learning_rate)
    assert rates == pytest.approx(expected, rel=1e-12, abs=1e-15)
    # At T and past it the rate is 0: no update moves the weights.
    for k in (10, 11, 25, 10**6):
        s.on_update(k)
        assert s.learning_rate == 0.0, k


def test_cosine_scales_with_the_initial_rate():
    s = SCHEDULES["cosine"](0.04, max_iter=2, updates_per_epoch=5, warmup_iter=1)
    assert [s.rate(k) for k in range(10)] == pytest.approx(
        [0.04 * r for r in COSINE_WARMUP_RATES], rel=1e-12, abs=1e-15
    )


@pytest.mark.parametrize("warmup_iter", [2, 3])
def test_cosine_warmup_as_long_as_the_run_climbs_then_stops_at_zero(warmup_iter):
    # The warm-up is cut at the planned run (T = 10 updates): the rate climbs
    # linearly to lr0 over all of it, and is 0 at T and past it like any run.
    s = SCHEDULES["cosine"](
        1.0, max_iter=2, updates_per_epoch=5, warmup_iter=warmup_iter
    )
    assert [s.rate(k) for k in range(10)] == pytest.approx(
        [(k + 1) / 10 for k in range(10)], rel=1e-12
    )
    assert [s.rate(k) for k in (10, 11, 50)] == [0.0, 0.0, 0.0]


def test_cosine_with_one_update_per_epoch():
    s = SCHEDULES["cosine"](2.0, max_iter=4, updates_per_epoch=1)
    # T = 4: 0.5 * 2 * (1 + cos(pi * k / 4)), cos(pi/4) = 0.7071067811865476.
    assert [s.rate(k) for k in range(5)] == pytest.approx(
        [2.0, 1.7071067811865476, 1.0, 0.2928932188134524, 0.0], abs=1e-15
    )


@pytest.mark.parametrize(
    "schedule",
    [
        SCHEDULES["inverse_time"](0.1, decay=0.5),
        SCHEDULES["cosine"](0.1, max_iter=3, updates_per_epoch=2, warmup_iter=1),
    ],
    ids=["inverse_time", "cosine"],
)
def test_per_update_schedules_ignore_epoch_ends_and_stop_at_a_plateau(schedule):
    schedule.on_update(3)
    rate = schedule.learning_rate
    schedule.on_epoch_end(10_000)
    assert schedule.learning_rate == rate
    stop, message = schedule.on_plateau()
    assert stop is True and message == "Stopping."
    assert schedule.learning_rate == rate  # a plateau does not change it


@pytest.mark.parametrize("name", ["constant", "invscaling", "adaptive"])
def test_per_epoch_schedules_ignore_on_update(name):
    s = SCHEDULES[name](0.02)
    for k in (0, 1, 7, 10**6):
        s.on_update(k)
        assert s.learning_rate == 0.02
    s.on_epoch_end(99)
    after_epoch = s.learning_rate
    s.on_update(5)
    assert s.learning_rate == after_epoch


def test_registry_names_every_schedule():
    assert set(SCHEDULES) == {
        "constant",
        "invscaling",
        "adaptive",
        "inverse_time",
        "cosine",
    }
