"""How values and messages are written for the command-line user."""

from ._augment import augmentation_name

__all__ = ["format_value", "join_notes", "one_line", "plural"]


def format_value(value):
    """A parameter value as one would type it on the command line."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, tuple | list):
        return ",".join(str(item) for item in value)
    if value is None:
        return "none"
    # An augment transform: its --augment name, else its repr on one line.
    if callable(value):
        return augmentation_name(value) or " ".join(repr(value).split())
    return str(value)


def one_line(exc):
    """An exception's (or any object's) text on one line, spaces collapsed."""
    return " ".join(str(exc).split())


def plural(count, word):
    """``1 epoch``, ``2 epochs``."""
    return f"{count} {word}{'s' * (count != 1)}"


def join_notes(*notes):
    """The non-empty notes, joined with semicolons."""
    return "; ".join(note for note in notes if note)
