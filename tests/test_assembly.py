"""``sknnscratch._assembly``: from an estimator's parameters to the engine's
objects, and the fitted attributes that hold the engine's state.

No test fits a model: the "fitted" estimators get their attributes by hand,
as a fit would store them.
"""

import dataclasses
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from sknnscratch import ScratchMLPClassifier, ScratchMLPRegressor
from sknnscratch._assembly import (
    STATE_ATTRIBUTES,
    batch_size,
    build_network,
    held_out,
    optimizer_and_schedule,
    random_stream,
    training_config,
    training_state,
)
from sknnscratch.nn.bookkeeping import TrainingState, history_keys, new_history
from sknnscratch.nn.data import Dataset, TrainingData
from sknnscratch.nn.layers import Dropout
from sknnscratch.nn.optimizers import SGD, Adam
from sknnscratch.nn.schedules import Adaptive, InvScaling

PLAN = (["relu", "tanh"], [0.0, 0.5], "identity")


def with_fitted_state(estimator, state):
    """``estimator`` with the fitted attributes a fit ending in ``state`` stores."""
    for field, attribute in STATE_ATTRIBUTES.items():
        setattr(estimator, attribute, getattr(state, field))
    return estimator


def a_fitted_state(**changes):
    history = new_history("r2")
    history["epoch"].extend([1, 2, 3])
    history["loss"].extend([0.7, 0.6, 0.5])
    fields = dict(
        n_iter=3,
        samples_seen=30,
        loss=0.5,
        best_loss=0.5,
        no_improvement_count=2,
        learning_rate=2e-4,
        loss_curve=[0.7, 0.6, 0.5],
        history=history,
    )
    return TrainingState(**{**fields, **changes})


# --- the fitted attributes of the state -------------------------------------------


@pytest.mark.parametrize("estimator", [ScratchMLPClassifier, ScratchMLPRegressor])
def test_every_field_of_the_state_has_a_fitted_attribute_in_the_model_file(estimator):
    fields = {field.name for field in dataclasses.fields(TrainingState)}
    assert set(STATE_ATTRIBUTES) == fields
    assert len(set(STATE_ATTRIBUTES.values())) == len(fields)
    assert set(STATE_ATTRIBUTES.values()) <= set(estimator._fitted_state)


# --- random_stream ----------------------------------------------------------------


def test_random_stream_of_a_seed_is_reproducible():
    estimator = ScratchMLPRegressor(random_state=7)
    first = random_stream(estimator, resume=False).random(4)
    assert_array_equal(random_stream(estimator, resume=False).random(4), first)
    assert_array_equal(np.random.default_rng(7).random(4), first)


def test_random_stream_continues_where_the_last_call_left_it():
    original = np.random.default_rng(3)
    original.random(5)  # what the earlier calls drew
    estimator = ScratchMLPRegressor(random_state=0)  # not used when resuming
    estimator._rng_state = original.bit_generator.state
    continued = random_stream(estimator, resume=True).random(4)
    assert_array_equal(continued, original.random(4))
    # The stored state is not advanced: resuming again draws the same numbers.
    assert_array_equal(random_stream(estimator, resume=True).random(4), continued)


def test_random_stream_continues_every_state_a_model_file_may_hold():
    original = np.random.Generator(np.random.PCG64DXSM(3))
    estimator = ScratchMLPRegressor()
    estimator._rng_state = original.bit_generator.state
    assert_array_equal(
        random_stream(estimator, resume=True).random(4), original.random(4)
    )


# --- build_network ----------------------------------------------------------------


def test_a_first_pass_draws_fresh_weights_of_the_planned_shape():
    estimator = ScratchMLPRegressor(weight_init="he_normal")
    network = build_network(
        estimator, [3, 4, 5, 2], PLAN, np.float32, np.random.default_rng(0), True
    )
    assert [c.shape for c in network.coefs] == [(3, 4), (4, 5), (5, 2)]
    assert network.dtype == np.float32
    assert network.activations == ["relu", "tanh", "identity"]
    assert network.loss is not None and network.output_activation == "identity"
    assert [type(layer) for layer in network.layers].count(Dropout) == 1
    # he_normal: random weights, zero biases.
    assert all(c.any() for c in network.coefs)
    assert not network.params[network.n_weights :].any()
    again = build_network(
        estimator, [3, 4, 5, 2], PLAN, np.float32, np.random.default_rng(0), True
    )
    assert_array_equal(again.params, network.params)


def fitted_regressor(**params):
    estimator = ScratchMLPRegressor(**params)
    estimator.coefs_ = [np.full((3, 4), 0.5), np.full((4, 5), 0.25), np.ones((5, 2))]
    estimator.intercepts_ = [np.full(4, 0.1), np.full(5, 0.2), np.full(2, 0.3)]
    return estimator


def test_a_later_pass_starts_from_a_copy_of_the_fitted_weights():
    estimator = fitted_regressor()
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    network = build_network(estimator, [3, 4, 5, 2], PLAN, np.float64, rng, False)
    for ours, fitted in zip(
        network.coefs + network.intercepts, estimator.coefs_ + estimator.intercepts_
    ):
        assert_array_equal(ours, fitted)
        assert not np.shares_memory(ours, fitted)
    assert rng.bit_generator.state == before  # no weights drawn


@pytest.mark.parametrize("layer_units", [[3, 4, 6, 2], [3, 4, 2], [2, 4, 5, 2]])
def test_a_later_pass_refuses_a_change_of_shape(layer_units):
    with pytest.raises(
        ValueError,
        match=r"fitted network has layer sizes \[3, 4, 5, 2\] but the parameters "
        r"ask for .*; refit without warm_start",
    ):
        build_network(
            fitted_regressor(),
            layer_units,
            PLAN,
            np.float64,
            np.random.default_rng(0),
            False,
        )


# --- training_state ---------------------------------------------------------------


@pytest.mark.parametrize(
    "estimator, metric",
    [(ScratchMLPClassifier(), "accuracy"), (ScratchMLPRegressor(), "r2")],
)
def test_a_first_pass_starts_a_fresh_state_with_the_estimators_metric(
    estimator, metric
):
    state = training_state(estimator, first_pass=True, incremental=False)
    assert tuple(state.history) == history_keys(metric)
    assert state == TrainingState(history=new_history(metric))


def test_a_first_pass_with_early_stopping_watches_the_validation_set():
    estimator = ScratchMLPRegressor(early_stopping=True)
    state = training_state(estimator, first_pass=True, incremental=False)
    assert state.validation_scores == []
    assert state.best_validation_score == -np.inf
    assert state.best_validation_loss == np.inf
    assert state.best_loss is None


def test_lbfgs_ignores_early_stopping():
    estimator = ScratchMLPRegressor(early_stopping=True, solver="lbfgs")
    state = training_state(estimator, first_pass=True, incremental=False)
    assert state.validation_scores is None and state.best_loss == np.inf


def test_partial_fit_continues_every_field_of_the_fitted_state():
    fitted = a_fitted_state()
    estimator = with_fitted_state(ScratchMLPRegressor(), fitted)
    assert training_state(estimator, first_pass=False, incremental=True) == fitted


def test_a_warm_start_is_a_new_run_that_carries_on_the_log_and_samples_seen():
    estimator = with_fitted_state(ScratchMLPRegressor(), a_fitted_state())
    state = training_state(estimator, first_pass=False, incremental=False)
    assert state == TrainingState(
        samples_seen=30, loss_curve=[0.7, 0.6, 0.5], history=a_fitted_state().history
    )


def test_a_warm_start_with_early_stopping_judges_afresh():
    estimator = with_fitted_state(
        ScratchMLPRegressor(early_stopping=True),
        a_fitted_state(validation_scores=[0.1, 0.9], best_validation_score=0.9),
    )
    state = training_state(estimator, first_pass=False, incremental=False)
    assert state.validation_scores == [] and state.best_validation_score == -np.inf


@pytest.mark.parametrize("incremental", [True, False])
def test_the_engine_appends_to_lists_of_its_own(incremental):
    estimator = with_fitted_state(ScratchMLPRegressor(), a_fitted_state())
    state = training_state(estimator, first_pass=False, incremental=incremental)
    state.loss_curve.append(0.4)
    state.history["loss"].append(0.4)
    assert estimator.loss_curve_ == [0.7, 0.6, 0.5]
    assert estimator.history_["loss"] == [0.7, 0.6, 0.5]


def test_partial_fit_after_an_early_stopping_fit_has_a_best_loss():
    fitted = a_fitted_state(best_loss=None, validation_scores=[0.5, 0.6])
    estimator = with_fitted_state(ScratchMLPRegressor(early_stopping=False), fitted)
    state = training_state(estimator, first_pass=False, incremental=True)
    assert state.best_loss is not None


# --- training_config and batch_size -----------------------------------------------


def test_training_config_reads_the_parameters_of_the_same_names():
    estimator = ScratchMLPClassifier(
        max_iter=7,
        shuffle=False,
        alpha=0.3,
        tol=1e-3,
        n_iter_no_change=4,
        early_stopping=True,
        early_stopping_metric="loss",
        verbose=2,
        max_fun=99,
        batch_size=16,
    )
    hook = print
    config = training_config(estimator, single_epoch=True, on_epoch_end=hook)
    assert (config.max_iter, config.shuffle, config.alpha, config.tol) == (
        7,
        False,
        0.3,
        1e-3,
    )
    assert (config.n_iter_no_change, config.early_stopping) == (4, True)
    assert config.early_stopping_metric == "loss" and config.metric == "accuracy"
    assert config.verbose is True and config.max_fun == 99
    assert config.single_epoch is True and config.on_epoch_end is hook
    assert config.batch_size == 200  # left to batch_size(), once rows are known


@pytest.mark.parametrize(
    "requested, n_train, expected",
    [
        ("auto", 50, 50),
        ("auto", 200, 200),
        ("auto", 500, 200),
        (32, 100, 32),
        (100, 100, 100),
    ],
)
def test_batch_size_without_clipping(requested, n_train, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (
            batch_size(ScratchMLPRegressor(batch_size=requested), n_train) == expected
        )


@pytest.mark.parametrize("requested", [121, 300])
def test_a_batch_size_above_the_rows_is_clipped_with_scikit_learns_warning(requested):
    with pytest.warns(UserWarning, match="batch_size` less than 1 or larger than"):
        assert batch_size(ScratchMLPRegressor(batch_size=requested), 120) == 120


# --- optimizer_and_schedule -------------------------------------------------------


class NetworkOfSize:
    """What optimizer_and_schedule reads of a network."""

    def __init__(self, n_params, dtype=np.float64):
        self.params = np.zeros(n_params, dtype=dtype)
        self.dtype = np.dtype(dtype)


def test_hyperparameters_are_the_estimators_parameters_of_the_same_names():
    estimator = ScratchMLPRegressor(
        solver="sgd",
        momentum=0.5,
        nesterovs_momentum=False,
        learning_rate="invscaling",
        learning_rate_init=0.3,
        power_t=0.25,
    )
    optimizer, schedule = optimizer_and_schedule(
        estimator, NetworkOfSize(6, np.float32), resume=False, updates_per_epoch=1
    )
    assert isinstance(optimizer, SGD) and optimizer.velocity.shape == (6,)
    assert optimizer.dtype == np.float32
    assert optimizer.momentum == 0.5 and optimizer.nesterovs_momentum is False
    assert isinstance(schedule, InvScaling)
    assert (schedule.learning_rate, schedule.power_t) == (0.3, 0.25)
    estimator = ScratchMLPRegressor(beta_1=0.8, beta_2=0.99, epsilon=1e-6)
    optimizer, _ = optimizer_and_schedule(
        estimator, NetworkOfSize(2), resume=False, updates_per_epoch=1
    )
    assert isinstance(optimizer, Adam)
    assert (optimizer.beta_1, optimizer.beta_2, optimizer.epsilon) == (0.8, 0.99, 1e-6)


def saved_adam_state():
    return {
        "name": "adam",
        "t": 5,
        "first_moment": np.array([0.1, 0.2]),
        "second_moment": np.array([0.3, 0.4]),
    }


def test_resuming_loads_the_saved_state_and_learning_rate():
    estimator = ScratchMLPRegressor(learning_rate="adaptive", learning_rate_init=0.1)
    estimator._optimizer_state = saved_adam_state()
    estimator._learning_rate = 0.02
    optimizer, schedule = optimizer_and_schedule(
        estimator, NetworkOfSize(2), True, updates_per_epoch=1
    )
    assert optimizer.t == 5
    assert_array_equal(optimizer.first_moment, [0.1, 0.2])
    assert_array_equal(optimizer.second_moment, [0.3, 0.4])
    assert isinstance(schedule, Adaptive)
    assert schedule.learning_rate == 0.02 and schedule.learning_rate_init == 0.1
    # A copy: the optimizer's steps do not change the stored state.
    optimizer.step(np.zeros(2), np.ones(2), 0.1)
    assert_array_equal(estimator._optimizer_state["first_moment"], [0.1, 0.2])


@pytest.mark.parametrize(
    "resume, solver, saved",
    [
        (False, "adam", saved_adam_state()),  # fit: starts afresh
        (True, "rmsprop", saved_adam_state()),  # another solver's state
        (True, "adam", None),  # no state stored (an lbfgs fit)
    ],
)
def test_a_state_is_loaded_only_when_resuming_the_same_solver(resume, solver, saved):
    estimator = ScratchMLPRegressor(solver=solver, learning_rate_init=0.1)
    if saved is not None:
        estimator._optimizer_state = saved
    estimator._learning_rate = 0.02 if resume else None
    optimizer, schedule = optimizer_and_schedule(
        estimator, NetworkOfSize(2), resume, updates_per_epoch=1
    )
    assert optimizer.t == 0
    assert schedule.learning_rate == (0.02 if resume else 0.1)


# --- held_out ---------------------------------------------------------------------


def numbered_data(n, seed=0):
    """Rows that say which they are: X[i] = (i, -i), Y[i] = i, weight i."""
    rows = np.arange(n, dtype=float)
    dataset = Dataset(np.c_[rows, -rows], rows[:, None], rows.copy())
    return TrainingData(dataset, None, np.random.default_rng(seed))


def ids(dataset):
    assert_array_equal(dataset.X[:, 0], dataset.Y[:, 0])
    assert_array_equal(dataset.sample_weight, dataset.Y[:, 0])
    return dataset.Y[:, 0].astype(int).tolist()


def test_held_out_moves_a_fraction_of_the_rows_to_the_validation_set():
    data = numbered_data(8)
    split = held_out(data, None, 0.25)
    train, validation = ids(split.train), ids(split.validation)
    assert len(validation) == 2 and len(train) == 6
    assert sorted(train + validation) == list(range(8))
    assert train == sorted(train) and validation == sorted(validation)
    assert split.rng is data.rng
    # The same seed, the same split.
    assert ids(held_out(numbered_data(8), None, 0.25).validation) == validation


def test_held_out_is_stratified():
    strata = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    for seed in range(3):
        validation = ids(held_out(numbered_data(12, seed), strata, 0.5).validation)
        assert np.bincount(strata[validation]).tolist() == [3, 3]


def test_a_class_too_rare_to_stratify_on_gets_an_unstratified_split():
    strata = np.array([0] * 9 + [1])
    split = held_out(numbered_data(10), strata, 0.3)
    assert len(ids(split.validation)) == 3 and len(ids(split.train)) == 7


def test_a_validation_set_of_one_row_is_refused():
    with pytest.raises(ValueError, match="The validation set is too small"):
        held_out(numbered_data(10), None, 0.1)
