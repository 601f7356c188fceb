"""ft-tui against axolotl's own key catalogue: the config model agrees with it, every key loads and is
classified once, and axolotl's example configs load and are judged as axolotl judges them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.config import ConfigError, DatasetConfig, RunConfig, load_config, parse_config_text
from engine.config.axolotl_catalog import axolotl_catalog, kinds_of
from engine.config.axolotl_support import (
    DATASET_GROUPS,
    FT_TUI_ONLY_DATASET_KEYS,
    GROUPS,
    classify,
    classify_dataset_key,
)
from engine.config.loader import _model_keys
from engine.rules import check_config, declared_target

EXAMPLES_DIR = Path(__file__).parents[1] / "data" / "axolotl_examples"
EXAMPLES = sorted([*EXAMPLES_DIR.rglob("*.yml"), *EXAMPLES_DIR.rglob("*.yaml")])
VERDICTS: dict[str, dict[str, str] | None] = json.loads((EXAMPLES_DIR / "axolotl_verdicts.json").read_text())

CATALOG = axolotl_catalog()
MODELED = _model_keys(RunConfig)

KIND_DIFFERENCES = {
    "fsdp": "ft-tui also reads transformers' space-separated string form of the legacy FSDP options",
    "resume_from_checkpoint": "ft-tui also reads `true` for the latest checkpoint in output_dir",
}
"""Shared keys where ft-tui accepts a kind of value axolotl's schema does not, on purpose."""

DEFAULT_DIFFERENCES = {
    "base_model": "ft-tui starts from its embedded SmolLM2-135M-Instruct; axolotl requires the key",
    "datasets": "an empty list and axolotl's null both mean no datasets",
    "adapter": "ft-tui's default run is LoRA; axolotl's empty adapter is a full fine-tune, so files always say it",
    "lora_r": "axolotl has no default rank (it requires one with an adapter); ft-tui's default LoRA needs one",
    "lora_alpha": "as lora_r: ft-tui's default LoRA needs a scale",
    "learning_rate": "axolotl requires the key; ft-tui's default LoRA recipe supplies one",
    "output_dir": "ft-tui's folder name for its default LoRA run; the writer always writes the key",
    "sample_packing": "axolotl's null and ft-tui's false both mean no packing",
    "seed": "axolotl's null picks a seed; ft-tui fixes 42 so two runs match, and always writes it",
}
"""Shared keys whose ft-tui default differs from axolotl's, with the reason."""


def test_the_catalogue_comes_from_a_pinned_axolotl_release_of_at_least_0_19() -> None:
    major, minor, *_ = (int(part) for part in CATALOG.version.split("."))
    assert (major, minor) >= (0, 19)
    assert "AxolotlInputConfig" not in CATALOG.source or "imported" in CATALOG.source
    assert len(CATALOG.top_level) > 390 and len(CATALOG.dataset) > 30


def test_every_key_ft_tui_models_is_an_axolotl_key() -> None:
    axolotl_keys = set(CATALOG.top_level) | set(CATALOG.aliases)
    assert sorted(set(RunConfig.model_fields) - axolotl_keys) == []
    ft_tui_only = sorted(set(DatasetConfig.model_fields) - set(CATALOG.dataset))
    assert ft_tui_only == sorted(FT_TUI_ONLY_DATASET_KEYS)


@pytest.mark.parametrize("name", sorted(RunConfig.model_fields))
def test_shared_keys_accept_compatible_values_and_defaults(name: str) -> None:
    field = RunConfig.model_fields[name]
    entry = CATALOG.top_level_key(name)
    assert entry is not None
    ours = kinds_of(field.annotation) - {"null"}
    theirs = set(entry.kinds) | ({"integer"} if "number" in entry.kinds else set())
    if "any" not in theirs and name not in KIND_DIFFERENCES:
        assert ours <= theirs, f"{name}: ft-tui takes {sorted(ours)}, axolotl {entry.type}"
    default = field.get_default(call_default_factory=True)
    if default is not None and name not in DEFAULT_DIFFERENCES:
        assert default == entry.default, f"{name}: ft-tui default {default!r}, axolotl {entry.default!r}"


def test_the_listed_differences_are_real_differences() -> None:
    """A stale exception would hide a future disagreement."""
    for name in DEFAULT_DIFFERENCES:
        entry = CATALOG.top_level_key(name)
        assert entry is not None
        assert RunConfig.model_fields[name].get_default(call_default_factory=True) != entry.default
    for name in KIND_DIFFERENCES:
        entry = CATALOG.top_level_key(name)
        assert entry is not None
        assert not kinds_of(RunConfig.model_fields[name].annotation) - {"null"} <= set(entry.kinds)


def test_every_axolotl_key_ft_tui_does_not_model_is_classified_exactly_once() -> None:
    listed = [key for group in GROUPS for key in group.keys]
    assert len(listed) == len(set(listed)), "a key is in two groups"
    assert sorted(set(listed) - set(CATALOG.top_level)) == [], "a group lists a key axolotl does not have"
    assert sorted(set(listed) & MODELED) == [], "a group lists a key ft-tui models"
    special = {key for key, entry in CATALOG.top_level.items() if entry.refused or entry.plugin or entry.not_in_schema}
    assert sorted(set(listed) & special) == [], "a listed key is also classified by the catalogue"
    unmodeled = [key for key in CATALOG.top_level if key not in MODELED and CATALOG.top_level[key].renamed_to is None]
    assert sorted(key for key in unmodeled if classify(key) is None) == []


def test_every_dataset_key_ft_tui_does_not_model_is_classified_exactly_once() -> None:
    listed = [key for group in DATASET_GROUPS for key in group.keys]
    assert len(listed) == len(set(listed))
    unmodeled = set(CATALOG.dataset) - _model_keys(DatasetConfig)
    assert sorted(set(listed) ^ {k for k in unmodeled if CATALOG.dataset[k].renamed_to is None}) == []
    assert all(classify_dataset_key(key) is not None for key in listed)


def findings(text: str, engine: str = "ft-tui") -> dict[str, Any]:
    datasets = "" if "datasets:" in text else "datasets: [{path: d.jsonl, type: alpaca}]\n"
    config = parse_config_text("base_model: x\n" + datasets + text)
    return {f.rule_id: f for f in check_config(config, declared_target("cuda"), engine=engine)}  # type: ignore[arg-type]


def test_a_kernel_key_loads_with_a_note_and_is_kept() -> None:
    config = parse_config_text("base_model: x\nfused_attn_kernel: true\nlora_mlp_kernel: true\n")
    assert config.axolotl_keys() == {"fused_attn_kernel": True, "lora_mlp_kernel": True}
    note = findings("fused_attn_kernel: true\n")["axolotl.ignored_key"]
    assert note.severity == "note"
    assert note.message == "fused_attn_kernel: axolotl uses it; ft-tui ignores it"


def test_a_key_that_changes_results_is_an_error_for_ft_tui_and_fine_for_axolotl() -> None:
    found = findings("rl: dpo\nunfrozen_parameters: ['^lm_head']\n")
    error = found["axolotl.runs_under_axolotl"]
    assert error.severity == "error" and error.message.startswith("rl, unfrozen_parameters: ")
    assert "runs under axolotl" in error.message and "preference" in error.why
    assert "axolotl.runs_under_axolotl" not in findings("rl: dpo\n", engine="axolotl")


def test_bfloat16_is_a_real_axolotl_key_now() -> None:
    assert "bfloat16" in parse_config_text("bfloat16: true\n").axolotl_keys()


def test_switched_off_keys_ask_for_nothing() -> None:
    assert "axolotl.runs_under_axolotl" not in findings("rl:\nplugins: []\nbfloat16: false\n")


def test_renamed_keys_move_their_value_like_axolotl_with_a_note() -> None:
    config = parse_config_text("noisy_embedding_alpha: 5\nevaluation_strategy: steps\n")
    assert (config.neftune_noise_alpha, config.eval_strategy) == (5.0, "steps")
    assert config.renamed_keys() == {
        "noisy_embedding_alpha": "neftune_noise_alpha",
        "evaluation_strategy": "eval_strategy",
    }
    note = findings("noisy_embedding_alpha: 5\n")["axolotl.renamed_key"]
    assert note.severity == "note" and "neftune_noise_alpha" in note.message


def test_when_both_names_are_set_the_new_one_wins_as_in_axolotl() -> None:
    assert parse_config_text("noisy_embedding_alpha: 5\nneftune_noise_alpha: 3\n").neftune_noise_alpha == 3.0


def test_axolotl_spellings_of_keys_ft_tui_models_are_read() -> None:
    config = parse_config_text("model_revision: abc\ndataset_num_proc: 4\n")
    assert (config.revision_of_model, config.dataset_processes) == ("abc", 4)


def test_a_key_axolotl_refuses_is_an_error_for_both_engines() -> None:
    for engine in ("ft-tui", "axolotl"):
        error = findings("max_packed_sequence_len: 2048\n", engine)["axolotl.refused_key"]
        assert "no longer supported" in error.message


def test_unknown_keys_get_a_suggestion_only_when_it_is_close() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config_text("fused_attn_kernal: true\nfrobnicate_everything: 1\n")
    first, second = caught.value.problems
    assert first.fix == "did you mean `fused_attn_kernel`?"
    assert "did you mean" not in second.fix


def test_a_wrong_kind_of_value_for_an_axolotl_only_key_names_axolotl_type() -> None:
    with pytest.raises(ConfigError, match=r"line 1: use_kernels: axolotl expects boolean \(got 'yes please'\)"):
        parse_config_text("use_kernels: yes please\n")


def test_unmodeled_dataset_keys_load_and_are_judged() -> None:
    found = findings("test_datasets: [{path: e.jsonl, type: chat_template, field_thinking: reasoning}]\n")
    assert "test_datasets[0].field_thinking" in found["axolotl.runs_under_axolotl"].message


def test_alpaca_columns_beside_type_warn_that_axolotl_ignores_them() -> None:
    found = findings("datasets: [{path: d.jsonl, type: alpaca, field_instruction: q}]\n")
    assert "axolotl ignores it here" in found["axolotl.dataset_key_beside_type"].message


# --- axolotl's own example configs --------------------------------------------------------------------
def relative(path: Path) -> str:
    return str(path.relative_to(EXAMPLES_DIR))


def refused_by_axolotl(path: Path) -> bool:
    verdict = VERDICTS[relative(path)]
    return verdict is not None and "refused" in verdict


def test_every_vendored_example_has_axolotl_verdict_and_the_notice_names_the_source() -> None:
    assert len(EXAMPLES) == len(VERDICTS) > 250
    assert sorted(VERDICTS) == sorted(relative(path) for path in EXAMPLES)
    notice = (EXAMPLES_DIR / "NOTICE").read_text()
    assert CATALOG.version in notice and "Apache License, Version 2.0" in notice


FT_TUI_REFUSALS = {
    "axolotl.runs_under_axolotl",
    "axolotl.refused_key",
    "optim.unknown_optimizer",
    "data.unknown_type",
    "attention.unknown_backend",
    "packing.needs_isolating_attention",
    "tokens.new_tokens_need_trained_embeddings",
    "wandb.not_installed",
}
"""The reasons ft-tui's engine may refuse an axolotl example for: features it does not run, or a real problem."""


@pytest.fixture(autouse=True)
def hub_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """Gated base models are judged as on a machine logged in to the hub."""
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")


def test_every_example_loads_for_cuda_and_each_refusal_names_a_real_reason() -> None:
    unexpected: list[str] = []
    for path in EXAMPLES:
        try:
            config = load_config(path)
        except ConfigError as error:
            assert not any("unknown key" in problem.message for problem in error.problems), error
            if not refused_by_axolotl(path):
                unexpected.append(f"{relative(path)}: {error}")
            continue
        for finding in check_config(config, declared_target("cuda")):
            if finding.severity == "error" and finding.rule_id not in FT_TUI_REFUSALS:
                unexpected.append(f"{relative(path)}: {finding.rule_id}: {finding.message}")
    assert unexpected == []


def test_judged_for_axolotl_each_example_is_refused_exactly_when_axolotl_refuses_it() -> None:
    """axolotl's verdicts were taken with axolotl 0.19.0's own schema by tools/gen_axolotl_catalog.py. Refusals
    caused only by a package missing where that ran (`environment`) are no verdict on the config."""
    disagreements = []
    for path in EXAMPLES:
        try:
            judged = check_config(load_config(path), declared_target("cuda"), engine="axolotl")
            refused = any(finding.severity == "error" for finding in judged)
        except ConfigError:
            refused = True
        if refused != refused_by_axolotl(path):
            disagreements.append(f"{relative(path)}: ft-tui {'refuses' if refused else 'accepts'}")
    assert disagreements == []
    assert sum(refused_by_axolotl(path) for path in EXAMPLES) == 16
