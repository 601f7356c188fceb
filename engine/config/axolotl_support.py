"""What ft-tui does with each axolotl key it does not model itself, decided once, with the reason.

Every key of axolotl's catalogue loads. A key ft-tui's config model has is acted on; every other key is in
exactly one group below (a test proves it): `ignored` keys change how axolotl runs around the training (kernels,
logging, hub uploads, profiling) but not what is learnt, so ft-tui notes them and carries on; `axolotl_only`
keys change what is trained, so ft-tui's engine refuses the config and says it runs under axolotl. Three kinds
of key are classified by what the catalogue says about them rather than listed: keys of axolotl's plugins (the
`plugins` key itself decides), keys axolotl's schema lacks (axolotl ignores them too), and keys axolotl refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Literal

from engine.config.axolotl_catalog import AxolotlKey, axolotl_catalog

if TYPE_CHECKING:
    from engine.config.run_config import RunConfig

Verdict = Literal["ignored", "axolotl_only", "refused"]


def _keys(text: str) -> tuple[str, ...]:
    """Key names written as one space-separated string, which reads better in long groups than a list."""
    return tuple(text.split())


@dataclass(frozen=True)
class KeyGroup:
    verdict: Verdict
    reason: str
    keys: tuple[str, ...] = ()


GROUPS: tuple[KeyGroup, ...] = (
    # --- results unchanged: ft-tui notes the key and trains the same model -------------------------------
    KeyGroup(
        "ignored",
        "experiment tracking other than W&B; ft-tui records every run in its own events log",
        _keys(
            "use_wandb use_comet comet_api_key comet_experiment_config comet_experiment_key comet_mode comet_online "
            "comet_project_name comet_workspace use_mlflow mlflow_experiment_name mlflow_run_name "
            "mlflow_tracking_uri hf_mlflow_log_artifacts use_trackio trackio_project_name trackio_run_name "
            "trackio_space_id use_otel_metrics otel_metrics_host otel_metrics_port include_tkps "
            "include_tokens_per_second"
        ),
    ),
    KeyGroup(
        "ignored",
        "uploads to the Hugging Face hub after training; ft-tui keeps the adapter in output_dir",
        ("hub_model_id", "hub_strategy", "hub_revision", "push_dataset_to_hub"),
    ),
    KeyGroup(
        "ignored",
        "faster or leaner kernels for the same maths; ft-tui picks its own attention and kernels",
        _keys(
            "lora_mlp_kernel lora_qkv_kernel lora_o_kernel lora_embedding_kernel fused_attn_kernel "
            "flash_attn_cross_entropy flash_attn_fuse_mlp flash_optimum use_kernels chunked_cross_entropy "
            "chunked_cross_entropy_num_chunks tiled_mlp tiled_mlp_num_shards tiled_mlp_use_original_mlp sdpa_varlen "
            "flex_attn_compile_kwargs torch_compile_backend torch_compile_mode torch_compile_options "
            "experts_implementation gemma4_hybrid_attn_impl large_head_attention flash_attn_d512 "
            "llama4_linearized_experts heads_k_stride ring_attn_func deepcompile eager_attention batch_flattening "
            "pad_to_multiple_of low_cpu_mem_usage experimental_skip_move_to_device embeddings_skip_upcast"
        ),
    ),
    KeyGroup(
        "ignored",
        "memory placement and offloading: where tensors live during the step, not what is computed",
        _keys(
            "activation_offloading layer_offloading ple_cpu_offload selective_checkpointing gpu_memory_limit "
            "max_memory device_map"
        ),
    ),
    KeyGroup(
        "ignored",
        "profiling, garbage collection and checkpoint triggers of axolotl's trainer",
        _keys(
            "profiler_steps profiler_steps_start gc_collect_steps gc_steps torch_empty_cache_steps dynamic_checkpoint"
        ),
    ),
    KeyGroup(
        "ignored",
        "how work is split across several GPUs or a Ray cluster, not what is computed",
        _keys(
            "ddp ddp_broadcast_buffers dp_replicate_size dp_shard_size tensor_parallel_size context_parallel_size "
            "accelerator_config fp8_enable_fsdp_float8_all_gather fsdp_final_state_dict_type "
            "qlora_sharded_model_loading fp32_norms fp32_norm_classes use_ray ray_num_workers ray_run_name "
            "resources_per_worker"
        ),
    ),
    KeyGroup(
        "ignored",
        "tunes axolotl's own packer; ft-tui packs with its multipack packer (every row is still trained once per "
        "epoch)",
        _keys(
            "sample_packing_bin_size sample_packing_group_size sample_packing_mp_start_method "
            "sample_packing_sequentially multipack_real_batches"
        ),
    ),
    KeyGroup(
        "ignored",
        "extra evaluation during training (benchmarks, causal-LM metrics); the trained weights do not depend on it",
        _keys(
            "do_bench_eval bench_dataset bench_split do_causal_lm_eval eval_causal_lm_metrics eval_table_size "
            "eval_max_new_tokens"
        ),
    ),
    KeyGroup(
        "ignored",
        "axolotl's Gradio chat, merge and export steps after training (ft-tui has `chat` and `merge` commands)",
        _keys(
            "gradio_max_new_tokens gradio_server_name gradio_server_port gradio_share gradio_temperature "
            "gradio_title merge_lora merge_method lora_on_cpu tokenizer_save_jinja_files num_dataset_shards_to_save"
        ),
    ),
    KeyGroup(
        "ignored",
        "set by axolotl itself while it runs (internal bookkeeping and launcher state)",
        _keys(
            "is_falcon_derived_model is_llama_derived_model is_mistral_derived_model is_qwen_derived_model "
            "is_preprocess local_rank world_size total_num_tokens total_supervised_tokens axolotl_config_path "
            "device strict skip_prepare_dataset dataset_keep_in_memory preprocess_iterable remove_unused_columns "
            "torchdistx_path"
        ),
    ),
    # --- results change: ft-tui's engine would train something else, so it refuses ------------------------
    KeyGroup(
        "axolotl_only",
        "preference, reward and RL training; ft-tui trains supervised fine-tunes only",
        _keys(
            "rl rl_beta trl vllm dpo_label_smoothing dpo_loss_type dpo_loss_weights dpo_padding_free "
            "dpo_use_liger_kernel dpo_use_weighting cpo_alpha orpo_alpha simpo_gamma kto_desirable_weight "
            "kto_undesirable_weight max_prompt_len precompute_ref_log_probs reward_model process_reward_model "
            "center_rewards_coefficient num_labels ebft"
        ),
    ),
    KeyGroup(
        "axolotl_only",
        "axolotl plugins and custom trainers change the training loop",
        ("plugins", "trainer_cls"),
    ),
    KeyGroup(
        "axolotl_only",
        "a training method or loss ft-tui does not implement (ReLoRA, LISA, PoSE, GaLore, LoRA+, EAFT ...)",
        _keys(
            "relora relora_cpu_offload relora_prune_method relora_prune_ratio jagged_restart_steps "
            "jagged_restart_warmup_steps jagged_restart_anneal_steps lisa_n_layers lisa_step_interval "
            "lisa_layers_attribute use_pose pose_max_context_len pose_num_chunks pose_split_on_token_ids "
            "qgalore_cos_threshold qgalore_gamma_proj qgalore_proj_bits qgalore_proj_group_size qgalore_proj_quant "
            "qgalore_proj_type qgalore_queue_size qgalore_rank qgalore_scale qgalore_update_proj_gap "
            "loraplus_lr_ratio loraplus_lr_embedding use_eaft eaft_alpha eaft_k scaling_softmax scaling_softmax_bias "
            "scaling_softmax_factor"
        ),
    ),
    KeyGroup(
        "axolotl_only",
        "optimiser and learning-rate options ft-tui does not pass on (per-group rates, extra optimiser arguments)",
        _keys(
            "optim_args optim_target_modules lr_groups embedding_lr embedding_lr_scale cosine_constant_lr_ratio "
            "lr_quadratic_warmup lr_div_factor adam_beta3 adam_epsilon2 dion_lr dion_momentum dion_rank_fraction "
            "dion_rank_multiple_of auto_find_batch_size metric_for_best_model greater_is_better"
        ),
    ),
    KeyGroup(
        "axolotl_only",
        "which parameters train: LoRA/PEFT variants and freezing ft-tui does not build",
        _keys(
            "peft lora_target_parameters lora_alpha_pattern lora_rank_pattern peft_layer_replication "
            "peft_layers_pattern peft_layers_to_transform peft_init_lora_weights peft_trainable_token_indices "
            "peft_ensure_weight_tying peft_autocast_adapter_dtype unfrozen_parameters freeze_mm_modules reinit_weights"
        ),
    ),
    KeyGroup(
        "axolotl_only",
        "how the model, its precision or its quantisation is loaded differs from what ft-tui does",
        _keys(
            "gptq quantization qat model_quantization_config model_quantization_config_kwargs bnb_config_kwargs "
            "quantize_moe_experts fp8 fp8_config use_onebitllms bfloat16 float16 float32 sage_attention model_config "
            "model_kwargs cls_model_config"
        ),
    ),
    KeyGroup(
        "axolotl_only",
        "tokenizer, embedding and multimodal changes that alter the tokens or the model trained",
        _keys(
            "mean_resizing_embeddings shrink_embeddings resize_token_embeddings_to_32x added_tokens_overrides "
            "fix_untrained_tokens eot_tokens tokenizer_legacy tokenizer_use_mistral_common processor_type "
            "processor_kwargs image_size image_resize_algorithm role_boundaries chat_template_kwargs"
        ),
    ),
    KeyGroup(
        "axolotl_only",
        "data preparation ft-tui does not do (streaming, pre-training data, deduplication, sharding the whole set)",
        _keys(
            "pretraining_dataset streaming streaming_multipack_buffer_size pretrain_multipack_attn "
            "pretraining_sample_concatenation dataset_exact_deduplication dataset_shard_num dataset_shard_idx "
            "shuffle_before_merging_datasets eval_sequence_len dataloader_drop_last curriculum_sampling"
        ),
    ),
)

PLUGIN_KEYS = KeyGroup(
    "ignored", "read only by an axolotl plugin; listing that plugin in `plugins` is what changes the run"
)
NOT_IN_SCHEMA = KeyGroup("ignored", "not in axolotl's schema either; axolotl ignores it")
REFUSED = KeyGroup("refused", "axolotl no longer supports it and refuses a config that sets it")


def classify(key: str) -> KeyGroup | None:
    """The group of an axolotl key ft-tui does not model, or None for a key it models (or an unknown key)."""
    return _classification().get(key)


@cache
def _classification() -> dict[str, KeyGroup]:
    table = {key: group for group in GROUPS for key in group.keys}
    for entry in axolotl_catalog().top_level.values():
        special = _by_catalogue(entry)
        if special is not None:
            table[entry.name] = special
    return table


def _by_catalogue(entry: AxolotlKey) -> KeyGroup | None:
    if entry.refused:
        return REFUSED
    if entry.plugin:
        return PLUGIN_KEYS
    if entry.not_in_schema:
        return NOT_IN_SCHEMA
    return None


DATASET_GROUPS: tuple[KeyGroup, ...] = (
    KeyGroup("ignored", "splits axolotl's preprocessing into shards for speed", ("preprocess_shards",)),
    KeyGroup(
        "axolotl_only",
        "changes which rows are read or how they become tokens and labels, which ft-tui's data loaders do not do",
        _keys(
            "conversation input_format input_transform shards_idx field_human field_model "
            "field_thinking template_thinking_key split_thinking message_field_training "
            "message_field_training_detail train_on_eot logprobs_field temperature"
        ),
    ),
    KeyGroup(
        "axolotl_only",
        "a dataset key of preference or process-reward training (DPO, KTO, stepwise supervision)",
        ("field_chosen", "field_rejected", "step_separator", "max_completion_length", "train_on_last_step_only"),
    ),
)


def classify_dataset_key(key: str) -> KeyGroup | None:
    """The group of an axolotl dataset-entry key ft-tui does not model."""
    return next((group for group in DATASET_GROUPS if key in group.keys), None)


FT_TUI_ONLY_DATASET_KEYS = {
    "field_instruction": "type.field_instruction",
    "field_input": "type.field_input",
    "field_output": "type.field_output",
    "field_system": "type.field_system",
}
"""Dataset-entry keys ft-tui reads that axolotl's dataset schema lacks (axolotl reads them under a `type:`
mapping, and silently ignores them beside `type:`), with where axolotl wants them."""


def is_set(value: object) -> bool:
    """Whether a key asks for something: `false`, empty and null values leave axolotl's default in place."""
    return value not in (None, False, "", [], {})


def set_keys(config: RunConfig, verdict: Verdict) -> list[tuple[str, KeyGroup]]:
    """(key, group) for each axolotl key the config sets (top level and `datasets[i].key`) with this verdict:
    what the rules report and what the wizard's Review step lists per engine."""
    found = []
    for key, value in config.axolotl_keys().items():
        group = classify(key)
        if group is not None and group.verdict == verdict and is_set(value):
            found.append((key, group))
    for list_key in ("datasets", "test_datasets"):
        for index, entry in enumerate(getattr(config, list_key) or []):
            for key, value in (entry.model_extra or {}).items():
                group = classify_dataset_key(key)
                if group is not None and group.verdict == verdict and is_set(value):
                    found.append((f"{list_key}[{index}].{key}", group))
    return found
