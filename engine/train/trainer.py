"""transformers' Trainer with multipack batches, real-token accounting and a per-token evaluation loss."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import torch
from torch.utils.data import DataLoader
from transformers import Trainer
from transformers.trainer_utils import EvalLoopOutput

from engine.data.sampler import MultipackBatchSampler, PackedDataset, length_column
from engine.data.spans import IGNORE_INDEX

REAL_TOKENS = "num_real_tokens"
"""Batch key the counting collator adds and the trainer pops before the forward pass."""


class CountingCollator:
    """Wraps a collator and records the batch's real (non-padding) tokens, so tokens/s is never inflated by padding.

    Packed batches arrive as lists of bins (lists of samples), unpacked ones as lists of samples.
    """

    def __init__(self, inner: Callable[[Any], dict[str, Any]]) -> None:
        self.inner = inner

    def __call__(self, items: Sequence[Any]) -> dict[str, Any]:
        batch = self.inner(items)
        batch[REAL_TOKENS] = torch.tensor(sum(_sample_tokens(item) for item in items), dtype=torch.long)
        return batch


def _sample_tokens(item: Any) -> int:
    if isinstance(item, dict):
        return len(item["input_ids"])
    return sum(len(sample["input_ids"]) for sample in item)


class PackedTrainer(Trainer):
    """A Trainer whose data loaders yield multipack batches when packing is on.

    Loss accounting: every collator sets the label of each sample's first token to -100, so the Trainer's count of
    `labels[..., 1:] != -100` over the accumulated micro-batches is exactly the number of trained tokens, and the
    model divides its summed token losses by that count. The step loss is therefore the per-token mean over the
    whole accumulated batch, however the tokens are spread over packed rows (tests/train prove it).
    """

    def __init__(
        self,
        *args: Any,
        packing: bool,
        eval_packing: bool,
        sequence_len: int,
        seed: int,
        eval_collator: Callable[[Any], dict[str, Any]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.eval_collator = eval_collator or self.data_collator
        """Packed training may evaluate unpacked (a small eval split) and the other way round."""
        self.packing = packing
        self.eval_packing = eval_packing
        self.sequence_len = sequence_len
        self.seed = seed
        self.real_tokens = 0
        """Real tokens trained by this process since the run (or its resume) started."""

    def _save_checkpoint(self, model: Any, trial: Any) -> None:
        """Mark checkpoint-N as being written until the Trainer has written all of it (see SAVING_MARKER)."""
        from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

        from engine.atomic import discard_folder
        from engine.runs.checkpoints import SAVING_MARKER

        folder = Path(self._get_output_dir(trial=trial)) / f"{PREFIX_CHECKPOINT_DIR}-{self.state.global_step}"
        marker = folder / SAVING_MARKER
        if self.args.should_save:
            folder.mkdir(parents=True, exist_ok=True)
            marker.touch()
        try:
            super()._save_checkpoint(model, trial)
        except BaseException:  # a full disk, a second Ctrl-C: a half-written checkpoint is worth nothing
            if marker.exists():
                discard_folder(folder)
            raise
        if self.args.should_save:
            marker.unlink(missing_ok=True)

    def get_train_dataloader(self) -> DataLoader:
        if not self.packing:
            return super().get_train_dataloader()
        size = self.args.per_device_train_batch_size
        return self._packed_loader(self.train_dataset, size, self.data_collator, shuffle=True)

    def get_eval_dataloader(self, eval_dataset: Any = None) -> DataLoader:
        """Each process evaluates its own share of the split, every row exactly once.

        Unlike training, evaluation needs no equal batch counts (there is no gradient all-reduce), so nothing is
        dropped to even them out and nothing is repeated (accelerate's `even_batches` would repeat rows).
        """
        dataset: Any = eval_dataset if eval_dataset is not None else self.eval_dataset  # one datasets.Dataset
        size = self.args.per_device_eval_batch_size
        if self.eval_packing:
            return self._packed_loader(dataset, size, self.eval_collator, shuffle=False)
        world, rank = self.args.world_size, self.args.process_index
        return DataLoader(
            dataset,
            batch_size=size,
            sampler=list(range(rank, len(dataset), world)),
            collate_fn=self.eval_collator,
            num_workers=self.args.dataloader_num_workers,
            pin_memory=self.args.dataloader_pin_memory,
        )

    def _packed_loader(
        self, dataset: Any, micro_batch_size: int, collator: Callable[[Any], dict[str, Any]], *, shuffle: bool
    ) -> DataLoader:
        """Bins of samples per batch; the sampler is rank-aware, so accelerate's re-sharding is switched off.

        Training gives every rank the same number of batches (the ranks step together); evaluation covers every bin.
        """
        sampler = MultipackBatchSampler(
            length_column(dataset),
            self.sequence_len,
            micro_batch_size,
            seed=self.seed,
            shuffle=shuffle,
            world_size=self.args.world_size,
            rank=self.args.process_index,
            even=shuffle,
        )
        if not shuffle:
            # Evaluation: no accelerate wrapper, which would pad the ranks to equal batch counts by repeating bins.
            return DataLoader(
                PackedDataset(dataset),
                batch_sampler=sampler,
                collate_fn=collator,
                num_workers=self.args.dataloader_num_workers,
                pin_memory=self.args.dataloader_pin_memory,
            )
        loader = DataLoader(
            PackedDataset(dataset),
            batch_sampler=sampler,
            collate_fn=collator,
            num_workers=self.args.dataloader_num_workers,
            pin_memory=self.args.dataloader_pin_memory,
            prefetch_factor=self.args.dataloader_prefetch_factor if self.args.dataloader_num_workers else None,
        )
        prepared = self.accelerator.prepare(loader)
        shard = getattr(prepared, "batch_sampler", None)
        if shard is not None and getattr(shard, "batch_sampler", None) is sampler:
            shard.num_processes, shard.process_index = 1, 0
        return prepared

    def training_step(self, model: Any, inputs: dict[str, Any], num_items_in_batch: Any = None) -> torch.Tensor:
        self.real_tokens += int(inputs.pop(REAL_TOKENS, 0))
        return super().training_step(model, inputs, num_items_in_batch)

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        """Every log line carries the real tokens trained so far, summed over all processes."""
        logs["tokens_seen"] = self._all_processes_sum(self.real_tokens)
        super().log(logs, start_time)

    def _all_processes_sum(self, value: int) -> int:
        if self.args.world_size <= 1:
            return value
        tensor = torch.tensor(value, device=self.args.device, dtype=torch.long)
        return int(self.accelerator.reduce(tensor, reduction="sum").item())

    def _loss_scale(self) -> int:
        """The factor `compute_loss` multiplies a token-normalised loss by in a multi-process job.

        In training it cancels DDP's averaging of gradients over processes (the token count is the global one); in
        evaluation the count is this process's own, so the factor must be undone, or the eval loss of N processes
        reads N times too high.
        """
        if self.args.average_tokens_across_devices and (self.model_accepts_loss_kwargs or self.compute_loss_func):
            return max(1, self.accelerator.num_processes // self.get_tp_size())
        return 1

    def _eval_loss(self, model: Any, inputs: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor]:
        """(per-token mean loss, trained tokens) of one batch, both float64."""
        tokens = (inputs["labels"][..., 1:] != IGNORE_INDEX).sum()
        with torch.no_grad(), self.compute_loss_context_manager():
            loss = cast(torch.Tensor, self.compute_loss(model, inputs, num_items_in_batch=tokens))
        return (loss.detach() / self._loss_scale()).double(), tokens.double()

    def _most_batches(self, batches: int) -> int:
        count = torch.tensor(batches, device=self.args.device, dtype=torch.long)
        return int(self.accelerator.reduce(count, reduction="max").item())

    def evaluation_loop(
        self,
        dataloader: DataLoader,
        description: str,
        prediction_loss_only: bool | None = None,
        ignore_keys: list[str] | None = None,
        metric_key_prefix: str = "eval",
    ) -> EvalLoopOutput:
        """The eval loss as the mean over every trained token of the split (the Trainer's own loop averages per-batch
        means weighted by rows, which over-weights the tokens of short packed rows), and its perplexity.

        Each process evaluates its own batches, every row once; their sums are added over processes. A process
        with fewer batches repeats its last forward pass uncounted until all are done, because a sharded model
        (FSDP, ZeRO-3) gathers its weights from every process in each forward pass. Each batch done is announced
        to the callbacks (`on_prediction_step`), so a long evaluation reports its progress.
        """
        assert self.model is not None, "Trainer.__init__ sets the model"
        model = self._wrap_model(self.model, training=False)
        model.eval()
        totals = torch.zeros(2, dtype=torch.float64, device=self.args.device)
        rows = batches = 0
        last: dict[str, Any] | None = None
        self.callback_handler.eval_dataloader = dataloader  # as the Trainer's own loop: callbacks see the total
        for inputs in dataloader:
            inputs.pop(REAL_TOKENS, None)
            last = self._prepare_inputs(inputs)
            loss, tokens = self._eval_loss(model, last)
            totals += torch.stack([loss * tokens, tokens])
            rows += last["input_ids"].shape[0]
            batches += 1
            self.control = self.callback_handler.on_prediction_step(self.args, self.state, self.control)
        if self.args.world_size > 1:
            for _ in range(self._most_batches(batches) - batches):
                if last is not None:
                    self._eval_loss(model, last)
            totals = self.accelerator.reduce(totals, reduction="sum")
        mean = float(totals[0] / totals[1]) if totals[1] > 0 else float("nan")
        metrics = {
            f"{metric_key_prefix}_loss": mean,
            f"{metric_key_prefix}_perplexity": math.exp(min(mean, 50.0)),
            f"{metric_key_prefix}_tokens": int(totals[1]),
        }
        return EvalLoopOutput(
            predictions=None,  # type: ignore[arg-type]  # transformers types it as required; loss-only eval has none
            label_ids=None,
            metrics=metrics,
            num_samples=rows,
        )
