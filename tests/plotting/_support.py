"""Helpers shared by the plotting tests: checking PNG files and drawn text."""

from matplotlib.text import Text

__all__ = ["DIGIT_SHAPE", "assert_png", "save", "texts_of"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: image_shape of sklearn's load_digits, the data most plotting tests use.
DIGIT_SHAPE = (8, 8)


def assert_png(path):
    """``path`` holds a PNG image of more than 1 KiB (not an empty plot)."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 1024


def save(fig, path):
    """Save ``fig`` as the report does, and check the PNG written."""
    fig.savefig(path, dpi=100, bbox_inches="tight")
    assert_png(path)


def texts_of(fig):
    """Every string drawn on the figure (titles, labels, texts, legends)."""
    return " ".join(t.get_text() for t in fig.findobj(Text))
