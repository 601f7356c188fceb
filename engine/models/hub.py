"""The Hugging Face Hub, used carefully: local cache first, a 2-second reachability probe, tokens for gated models."""

from __future__ import annotations

import os
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from engine.models.errors import ModelResolutionError

PROBE_TIMEOUT_S = 2.0
"""How long we wait for the hub to answer before calling it unreachable; never a long network timeout."""

GATED_PREFIXES: tuple[str, ...] = (
    "meta-llama/",
    "mistralai/",
    "google/gemma",
    "google/medgemma",
    "CohereForAI/",
    "CohereLabs/",
)
"""Hub id prefixes whose models need an accepted licence and a token. Not exhaustive: the hub has the last word,
but these are the ones people reach for first, and a missing token there is the most common first failure."""

WEIGHT_PATTERNS: tuple[str, ...] = ("*.safetensors", "*.json", "*.jinja", "*.model", "*.txt", "*.tiktoken")
"""Files we download from a hub repo: safetensors weights, configs, tokenizer files. Never .bin/.pt/.gguf/ONNX
copies of the same weights, which can multiply the download size."""

_TRUE_VALUES = {"1", "on", "yes", "true"}


def hub_endpoint() -> str:
    """The hub URL: `$HF_ENDPOINT` (mirrors) or huggingface.co."""
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def offline_switch(*also: str) -> str | None:
    """The environment variable that asks for offline mode (HF_HUB_OFFLINE, or one of `also`), or None.

    The one reading of these switches, so model resolution and dataset loading accept the same values."""
    for name in ("HF_HUB_OFFLINE", *also):
        if os.environ.get(name, "").lower() in _TRUE_VALUES:
            return name
    return None


def hub_offline_reason() -> str | None:
    """Why the hub cannot be used right now (HF_HUB_OFFLINE set, or no HTTPS answer), or None when it can."""
    switch = offline_switch()
    if switch is not None:
        return f"{switch} is set"
    return hub_unreachable_reason()


def hub_unreachable_reason() -> str | None:
    """Why the hub endpoint gives no HTTP answer right now, or None when it answers.

    The one reachability check: model resolution and dataset loading both call it, so they never disagree about
    whether the hub (or the mirror in `$HF_ENDPOINT`) can be used.
    """
    endpoint = hub_endpoint()
    if not _answers(endpoint, PROBE_TIMEOUT_S):
        return f"{endpoint} did not answer within {PROBE_TIMEOUT_S:g} s"
    return None


def _answers(url: str, timeout_s: float) -> bool:
    """One HEAD request in a daemon thread, so neither DNS nor a silent proxy can hold us past the timeout.

    A bare TCP connect is not enough: sandboxes and corporate proxies accept every connection and then answer
    nothing useful. Any HTTP status counts as an answer: over HTTPS only a server with a valid certificate can send one.
    """
    result: list[bool] = []

    def attempt() -> None:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout_s):
                result.append(True)
        except urllib.error.HTTPError:
            result.append(True)
        except Exception:  # any failure to get an HTTP answer means unreachable; this is only a probe
            result.append(False)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(timeout_s)
    return bool(result and result[0])


def validate_hub_id(model_id: str) -> None:
    """Raise a clear error for strings that cannot be hub ids, before they reach any hub call."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(model_id)
    except HFValidationError as exc:
        raise ModelResolutionError(
            f"base_model {model_id!r} is neither an existing local folder nor a valid hub id like `org/name`; "
            "fix the spelling or point base_model at a folder with config.json"
        ) from exc


def hub_cache_dir() -> Path:
    """The Hugging Face cache folder that holds downloaded hub repos."""
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def cached_snapshot(model_id: str) -> Path | None:
    """The cached snapshot folder of a hub repo when it holds config.json and safetensors weights; no network."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        folder = Path(snapshot_download(model_id, local_files_only=True))
    except (LocalEntryNotFoundError, OSError, ValueError):
        return None
    has_weights = any(folder.glob("*.safetensors"))
    return folder if (folder / "config.json").is_file() and has_weights else None


def cached_file(model_id: str, filename: str) -> Path | None:
    """One file of a hub repo from the local cache (config.json for facts), or None; no network."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(model_id, filename)
    return Path(found) if isinstance(found, str) else None


def is_gated(model_id: str) -> bool:
    """True for ids under an org whose models are known to be gated (see GATED_PREFIXES)."""
    return model_id.lower().startswith(tuple(p.lower() for p in GATED_PREFIXES))


def require_access_token(model_id: str) -> None:
    """Raise before any download when a gated model has no token, with the exact command that fixes it."""
    if not is_gated(model_id):
        return
    from huggingface_hub import get_token

    if get_token():
        return
    raise ModelResolutionError(
        f"{model_id} is a gated model and no Hugging Face token was found; accept its licence on "
        f"{hub_endpoint()}/{model_id}, then run `hf auth login` (or set HF_TOKEN) and try again"
    )


def download_snapshot(model_id: str, progress: Callable[[str], None]) -> Path:
    """Download a hub repo's safetensors weights, configs and tokenizer files into the Hugging Face cache."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, RepositoryNotFoundError

    progress(f"Downloading {model_id} from {hub_endpoint()}")
    try:
        folder = Path(snapshot_download(model_id, allow_patterns=list(WEIGHT_PATTERNS)))
    except GatedRepoError as exc:
        raise ModelResolutionError(
            f"{model_id} is gated and your token has no access; accept its licence on {hub_endpoint()}/{model_id} "
            "(logged in as the token's owner) and try again"
        ) from exc
    except RepositoryNotFoundError as exc:
        raise ModelResolutionError(
            f"{model_id} was not found on {hub_endpoint()}; check the spelling (it is case-sensitive), or log in "
            "with `hf auth login` if it is private"
        ) from exc
    except (HfHubHTTPError, OSError) as exc:
        raise ModelResolutionError(
            f"downloading {model_id} failed ({exc}); check your connection and try again"
        ) from exc
    if not any(folder.glob("*.safetensors")):
        raise ModelResolutionError(
            f"{model_id} has no safetensors weights on the hub; pick a model that ships *.safetensors, or convert "
            "it and point base_model at the local folder"
        )
    return folder
