"""Rules about the attention kernel: what exists, what runs on the target, and what keeps packed samples apart."""

from __future__ import annotations

from engine.config.choices import CUDA_ONLY_BACKENDS, KNOWN_BACKENDS
from engine.rules.catalog import Hit, rule, unknown_choice
from engine.rules.context import RuleContext

LEGACY_SWITCHES = ("flash_attention", "xformers_attention", "sdp_attention", "flex_attention")


def choose_backend(ctx: RuleContext) -> tuple[str, str]:
    """The fastest backend that runs on the target, with the reason, for when the config leaves it open."""
    target = ctx.target
    if target.device == "cuda" and target.has_flash_attn:
        return "flash_attention_2", "CUDA with flash-attn installed: fastest, packs without padding"
    if target.device == "cuda" and target.has_xformers:
        return "xformers", "CUDA with xformers installed and no flash-attn"
    return "sdpa", f"{target.device.upper()}: PyTorch's scaled-dot-product attention"


@rule(
    id="attention.unknown_backend",
    severity="error",
    message="attn_implementation: {value} is not a known attention backend",
    why="""transformers loads the model with the named attention kernel; an unknown name stops the run when the
        model loads, after the data has been prepared.""",
    fix="use one of: {known}{suggestion}",
    fields=("attn_implementation",),
    engines=("ft-tui",),
    mechanical=True,
)
def unknown_backend(ctx: RuleContext) -> Hit | None:
    value = ctx.config.attn_implementation
    # The close name when there is one; else no name at all, which lets the engine choose the fastest backend.
    return unknown_choice(value, KNOWN_BACKENDS, "attn_implementation", unset_without_match=True) if value else None


@rule(
    id="attention.conflicting_switches",
    severity="error",
    message="several attention backends are requested: {requested}",
    why="""axolotl's legacy switches (flash_attention, xformers_attention, sdp_attention, flex_attention) and
        attn_implementation each pick one kernel; with several on, which one runs is ambiguous.""",
    fix="keep only attn_implementation (e.g. attn_implementation: sdpa) and remove the legacy switches",
    fields=("attn_implementation", *LEGACY_SWITCHES),
    mechanical=True,
)
def conflicting_switches(ctx: RuleContext) -> Hit | None:
    requested = [name for name in LEGACY_SWITCHES if getattr(ctx.config, name)]
    if ctx.config.attn_implementation:
        requested.append(f"attn_implementation: {ctx.config.attn_implementation}")
    if len(requested) <= 1:
        return None
    return Hit({"requested": ", ".join(requested)}, changes=_use_backend(ctx.config.requested_attn_implementation()))


@rule(
    id="attention.cuda_backend_fallback",
    severity="warning",
    message="{backend} needs a CUDA GPU; the target is {device}, so sdpa is used instead",
    why="""flash-attention and xformers are CUDA kernels (xformers imports on a CPU but has no CPU kernels).
        PyTorch's sdpa runs everywhere and, with position ids restarting per sample, still keeps packed samples
        isolated. The file keeps your choice, so the same config uses {backend} on a GPU server.""",
    fix="nothing to do here; set attn_implementation: sdpa to silence this",
    fields=("attn_implementation", "flash_attention", "xformers_attention"),
    mechanical=True,
)
def cuda_backend_fallback(ctx: RuleContext) -> Hit | None:
    backend = ctx.config.requested_attn_implementation()
    if backend in CUDA_ONLY_BACKENDS and ctx.target.device != "cuda":
        choice = _use_backend("sdpa")
        return Hit({"backend": backend, "device": ctx.target.device.upper()}, auto_set=choice, changes=choice)
    return None


@rule(
    id="attention.backend_not_installed",
    severity="warning",
    message="{backend} is requested but {package} is not installed; using {fallback}",
    why="""The kernel comes from an optional package that is not importable here. The run falls back to the
        best installed backend rather than failing after the data has been prepared.""",
    fix="pip install {package} (CUDA build), or set attn_implementation: {fallback}",
    fields=("attn_implementation", "flash_attention", "xformers_attention"),
    mechanical=True,
)
def backend_not_installed(ctx: RuleContext) -> Hit | None:
    backend = ctx.config.requested_attn_implementation()
    if ctx.target.device != "cuda" or backend not in CUDA_ONLY_BACKENDS:
        return None
    package = "xformers" if backend == "xformers" else "flash-attn"
    installed = ctx.target.has_xformers if backend == "xformers" else ctx.target.has_flash_attn
    if installed:
        return None
    fallback, _ = choose_backend(ctx)
    choice = _use_backend(fallback)
    return Hit({"backend": backend, "package": package, "fallback": fallback}, auto_set=choice, changes=choice)


@rule(
    id="attention.auto_selected",
    severity="auto",
    message="attention backend: {backend} ({reason})",
    why="""No attention backend is set, so the fastest one that runs on the target and keeps packed samples
        isolated is chosen.""",
    fix="set attn_implementation to choose yourself",
    fields=("attn_implementation",),
)
def auto_selected(ctx: RuleContext) -> Hit | None:
    if ctx.config.requested_attn_implementation():
        return None
    backend, reason = choose_backend(ctx)
    return Hit({"backend": backend, "reason": reason}, auto_set=_use_backend(backend))


def _use_backend(backend: str | None) -> dict[str, object]:
    """Set the backend and clear the legacy switches so exactly one choice reaches the engine."""
    return {"attn_implementation": backend, **{switch: None for switch in LEGACY_SWITCHES}}
