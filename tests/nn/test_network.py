"""Finite-difference checks of the whole engine's gradient."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

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
