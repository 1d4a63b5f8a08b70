"""Datasets: the bundled MNIST digits, Fashion-MNIST, a spiral toy problem and
a reader and writer for the IDX file format they use.

MNIST ships with the repository in ``data/mnist/`` (CC BY-SA 3.0) and
Fashion-MNIST in ``data/fashion-mnist/`` (MIT); see :func:`load_mnist` for how
their files are located and verified.
"""

from ._checksums import ChecksumError
from ._fashion_mnist import load_fashion_mnist
from ._idx import IDXFormatError, read_idx, write_idx
from ._mnist import load_mnist, load_mnist_split
from ._spiral import make_spiral

__all__ = [
    "ChecksumError",
    "IDXFormatError",
    "load_fashion_mnist",
    "load_mnist",
    "load_mnist_split",
    "make_spiral",
    "read_idx",
    "write_idx",
]
