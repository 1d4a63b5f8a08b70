"""``sknnscratch.nn.interrupts``: Ctrl-C as a flag, and a clean stop at the
next batch boundary.

``signal.raise_signal`` runs the Python-level handler before it returns, so
every Ctrl-C here arrives at a known point: nothing depends on timing.
"""

import functools
import signal
import threading

import pytest

from sknnscratch.nn.interrupts import (
    InterruptFlag,
    deferred_keyboard_interrupt,
    until_interrupted,
)


@pytest.fixture
def install_sigint():
    """Install a SIGINT handler for one test; pytest's comes back after it."""
    previous = signal.getsignal(signal.SIGINT)
    yield functools.partial(signal.signal, signal.SIGINT)
    signal.signal(signal.SIGINT, previous)


def recording_handler(calls):
    def handler(signum, frame):
        calls.append(signal.getsignal(signal.SIGINT) is handler)

    return handler


# --- until_interrupted ------------------------------------------------------------


class Flag:
    requested = False


def test_without_a_request_every_batch_is_given():
    assert list(until_interrupted(iter("abcd"), Flag())) == list("abcd")


def test_a_request_stops_at_the_end_of_the_batch_in_progress():
    flag, drawn, trained = Flag(), [], []

    def batches():
        for batch in "abcd":
            drawn.append(batch)
            yield batch

    with pytest.raises(KeyboardInterrupt):
        for batch in until_interrupted(batches(), flag):
            trained.append(batch)
            if batch == "b":
                flag.requested = True  # Ctrl-C while batch b trains
    assert trained == ["a", "b"]
    assert drawn == ["a", "b"]  # batch c was not even drawn


# --- deferred_keyboard_interrupt --------------------------------------------------


def test_the_first_ctrl_c_becomes_a_flag_and_the_second_raises(install_sigint):
    install_sigint(signal.default_int_handler)
    with deferred_keyboard_interrupt() as flag:
        assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler
        assert flag.requested is False
        signal.raise_signal(signal.SIGINT)  # no exception: only the flag
        assert flag.requested is True
        # The previous handler is back at once: a second Ctrl-C raises.
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
    # Python's default handler is not called again on the way out.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_application_handler_hears_the_ctrl_c_once_after_the_stop(
    install_sigint,
):
    calls = []
    handler = recording_handler(calls)
    install_sigint(handler)
    with deferred_keyboard_interrupt() as flag:
        signal.raise_signal(signal.SIGINT)
        assert flag.requested and calls == []
    # Called once, with itself back in place.
    assert calls == [True]
    assert signal.getsignal(signal.SIGINT) is handler


def test_without_a_ctrl_c_the_application_handler_is_not_called(install_sigint):
    calls = []
    handler = recording_handler(calls)
    install_sigint(handler)
    with deferred_keyboard_interrupt() as flag:
        pass
    assert not flag.requested and calls == []
    assert signal.getsignal(signal.SIGINT) is handler


def test_the_handler_comes_back_when_the_body_raises(install_sigint):
    install_sigint(signal.default_int_handler)
    with pytest.raises(RuntimeError), deferred_keyboard_interrupt():
        raise RuntimeError("training failed")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.parametrize("disposition", [signal.SIG_IGN, signal.SIG_DFL])
def test_ignored_or_fatal_ctrl_c_is_left_alone(install_sigint, disposition):
    install_sigint(disposition)
    with deferred_keyboard_interrupt() as flag:
        assert signal.getsignal(signal.SIGINT) is disposition
        if disposition is signal.SIG_IGN:
            signal.raise_signal(signal.SIGINT)  # ignored, as it was asked
    assert flag.requested is False
    assert signal.getsignal(signal.SIGINT) is disposition


def test_a_thread_other_than_the_main_one_installs_nothing(install_sigint):
    calls = []
    handler = recording_handler(calls)
    install_sigint(handler)
    outcome = {}

    def train():
        try:
            with deferred_keyboard_interrupt() as flag:
                outcome["during"] = signal.getsignal(signal.SIGINT)
            outcome["requested"] = flag.requested
        except Exception as error:  # signal.signal raises in other threads
            outcome["error"] = error

    thread = threading.Thread(target=train)
    thread.start()
    thread.join()
    assert outcome == {"during": handler, "requested": False}
    assert calls == []


def test_a_ctrl_c_between_epochs_stops_before_the_first_batch():
    # Set while the last epoch was being scored: no batch of this one runs.
    flag = InterruptFlag()
    flag.requested = True
    drawn = []
    with pytest.raises(KeyboardInterrupt):
        for batch in until_interrupted(iter([1, 2, 3]), flag):
            drawn.append(batch)
    assert drawn == []
