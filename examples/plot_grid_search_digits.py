"""
===========================================
Grid search over regularization and solvers
===========================================

ScratchMLPClassifier is an ordinary scikit-learn estimator, so it fits in a
:class:`~sklearn.pipeline.Pipeline` behind a
:class:`~sklearn.preprocessing.StandardScaler`, and the pipeline fits in a
:class:`~sklearn.model_selection.GridSearchCV` that trains the candidates in
parallel worker processes (``n_jobs=2``). The search runs on scikit-learn's
8x8 handwritten digits and tries the L2 penalty ``alpha``, the ``dropout`` rate
and the ``solver``, parameters that scikit-learn's own ``MLPClassifier``
partly lacks (it has no dropout, no RMSprop).

What to look at: the table of the best candidates. On this small, clean data
set many settings score within a standard deviation of each other, so the
order of the top few is partly luck; the two smaller values of ``alpha`` often
tie exactly, as a penalty that small barely moves the weights. Then the
accuracy on the held-out test set, which the search never saw, and the
learning curves of the refitted best model. With ``early_stopping=True`` every
model holds out 10% of its training rows; the dotted line marks the epoch
whose weights it keeps.

Run ``python examples/plot_grid_search_digits.py`` (27 candidates, 5 folds:
a minute or two on two cores) or add ``--fast`` for a smaller search that
takes seconds.
"""

import argparse
import time
import warnings
from pathlib import Path

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknnscratch import ScratchMLPClassifier
from sknnscratch.plotting import plot_learning_curves

parser = argparse.ArgumentParser(description="Grid search of an MLP on digits.")
parser.add_argument("--fast", action="store_true", help="a small, quick search")
parser.add_argument("--output-dir", type=Path, default=Path("examples_output"))
args = parser.parse_args()
args.output_dir.mkdir(parents=True, exist_ok=True)

# %%
# Data: 1,797 images of 8x8 pixels; a quarter is kept aside for the end.
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
print(f"{len(X_train)} training and {len(X_test)} test images of 8x8 pixels")

# %%
# The pipeline and the grid. Parameters of a pipeline step are addressed as
# ``<step name>__<parameter>``; make_pipeline names the steps after their
# classes in lower case.
mlp = ScratchMLPClassifier(
    hidden_layer_sizes=(32,) if args.fast else (100,),
    max_iter=30 if args.fast else 200,
    early_stopping=True,
    random_state=0,
)
pipe = make_pipeline(StandardScaler(), mlp)
if args.fast:
    param_grid = {
        "scratchmlpclassifier__alpha": [1e-4, 1e-1],
        "scratchmlpclassifier__dropout": [0.0, 0.2],
        "scratchmlpclassifier__solver": ["adam", "rmsprop"],
    }
    cv = 3
else:
    param_grid = {
        "scratchmlpclassifier__alpha": [1e-4, 1e-2, 1.0],
        "scratchmlpclassifier__dropout": [0.0, 0.2, 0.5],
        "scratchmlpclassifier__solver": ["sgd", "adam", "rmsprop"],
    }
    cv = 5
grid = GridSearchCV(pipe, param_grid, cv=cv, n_jobs=2)

# With --fast, max_iter=30 stops training before it converges on purpose;
# the warning saying so would only be noise here.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    start = time.perf_counter()
    grid.fit(X_train, y_train)
    seconds = time.perf_counter() - start
n_candidates = len(grid.cv_results_["params"])
print(f"{n_candidates} candidates x {cv} folds searched in {seconds:.1f} s")

# %%
# The best parameters, and the best candidates of ``cv_results_``.
prefix = "scratchmlpclassifier__"
best = {name.removeprefix(prefix): value for name, value in grid.best_params_.items()}
print(f"\nbest parameters: {best}")
print(f"best mean cross-validation accuracy: {grid.best_score_:.4f}\n")

results = grid.cv_results_
order = results["rank_test_score"].argsort(kind="stable")
print(f"{'rank':>4}  {'mean acc':>8}  {'std':>6}  {'fit (s)':>7}  parameters")
for i in order[:8]:
    params = ", ".join(
        f"{name.removeprefix(prefix)}={value}"
        for name, value in results["params"][i].items()
    )
    print(
        f"{results['rank_test_score'][i]:>4}  {results['mean_test_score'][i]:>8.4f}"
        f"  {results['std_test_score'][i]:>6.4f}  {results['mean_fit_time'][i]:>7.2f}"
        f"  {params}"
    )

# %%
# GridSearchCV refits the best pipeline on all the training rows; the test
# set scores it once.
test_accuracy = grid.score(X_test, y_test)
print(f"\ntest accuracy of the best model: {test_accuracy:.4f}")

# %%
# Learning curves of the refitted best model: the last pipeline step.
best_mlp = grid.best_estimator_[-1]
print(f"the best model trained for {best_mlp.n_iter_} epochs")
fig = plot_learning_curves(best_mlp)
path = args.output_dir / "grid_search_digits_learning_curves.png"
fig.savefig(path, dpi=100)
print(f"learning curves written to {path}")
