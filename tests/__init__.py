"""The test suite as one package, so `tests/tui` imports as `tests.tui` and never shadows the `tui` package."""
