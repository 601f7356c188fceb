"""The training engine: `train(config)` runs transformers' Trainer with multipack batches and reports events.

Nothing heavy is imported here, so `from engine.train import train` stays instant; torch and transformers load
when a run starts.
"""

from engine.train.errors import TrainError
from engine.train.run import TrainResult, train
from engine.train.stopping import StopRequest

__all__ = ["StopRequest", "TrainError", "TrainResult", "train"]
