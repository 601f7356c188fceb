"""Every rule in the catalog fires on a config that breaks it and stays quiet on one that does not."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from engine.config import parse_config_text
from engine.data.stats import BatchSettings, DataFacts
from engine.models.facts import ModelFacts, read_model_facts
from engine.rules import (
    CATALOG,
    Finding,
    Target,
    apply_auto_settings,
    apply_changes,
    check_config,
    declared_target,
    describe_changes,
)

CPU_BF16 = Target(device="cpu", bf16=True, cpu_cores=2, memory_gb=24.0)
CPU_OLD = Target(device="cpu", bf16=False, cpu_cores=2, memory_gb=24.0)
CPU_SMALL = Target(device="cpu", bf16=False, cpu_cores=2, memory_gb=0.5)
GPU = declared_target("cuda")
GPU_BARE = replace(GPU, has_flash_attn=False, has_xformers=False, has_bitsandbytes=False)
GPU_SMALL = replace(GPU, gpu_memory_gb=0.5)
GPU_HERE = replace(GPU, declared=False)
"""A detected GPU: rules about what is installed judge this machine's packages (deepspeed is not a dependency)."""
TARGETS = {
    "cpu": CPU_BF16,
    "cpu_old": CPU_OLD,
    "cpu_small": CPU_SMALL,
    "gpu": GPU,
    "gpu_bare": GPU_BARE,
    "gpu_small": GPU_SMALL,
    "gpu_here": GPU_HERE,
}

SMALL_LLAMA = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 576,
    "intermediate_size": 1536,
    "num_hidden_layers": 30,
    "num_attention_heads": 9,
    "num_key_value_heads": 3,
    "vocab_size": 49152,
    "max_position_embeddings": 8192,
    "tie_word_embeddings": True,
}


def small_eval_split(accumulation: int = 4) -> DataFacts:
    settings = BatchSettings(sequence_len=2048, gradient_accumulation_steps=accumulation, eval_sample_packing=True)
    return DataFacts(
        settings=settings,
        rows_read=200,
        train_rows=190,
        eval_rows=10,
        eval_tokens=1500,
        eval_bins=1,
        eval_batches=1,
        eval_batches_needed=accumulation,
    )


def many_dropped() -> DataFacts:
    settings = BatchSettings(sequence_len=512)
    return DataFacts(
        settings=settings, rows_read=100, train_rows=70, eval_rows=0, rows_dropped={"too_long": 30}, longest_read=700
    )


def all_too_long() -> DataFacts:
    """Every row read is over sequence_len: preparing the data keeps nothing."""
    settings = BatchSettings(sequence_len=512)
    return DataFacts(
        settings=settings, rows_read=12, train_rows=0, eval_rows=0, rows_dropped={"too_long": 12}, longest_read=900
    )


def long_run() -> DataFacts:
    """A million steps: saved every step, a full fine-tune's checkpoints need more disk than any machine has."""
    settings = BatchSettings(sequence_len=512)
    return DataFacts(
        settings=settings, rows_read=10, train_rows=10, eval_rows=0, steps_per_epoch=1_000_000, total_steps=1_000_000
    )


def tools_ignored() -> DataFacts:
    """A tool-calling entry read with a chat template that does not print `tools`."""
    settings = BatchSettings(sequence_len=512)
    return DataFacts(
        settings=settings, rows_read=10, train_rows=10, eval_rows=0, tools_ignored=(("calls.jsonl", "tools"),)
    )


def empty_targets() -> DataFacts:
    settings = BatchSettings(sequence_len=512)
    return DataFacts(settings=settings, rows_read=10, train_rows=9, eval_rows=0, rows_dropped={"empty_target": 1})


@dataclass(frozen=True)
class Case:
    rule_id: str
    yaml: str
    fires: bool
    target: str = "cpu"
    facts: bool = False
    data: DataFacts | None = None


NOT_JSON = Path(__file__).resolve().parents[2] / "pyproject.toml"
"""A file of this repository that is not JSON and not a folder."""
DS = "datasets: [{path: tatsu-lab/alpaca, type: alpaca}]\n"
GEN = "generate_samples: true\nval_set_size: 0.05\n"
"""Sample answers on, with an eval split to draw prompts from."""
FSDP2 = "fsdp_version: 2\nfsdp_config: {reshard_after_forward: true}\n"
CASES = [
    Case("adapter.qlora_needs_4bit", "adapter: qlora\n", True, "gpu"),
    Case("adapter.qlora_needs_4bit", "adapter: qlora\nload_in_4bit: true\n", False, "gpu"),
    Case("quant.needs_adapter", "adapter:\nload_in_8bit: true\n", True, "gpu"),
    Case("quant.needs_adapter", "adapter: lora\nload_in_8bit: true\n", False, "gpu"),
    Case("quant.lora_with_4bit", "adapter: lora\nload_in_4bit: true\n", True, "gpu"),
    Case("quant.lora_with_4bit", "adapter: qlora\nload_in_4bit: true\n", False, "gpu"),
    Case("quant.both_bit_widths", "load_in_8bit: true\nload_in_4bit: true\n", True, "gpu"),
    Case("quant.both_bit_widths", "load_in_4bit: true\n", False, "gpu"),
    Case("quant.needs_cuda", "load_in_4bit: true\n", True, "cpu"),
    Case("quant.needs_cuda", "load_in_4bit: true\n", False, "gpu"),
    Case("quant.needs_bitsandbytes", "load_in_8bit: true\n", True, "gpu_bare"),
    Case("quant.needs_bitsandbytes", "load_in_8bit: true\n", False, "gpu"),
    Case("lora.alpha_rank_ratio", "lora_r: 8\nlora_alpha: 64\n", True),
    Case("lora.alpha_rank_ratio", "lora_r: 8\nlora_alpha: 16\n", False),
    Case("lora.no_target_modules", "adapter: lora\n", True),
    Case("lora.no_target_modules", "adapter: lora\nlora_target_linear: true\n", False),
    Case("lora.invalid_target_regex", "lora_target_modules: '.*(q_proj|v_proj'\n", True),
    Case("lora.invalid_target_regex", "lora_target_modules: '.*(q_proj|v_proj)$'\n", False),
    Case("lora.unknown_target_modules", "lora_target_modules: [q_proj, qkv_proj]\n", True, facts=True),
    Case("lora.unknown_target_modules", "lora_target_modules: [q_proj, down_proj]\n", False, facts=True),
    Case("lora.settings_without_adapter", "adapter:\nlora_r: 16\n", True),
    Case("lora.settings_without_adapter", "adapter:\n", False),
    Case("tokens.new_tokens_need_trained_embeddings", "tokens: ['<tool>']\n", True),
    Case(
        "tokens.new_tokens_need_trained_embeddings",
        "tokens: ['<tool>']\nlora_modules_to_save: [embed_tokens, lm_head]\n",
        False,
    ),
    Case("precision.bf16_auto", "bf16: auto\n", True, "cpu"),
    Case("precision.bf16_auto", "bf16: false\n", False, "cpu"),
    Case("precision.bf16_unsupported", "bf16: true\n", True, "cpu_old"),
    Case("precision.bf16_unsupported", "bf16: true\n", False, "cpu"),
    Case("precision.bf16_and_fp16", "bf16: true\nfp16: true\n", True, "gpu"),
    Case("precision.bf16_and_fp16", "bf16: false\nfp16: true\n", False, "gpu"),
    Case("precision.fp16_needs_gpu", "bf16: false\nfp16: true\n", True, "cpu"),
    Case("precision.fp16_needs_gpu", "bf16: false\nfp16: true\n", False, "gpu"),
    Case("precision.tf32_without_cuda", "tf32: true\n", True, "cpu"),
    Case("precision.tf32_without_cuda", "tf32: true\n", False, "gpu"),
    Case("memory.checkpointing_offload_needs_cuda", "gradient_checkpointing: offload\n", True, "cpu"),
    Case("memory.checkpointing_offload_needs_cuda", "gradient_checkpointing: true\n", False, "cpu"),
    Case("distributed.needs_cuda", "deepspeed: zero2.json\n", True, "cpu"),
    Case("distributed.needs_cuda", "deepspeed: zero2.json\n", False, "gpu"),
    Case("distributed.needs_cuda", "fsdp_version: 2\n", True, "cpu"),
    Case("distributed.deepspeed_config_missing", "deepspeed: zero9\n", True, "gpu"),
    Case("distributed.deepspeed_config_missing", "deepspeed: deepspeed_configs/zero3.json\n", False, "gpu"),
    Case("distributed.deepspeed_config_unreadable", f"deepspeed: {NOT_JSON}\n", True, "gpu"),
    Case("distributed.deepspeed_config_unreadable", "deepspeed: zero2\n", False, "gpu"),
    Case("disk.output_dir_not_a_folder", f"output_dir: {NOT_JSON}\n", True),
    Case("disk.output_dir_not_a_folder", f"output_dir: {NOT_JSON.parent / 'runs' / 'new'}\n", False),
    Case("batch.micro_batch_too_large", "micro_batch_size: 1000000000000\nsequence_len: 128\n", True),
    Case("batch.micro_batch_too_large", "micro_batch_size: 64\nsequence_len: 4096\n", False),
    Case("optim.weight_decay_above_one", "weight_decay: 1.0e+308\n", True),
    Case("optim.weight_decay_above_one", "weight_decay: 0.1\n", False),
    Case("schedule.seed_out_of_range", "seed: -1\n", True),
    Case("schedule.seed_out_of_range", "seed: 4294967295\n", False),
    Case("distributed.deepspeed_and_fsdp", "deepspeed: zero2\nfsdp_version: 2\n", True, "gpu"),
    Case("distributed.deepspeed_and_fsdp", "deepspeed: zero2\n", False, "gpu"),
    Case("distributed.deepspeed_not_installed", "deepspeed: zero2\n", True, "gpu_here"),
    Case("distributed.deepspeed_not_installed", "deepspeed: zero2\n", False, "gpu"),
    Case("distributed.zero_stage_keeps_full_copies", "deepspeed: zero2\n", True, "gpu_small", True),
    Case("distributed.zero_stage_keeps_full_copies", "deepspeed: zero2\n", False, "gpu", True),
    Case("distributed.sharding_small_model", "deepspeed: zero3\n", True, "gpu", True),
    Case("distributed.sharding_small_model", "deepspeed: zero3\n", False, "gpu_small", True),
    Case("distributed.offload_is_slow", "deepspeed: zero3_offload\n", True, "gpu"),
    Case("distributed.offload_is_slow", "deepspeed: zero3\n", False, "gpu"),
    Case("distributed.fsdp_gradient_checkpointing", "fsdp_version: 2\ngradient_checkpointing: true\n", True, "gpu"),
    Case("distributed.fsdp_gradient_checkpointing", "fsdp_version: 2\n", False, "gpu"),
    Case("distributed.fsdp_version_1", "fsdp_version: 1\n", True, "gpu"),
    Case("distributed.fsdp_version_1", "fsdp_version: 2\n", False, "gpu"),
    Case("attention.unknown_backend", "attn_implementation: flash_attn2\n", True),
    Case("attention.unknown_backend", "attn_implementation: sdpa\n", False),
    Case("attention.conflicting_switches", "flash_attention: true\nxformers_attention: true\n", True),
    Case("attention.conflicting_switches", "flash_attention: true\n", False),
    Case("attention.cuda_backend_fallback", "attn_implementation: flash_attention_2\n", True, "cpu"),
    Case("attention.cuda_backend_fallback", "attn_implementation: flash_attention_2\n", False, "gpu"),
    Case("attention.backend_not_installed", "xformers_attention: true\n", True, "gpu_bare"),
    Case("attention.backend_not_installed", "xformers_attention: true\n", False, "gpu"),
    Case("attention.auto_selected", "bf16: auto\n", True),
    Case("attention.auto_selected", "attn_implementation: eager\n", False),
    Case("packing.needs_isolating_attention", "sample_packing: true\nattn_implementation: flex_attention\n", True),
    Case("packing.needs_isolating_attention", "sample_packing: true\nattn_implementation: sdpa\n", False),
    Case("schedule.warmup_steps_and_ratio", "warmup_steps: 10\nwarmup_ratio: 0.1\n", True),
    Case("schedule.warmup_steps_and_ratio", "warmup_ratio: 0.1\n", False),
    Case("schedule.saves_per_epoch_and_save_steps", "saves_per_epoch: 1\nsave_steps: 100\n", True),
    Case("schedule.saves_per_epoch_and_save_steps", "save_steps: 100\n", False),
    Case("schedule.evals_per_epoch_and_eval_steps", "evals_per_epoch: 4\neval_steps: 50\n", True),
    Case("schedule.evals_per_epoch_and_eval_steps", "evals_per_epoch: 0\neval_steps: 50\n", False),
    Case("schedule.evals_without_validation", "evals_per_epoch: 4\nval_set_size: 0\n", True),
    Case("schedule.evals_without_validation", "evals_per_epoch: 4\nval_set_size: 0.05\n", False),
    Case("batch.inconsistent_sizes", "batch_size: 16\nmicro_batch_size: 2\ngradient_accumulation_steps: 4\n", True),
    Case("batch.inconsistent_sizes", "batch_size: 16\nmicro_batch_size: 2\ngradient_accumulation_steps: 8\n", False),
    Case("schedule.max_steps_overrides_epochs", "max_steps: 10\nnum_epochs: 3\n", True),
    Case("schedule.max_steps_overrides_epochs", "max_steps: 10\n", False),
    Case("optim.unknown_optimizer", "optimizer: adamw_torch_fuzed\n", True),
    Case("optim.unknown_optimizer", "optimizer: adamw_torch\n", False),
    Case("optim.renamed_optimizer", "optimizer: adamw_hf\n", True),
    Case("optim.renamed_optimizer", "optimizer: adamw_torch\n", False),
    Case("optim.needs_bitsandbytes_cuda", "optimizer: adamw_bnb_8bit\n", True, "cpu"),
    Case("optim.needs_bitsandbytes_cuda", "optimizer: adamw_bnb_8bit\n", False, "gpu"),
    Case("optim.unknown_scheduler", "lr_scheduler: cosine_annealing\n", True),
    Case("optim.unknown_scheduler", "lr_scheduler: cosin\n", True),
    Case("optim.unknown_scheduler", "lr_scheduler: linear\n", False),
    Case("optim.learning_rate_high", "learning_rate: 0.005\n", True),
    Case("optim.learning_rate_high", "adapter:\nlearning_rate: 0.00001\n", False),
    Case("optim.learning_rate_above_one", "learning_rate: 5\n", True),
    Case("optim.learning_rate_above_one", "learning_rate: 1\n", False),
    Case("lora.rank_above_hidden_size", "adapter: lora\nlora_r: 1024\nlora_alpha: 1024\n", True, facts=True),
    Case("lora.rank_above_hidden_size", "adapter: lora\nlora_r: 576\nlora_alpha: 576\n", False, facts=True),
    Case("lora.rank_above_hidden_size", "adapter: lora\nlora_r: 100000\nlora_alpha: 16\n", True),
    Case("lora.rank_above_hidden_size", "adapter: lora\nlora_r: 1024\nlora_alpha: 1024\n", False),
    Case("data.val_set_size_is_a_count", "val_set_size: 2.0\n", True),
    Case("data.val_set_size_is_a_count", "val_set_size: 0.05\n", False),
    Case("data.val_set_size_is_a_count", "val_set_size: 200\n", False),
    Case("checkpoint.resume_path_missing", "resume_from_checkpoint: /nonexistent/checkpoint-10\n", True),
    Case("checkpoint.resume_path_missing", "resume_from_checkpoint: true\n", False),
    Case("data.no_datasets", "base_model: x\n", True),
    Case("data.no_datasets", DS, False),
    Case("data.unknown_type", "datasets: [{path: a/b, type: alpacca}]\n", True),
    Case("data.unknown_type", DS, False),
    Case("data.sharegpt_deprecated", "datasets: [{path: a/b, type: sharegpt}]\n", True),
    Case("data.sharegpt_deprecated", "datasets: [{path: a/b, type: chat_template}]\n", False),
    Case("data.dataset_unusable", "datasets: [{path: ./missing.jsonl, type: alpaca}]\n", True),
    Case("data.dataset_unusable", DS, False),
    Case("data.jinja_template_missing", "chat_template: jinja\n", True),
    Case("data.jinja_template_missing", "chat_template: jinja\nchat_template_jinja: '{{ messages }}'\n", False),
    Case("data.val_set_size_not_whole", "val_set_size: 10.5\n", True),
    Case("data.val_set_size_not_whole", "val_set_size: 10\n", False),
    Case("data.rows_dropped_for_length", "sequence_len: 512\n", True, data=many_dropped()),
    Case("data.rows_dropped_for_length", "sequence_len: 512\n", False, data=small_eval_split()),
    Case("disk.not_enough_space", "adapter:\nsave_steps: 1\n", True, facts=True, data=long_run()),
    Case("disk.not_enough_space", "adapter: lora\nsave_total_limit: 2\n", False, facts=True, data=long_run()),
    Case("data.every_row_dropped", "sequence_len: 512\n", True, data=all_too_long()),
    Case("data.every_row_dropped", "sequence_len: 512\n", False, data=many_dropped()),
    Case("data.tools_ignored_by_template", "sequence_len: 512\n", True, data=tools_ignored()),
    Case("data.tools_ignored_by_template", "sequence_len: 512\n", False, data=many_dropped()),
    Case("data.empty_training_targets", "sequence_len: 512\n", True, data=empty_targets()),
    Case("data.empty_training_targets", "sequence_len: 512\n", False, data=many_dropped()),
    Case(
        "packing.eval_split_too_small",
        "sample_packing: true\ngradient_accumulation_steps: 4\nval_set_size: 0.05\n",
        True,
        data=small_eval_split(),
    ),
    Case(
        "packing.eval_split_too_small",
        "sample_packing: true\neval_sample_packing: false\ngradient_accumulation_steps: 4\nval_set_size: 0.05\n",
        False,
        data=small_eval_split(),
    ),
    Case("model.sequence_len_above_context", "sequence_len: 16384\n", True, facts=True),
    Case("model.sequence_len_above_context", "sequence_len: 8192\n", False, facts=True),
    Case("packing.padding_wastes_compute", "pad_to_sequence_len: true\n", True),
    Case("packing.padding_wastes_compute", "pad_to_sequence_len: true\nsample_packing: true\n", False),
    Case("packing.eval_packing_without_train_packing", "eval_sample_packing: true\n", True),
    Case("packing.eval_packing_without_train_packing", "eval_sample_packing: true\nsample_packing: true\n", False),
    Case("memory.estimate_exceeds_device", "sequence_len: 4096\nmicro_batch_size: 8\n", True, "cpu_small", True),
    Case("memory.estimate_exceeds_device", "sequence_len: 512\n", False, "cpu", True),
    Case("model.trust_remote_code", "trust_remote_code: true\n", True),
    Case("model.trust_remote_code", "trust_remote_code: false\n", False),
    Case("model.folder_missing", "base_model: /no/such/model\n", True),
    Case("model.folder_missing", "base_model: HuggingFaceTB/SmolLM2-135M-Instruct\n", False),
    Case("model.gated_needs_token", "base_model: meta-llama/Llama-3.2-1B\n", True),
    Case("model.gated_needs_token", "base_model: NousResearch/Llama-3.2-1B\n", False),
    Case("model.gated_needs_token", "base_model: meta-llama/Llama-3.2-1B\n", False, "gpu"),  # the server's token
    Case("model.gated_token_on_server", "base_model: meta-llama/Llama-3.2-1B\n", True, "gpu"),
    Case("model.gated_token_on_server", "base_model: meta-llama/Llama-3.2-1B\n", False, "gpu_here"),
    Case("model.gated_token_on_server", "base_model: meta-llama/Llama-3.2-1B\n", False),
    Case("wandb.not_installed", "wandb_project: demo\n", True),
    Case("wandb.not_installed", "wandb_project:\n", False),
    Case("wandb.no_credentials", "wandb_project: demo\n", True),
    Case("wandb.no_credentials", "wandb_project: demo\nwandb_mode: offline\n", False),
    Case("axolotl.runs_under_axolotl", "rl: dpo\n", True),
    Case("axolotl.runs_under_axolotl", "rl:\n", False),
    Case("axolotl.ignored_key", "hub_model_id: me/my-adapter\n", True),
    Case("axolotl.ignored_key", "hub_model_id:\n", False),
    Case("axolotl.refused_key", "max_packed_sequence_len: 2048\n", True),
    Case("axolotl.refused_key", "max_packed_sequence_len:\n", False),
    Case("axolotl.renamed_key", "noisy_embedding_alpha: 5\n", True),
    Case("axolotl.renamed_key", "neftune_noise_alpha: 5\n", False),
    Case("axolotl.not_in_schema", "gptq_groupsize: 128\n", True),
    Case("axolotl.not_in_schema", "gptq_groupsize:\n", False),
    Case("axolotl.dataset_key_beside_type", "datasets: [{path: a.jsonl, type: alpaca, field_instruction: q}]\n", True),
    Case("axolotl.dataset_key_beside_type", "datasets: [{path: a.jsonl, type: {field_instruction: q}}]\n", False),
    Case("axolotl.early_stopping_needs_steps", "early_stopping_patience: 3\neval_steps: 30\nsave_steps: 100\n", True),
    Case("axolotl.early_stopping_needs_steps", "early_stopping_patience: 3\neval_steps: 50\nsave_steps: 100\n", False),
    Case("axolotl.save_best_needs_metric", "save_strategy: best\n", True),
    Case("axolotl.save_best_needs_metric", "save_strategy: best\nmetric_for_best_model: eval_loss\n", False),
    Case("axolotl.fsdp2_with_bnb_8bit_optimizer", FSDP2 + "optimizer: adamw_bnb_8bit\n", True),
    Case("axolotl.fsdp2_with_bnb_8bit_optimizer", FSDP2 + "optimizer: adamw_torch_8bit\n", False),
    Case("generation.no_eval_split", "generate_samples: true\nval_set_size: 0\n", True),
    Case("generation.no_eval_split", GEN, False),
    Case("generation.count_not_positive", GEN + "generation_max_new_tokens: -5\n", True),
    Case("generation.count_not_positive", GEN + "num_generation_samples: 0\n", True),
    Case("generation.count_not_positive", GEN + "num_generation_samples: 2\n", False),
    Case("generation.answer_longer_than_rows", GEN + "sequence_len: 512\ngeneration_max_new_tokens: 100000\n", True),
    Case("generation.answer_longer_than_rows", GEN + "sequence_len: 512\ngeneration_max_new_tokens: 48\n", False),
    Case("generation.zero_temperature_sampling", GEN + "generation_temperature: 0\n", True),
    Case(
        "generation.zero_temperature_sampling", GEN + "generation_temperature: 0\ngeneration_do_sample: false\n", False
    ),
    Case("generation.more_samples_than_eval_rows", GEN + "num_generation_samples: 50\n", True, data=small_eval_split()),
    Case("generation.more_samples_than_eval_rows", GEN + "num_generation_samples: 3\n", False, data=small_eval_split()),
    Case("generation.sharded_model", GEN + "deepspeed: zero3\n", True, "gpu"),
    Case("generation.sharded_model", GEN + "deepspeed: zero2\n", False, "gpu"),
]


@pytest.fixture(scope="module")
def llama_facts(tmp_path_factory: pytest.TempPathFactory) -> ModelFacts:
    folder = tmp_path_factory.mktemp("model")
    (folder / "config.json").write_text(json.dumps(SMALL_LLAMA))
    return read_model_facts(folder)


@pytest.fixture(autouse=True)
def no_wandb_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HOME", str(tmp_path))


AXOLOTL_RULES = {rule_id for rule_id, rule_ in CATALOG.items() if rule_.engines == ("axolotl",)}


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case.rule_id}-{'fires' if case.fires else 'quiet'}")
def test_rule(case: Case, llama_facts: ModelFacts) -> None:
    config = parse_config_text(case.yaml)
    engine = "axolotl" if case.rule_id in AXOLOTL_RULES else "ft-tui"
    findings = check_config(
        config, TARGETS[case.target], facts=llama_facts if case.facts else None, data=case.data, engine=engine
    )
    fired = [finding for finding in findings if finding.rule_id == case.rule_id]
    assert bool(fired) == case.fires, [finding.message for finding in findings]
    for finding in fired:
        assert finding.message and finding.why and finding.fix
        assert "{" not in finding.message


def test_every_rule_has_a_firing_and_a_quiet_case() -> None:
    covered = {(case.rule_id, case.fires) for case in CASES}
    missing = [(rule_id, fires) for rule_id in CATALOG for fires in (True, False) if (rule_id, fires) not in covered]
    assert missing == []
    assert len(CATALOG) >= 30


def test_catalog_entries_explain_themselves() -> None:
    for rule_ in CATALOG.values():
        assert rule_.severity in ("error", "warning", "auto", "note")
        assert len(rule_.why.split(". ")) >= 1 and len(rule_.why) > 40, rule_.id
        assert rule_.fields, rule_.id


def test_eval_split_message_carries_axolotl_wording_and_the_numbers() -> None:
    config = parse_config_text("sample_packing: true\ngradient_accumulation_steps: 4\nval_set_size: 0.05\n")
    findings = check_config(config, CPU_BF16, data=small_eval_split())
    (finding,) = [f for f in findings if f.rule_id == "packing.eval_split_too_small"]
    assert finding.message.startswith("eval dataset split is too small for sample_packing; set eval_sample_packing")
    assert "1500 eval tokens pack into 1 batch, fewer than the 4 needed" in finding.message
    assert "1 packed batch." in finding.why
    assert "micro_batch_size" not in finding.fix


def test_absurd_values_are_errors_without_a_warning_that_scales_them(llama_facts: ModelFacts) -> None:
    config = parse_config_text("adapter: lora\nlora_r: 100000\nlora_alpha: 16\nlearning_rate: 5\n")
    findings = {f.rule_id: f for f in check_config(config, CPU_BF16, facts=llama_facts, stages=("static",))}
    assert findings["lora.rank_above_hidden_size"].severity == "error"
    rank = findings["lora.rank_above_hidden_size"].message
    assert rank == "lora_r 100,000 is above HuggingFaceTB/SmolLM2-135M-Instruct's hidden size (576)"
    assert findings["optim.learning_rate_above_one"].message == "learning_rate 5 is above 1"
    assert "lora.alpha_rank_ratio" not in findings  # it would suggest lora_alpha 200000
    assert "optim.learning_rate_high" not in findings


def test_a_whole_val_set_size_says_it_counts_rows() -> None:
    [finding] = [f for f in check_config(parse_config_text("val_set_size: 2.0\n"), CPU_BF16) if "val_set" in f.rule_id]
    assert finding.message == "val_set_size: 2.0 means 2 rows held out for evaluation, not a fraction"
    assert finding.severity == "warning"
    fractional = check_config(parse_config_text("val_set_size: 1.5\n"), CPU_BF16)
    assert [(f.rule_id, f.severity) for f in fractional if "val_set" in f.rule_id] == [
        ("data.val_set_size_not_whole", "error")
    ]


def test_auto_settings_are_applied_without_touching_the_users_choices() -> None:
    config = parse_config_text("bf16: auto\nflash_attention: true\nlearning_rate: 0.0003\n")
    effective = apply_auto_settings(config, check_config(config, CPU_BF16))
    assert effective.bf16 is True
    assert effective.attn_implementation == "sdpa" and effective.flash_attention is None
    assert effective.learning_rate == 0.0003
    assert config.flash_attention is True


def test_static_checks_are_fast_enough_for_every_keystroke() -> None:
    """Not a timing assertion: proves the static path needs no model, data or network (facts stay None)."""
    config = parse_config_text(DS)
    findings = check_config(config, CPU_BF16, stages=("static",))
    assert all(CATALOG[finding.rule_id].stage == "static" for finding in findings)


def test_docs_rules_md_is_generated_from_the_catalog() -> None:
    from engine.rules.docs import render_catalog

    committed = (Path(__file__).parents[2] / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == render_catalog(), "regenerate with: python -m engine.rules.docs > docs/rules.md"


def test_memory_is_described_in_gib_everywhere() -> None:
    assert GPU.describe() == "CUDA GPU, 24.0 GiB (declared)"


@pytest.mark.parametrize(
    "make",
    [
        lambda folder: folder.mkdir(),
        lambda folder: (folder.mkdir(), (folder / "adapter_model.safetensors").write_bytes(b"w")),
        lambda folder: folder.write_text("not a folder"),
    ],
    ids=["empty folder", "no trainer_state.json", "a file"],
)
def test_validate_refuses_the_checkpoints_resume_refuses(tmp_path: Path, make: Callable[[Path], object]) -> None:
    """The rule asks the checkpoint module: a folder that exists but could not be resumed from fails `validate`,
    with the same reason the run would give, instead of passing and failing at the start of training."""
    from engine.train.checkpoints import find_resume_checkpoint
    from engine.train.errors import TrainError

    folder = tmp_path / "checkpoint-10"
    make(folder)
    config = parse_config_text(f"resume_from_checkpoint: {folder}\n")
    with pytest.raises(TrainError) as refused:
        find_resume_checkpoint(config, resume=False)
    findings = [f for f in check_config(config, CPU_BF16) if f.rule_id == "checkpoint.resume_path_missing"]
    assert len(findings) == 1
    assert findings[0].message.split("(")[-1] in str(refused.value)


def test_a_checkpoint_validate_accepts_is_one_the_run_resumes_from(tmp_path: Path) -> None:
    from engine.train.checkpoints import find_resume_checkpoint
    from tests.tiny import fake_checkpoint

    folder = fake_checkpoint(tmp_path / "checkpoint-10", "{}")
    config = parse_config_text(f"resume_from_checkpoint: {folder}\n")
    assert not [f for f in check_config(config, CPU_BF16) if f.rule_id == "checkpoint.resume_path_missing"]
    assert find_resume_checkpoint(config, resume=False)[0] == folder


def test_each_rule_lives_in_the_module_named_by_its_id_prefix() -> None:
    """Finding the code behind a finding takes no grep: `lora.alpha_rank_ratio` is in definitions/lora.py."""
    misplaced = {
        rule_id: rule.check.__module__
        for rule_id, rule in CATALOG.items()
        if rule.check.__module__ != f"engine.rules.definitions.{rule_id.split('.')[0]}"
    }
    assert not misplaced


MECHANICAL = {rule_id for rule_id, rule_ in CATALOG.items() if rule_.mechanical}
BY_CLOSE_NAME = {"optim.unknown_scheduler", "optim.unknown_optimizer"}
"""Rules whose fix is the known name closest to the one typed, when there is one."""


def _judged(case: Case, llama_facts: ModelFacts, yaml: str | None = None) -> list[Finding]:
    config = parse_config_text(case.yaml if yaml is None else yaml)
    engine = "axolotl" if case.rule_id in AXOLOTL_RULES else "ft-tui"
    facts = llama_facts if case.facts else None
    return check_config(config, TARGETS[case.target], facts=facts, data=case.data, engine=engine)


@pytest.mark.parametrize(
    "case", [case for case in CASES if case.fires and case.rule_id in MECHANICAL], ids=lambda case: case.rule_id
)
def test_a_rules_changes_fix_its_own_finding(case: Case, llama_facts: ModelFacts) -> None:
    """Applying a finding's `changes` gives a valid config on which that finding is gone: the wizard's Apply
    button can never offer a fix that does not fix."""
    config = parse_config_text(case.yaml)
    [finding] = [f for f in _judged(case, llama_facts) if f.rule_id == case.rule_id]
    if not finding.changes:  # a name with no close match: which one to use is the user's choice
        assert case.rule_id in BY_CLOSE_NAME and "did you mean" not in finding.fix
        return
    fixed = apply_changes(config, finding.changes)
    engine = "axolotl" if case.rule_id in AXOLOTL_RULES else "ft-tui"
    facts = llama_facts if case.facts else None
    again = check_config(fixed, TARGETS[case.target], facts=facts, data=case.data, engine=engine)
    assert case.rule_id not in {f.rule_id for f in again}, describe_changes(finding.changes)


def test_every_mechanical_rule_has_a_firing_case() -> None:
    assert {case.rule_id for case in CASES if case.fires} >= MECHANICAL
    assert len(MECHANICAL) >= 40


def test_only_mechanical_rules_may_carry_changes() -> None:
    """render refuses changes from a rule not registered as mechanical, so docs/rules.md never under-reports."""
    from engine.rules.catalog import Hit, Rule, render

    rule_ = Rule("x.y", "warning", "static", "m", "why", "fix", ("lr",), lambda _ctx: None)
    with pytest.raises(ValueError, match="mechanical"):
        render(rule_, Hit(changes={"learning_rate": 1e-4}))


def test_changes_are_in_the_json_and_read_as_yaml() -> None:
    config = parse_config_text("warmup_steps: 10\nwarmup_ratio: 0.1\neval_sample_packing: true\n")
    found = {f.rule_id: f for f in check_config(config, CPU_BF16)}
    assert found["schedule.warmup_steps_and_ratio"].to_json()["changes"] == {"warmup_steps": None}
    assert describe_changes(found["packing.eval_packing_without_train_packing"].changes) == (
        "eval_sample_packing: false"
    )
    assert describe_changes({"warmup_steps": None, "learning_rate": 0.0002}) == (
        "warmup_steps: (removed), learning_rate: 0.0002"
    )


def test_every_row_dropped_names_the_longest_row() -> None:
    config = parse_config_text("sequence_len: 512\n")
    [finding] = [
        f for f in check_config(config, CPU_BF16, data=all_too_long()) if f.rule_id == "data.every_row_dropped"
    ]
    assert finding.severity == "error"
    assert (
        finding.message == "all 12 rows read are dropped after tokenizing (too long: 12): nothing is left to train on"
    )
    assert "raise sequence_len to at least 900" in finding.fix
    assert "sequence_len" in finding.fields
    others = {f.rule_id for f in check_config(config, CPU_BF16, data=all_too_long())}
    assert "data.rows_dropped_for_length" not in others  # the error says it; a warning would repeat it


def test_a_change_the_config_refuses_raises_and_leaves_the_config_alone() -> None:
    from engine.config import ConfigError

    config = parse_config_text("learning_rate: 0.0002\n")
    with pytest.raises(ConfigError, match="learning_rate"):
        apply_changes(config, {"learning_rate": "fast"})
    assert config.learning_rate == 0.0002
