import numpy as np
import pytest
from numpy.testing import assert_allclose

from sknnscratch.nn.activations import OUTPUT_ACTIVATIONS
from sknnscratch.nn.losses import LOSSES


def test_log_loss_values():
    Y = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    P = np.array([[0.7, 0.2, 0.1], [0.25, 0.25, 0.5]])
    assert_allclose(
        LOSSES["log_loss"].per_sample(Y, P, "softmax"), [-np.log(0.7), -np.log(0.5)]
    )
    y = np.array([[1.0], [0.0]])
    p = np.array([[0.8], [0.3]])
    assert_allclose(
        LOSSES["log_loss"].per_sample(y, p, "logistic"), [-np.log(0.8), -np.log(0.7)]
    )


def test_log_loss_is_finite_for_certain_wrong_predictions():
    Y = np.array([[1.0, 0.0]])
    P = np.array([[0.0, 1.0]])
    assert np.isfinite(LOSSES["log_loss"].per_sample(Y, P, "softmax")).all()


def test_squared_error_values():
    Y = np.array([[1.0, 0.0]])
    A = np.array([[0.5, 0.25]])
    assert_allclose(
        LOSSES["squared_error"].per_sample(Y, A, "logistic"),
        [0.5 * (0.25 + 0.0625)],
    )


LOSS_OUTPUT_PAIRS = [
    (name, out)
    for name, loss in sorted(LOSSES.items())
    for out in (["softmax", "logistic"] if "classification" in loss.tasks else [])
    + ([loss.regression_output] if "regression" in loss.tasks else [])
]


@pytest.mark.parametrize(("loss", "out_activation"), LOSS_OUTPUT_PAIRS)
def test_delta_is_gradient_wrt_preactivation(loss, out_activation):
    rng = np.random.default_rng(1)
    z = rng.normal(size=(4, 3))
    if out_activation == "identity":
        # Residuals on both sides of the Huber kink at 1.
        Y = rng.normal(scale=3.0, size=(4, 3))
    elif out_activation == "exp":
        Y = rng.poisson(2.0, size=(4, 3)).astype(float)  # counts, zeros included
    else:
        Y = np.eye(3)[rng.integers(0, 3, 4)]
    act = OUTPUT_ACTIVATIONS[out_activation]

    def total(zz):
        return LOSSES[loss].per_sample(Y, act.forward(zz.copy()), out_activation).sum()

    a = act.forward(z.copy())
    delta = LOSSES[loss].delta(Y, a, out_activation, np.empty_like(a))
    numeric = np.empty_like(z)
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += 1e-6
        zm[idx] -= 1e-6
        numeric[idx] = (total(zp) - total(zm)) / 2e-6
    assert_allclose(delta, numeric, rtol=1e-5, atol=1e-8)


def test_huber_values_and_bounded_gradient():
    Y = np.zeros((1, 4))
    A = np.array([[0.5, -0.5, 3.0, -10.0]])
    # 0.5 r^2 inside |r| <= 1, |r| - 0.5 outside.
    assert_allclose(
        LOSSES["huber"].per_sample(Y, A, "identity"), [0.125 + 0.125 + 2.5 + 9.5]
    )
    delta = LOSSES["huber"].delta(Y, A, "identity", np.empty_like(A))
    assert_allclose(delta, [[0.5, -0.5, 1.0, -1.0]])


def test_every_loss_serves_a_known_task():
    for loss in LOSSES.values():
        assert loss.tasks and loss.tasks <= {"classification", "regression"}


def test_poisson_deviance_is_zero_where_a_zero_count_is_predicted_zero():
    # A mean that underflowed to 0 where the count is 0 is a perfect
    # prediction: 0 log 0 = 0, not the NaN of 0 / 0. A positive count
    # predicted as 0 is infinitely wrong.
    Y = np.array([[0.0, 2.0], [3.0, 0.0]])
    A = np.array([[0.0, 2.0], [0.0, 0.0]])
    assert_allclose(LOSSES["poisson"].per_sample(Y, A, "exp"), [0.0, np.inf])
