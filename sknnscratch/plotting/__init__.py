"""Plots of a fitted MLP: learning curves, weights, errors and a training movie.

Every function draws on a :class:`matplotlib.figure.Figure` it creates itself
(or one you pass in), never through :mod:`matplotlib.pyplot`.  That way the
plots need no display and no backend choice (saving goes through Agg), they
touch none of pyplot's global state, and a figure is freed as soon as it is
no longer referenced instead of living on in pyplot's registry until
``plt.close``.  Save a figure with ``fig.savefig(path)``; in a notebook,
``display(fig)`` shows it.

The functions read only public fitted attributes (``coefs_``,
``out_activation_``, ``classes_``, ``history_``) and the ``activation``
parameter, so apart from :func:`plot_learning_curves` (which needs
``history_``) they also accept scikit-learn's own ``MLPClassifier``.
:func:`plot_learning_curves`, :func:`plot_first_layer_weights`,
:func:`plot_weight_distributions` and :func:`plot_network_diagram` draw
regressors too (the learning curves then show :math:`R^2`).  The plots of a
classifier's predictions (:func:`plot_confusion_matrix`,
:func:`plot_most_confident_errors`, :func:`animate_decision_boundary`)
refuse a regressor, and :func:`save_report_plots` leaves them out for one.
The plots that show classes take ``class_names``, one name per entry of
``classes_`` (such as Fashion-MNIST's ``"T-shirt/top"`` for label 0), and
show the labels themselves without it.
"""

# One module per plot, over the figure and argument helpers of _figures; this
# package only gathers the public names, so `sknnscratch.plotting.X` stays
# the one import path.
from ._animation import animate_decision_boundary
from ._errors import plot_confusion_matrix, plot_most_confident_errors
from ._learning_curves import plot_learning_curves
from ._network import plot_network_diagram
from ._report import REPORT_PLOTS as _REPORT_PLOTS
from ._report import save_report_plots
from ._weights import plot_first_layer_weights, plot_weight_distributions

__all__ = [
    "animate_decision_boundary",
    "plot_confusion_matrix",
    "plot_first_layer_weights",
    "plot_learning_curves",
    "plot_most_confident_errors",
    "plot_network_diagram",
    "plot_weight_distributions",
    "save_report_plots",
]

# Assigned here rather than only imported: Sphinx reads a constant's "#:"
# comment from the module it is documented under, which is this one.
#: File stem of each plot written by :func:`save_report_plots`.
REPORT_PLOTS = _REPORT_PLOTS
