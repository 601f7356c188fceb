"""Fixtures for the reliability tests: the training fixtures (tiny model folder, configs) reused."""

from tests.train.conftest import dataset_file, make_config, tiny_model_dir

__all__ = ["dataset_file", "make_config", "tiny_model_dir"]
