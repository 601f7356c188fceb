"""GGUF export cost: seconds and peak memory per quant, for the embedded 135M model and a random >= 1B Llama,
each as the base alone and with a random LoRA adapter merged.

Each export runs in its own process (bench/child.py). The child first imports what an export imports and records
its RSS (the loaded process), then exports; the parent reports wall seconds, CPU seconds, peak RSS (VmHWM) and the
budget the issue sets: 1.5 x the largest tensor (as stored) + the loaded process. With `--adapter`, each model
is exported a second time with a rank-16 LoRA adapter on every linear layer of every block (random A and B,
written as peft saves one), which the export merges tensor by tensor (engine/export/merge.py): the budget is the
same, since a merged tensor needs only its float32 delta beside the slice being written.

The large model is a Llama 3.2 1B shape with SmolLM2's vocabulary (hidden 2048, 16 layers, GQA 32/8, MLP 8192,
49152 tokens: 1.07 B parameters, bf16, one safetensors shard per layer), random weights written shard by shard so
building it never holds the model in memory. The embedded model must already be in ft-tui's cache (run
`ft-tui train smollm2-135m-lora` once, or `--warm-model`).

Run: .venv/bin/python bench/export_bench.py [--quants q8_0,q4_1,f16] [--skip-large] [--warm-model] [--adapter]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.child import child_result, print_result  # noqa: E402

EMBEDDED = "HuggingFaceTB/SmolLM2-135M-Instruct"
LARGE_SHAPE = {
    "hidden_size": 2048,
    "intermediate_size": 8192,
    "num_hidden_layers": 16,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "vocab_size": 49152,
}


def build_large_model(folder: Path, tokenizer_from: Path) -> Path:
    """A random Llama of LARGE_SHAPE in bf16, written one shard per layer, with the embedded model's tokenizer."""
    import shutil

    import torch
    from safetensors.torch import save_file
    from transformers import LlamaConfig

    if (folder / "config.json").is_file():
        return folder
    folder.mkdir(parents=True)
    config = LlamaConfig(**LARGE_SHAPE, max_position_embeddings=8192, tie_word_embeddings=True, dtype="bfloat16")
    config.architectures = ["LlamaForCausalLM"]
    hidden, inter = LARGE_SHAPE["hidden_size"], LARGE_SHAPE["intermediate_size"]
    kv = LARGE_SHAPE["num_key_value_heads"] * hidden // LARGE_SHAPE["num_attention_heads"]
    generator = torch.Generator().manual_seed(0)

    def rand(*shape: int) -> torch.Tensor:
        return (torch.randn(*shape, generator=generator) * 0.02).to(torch.bfloat16)

    save_file(
        {"model.embed_tokens.weight": rand(LARGE_SHAPE["vocab_size"], hidden), "model.norm.weight": rand(hidden)},
        str(folder / "model-embed.safetensors"),
    )
    for layer in range(LARGE_SHAPE["num_hidden_layers"]):
        prefix = f"model.layers.{layer}."
        shapes = {
            "self_attn.q_proj.weight": (hidden, hidden),
            "self_attn.k_proj.weight": (kv, hidden),
            "self_attn.v_proj.weight": (kv, hidden),
            "self_attn.o_proj.weight": (hidden, hidden),
            "mlp.gate_proj.weight": (inter, hidden),
            "mlp.up_proj.weight": (inter, hidden),
            "mlp.down_proj.weight": (hidden, inter),
            "input_layernorm.weight": (hidden,),
            "post_attention_layernorm.weight": (hidden,),
        }
        tensors = {prefix + name: rand(*shape) for name, shape in shapes.items()}
        save_file(tensors, str(folder / f"model-layer{layer:02d}.safetensors"))
    config.save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja"):
        if (tokenizer_from / name).is_file():
            shutil.copy(tokenizer_from / name, folder / name)
    return folder


LORA_RANK = 16
LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def build_random_adapter(model: Path, folder: Path) -> Path:
    """A rank-16 LoRA adapter on every linear layer of every block of `model`, random A and B, laid out as peft
    saves one (adapter_config.json + adapter_model.safetensors), built without loading the model."""
    import torch
    from safetensors import safe_open
    from safetensors.torch import save_file

    if (folder / "adapter_config.json").is_file():
        return folder
    folder.mkdir(parents=True)
    generator = torch.Generator().manual_seed(1)
    tensors = {}
    for file in sorted(model.glob("*.safetensors")):
        with safe_open(file, framework="pt") as handle:
            for name in handle.keys():  # noqa: SIM118 (not a dict)
                module = name.removesuffix(".weight")
                if not module.endswith(LORA_TARGETS) or ".layers." not in name:
                    continue
                rows, columns = handle.get_slice(name).get_shape()
                prefix = f"base_model.model.{module}"
                tensors[f"{prefix}.lora_A.weight"] = torch.randn(LORA_RANK, columns, generator=generator) * 0.02
                tensors[f"{prefix}.lora_B.weight"] = torch.randn(rows, LORA_RANK, generator=generator) * 0.02
    save_file(tensors, str(folder / "adapter_model.safetensors"))
    settings = {
        "peft_type": "LORA",
        "task_type": "CAUSAL_LM",
        "r": LORA_RANK,
        "lora_alpha": 2 * LORA_RANK,
        "target_modules": list(LORA_TARGETS),
        "base_model_name_or_path": str(model),
    }
    (folder / "adapter_config.json").write_text(json.dumps(settings, indent=1))
    return folder


def largest_tensor_bytes(folder: Path) -> int:
    from safetensors import safe_open

    sizes = []
    for file in folder.glob("*.safetensors"):
        with safe_open(file, framework="pt") as handle:
            for name in handle.keys():  # noqa: SIM118 (not a dict)
                tensor = handle.get_slice(name)
                count = 1
                for size in tensor.get_shape():
                    count *= size
                sizes.append(count * (2 if tensor.get_dtype() in ("BF16", "F16") else 4))
    return max(sizes)


def peak_rss_mib() -> float:
    """This process's peak RSS since it started (VmHWM). Not ru_maxrss: Linux carries that across exec from the
    forked parent, so a child of a parent that built the 1B model would report the parent's size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(model: str, quant: str, out: str, adapter: str) -> None:
    """One export in this process (`adapter` "-": the base alone): RSS once loaded, then seconds and peak RSS."""
    from engine.config import load_config
    from engine.export.model import ExportRequest, export_gguf
    from engine.export.quants import parse_quant

    work = Path(out).parent
    config_file = work / "bench.yml"
    lora = "" if adapter == "-" else "adapter: lora\n"
    config_file.write_text(f"base_model: {model}\noutput_dir: {work}\nchat_template: tokenizer_default\n{lora}")
    config = load_config(config_file)
    import gguf  # noqa: F401  (what an export imports, before it starts: torch comes in with transformers'
    import torch  # noqa: F401  tokenizer classes and engine.infer, about 300 MiB of the process)
    import transformers.tokenization_utils_tokenizers  # noqa: F401

    import engine.infer.loading  # noqa: F401

    loaded_mib = peak_rss_mib()
    cpu = time.process_time()
    start = time.perf_counter()
    adapter_dir = None if adapter == "-" else Path(adapter)
    request = ExportRequest(config, adapter_dir=adapter_dir, base_only=adapter_dir is None, out=Path(out))
    path = export_gguf(request, parse_quant(quant))
    print_result(
        {
            "seconds": time.perf_counter() - start,
            "cpu_seconds": time.process_time() - cpu,
            "loaded_mib": loaded_mib,
            "peak_mib": peak_rss_mib(),
            "file_mib": path.stat().st_size / 2**20,
        }
    )


def measure(model: Path, name: str, quants: list[str], work: Path, adapter: Path | None) -> list[dict[str, Any]]:
    largest = largest_tensor_bytes(model) / 2**20
    rows = []
    label = name if adapter is None else f"{name} + LoRA r{LORA_RANK}"
    for quant in quants:
        out = work / name / f"{quant}.gguf"
        out.parent.mkdir(parents=True, exist_ok=True)
        arguments = ["--child", str(model), quant, str(out), str(adapter or "-")]
        result = child_result(__file__, arguments, f"{label} {quant}")
        out.unlink()
        budget = 1.5 * largest + result["loaded_mib"]
        rows.append({"model": label, "quant": quant, "largest_mib": largest, "budget_mib": budget, **result})
        print(_row(rows[-1]), flush=True)
    return rows


def _row(row: dict[str, Any]) -> str:
    verdict = "within" if row["peak_mib"] <= row["budget_mib"] else "OVER"
    return (
        f"| {row['model']} | {row['quant']} | {row['seconds']:.1f} | {row['cpu_seconds']:.1f} | {row['file_mib']:.0f} "
        f"| {row['loaded_mib']:.0f} | {row['largest_mib']:.0f} | {row['peak_mib']:.0f} | {row['budget_mib']:.0f} "
        f"({verdict}) |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=4, metavar=("MODEL", "QUANT", "OUT", "ADAPTER"), help=argparse.SUPPRESS)
    parser.add_argument("--quants", default="f16,q8_0,q4_1")
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--warm-model", action="store_true", help="build the embedded model in the cache first")
    parser.add_argument("--work", type=Path, help="keep the random large model here between runs")
    parser.add_argument("--adapter", action="store_true", help="also export each model with a random LoRA merged")
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    from engine.models.resolve import resolve_model

    embedded = resolve_model(EMBEDDED, progress=print)
    quants = args.quants.split(",")
    with tempfile.TemporaryDirectory(prefix="export-bench-") as temp:
        work = args.work or Path(temp)
        print("| model | quant | seconds | cpu s | file MiB | loaded MiB | largest tensor MiB | peak RSS MiB "
              "| budget MiB |")  # fmt: skip
        print("|---|---|---|---|---|---|---|---|---|")
        models = [(embedded, "SmolLM2-135M")]
        if not args.skip_large:
            models.append((build_large_model(work / "llama-1b", embedded), "random Llama 1.07B"))
        rows = []
        for model, name in models:
            rows += measure(model, name, quants, work, None)
            if args.adapter:
                adapter = build_random_adapter(model, work / f"{name}-lora")
                rows += measure(model, name, quants, work, adapter)
        print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
