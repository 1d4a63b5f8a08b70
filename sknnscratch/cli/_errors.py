"""Failures and warnings as the command-line user sees them.

An expected failure is a :class:`CLIError`: :func:`sknnscratch.cli.main`
prints it as one ``error: ...`` line and exits with code 1. Warnings become
one ``warning: ...`` line each (:func:`warnings_as_lines`). A fit that
diverged is told apart here, from both our estimators and scikit-learn's.
"""

import sys
import warnings
from contextlib import contextmanager

from sklearn.exceptions import ConvergenceWarning

from ..nn.divergence import DivergenceError, DivergenceWarning
from ._text import one_line

__all__ = [
    "CLIError",
    "divergence_message",
    "divergence_warnings",
    "is_divergence_error",
    "warnings_as_lines",
]


class CLIError(Exception):
    """An expected failure, reported as one ``error: ...`` line and exit code 1."""


def _is_budget_warning(category, text):
    """Whether a warning only says that the iteration budget ran out.

    A fixed epoch budget (``tol=0``, as in the presets) always ends with this
    ConvergenceWarning, which says nothing new.  Other ConvergenceWarnings
    (a diverged fit, L-BFGS stopping abnormally) are news, never hidden.
    """
    return issubclass(category, ConvergenceWarning) and (
        text.startswith("Stochastic Optimizer: Maximum iterations")
        or "ITERATIONS REACHED LIMIT" in text.upper()  # scipy's L-BFGS-B status
    )


@contextmanager
def warnings_as_lines(hide_budget_warning):
    """Report warnings as one ``warning: ...`` line each on stderr.

    Parameters
    ----------
    hide_budget_warning : bool
        Hide the ConvergenceWarning that only says the maximum number of
        iterations was reached.

    Yields
    ------
    caught : list of (type, str)
        Category and one-line text of every warning raised in the block,
        hidden or not, so the caller can tell whether a fit diverged.
    """
    caught = []

    def show(message, category, filename, lineno, file=None, line=None):
        # Some messages (scikit-learn's L-BFGS one) span several lines.
        text = one_line(message)
        caught.append((category, text))
        if not (hide_budget_warning and _is_budget_warning(category, text)):
            print(f"warning: {text}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = show
        yield caught


#: How scikit-learn's MLP begins the ValueError of a fit that diverged
#: (ScratchMLPClassifier's DivergenceError begins alike).
_NON_FINITE_WEIGHTS = "Solver produced non-finite parameter weights"


def is_divergence_error(exc):
    """Whether a fit's ValueError says it diverged and kept nothing usable.

    Ours raise :class:`~sknnscratch.nn.divergence.DivergenceError`; scikit-learn's
    MLPClassifier (``compare``) a plain ValueError known by its wording.
    """
    return isinstance(exc, DivergenceError) or str(exc).startswith(_NON_FINITE_WEIGHTS)


def divergence_warnings(caught):
    """The texts of the warnings in ``caught`` that report a diverged fit."""
    return [
        text for category, text in caught if issubclass(category, DivergenceWarning)
    ]


def divergence_message(advice, exc):
    """The one-line error for a fit that diverged and left nothing usable.

    ``advice`` goes on the sentence, with its leading punctuation; then what
    the estimator says happened (``exc``): ours the epoch and the loss, not
    its own advice, which names the parameter rather than the flag.
    """
    detail = exc.what if isinstance(exc, DivergenceError) else one_line(exc)
    return (
        "training diverged: the loss or the weights became infinite or NaN "
        f"before anything usable was learned{advice}. ({detail})"
    )
