"""``python -m sknnscratch``: the same command line as the ``sknnscratch`` script."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
