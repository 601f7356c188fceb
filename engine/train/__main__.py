"""`python -m engine.train CONFIG` and `accelerate launch -m engine.train CONFIG`: the same as `ft-tui train`."""

from __future__ import annotations

import sys

from engine.cli.train import main

if __name__ == "__main__":
    sys.exit(main())
