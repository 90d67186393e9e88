"""``python -m reclab``: train, evaluate and use recommenders from the command line."""

from __future__ import annotations

import sys

from reclab.cli import main

if __name__ == "__main__":
    sys.exit(main())
