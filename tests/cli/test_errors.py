"""Warnings as ``warning: ...`` lines, and how a diverged fit is recognised."""

import warnings

from sklearn.datasets import load_iris

from sknnscratch import ScratchMLPClassifier
from sknnscratch.cli import _errors
from sknnscratch.nn.divergence import DivergenceWarning

from ._support import DIVERGED_LATE


def test_only_the_iteration_budget_warning_is_hidden(capsys):
    # The warnings of real fits: the two budgets that ran out (epochs and
    # L-BFGS iterations) are hidden; a divergence and an L-BFGS line search
    # that failed (digits x 1000: scipy's ABNORMAL) are shown.
    X, y = load_iris(return_X_y=True)
    budget = ScratchMLPClassifier(max_iter=1, random_state=0)
    lbfgs_budget = ScratchMLPClassifier(solver="lbfgs", max_iter=1, random_state=0)
    abnormal = ScratchMLPClassifier(
        solver="lbfgs", hidden_layer_sizes=(10,), random_state=0
    )
    with _errors.warnings_as_lines(hide_budget_warning=True) as caught:
        budget.fit(X, y)
        lbfgs_budget.fit(X, y)
        warnings.warn(DIVERGED_LATE, DivergenceWarning, stacklevel=1)
        abnormal.fit(X[:, :2] * 1e6, y)
    shown = capsys.readouterr().err.splitlines()
    assert len(caught) == 4
    assert shown == [f"warning: {text}" for _, text in caught[2:]]
    assert "ABNORMAL" in shown[1]
    assert _errors.divergence_warnings(caught) == [DIVERGED_LATE]


def test_scikit_learns_divergence_error_is_known_by_its_wording():
    sklearn_error = ValueError(
        "Solver produced non-finite parameter weights. The input data may contain "
        "large values and need to be preprocessed."
    )
    assert _errors.is_divergence_error(sklearn_error)
    assert not _errors.is_divergence_error(ValueError("X has 3 features"))
    message = _errors.divergence_message("; try again", sklearn_error)
    assert message.startswith("training diverged: ")
    assert "learned; try again. (Solver produced" in message
