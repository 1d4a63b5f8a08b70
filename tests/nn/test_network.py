"""Finite-difference checks of the whole engine's gradient."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from sknnscratch.nn import ACTIVATIONS, LOSSES, Network
from sknnscratch.nn.gradcheck import gradient_check


def make_network(
    activations,
    out_activation="softmax",
    loss="log_loss",
    dropout=None,
    units=(5, 4, 3, 3),
    dtype=np.float64,
    seed=0,
):
    rng = np.random.default_rng(seed)
    dropout = dropout or [0.0] * (len(units) - 2)
    net = Network(list(units), activations, out_activation, loss, dropout, dtype, rng)
    net.initialize("glorot_uniform", rng)
    return net


def batch(n_outputs, out_activation, n=7, n_features=5, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_features))
    if out_activation == "softmax":
        Y = np.eye(n_outputs)[rng.integers(0, n_outputs, n)]
    elif out_activation == "identity":
        # Regression targets, spread so that Huber residuals fall on both
        # sides of its kink.
        Y = rng.normal(scale=3.0, size=(n, n_outputs))
    elif out_activation == "exp":
        Y = rng.poisson(2.0, size=(n, n_outputs)).astype(float)  # counts
    else:
        Y = (rng.random((n, n_outputs)) > 0.5).astype(float)
    return X, Y


#: Output activations each loss is used with: probabilities for the
#: classification losses, the loss's own output for the regression ones.
OUTPUTS = {
    name: (["softmax", "logistic"] if "classification" in loss.tasks else [])
    + ([loss.regression_output] if "regression" in loss.tasks else [])
    for name, loss in LOSSES.items()
}
LOSS_OUTPUT_PAIRS = [(loss, out) for loss in sorted(LOSSES) for out in OUTPUTS[loss]]


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize(("loss", "out_activation"), LOSS_OUTPUT_PAIRS)
def test_gradient_every_activation_and_loss_with_l2(activation, loss, out_activation):
    net = make_network([activation, activation], out_activation, loss)
    X, Y = batch(3, out_activation)
    result = gradient_check(net, X, Y, alpha=0.3)
    assert result["max_relative_error"] < 1e-5, result


def test_gradient_with_sample_weights():
    net = make_network(["tanh", "relu"])
    X, Y = batch(3, "softmax")
    sw = np.array([0.5, 2.0, 1.0, 0.0, 3.0, 1.0, 1.5])
    assert gradient_check(net, X, Y, sw, alpha=0.1)["max_relative_error"] < 1e-5


def test_gradient_with_dropout_under_a_fixed_mask():
    net = make_network(["relu", "tanh"], dropout=[0.3, 0.5])
    X, Y = batch(3, "softmax")
    result = gradient_check(net, X, Y, alpha=0.1, dropout_seed=4)
    assert result["max_relative_error"] < 1e-5, result
    # The mask really is applied: the gradient differs from the one without it.
    plain = gradient_check(net, X, Y, alpha=0.1)
    assert not np.allclose(result["analytic"], plain["analytic"])


def test_gradient_with_sparse_input():
    net = make_network(["relu", "relu"])
    X, Y = batch(3, "softmax")
    X[X < 0.3] = 0
    dense = gradient_check(net, X, Y, alpha=0.1)
    sparse = gradient_check(net, sp.csr_matrix(X), Y, alpha=0.1)
    assert sparse["max_relative_error"] < 1e-5
    assert_allclose(dense["analytic"], sparse["analytic"])


def test_gradient_check_catches_a_wrong_backward(monkeypatch):
    # A check that cannot fail is worthless: break tanh's derivative on purpose.
    from sknnscratch.nn.activations import OUTPUT_ACTIVATIONS, Activation

    net = make_network(["tanh", "tanh"])
    broken = Activation(OUTPUT_ACTIVATIONS["tanh"].forward, lambda a, g: g)
    for layer in net.dense_layers[:-1]:
        monkeypatch.setattr(layer, "_activation", broken)
    X, Y = batch(3, "softmax")
    assert gradient_check(net, X, Y)["max_relative_error"] > 1e-2


def test_flat_parameter_layout_and_views():
    net = make_network(["relu", "relu"], units=(5, 4, 3, 2))
    assert net.params.size == 5 * 4 + 4 * 3 + 3 * 2 + 4 + 3 + 2
    assert net.n_weights == 5 * 4 + 4 * 3 + 3 * 2
    net.coefs[1][0, 0] = 123.0
    assert net.params[20] == 123.0
    assert all(np.shares_memory(c, net.params) for c in net.coefs + net.intercepts)


def test_float32_network_stays_float32():
    net = make_network(["relu", "relu"], dtype=np.float32)
    X, Y = batch(3, "softmax")
    loss, out = net.loss_and_gradient(X.astype(np.float32), Y.astype(np.float32))
    assert out.dtype == np.float32 and net.grads.dtype == np.float32
    assert np.isfinite(loss)


def test_zero_weight_batch_gives_no_step():
    net = make_network(["relu", "relu"])
    X, Y = batch(3, "softmax")
    loss, _ = net.loss_and_gradient(X, Y, np.zeros(len(X)), alpha=1.0)
    assert loss == 0.0 and not net.grads.any()


def test_predict_in_chunks_equals_one_forward(monkeypatch):
    import sknnscratch.nn.network as network_module

    net = make_network(["relu", "relu"])
    X, _ = batch(3, "softmax", n=10)
    whole = net.forward(X).copy()
    monkeypatch.setattr(network_module, "PREDICT_CHUNK_ROWS", 3)
    assert_allclose(net.predict(X), whole)
    # Prediction from fitted weights alone, as the estimators predict.
    from_weights = network_module.predict(
        net.coefs, net.intercepts, ["relu", "relu", "softmax"], X
    )
    assert_allclose(from_weights, whole)


# --- the L2 penalty of the biases (alpha_bias) -------------------------------


@pytest.mark.parametrize(
    ("alpha", "alpha_bias"), [(0.0, 0.7), (0.3, 0.7)], ids=["bias-only", "both"]
)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_gradient_with_bias_penalty(alpha, alpha_bias, weighted):
    net = make_network(["tanh", "relu"])
    X, Y = batch(3, "softmax")
    sw = np.array([0.5, 2.0, 1.0, 0.0, 3.0, 1.0, 1.5]) if weighted else None
    result = gradient_check(net, X, Y, sw, alpha=alpha, alpha_bias=alpha_bias)
    assert result["max_relative_error"] < 1e-5, result


def test_gradient_check_sees_the_bias_penalty():
    # The checked objective includes alpha_bias: its gradient differs from
    # the one without, in the bias block only.
    net = make_network(["tanh", "tanh"])
    X, Y = batch(3, "softmax")
    plain = gradient_check(net, X, Y, alpha=0.2)["analytic"]
    with_bias = gradient_check(net, X, Y, alpha=0.2, alpha_bias=5.0)["analytic"]
    n_weights = net.n_weights
    assert_array_equal(with_bias[:n_weights], plain[:n_weights])
    assert not np.allclose(with_bias[n_weights:], plain[n_weights:])


def biased_network():
    """A network whose biases are not 0 (the initializer may leave them 0)."""
    net = make_network(["relu", "tanh"])
    net.params[net.n_weights :] = np.linspace(
        -1.0, 1.5, net.params.size - net.n_weights
    )
    return net


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_objective_adds_half_alpha_bias_times_squared_bias_norm_over_n(weighted):
    net = biased_network()
    X, Y = batch(3, "softmax")
    sw = np.array([0.5, 2.0, 1.0, 0.0, 3.0, 1.0, 1.5]) if weighted else None
    total = sw.sum() if weighted else len(X)
    output = net.forward(X).copy()
    biases = np.concatenate(net.intercepts)
    weights = np.concatenate([c.ravel() for c in net.coefs])
    base = net.objective(output, Y, sw)

    bias_only = net.objective(output, Y, sw, alpha=0.0, alpha_bias=0.8)
    assert bias_only - base == pytest.approx(0.5 * 0.8 * biases @ biases / total)
    both = net.objective(output, Y, sw, alpha=0.3, alpha_bias=0.8)
    penalty = 0.5 * (0.3 * weights @ weights + 0.8 * biases @ biases) / total
    assert both - base == pytest.approx(penalty)
    # loss_and_gradient returns the same objective.
    loss, _ = net.loss_and_gradient(X, Y, sw, 0.3, 0.8)
    assert loss == pytest.approx(both, rel=1e-14)


def test_bias_penalty_gradient_is_alpha_bias_times_b_over_n():
    net = biased_network()
    X, Y = batch(3, "softmax")
    net.loss_and_gradient(X, Y, None, 0.3)
    plain = net.grads.copy()
    net.loss_and_gradient(X, Y, None, 0.3, 0.9)
    difference = net.grads - plain
    assert_array_equal(difference[: net.n_weights], 0.0)
    assert_allclose(
        difference[net.n_weights :],
        0.9 * net.params[net.n_weights :] / len(X),
        rtol=1e-12,
        atol=1e-15,
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("alpha", [0.0, 0.3])
def test_zero_alpha_bias_is_bitwise_the_objective_without_it(dtype, alpha):
    net = make_network(["relu", "tanh"], dtype=dtype)
    X, Y = batch(3, "softmax")
    X, Y = X.astype(dtype), Y.astype(dtype)
    sw = np.array([0.5, 2.0, 1.0, 0.0, 3.0, 1.0, 1.5], dtype=dtype)
    for weights in (None, sw):
        loss_default, out_default = net.loss_and_gradient(X, Y, weights, alpha)
        out_default = out_default.copy()
        grads_default = net.grads.copy()
        loss_zero, out_zero = net.loss_and_gradient(X, Y, weights, alpha, 0.0)
        assert loss_zero == loss_default
        assert out_zero.tobytes() == out_default.tobytes()
        assert net.grads.tobytes() == grads_default.tobytes()
        objective = net.objective(out_zero, Y, weights, alpha, alpha_bias=0.0)
        assert objective == net.objective(out_zero, Y, weights, alpha)


def test_float32_network_stays_float32_with_bias_penalty():
    net = make_network(["relu", "relu"], dtype=np.float32)
    X, Y = batch(3, "softmax")
    loss, _ = net.loss_and_gradient(
        X.astype(np.float32), Y.astype(np.float32), None, 0.1, 0.5
    )
    assert net.grads.dtype == np.float32 and np.isfinite(loss)


def test_zero_weight_batch_gives_no_step_with_bias_penalty():
    net = biased_network()
    X, Y = batch(3, "softmax")
    loss, _ = net.loss_and_gradient(X, Y, np.zeros(len(X)), 1.0, 1.0)
    assert loss == 0.0 and not net.grads.any()
