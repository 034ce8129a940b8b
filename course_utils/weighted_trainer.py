"""The Trainer talk's weighted loss, two ways: a ``Trainer`` subclass, and a ``compute_loss_func``.

Notebook 01 defines both in its own cells (``#| bind: course_utils.weighted_trainer``); this
module keeps identical copies for the seed benchmark and the unit tests, and
tests/test_notebook_bindings.py fails when the two drift apart.

Main environment only (torch, transformers 5; the subclass also runs on transformers 4.57).
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import Trainer


class WeightedLossTrainer(Trainer):
    """``Trainer`` with a class-weighted cross-entropy loss for single-label classification.

    Build it like a ``Trainer`` plus ``class_weights``: one non-negative weight per class (a
    tensor or a sequence of numbers), in label-id order. A wrong length, a negative or a NaN
    weight is a ``ValueError`` that says what to do.

    The loss is ``nn.CrossEntropyLoss(weight=class_weights)`` with its default ``"mean"``
    reduction, the weighted mean over the batch: ``sum_i w[y_i] * loss_i / sum_i w[y_i]``.

    About ``num_items_in_batch``: the Trainer passes it so that a loss can be normalised over
    all the batches of one gradient-accumulation step. A weighted mean has its own normaliser
    (the sum of the weights), so this class leaves it aside and tells the Trainer that its loss
    is a per-batch mean (``loss_is_scaled_for_ga = False`` in transformers 5,
    ``model_accepts_loss_kwargs = False`` in 4.57); the Trainer then divides it by the number of
    accumulation steps. Without those flags, gradient accumulation over N batches would make the
    gradients N times too large.

    Used in notebooks/01_trainer_weighted_loss.ipynb (defined there) and benchmarks/seed_spread.py.
    """

    # Our loss is the mean over one batch: the Trainer must divide it by the accumulation steps.
    loss_is_scaled_for_ga = False

    def __init__(self, *args, class_weights, **kwargs):
        super().__init__(*args, **kwargs)
        self.model_accepts_loss_kwargs = False  # what transformers 4.57 reads instead of the flag above
        weights = torch.as_tensor(class_weights, dtype=torch.float32)
        num_labels = self.model.config.num_labels
        if weights.shape != (num_labels,):
            raise ValueError(
                f"class_weights has shape {tuple(weights.shape)}, but the model has num_labels={num_labels}. "
                "Give exactly one weight per class, in label-id order."
            )
        if not torch.isfinite(weights).all() or (weights < 0).any():
            raise ValueError("class_weights must be finite and non-negative; recompute them from the training labels.")
        self.class_weights = weights

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        """The weighted cross-entropy of the model's logits against the batch's labels."""
        labels = inputs["labels"]
        # Run the model without the labels, so that it does not compute its own (unweighted) loss.
        outputs = model(**{key: value for key, value in inputs.items() if key != "labels"})
        logits = outputs.logits
        # The weights go wherever the logits are (CPU, GPU, ...), in the same precision.
        weights = self.class_weights.to(device=logits.device, dtype=logits.dtype)
        loss_fct = nn.CrossEntropyLoss(weight=weights)
        loss = loss_fct(logits.view(-1, logits.shape[-1]), labels.view(-1))
        return (loss, outputs) if return_outputs else loss


def weighted_loss(class_weights):
    """A ``compute_loss_func`` for the plain ``Trainer``: the same weighted cross-entropy, no subclass.

    ``Trainer(..., compute_loss_func=weighted_loss(class_weights))`` gives the loss of
    :class:`WeightedLossTrainer` on every batch. The Trainer counts a ``compute_loss_func``'s loss
    as already normalised over the whole accumulated batch, so each batch's weighted mean is
    scaled by its share of that batch (``len(labels) / num_items_in_batch``): 1 without gradient
    accumulation, ``1 / steps`` with equal batches, as the subclass gets.

    Used in notebooks/01_trainer_weighted_loss.ipynb (defined there) and its solutions notebook.
    """
    class_weights = torch.as_tensor(class_weights, dtype=torch.float32)

    def compute_loss(outputs, labels, num_items_in_batch=None):
        logits = outputs.logits
        weights = class_weights.to(device=logits.device, dtype=logits.dtype)
        loss = nn.functional.cross_entropy(logits, labels, weight=weights)
        if num_items_in_batch is not None:  # training: this batch's share of the accumulated batch
            loss = loss * labels.numel() / num_items_in_batch
        return loss

    return compute_loss
