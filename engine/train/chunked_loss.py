"""The causal-LM loss computed a chunk of tokens at a time, so the [tokens x vocabulary] logits never exist whole.

transformers computes `lm_head(hidden)` for every token, upcasts it to float32 and runs cross-entropy on it: at long
sequences those logits, the log-softmax kept for backward and their gradient are among the largest tensors of a step
(4096 tokens x 49k vocabulary is 0.8 GB each in float32). Here a custom autograd Function walks the tokens that
have a target in chunks (prompt tokens get no logits at all): each chunk's logits are made, turned into its loss and,
when training, at once into the gradients of the hidden states (and of the head's weight when it trains), then
dropped. Nothing is recomputed in backward, which only scales the stored gradients, so the arithmetic is that of the
unchunked loss, with a fraction of its memory and without the head's work for untrained tokens. Plain torch,
so the same path runs on CPU and GPU.

The loss is transformers' own definition (labels shifted by one, -100 ignored, float32 logits, summed and divided by
`num_items_in_batch` when the Trainer passes it, the mean otherwise), so the step loss and the per-token accounting
of tests/train are unchanged.
"""

from __future__ import annotations

import types
from typing import Any

import torch
import torch.nn.functional as F

from engine.data.spans import IGNORE_INDEX

# The chunk size and the model types live beside the memory estimate, which counts one chunk of logits for them.
from engine.models.facts import CHUNKED_LOSS_MODEL_TYPES, LOSS_CHUNK_ELEMENTS


class ChunkedLinearCrossEntropy(torch.autograd.Function):
    """Summed cross-entropy of `hidden @ weight.T (+ bias)` against `targets`, with gradients made in forward."""

    @staticmethod
    def forward(
        ctx: Any,
        hidden: torch.Tensor,
        weight: torch.Tensor,
        bias: torch.Tensor | None,
        targets: torch.Tensor,
        chunk_tokens: int,
    ) -> torch.Tensor:
        need_hidden, need_weight = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        need_bias = bias is not None and ctx.needs_input_grad[2]
        total = torch.zeros((), dtype=torch.float32, device=hidden.device)
        grad_hidden = torch.zeros_like(hidden) if need_hidden else None
        grad_weight = torch.zeros_like(weight, dtype=torch.float32) if need_weight else None
        grad_bias = torch.zeros_like(bias, dtype=torch.float32) if need_bias and bias is not None else None
        # Tokens without a target (prompts, padding, each sample's last token) add nothing to the loss or the
        # gradients, so their logits are never made: the head's matmuls run over the trained tokens only.
        trained = (targets != IGNORE_INDEX).nonzero().squeeze(1)
        for start in range(0, trained.shape[0], chunk_tokens):
            rows = trained[start : start + chunk_tokens]
            part = hidden.index_select(0, rows)
            goal = targets.index_select(0, rows).unsqueeze(1)
            logits = F.linear(part, weight, bias).float()
            log_norm = torch.logsumexp(logits, dim=-1)
            total += (log_norm - logits.gather(1, goal).squeeze(1)).sum()
            if grad_hidden is None and grad_weight is None and grad_bias is None:
                continue
            # d(loss)/d(logits) = softmax - one_hot(target), built in place of the logits.
            grad_logits = logits.sub_(log_norm.unsqueeze(1)).exp_()
            grad_logits.scatter_add_(1, goal, torch.full_like(log_norm, -1.0).unsqueeze(1))
            if grad_hidden is not None:
                grad_hidden.index_copy_(0, rows, grad_logits.to(weight.dtype) @ weight)
            if grad_weight is not None:
                grad_weight += grad_logits.t() @ part.float()
            if grad_bias is not None:
                grad_bias += grad_logits.sum(0)
        ctx.save_for_backward(
            grad_hidden,
            None if grad_weight is None else grad_weight.to(weight.dtype),
            None if grad_bias is None or bias is None else grad_bias.to(bias.dtype),
        )
        return total

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        grad_hidden, grad_weight, grad_bias = ctx.saved_tensors
        scale = grad_output.to(torch.float32)
        return (
            None if grad_hidden is None else grad_hidden * scale.to(grad_hidden.dtype),
            None if grad_weight is None else grad_weight * scale.to(grad_weight.dtype),
            None if grad_bias is None else grad_bias * scale.to(grad_bias.dtype),
            None,
            None,
        )


def chunk_tokens_for(vocab_size: int) -> int:
    return max(1, LOSS_CHUNK_ELEMENTS // max(1, vocab_size))


def causal_lm_loss(
    hidden: torch.Tensor,
    head: torch.nn.Linear,
    labels: torch.Tensor,
    num_items_in_batch: torch.Tensor | int | None = None,
    chunk_tokens: int | None = None,
) -> torch.Tensor:
    """transformers' ForCausalLMLoss over `head(hidden)`, computed in chunks: [B, L, H] hidden, [B, L] labels."""
    shifted = F.pad(labels, (0, 1), value=IGNORE_INDEX)[..., 1:].reshape(-1).to(hidden.device)
    flat = hidden.reshape(-1, hidden.shape[-1])
    size = chunk_tokens or chunk_tokens_for(head.weight.shape[0])
    total = ChunkedLinearCrossEntropy.apply(flat, head.weight, head.bias, shifted, size)
    if num_items_in_batch is None:
        return total / (shifted != IGNORE_INDEX).sum().clamp(min=1)
    if torch.is_tensor(num_items_in_batch):
        num_items_in_batch = num_items_in_batch.to(total.device)
    return total / num_items_in_batch


def supports_chunked_loss(model: Any) -> tuple[bool, str]:
    """Whether the model's forward is the standard decoder + linear head, so the chunked loss gives the same result."""
    model_type = getattr(getattr(model, "config", None), "model_type", None)
    if model_type not in CHUNKED_LOSS_MODEL_TYPES:
        return False, f"loss: the model's own (chunked loss is not known to match {model_type!r} models)"
    if not isinstance(model.get_output_embeddings(), torch.nn.Linear):
        return False, "loss: the model's own (its output head is not a plain linear layer)"
    return True, "loss: computed in chunks of tokens, the full logits are never held (chunked cross-entropy)"


def use_chunked_loss(model: Any) -> str:
    """Route the training/eval loss of a causal LM through `causal_lm_loss`; returns a note for the log.

    The instance's forward is replaced, so whatever wraps the model later (peft, DDP, accelerate) calls it. Calls
    without labels (generation, inference) and any the chunked loss does not cover go to the original forward.
    """
    supported, note = supports_chunked_loss(model)
    if not supported:
        return note
    original = model.forward

    def forward(self: Any, *args: Any, labels: torch.Tensor | None = None, **kwargs: Any) -> Any:
        head = self.get_output_embeddings()
        plain = type(head) is torch.nn.Linear
        if args or labels is None or not plain or kwargs.get("shift_labels") is not None:
            return original(*args, labels=labels, **kwargs)
        from transformers.modeling_outputs import CausalLMOutputWithPast

        num_items = kwargs.pop("num_items_in_batch", None)
        kwargs.pop("logits_to_keep", None)
        kwargs.pop("return_dict", None)
        outputs = self.get_decoder()(**kwargs)
        loss = causal_lm_loss(outputs.last_hidden_state, head, labels, num_items)
        return CausalLMOutputWithPast(loss=loss, hidden_states=outputs.hidden_states, attentions=outputs.attentions)

    model.forward = types.MethodType(forward, model)
    return note
