"""Warnings that point at the line that called ``fit``, at any depth.

A warning's ``stacklevel`` counts frames up from ``warnings.warn``; the
engine's warnings are raised at different depths below the estimator
(mini-batch loop, L-BFGS, divergence handling), and scikit-learn's fit
wrapper sits between the estimator and its caller. :func:`warn` counts the
frames instead: it reports the first one outside sknnscratch and
scikit-learn, as warnings of a library should.
"""

import sys
import warnings

__all__ = ["warn"]

#: Top-level packages whose frames a warning skips.
_LIBRARIES = ("sknnscratch", "sklearn")


def warn(message, category):
    """``warnings.warn(message, category)`` at the caller's line."""
    level = 2  # the caller of warn()
    frame = sys._getframe(1)
    while frame.f_back is not None and _in_library(frame):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)


def _in_library(frame):
    name = frame.f_globals.get("__name__", "")
    return name.split(".", 1)[0] in _LIBRARIES
