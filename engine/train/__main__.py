"""`python -m engine.train CONFIG` and `accelerate launch -m engine.train CONFIG`: the same as `ft-tui train`."""

from __future__ import annotations

from engine.cli import exit_process
from engine.cli.train import main

if __name__ == "__main__":
    exit_process(main())
