"""Fixtures for the reliability tests: the training fixtures (tiny model folder, configs) reused."""

from tests.train.conftest import dataset_file, make_config

__all__ = ["dataset_file", "make_config"]
