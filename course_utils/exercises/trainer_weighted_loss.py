"""Checkers for the exercises of notebook 01 (the Trainer with a weighted loss).

1. :func:`check_inverse_frequency`: weights proportional to ``1 / frequency``, averaging 1, and
   what they do to the rare class's share of the loss.
2. :func:`check_focal_loss`: a focal loss for ``Trainer(compute_loss_func=...)``.
3. :func:`check_upsample`: the talk's other remedy, duplicating rare examples until the classes
   are even.

Each runs in a second or two on a CPU, on data of its own. Main environment (torch, datasets,
transformers). Used in notebooks/01_trainer_weighted_loss.ipynb and its solutions notebook.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable

import numpy as np

from course_utils.class_weights import class_weights
from course_utils.exercises import Feedback, LearnerCodeError, call_learner_code, correct, not_yet

#: Training-set sizes per class with the emotion data's proportions (1,200 examples).
EMOTION_COUNTS: dict[str, int] = {"sadness": 348, "joy": 402, "love": 96, "anger": 162, "fear": 144, "surprise": 48}

FOCAL_GAMMA = 2.0


def check_inverse_frequency(inverse_frequency_weights: Callable[[Any, int], Any]) -> Feedback:
    """Exercise 1: ``inverse_frequency_weights(labels, num_labels)`` -> float tensor, ``1/f`` scaled to mean 1.

    ``labels`` is a list of class ids. Checked on the emotion proportions and on a 3-class set.
    Used in notebooks/01_trainer_weighted_loss.ipynb.
    """
    import torch

    names = list(EMOTION_COUNTS)
    emotion_labels = [i for i, count in enumerate(EMOTION_COUNTS.values()) for _ in range(count)]
    small_labels = [0, 0, 0, 0, 0, 0, 1, 1, 1, 2]
    for labels, num_labels in ((emotion_labels, len(names)), (small_labels, 3)):
        try:
            weights = call_learner_code(inverse_frequency_weights, list(labels), num_labels)
        except LearnerCodeError as error:
            return error.feedback
        problem = _weights_problem(weights, labels, num_labels)
        if problem:
            return not_yet(problem)
    counts = np.array(list(EMOTION_COUNTS.values()), dtype=float)
    yours = counts * class_weights(emotion_labels, len(names), "inverse_frequency").double().numpy()
    talks = counts * class_weights(emotion_labels, len(names), "one_minus_frequency").double().numpy()
    rare = names.index("surprise")
    return correct(
        f"with these weights each class carries {yours[rare] / yours.sum():.1%} of the training loss, surprise "
        f"included; with the talk's 1 - frequency weights surprise carried {talks[rare] / talks.sum():.1%}."
    )


def check_focal_loss(focal_loss: Callable[..., Any]) -> Feedback:
    """Exercise 2: ``focal_loss(outputs, labels, num_items_in_batch=None)`` with gamma 2, for ``compute_loss_func``.

    The focal loss of an example is ``(1 - p) ** gamma * cross_entropy``, ``p`` the predicted
    probability of its true class; the batch's loss is the mean, scaled by ``len(labels) /
    num_items_in_batch`` when the Trainer passes that number. Checked on fixed logits, then in
    two training steps of a tiny model. Used in notebooks/01_trainer_weighted_loss.ipynb.
    """
    import torch
    from transformers.modeling_outputs import SequenceClassifierOutput

    generator = torch.Generator().manual_seed(0)
    logits = (torch.randn(8, 4, generator=generator) * 2).requires_grad_()
    labels = torch.randint(0, 4, (8,), generator=generator)
    outputs = SequenceClassifierOutput(logits=logits)
    try:
        loss = call_learner_code(focal_loss, outputs, labels)
    except LearnerCodeError as error:
        return error.feedback
    if loss is None:
        return not_yet("focal_loss() returned None: return the loss, a tensor with one number.")
    if not isinstance(loss, torch.Tensor):
        return not_yet(f"focal_loss() returned a {type(loss).__name__}: return a torch tensor, so that the Trainer can backpropagate.")
    if loss.numel() != 1:
        return not_yet(f"the loss has shape {tuple(loss.shape)}: return one number, the mean over the batch.")
    if not loss.requires_grad:
        return not_yet("the loss carries no gradient: compute it with torch operations on outputs.logits (no .item(), .numpy() or torch.no_grad()).")
    per_example = _focal_terms(logits.detach(), labels, FOCAL_GAMMA)
    value = loss.detach().reshape(())
    if torch.isclose(value, per_example.mean(), rtol=1e-4):
        pass
    elif torch.isclose(value, per_example.sum(), rtol=1e-4):
        return not_yet("the loss is the sum over the batch: take the mean instead, so it does not grow with the batch size.")
    elif torch.isclose(value, _focal_terms(logits.detach(), labels, 0.0).mean(), rtol=1e-4):
        return not_yet("that is plain cross-entropy: multiply each example's loss by (1 - p) ** 2, p the probability of its true class.")
    elif torch.isclose(value, _focal_terms(logits.detach(), labels, 1.0).mean(), rtol=1e-4):
        return not_yet("(1 - p) is there but not squared: raise it to the power gamma = 2.")
    else:
        return not_yet(
            f"the loss is {value.item():.4f} on the checker's batch, the focal loss is {per_example.mean().item():.4f}: "
            "per example, (1 - p) ** 2 * cross-entropy with p = softmax(logits)[true class], then the mean."
        )
    try:
        shared = call_learner_code(focal_loss, outputs, labels, num_items_in_batch=torch.tensor(2 * len(labels)))
    except LearnerCodeError as error:
        return error.feedback
    if not isinstance(shared, torch.Tensor) or not torch.isclose(shared.detach().reshape(()), per_example.mean() / 2, rtol=1e-4):
        return not_yet(
            "with num_items_in_batch given (training), scale the batch's mean by len(labels) / num_items_in_batch, "
            "as weighted_loss does; otherwise gradient accumulation makes the gradients too large."
        )
    try:
        trained_losses = _two_training_steps(focal_loss)
    except LearnerCodeError as error:
        return error.feedback
    if not all(np.isfinite(trained_losses)):
        return not_yet(f"a Trainer using focal_loss logged the losses {trained_losses}: they must be finite numbers.")
    p = 0.9
    return correct(
        f"a Trainer trained with it for two steps. An example predicted right with p = {p} now weighs "
        f"(1 - {p}) ** 2 = {(1 - p) ** 2:.2f} of its cross-entropy, so the hard examples lead."
    )


def check_upsample(upsample: Callable[[Any], Any]) -> Feedback:
    """Exercise 3: ``upsample(dataset)`` repeats examples of the smaller classes until every class is as big as the largest.

    ``dataset`` is a ``datasets.Dataset`` with ``text`` and ``label`` columns. Every original
    example must stay, the largest class unchanged, each added row a copy of an example of its
    class, and the input left as it was. Used in notebooks/01_trainer_weighted_loss.ipynb.
    """
    from datasets import ClassLabel, Dataset, Features, Value

    counts = {"sadness": 6, "joy": 8, "love": 2, "anger": 4, "fear": 3, "surprise": 1}
    names = list(counts)
    rows = [(f"{name} example {i}", label) for label, name in enumerate(names) for i in range(counts[name])]
    features = Features({"text": Value("string"), "label": ClassLabel(names=names)})
    dataset = Dataset.from_dict({"text": [t for t, _ in rows], "label": [y for _, y in rows]}, features=features)
    dataset = dataset.shuffle(seed=0)
    before = (dict(dataset.format), dataset.to_dict())
    try:
        result = call_learner_code(upsample, dataset)
    except LearnerCodeError as error:
        return error.feedback
    if (dict(dataset.format), dataset.with_format(None).to_dict()) != before:
        return not_yet("upsample() changed the dataset it was given: build and return a new one.")
    if result is None:
        return not_yet("upsample() returned None: return the new dataset.")
    if not isinstance(result, Dataset):
        return not_yet(f"upsample() returned a {type(result).__name__}: return a datasets.Dataset (concatenate_datasets and select help).")
    if result.column_names != dataset.column_names:
        return not_yet(f"the result has the columns {result.column_names}: keep exactly {dataset.column_names}.")
    got = Counter(zip(result["text"], result["label"]))
    original = Counter(rows)
    invented = [text for (text, label) in got if (text, label) not in original]
    if invented:
        return not_yet(f"the row {invented[0]!r} (with its label) is not in the original data: only repeat existing examples, labels unchanged.")
    missing = [text for (text, label) in original if got[(text, label)] == 0]
    if missing:
        return not_yet(f"{len(missing)} original example(s) are missing, e.g. {missing[0]!r}: keep every example and add copies of the rare ones.")
    per_class = Counter(result["label"])
    largest = max(counts.values())
    wrong = [f"{names[label]} has {per_class[label]}" for label in range(len(names)) if per_class[label] != largest]
    if wrong:
        return not_yet(f"{', '.join(wrong)}: every class should have {largest} examples, as many as the largest class.")
    added = len(result) - len(dataset)
    return correct(
        f"every class has {largest} examples now; {added} of the {len(result)} rows are copies. A model sees the one "
        "surprise example 8 times per epoch: that is what it may memorise."
    )


def _weights_problem(weights: Any, labels: list[int], num_labels: int) -> str | None:
    import torch

    if weights is None:
        return "inverse_frequency_weights() returned None: return a torch tensor with one weight per class."
    if not isinstance(weights, torch.Tensor):
        return f"inverse_frequency_weights() returned a {type(weights).__name__}: return a torch tensor (torch.tensor(..., dtype=torch.float32))."
    if not weights.is_floating_point():
        return f"the weights are a tensor of {weights.dtype}: weights are fractions, use dtype=torch.float32."
    if weights.shape != (num_labels,):
        return f"for {num_labels} classes the weights have shape {tuple(weights.shape)}: give exactly one weight per class."
    counts = np.bincount(np.asarray(labels), minlength=num_labels).astype(float)
    frequency = counts / counts.sum()
    got = weights.detach().cpu().double().numpy()
    expected = class_weights(labels, num_labels, "inverse_frequency").double().numpy()
    if np.allclose(got, expected, rtol=1e-4):
        return None
    if np.allclose(got, 1 - frequency, rtol=1e-4):
        return "these are the talk's 1 - frequency weights: this exercise wants weights proportional to 1 / frequency."
    ratio = got / expected
    if np.all(np.isfinite(ratio)) and np.allclose(ratio, ratio[0], rtol=1e-4) and ratio[0] > 0:
        return f"the weights are proportional to 1 / frequency but average {got.mean():.3g}: divide them by their mean so they average 1."
    if np.corrcoef(got, frequency)[0, 1] > 0:
        return "the most frequent class gets the largest weight: rare classes should weigh more, use 1 / frequency."
    worst = int(np.argmax(np.abs(got - expected)))
    return f"for class {worst} the weight is {got[worst]:.4g} but 1 / frequency, scaled to average 1, gives {expected[worst]:.4g}."


def _focal_terms(logits: Any, labels: Any, gamma: float) -> Any:
    import torch

    log_p = torch.log_softmax(logits.double(), dim=-1).gather(1, labels[:, None]).squeeze(1)
    return ((1 - log_p.exp()) ** gamma * -log_p).to(logits.dtype)


def _two_training_steps(loss_func: Callable[..., Any]) -> list[float]:
    """Train a tiny random BERT for two steps with ``Trainer(compute_loss_func=loss_func)``; the logged losses."""
    import tempfile

    import torch
    from datasets import Dataset
    from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32, num_labels=3)
    data = Dataset.from_dict(
        {"input_ids": torch.randint(1, 50, (8, 5)).tolist(), "attention_mask": [[1] * 5] * 8, "labels": [0, 1, 2, 0, 1, 2, 0, 1]}
    )
    with tempfile.TemporaryDirectory() as folder:
        args = TrainingArguments(
            output_dir=folder, max_steps=2, per_device_train_batch_size=4, logging_steps=1, save_strategy="no",
            report_to="none", disable_tqdm=True, use_cpu=True, dataloader_pin_memory=False,
        )
        trainer = Trainer(model=BertForSequenceClassification(config), args=args, train_dataset=data, compute_loss_func=loss_func)
        from transformers.trainer_callback import PrinterCallback

        trainer.remove_callback(PrinterCallback)
        try:
            trainer.train()
        except Exception as error:  # noqa: BLE001 - reported as feedback
            raise LearnerCodeError(not_yet(f"a Trainer using focal_loss failed with {type(error).__name__}: {error}")) from None
    return [entry["loss"] for entry in trainer.state.log_history if "loss" in entry]
