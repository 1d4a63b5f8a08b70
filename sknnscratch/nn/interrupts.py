"""Ctrl-C during training: finish the current batch, then stop cleanly.

A KeyboardInterrupt raised in the middle of an optimizer update would leave
the weights half-updated. :func:`deferred_keyboard_interrupt` turns the first
Ctrl-C into a flag, and :func:`until_interrupted` stops the batches at the
next batch boundary, where the model is consistent.
"""

import signal
import threading
from contextlib import contextmanager

__all__ = ["deferred_keyboard_interrupt", "until_interrupted"]


class InterruptFlag:
    """Set when a Ctrl-C arrived and is waiting for a batch boundary."""

    requested = False


@contextmanager
def deferred_keyboard_interrupt():
    """Turn the first Ctrl-C into a flag the loop checks between batches.

    A second Ctrl-C goes straight to the previous handler.

    Any Python-level handler is deferred so, not only Python's default: an
    application's own (``asyncio.run``'s, a server's) is called for the first
    Ctrl-C once training has stopped and the handler is back in place (it may
    raise). Left alone: SIG_IGN (Ctrl-C is to be ignored, as for ``command &``
    in a shell script), SIG_DFL (Ctrl-C kills the process), and threads other
    than the main one, which cannot install handlers (joblib workers get the
    plain KeyboardInterrupt path).
    """
    flag = InterruptFlag()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.getsignal(signal.SIGINT)
    if not callable(previous):
        yield flag
        return

    def handler(signum, frame):
        flag.requested = True
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)
    # Python's default would only raise the KeyboardInterrupt the loop has
    # just turned into a clean stop; an application's handler must not miss
    # the Ctrl-C.
    if flag.requested and previous is not signal.default_int_handler:
        signal.raise_signal(signal.SIGINT)


def until_interrupted(batches, flag):
    """The ``batches``, raising KeyboardInterrupt at the first batch boundary
    after ``flag`` was set: once the batch in progress is done, or before the
    first batch if the Ctrl-C came between epochs (while one was scored)."""
    if flag.requested:
        raise KeyboardInterrupt
    for batch in batches:
        yield batch
        if flag.requested:
            raise KeyboardInterrupt
