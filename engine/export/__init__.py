"""Export a trained run to where models run: a GGUF file for llama.cpp, Ollama and LM Studio.

Nothing heavy is imported here; torch, transformers and the `gguf` package load when an export starts.
"""
