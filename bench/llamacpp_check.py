"""llama.cpp itself on an exported GGUF (q8_0 by default): its greedy text against transformers', persona prompts.

Not a CI test: llama.cpp's Python binding compiles llama.cpp from source (about 40 minutes on 2 busy cores), so it
lives here. Install it in a virtual environment of its own (it needs only numpy):

    python3 -m venv ~/lcpp && CMAKE_ARGS="-DGGML_NATIVE=ON" ~/lcpp/bin/pip install llama-cpp-python==0.3.36

This script runs in the project's venv (it exports with ft-tui and generates with transformers) and starts the
llama.cpp side as a child under `--llama-python` (default: this interpreter), which imports nothing but
llama_cpp. Both sides get the same token ids (the tokenizer's chat template with the generation prompt, on the
first 12 persona conversations up to their first user turn, as tests/export/test_reference_gguf.py reads them) and
generate greedily up to MAX_NEW_TOKENS, stopping at the end-of-turn token. The bench also checks that llama.cpp's
own tokenizer, reading the vocabulary from the file, turns each rendered prompt into the same ids.

Run: .venv/bin/python bench/llamacpp_check.py --llama-python ~/lcpp/bin/python [CONFIG] [--base-only]
     (no CONFIG: the embedded SmolLM2-135M-Instruct, untrained, base only)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PERSONA = ROOT / "presets" / "data" / "ft_tui_persona.jsonl"
CONVERSATIONS = 12
MAX_NEW_TOKENS = 40
EMBEDDED = "HuggingFaceTB/SmolLM2-135M-Instruct"


def prompts() -> list[list[dict[str, str]]]:
    """Each conversation up to and including its first user turn (its system message kept)."""
    found = []
    for line in PERSONA.read_text(encoding="utf-8").splitlines()[:CONVERSATIONS]:
        messages = json.loads(line)["messages"]
        first_user = next(index for index, message in enumerate(messages) if message["role"] == "user")
        found.append(messages[: first_user + 1])
    return found


def llama_child(gguf: str, requests: str) -> None:
    """The llama.cpp side: greedy ids for each prompt's ids, and llama.cpp's own tokenization of each text."""
    import llama_cpp
    from llama_cpp import Llama

    defaults = llama_cpp.llama_model_default_params

    def without_repacking() -> Any:
        """The repacked (AMX / interleaved) CPU kernels of this build crash in llama_decode on the bench machine for
        every quantized file, the Q4_1 file llama.cpp's own tools wrote included (f16 files run): plain kernels."""
        params = defaults()
        params.use_extra_bufts = False
        return params

    llama_cpp.llama_cpp.llama_model_default_params = without_repacking  # what Llama() reads its defaults from
    # One thread: on a shared machine two OpenMP threads spin-wait for each other at every op (as torch's do).
    model = Llama(model_path=gguf, n_ctx=1024, n_threads=1, verbose=False, seed=0)
    results = []
    for request in json.loads(Path(requests).read_text(encoding="utf-8")):
        ids = model.tokenize(request["text"].encode("utf-8"), add_bos=False, special=True)
        generated: list[int] = []
        model.reset()
        for token in model.generate(request["ids"], top_k=1, top_p=1.0, temp=0.0, repeat_penalty=1.0):
            if model.token_eos() == token or token in request["stop"] or len(generated) == MAX_NEW_TOKENS:
                break
            generated.append(int(token))
        results.append({"tokenized": ids, "generated": generated})
    print(json.dumps(results))


def export_gguf(config: Path, base_only: bool, out: Path, quant: str) -> Path:
    from engine.cli import main

    out.parent.mkdir(parents=True, exist_ok=True)
    args = ["export", str(config), "--quant", quant, "--out", str(out), *(["--base-only"] if base_only else [])]
    if main(args) != 0:
        sys.exit("the export failed")
    return out


def transformers_greedy(model: Any, ids: list[int], stop: list[int]) -> list[int]:
    import torch

    with torch.no_grad():
        output = model.generate(
            torch.tensor([ids]), max_new_tokens=MAX_NEW_TOKENS, do_sample=False, eos_token_id=stop, pad_token_id=stop[0]
        )
    generated = output[0, len(ids) :].tolist()
    return [token for token in generated if token not in stop][:MAX_NEW_TOKENS]


def reference_folder(config: Path, base_only: bool) -> Path:
    """The model transformers generates with: the base, or the peft-merged model (`ft-tui merge`)."""
    from engine.cli import main
    from engine.config import load_config
    from engine.models.resolve import resolve_model

    run = load_config(config)
    if base_only:
        return resolve_model(run.base_model, progress=lambda _line: None)
    if main(["merge", str(config)]) != 0:
        sys.exit("the merge failed")
    return Path(run.output_dir) / "merged"


def compare(config: Path, base_only: bool, llama_python: str, work: Path, quant: str) -> list[dict[str, Any]]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = reference_folder(config, base_only)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    stop = sorted({tokenizer.eos_token_id, tokenizer.convert_tokens_to_ids("<|im_end|>")} - {None})
    texts = [tokenizer.apply_chat_template(m, tokenize=False, add_generation_prompt=True) for m in prompts()]
    requests = [
        {"text": text, "ids": tokenizer(text, add_special_tokens=False).input_ids, "stop": stop} for text in texts
    ]
    (work / "requests.json").write_text(json.dumps(requests), encoding="utf-8")
    gguf = export_gguf(config, base_only, work / "gguf" / f"model.{quant.upper()}.gguf", quant)
    child = [llama_python, __file__, "--llama-child", str(gguf), str(work / "requests.json")]
    done = subprocess.run(child, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"llama.cpp failed:\n{done.stderr[-3000:]}")
    llama = json.loads(done.stdout.strip().splitlines()[-1])
    reference = AutoModelForCausalLM.from_pretrained(folder, dtype="float32").eval()
    dequantized = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name).eval()
    rows = []
    for request, theirs in zip(requests, llama, strict=True):
        ours = transformers_greedy(reference, request["ids"], stop)
        q8 = transformers_greedy(dequantized, request["ids"], stop)
        rows.append(
            {
                "prompt": request["text"],
                "same_tokenization": theirs["tokenized"] == request["ids"],
                "transformers_f32": tokenizer.decode(ours),
                f"transformers_{quant}": tokenizer.decode(q8),
                f"llama_cpp_{quant}": tokenizer.decode(theirs["generated"]),
                "llama_vs_f32_first_difference": _first_difference(theirs["generated"], ours),
                "llama_vs_transformers_same_file_first_difference": _first_difference(theirs["generated"], q8),
            }
        )
    return rows


def _first_difference(a: list[int], b: list[int]) -> int | None:
    """The index of the first token that differs (or where one ends first); None when equal."""
    for index, (left, right) in enumerate(zip(a, b, strict=False)):
        if left != right:
            return index
    return None if len(a) == len(b) else min(len(a), len(b))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("config", nargs="?", type=Path, help="a trained run's config (default: the embedded base)")
    parser.add_argument("--base-only", action="store_true")
    parser.add_argument("--quant", default="q8_0", help="the export's quant (f16 checks the layout without rounding)")
    parser.add_argument("--llama-python", default=sys.executable, help="a python with llama-cpp-python installed")
    parser.add_argument("--llama-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.llama_child:
        llama_child(*args.llama_child)
        return
    with tempfile.TemporaryDirectory(prefix="llamacpp-check-") as temp:
        work = Path(temp)
        config, base_only = args.config, args.base_only
        if config is None:
            config, base_only = work / "base.yml", True
            config.write_text(f"base_model: {EMBEDDED}\nchat_template: tokenizer_default\noutput_dir: {work}\n")
        rows = compare(config, base_only, args.llama_python, work, args.quant)
    same_f32 = sum(row["llama_vs_f32_first_difference"] is None for row in rows)
    same_q8 = sum(row["llama_vs_transformers_same_file_first_difference"] is None for row in rows)
    same_ids = sum(row["same_tokenization"] for row in rows)
    print(json.dumps(rows, indent=1, ensure_ascii=False))
    print(f"llama.cpp tokenizes {same_ids}/{len(rows)} prompts to the same ids as transformers")
    print(
        f"llama.cpp {args.quant} greedy text equals transformers' float32 greedy text on {same_f32}/{len(rows)} prompts"
    )
    print(
        f"llama.cpp {args.quant} greedy text equals transformers' on the same {args.quant} file "
        f"on {same_q8}/{len(rows)} prompts"
    )


if __name__ == "__main__":
    main()
