"""A ``transformers.Trainer`` whose loss weights each class: the subclass of the Trainer talk.

Main environment only (torch, transformers 5; the same code runs on transformers 4.57).
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import nn
from transformers import Trainer


class WeightedLossTrainer(Trainer):
    """``Trainer`` with a class-weighted cross-entropy loss for single-label classification.

    Build it like a ``Trainer`` plus ``class_weights``: one non-negative weight per class (a
    tensor or a sequence of numbers), for example from
    :func:`course_utils.class_weights.class_weights`. Its length must equal
    ``model.config.num_labels``, otherwise ``ValueError`` says so.

    The loss is ``nn.CrossEntropyLoss(weight=class_weights)`` with the default ``"mean"``
    reduction, i.e. the weighted mean over the batch: ``sum_i w[y_i] * loss_i / sum_i w[y_i]``.

    About ``num_items_in_batch``: the Trainer passes it to ``compute_loss`` so that a loss can
    be normalised over all micro-batches of one gradient-accumulation step. A weighted mean
    has its own normaliser (the sum of the weights, not the number of items), so this class
    accepts the argument and does not use it. Instead it tells the Trainer that its loss is a
    per-batch mean (``loss_is_scaled_for_ga = False`` in transformers 5,
    ``model_accepts_loss_kwargs = False`` for 4.57), and the Trainer divides it by the number
    of accumulation steps. Without gradient accumulation (the course's notebooks) this is
    exactly the weighted mean of each batch.

    Used in notebooks/01_trainer_weighted_loss.ipynb.
    """

    #: Our loss is a per-batch mean: the Trainer should divide it by the accumulation steps.
    loss_is_scaled_for_ga = False

    def __init__(self, *args: Any, class_weights: torch.Tensor | Sequence[float], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # transformers 4.57 reads this flag instead of `loss_is_scaled_for_ga`.
        self.model_accepts_loss_kwargs = False
        weights = torch.as_tensor(class_weights, dtype=torch.float32).detach()
        num_labels = self.model.config.num_labels
        if weights.ndim != 1 or weights.numel() != num_labels:
            raise ValueError(
                f"class_weights has {weights.numel()} value(s) in shape {tuple(weights.shape)}, but the "
                f"model has num_labels={num_labels}. Give exactly one weight per class, in label-id order."
            )
        if not torch.isfinite(weights).all() or (weights < 0).any():
            raise ValueError("class_weights must be finite and non-negative; recompute them from the training labels.")
        self.class_weights = weights

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        """Weighted cross-entropy of the model's logits (``num_items_in_batch``: see the class)."""
        labels = inputs["labels"]
        # Run the model without the labels: we compute the loss ourselves.
        outputs = model(**{key: value for key, value in inputs.items() if key != "labels"})
        logits = outputs.logits
        # The weights go wherever the logits are (CPU, GPU, ...), in the same precision.
        weights = self.class_weights.to(device=logits.device, dtype=logits.dtype)
        loss_fct = nn.CrossEntropyLoss(weight=weights)
        loss = loss_fct(logits.view(-1, logits.shape[-1]), labels.view(-1))
        return (loss, outputs) if return_outputs else loss
