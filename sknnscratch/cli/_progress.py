"""Progress on the terminal: epoch bars and lines, and a ticking status line.

The epoch displays are :class:`~sknnscratch.callbacks.EpochCallback`
subclasses, attached with the estimators' public ``set_callbacks`` for one
fit and detached after it (:func:`callbacks_attached`), so that the fitted
model, saved or pickled, holds nothing of the command line.

The bars and status lines go to stderr, and only to a terminal; ``train``'s
epoch lines go to stdout with the rest of its output.
"""

import sys
import threading
from contextlib import contextmanager

from tqdm import tqdm

from ..callbacks import EpochCallback

__all__ = [
    "EpochBar",
    "EpochLines",
    "callbacks_attached",
    "epoch_bar",
    "progress_disabled",
    "status",
]


def progress_disabled(quiet):
    """tqdm's ``disable``: off with --quiet, else on only when stderr is a TTY."""
    return True if quiet else None


class EpochBar(EpochCallback):
    """A tqdm bar over the epochs of a fit, showing the loss and accuracies.

    Parameters
    ----------
    total : int
        The bar's length: the fit's maximum number of epochs.
    description : str
        Shown in front of the bar.
    disable : bool or None, default=None
        tqdm's ``disable``; None shows the bar only when stderr is a terminal.
    """

    def __init__(self, total, description, disable=None):
        self.bar = tqdm(
            total=total,
            desc=description,
            unit="epoch",
            file=sys.stderr,
            disable=disable,
        )

    def on_epoch_end(self, estimator, record):
        """Advance the bar by one epoch; never stops training."""
        postfix = {"loss": f"{record['loss']:.4f}"}
        if record["accuracy"] is not None:
            postfix["train_acc"] = f"{record['accuracy']:.2%}"
        if record["val_accuracy"] is not None:
            postfix["val_acc"] = f"{record['val_accuracy']:.2%}"
        self.bar.set_postfix(postfix, refresh=False)
        self.bar.update(1)
        return False

    def close(self):
        """Close the bar (it stays on screen, complete or not)."""
        self.bar.close()


class EpochLines(EpochCallback):
    """One line of training progress per epoch on stdout.

    For example ``epoch  3/20  loss 0.3065  train acc 91.02%  (0.2 s)``, with
    the validation loss and accuracy when the fit holds out a validation set.
    """

    def on_epoch_end(self, estimator, record):
        """Print the epoch's line; never stops training."""
        max_iter = estimator.max_iter
        line = (
            f"epoch {record['epoch']:>{len(str(max_iter))}}/{max_iter}  "
            f"loss {record['loss']:.4f}"
        )
        if record["accuracy"] is not None:
            line += f"  train acc {record['accuracy']:6.2%}"
        if record["val_accuracy"] is not None:
            line += (
                f"  val loss {record['val_loss']:.4f}"
                f"  val acc {record['val_accuracy']:6.2%}"
            )
        print(f"{line}  ({record['seconds']:.1f} s)", flush=True)
        return False


@contextmanager
def callbacks_attached(estimator, *callbacks):
    """Set ``callbacks`` on ``estimator`` for the block, removed after it.

    Removed whatever happens, so that neither a failed nor a fitted model
    keeps a live display (a saved or pickled model holds no callbacks).
    """
    estimator.set_callbacks(*callbacks)
    try:
        yield estimator
    finally:
        estimator.set_callbacks()


@contextmanager
def epoch_bar(estimator, description, quiet):
    """An :class:`EpochBar` over ``estimator.max_iter`` epochs during the block."""
    bar = EpochBar(estimator.max_iter, description, disable=progress_disabled(quiet))
    try:
        with callbacks_attached(estimator, bar):
            yield bar
    finally:
        bar.close()


@contextmanager
def status(description, quiet):
    """Show ``description`` and a ticking elapsed time on stderr during the block.

    For fits that report no progress (SVC, scikit-learn's MLPClassifier): an
    honest clock rather than a made-up percentage.  A thread refreshes the
    line, since nothing inside the fit calls back.
    """
    bar = tqdm(
        desc=description,
        bar_format="{desc} ({elapsed})",
        file=sys.stderr,
        disable=progress_disabled(quiet),
        leave=False,  # a passing status: the table reports the timings
    )
    stop = threading.Event()

    def tick():
        while not stop.wait(0.5):
            bar.refresh()

    thread = threading.Thread(target=tick, daemon=True)
    if not bar.disable:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        if thread.is_alive():
            thread.join()
        bar.close()
