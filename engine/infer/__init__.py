"""Use a trained run: chat with base + adapter, or merge the adapter into a plain model.

Nothing heavy is imported here; torch, transformers and peft load when a model does.
"""

from engine.infer.adapters import find_adapter, latest_checkpoint
from engine.infer.chat import ChatSession, GenerationSettings, generate_reply
from engine.infer.errors import InferError
from engine.infer.loading import InferenceModel, LoadRequest, load_for_inference
from engine.infer.merge import merge_adapter, merged_folder

__all__ = [
    "ChatSession",
    "GenerationSettings",
    "InferError",
    "InferenceModel",
    "LoadRequest",
    "find_adapter",
    "generate_reply",
    "latest_checkpoint",
    "load_for_inference",
    "merge_adapter",
    "merged_folder",
]
