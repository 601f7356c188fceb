"""The monitor tests' fake engine and run fixtures, for the browser tests that start and list runs."""

from tests.monitor.conftest import cleanup_runs, fake_engine, utc_clock

__all__ = ["cleanup_runs", "fake_engine", "utc_clock"]
