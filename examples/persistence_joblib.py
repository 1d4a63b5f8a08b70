"""
================================================
Saving, loading and resuming a model with joblib
================================================

A fitted ScratchMLPClassifier is a plain Python object holding NumPy arrays,
so :func:`joblib.dump` writes it to a file and :func:`joblib.load` brings it
back, exactly as for any scikit-learn estimator. The loaded copy predicts the
very same probabilities, bit for bit. It also keeps what is needed to go on
training: the optimizer's moment estimates, the learning rate and the state of
its random number generator. So ``partial_fit`` on the loaded model continues
the run where it stopped, and gives the same weights as ``partial_fit`` on the
model that never left memory.

What to look at: the two ``identical`` lines, and the loss falling (the test
accuracy mostly rising) as the loaded model trains a few more epochs.

.. warning::

   Loading a joblib or pickle file can execute arbitrary code: the file says
   which Python objects to build and how. Only load files you trust, such as
   ones you wrote yourself. Also load them with the same versions of
   sknnscratch, scikit-learn and NumPy that wrote them. To exchange models
   with others, :func:`sknnscratch.save` writes a safetensors file (the
   weights as tensors and one JSON document) whose loading, with
   :func:`sknnscratch.load`, runs no code from the file.
"""

import argparse
import warnings
from pathlib import Path

import joblib
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sknnscratch import ScratchMLPClassifier

parser = argparse.ArgumentParser(description="Save, load and resume an MLP.")
parser.add_argument("--fast", action="store_true", help="fewer epochs")
parser.add_argument("--output-dir", type=Path, default=Path("examples_output"))
args = parser.parse_args()
args.output_dir.mkdir(parents=True, exist_ok=True)

# %%
# Train a small network on the 8x8 digits (pixels 0-16, scaled to [0, 1]).
X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
n_epochs = 5 if args.fast else 20
clf = ScratchMLPClassifier(hidden_layer_sizes=(64,), max_iter=n_epochs, random_state=0)
# A deliberately short first run, to be continued below: no need to be
# warned that it has not converged.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    clf.fit(X_train, y_train)
print(f"trained {clf.n_iter_} epochs; test accuracy {clf.score(X_test, y_test):.4f}")

# %%
# Save it, and load it back as a new object.
path = args.output_dir / "scratch_mlp_digits.joblib"
joblib.dump(clf, path)
print(f"saved to {path} ({path.stat().st_size / 1024:.0f} KiB)")

# Only load files you trust: unpickling can run any code the file asks for.
loaded = joblib.load(path)
print(f"loaded a {type(loaded).__name__}, a new object: {loaded is not clf}")

same_proba = np.array_equal(loaded.predict_proba(X_test), clf.predict_proba(X_test))
print(f"predict_proba of the loaded model identical: {same_proba}")

# %%
# Continue training the loaded model, one epoch per ``partial_fit`` call.
# Doing the same to the original shows that nothing was lost on the way
# through the file: the weights stay equal, bit for bit.
n_more = 3 if args.fast else 10
for epoch in range(1, n_more + 1):
    loaded.partial_fit(X_train, y_train)
    clf.partial_fit(X_train, y_train)
    print(
        f"  partial_fit epoch {epoch:>2}: loss {loaded.loss_:.4f}, "
        f"test accuracy {loaded.score(X_test, y_test):.4f}"
    )
same_weights = all(
    np.array_equal(a, b)
    for a, b in zip(loaded.coefs_ + loaded.intercepts_, clf.coefs_ + clf.intercepts_)
)
print(f"weights after resuming, loaded vs in-memory model identical: {same_weights}")
print(f"the loaded model has now seen {len(loaded.history_['epoch'])} epochs in all")

# The resumed model can be saved again for the next session.
joblib.dump(loaded, path)
print(f"resumed model saved to {path}")
print("note: joblib/pickle files execute code when loaded; only load files you trust.")
