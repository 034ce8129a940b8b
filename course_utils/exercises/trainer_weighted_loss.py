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

#: A second 6-class label set with other proportions than the emotion data's (a hard-coded answer fails one).
_OTHER_LABELS: list[int] = [i for i, count in enumerate([30, 5, 60, 15, 10, 80]) for _ in range(count)]
#: A 3-class label set whose classes first appear in the order 1, 0, 2 (not their id order).
_SMALL_LABELS: list[int] = [1, 0, 2, 0, 1, 0, 0, 1, 0, 0]

FOCAL_GAMMA = 2.0


def check_inverse_frequency(inverse_frequency_weights: Callable[[Any, int], Any]) -> Feedback:
    """Exercise 1: ``inverse_frequency_weights(labels, num_labels)`` -> float tensor, ``1/f`` scaled to mean 1.

    ``labels`` is a list of class ids, in no particular order. Checked on the emotion proportions,
    on a second 6-class set with other proportions (the same answer for both is a hard-coded one)
    and on a 3-class set; weight ``i`` must be class ``i``'s, and the weights must be computed, not
    taken from the package's ``class_weights`` helper. Used in notebooks/01_trainer_weighted_loss.ipynb.
    """
    names = list(EMOTION_COUNTS)
    emotion_labels = [i for i, count in enumerate(EMOTION_COUNTS.values()) for _ in range(count)]
    if _calls_class_weights_helper(inverse_frequency_weights):
        return not_yet(
            f"{getattr(inverse_frequency_weights, '__name__', 'your function')}() calls the course's class_weights "
            "helper: write the computation yourself (count each class, take 1 / frequency, divide by the mean)."
        )
    cases = [(_shuffled(emotion_labels, 0), len(names)), (_shuffled(_OTHER_LABELS, 1), len(names)), (_SMALL_LABELS, 3)]
    answers = []
    for labels, num_labels in cases:
        try:
            weights = call_learner_code(inverse_frequency_weights, list(labels), num_labels)
        except LearnerCodeError as error:
            return error.feedback
        problem = _weights_form_problem(weights, num_labels)
        if problem:
            return not_yet(problem)
        answers.append(weights.detach().cpu().double().numpy())
        if len(answers) == 2 and np.allclose(answers[0], answers[1], rtol=1e-4):
            return not_yet(
                "inverse_frequency_weights() gives the same weights for two different label lists: compute them "
                "from `labels` (count each class) instead of writing numbers in."
            )
    for (labels, num_labels), got in zip(cases, answers):
        problem = _weights_value_problem(got, labels, num_labels)
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
    num_items_in_batch`` when the Trainer passes that number. Checked on fixed logits (the value
    and its gradient with respect to them, so a constant fails), on a second batch of another
    shape, then in two training steps of a tiny model. Used in notebooks/01_trainer_weighted_loss.ipynb.
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
    problem = _gradient_problem(loss, logits, labels)
    if problem:
        return not_yet(problem)
    other_logits = (torch.randn(5, 3, generator=generator) * 3).requires_grad_()
    other_labels = torch.tensor([2, 0, 1, 1, 0])
    try:
        other = call_learner_code(focal_loss, SequenceClassifierOutput(logits=other_logits), other_labels)
    except LearnerCodeError as error:
        return error.feedback
    other_expected = _focal_terms(other_logits.detach(), other_labels, FOCAL_GAMMA).mean()
    if not isinstance(other, torch.Tensor) or other.numel() != 1:
        return not_yet("on a second batch focal_loss() did not return a one-number tensor: return the loss the same way for every batch.")
    other_value = other.detach().reshape(())
    if torch.isclose(other_value, value, rtol=1e-4):
        return not_yet(
            f"the loss is {value.item():.4f} on two different batches: compute it from outputs.logits and labels "
            "instead of returning a fixed number."
        )
    if not torch.isclose(other_value, other_expected, rtol=1e-4):
        return not_yet(
            f"on a second batch (5 examples, 3 classes) the loss is {other_value.item():.4f}, the focal loss is "
            f"{other_expected.item():.4f}: use the batch's own logits, labels and number of classes, nothing fixed."
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
    class, the input left as it was, and the features kept (``label`` stays a ``ClassLabel``,
    whose names the Trainer's ``id2label`` comes from). Used in notebooks/01_trainer_weighted_loss.ipynb.
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
    label_feature = result.features["label"]
    if label_feature != dataset.features["label"]:
        if isinstance(label_feature, ClassLabel):
            return not_yet(
                f"the right rows, but the 'label' column's class names are now {label_feature.names}: keep the "
                "dataset's features, e.g. with result.cast(dataset.features)."
            )
        return not_yet(
            f"the right rows, but the 'label' column lost its ClassLabel (the class names): it is now {label_feature}; "
            "keep the features, e.g. concatenate_datasets of dataset.select(...) keeps them, or cast back with "
            "result.cast(dataset.features)."
        )
    added = len(result) - len(dataset)
    return correct(
        f"every class has {largest} examples now; {added} of the {len(result)} rows are copies. A model sees the one "
        "surprise example 8 times per epoch: that is what it may memorise."
    )


def _shuffled(labels: list[int], seed: int) -> list[int]:
    """``labels`` in a fixed random order: classes then first appear in another order than their ids."""
    return [int(label) for label in np.random.default_rng(seed).permutation(labels)]


def _calls_class_weights_helper(function: Any) -> bool:
    """Whether ``function``'s code reaches ``course_utils.class_weights.class_weights``, however it was imported.

    Read from the bytecode, the function's and its nested functions': a global bound to the helper
    (``from course_utils.class_weights import class_weights [as cw]``), an import of it inside the
    function, or the attribute ``class_weights`` of a global bound to one of the package's modules.
    """
    import dis
    import importlib
    import types

    from course_utils import class_weights as helper_module

    code = getattr(function, "__code__", None)
    if code is None:
        return False
    namespace = getattr(function, "__globals__", {})
    loaded, attributes, imported = set(), set(), []
    stack = [code]
    while stack:
        current = stack.pop()
        stack.extend(const for const in current.co_consts if isinstance(const, types.CodeType))
        module = None
        for instruction in dis.get_instructions(current):
            if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
                loaded.add(instruction.argval)
            elif instruction.opname in ("LOAD_ATTR", "LOAD_METHOD"):
                attributes.add(instruction.argval)
            elif instruction.opname == "IMPORT_NAME":
                module = instruction.argval
                imported.append((module, None))
            elif instruction.opname == "IMPORT_FROM" and module:
                imported.append((module, instruction.argval))
    reached = [namespace.get(name) for name in loaded]
    for module, name in imported:
        if module.startswith("course_utils"):
            try:
                target = importlib.import_module(module)
                reached.append(target if name is None else getattr(target, name, None))
            except ImportError:
                continue
    if any(value is helper_module.class_weights for value in reached):
        return True
    modules = [value for value in reached if isinstance(value, types.ModuleType) and value.__name__.startswith("course_utils")]
    return bool(modules) and "class_weights" in attributes


def _weights_form_problem(weights: Any, num_labels: int) -> str | None:
    import torch

    if weights is None:
        return "inverse_frequency_weights() returned None: return a torch tensor with one weight per class."
    if not isinstance(weights, torch.Tensor):
        return f"inverse_frequency_weights() returned a {type(weights).__name__}: return a torch tensor (torch.tensor(..., dtype=torch.float32))."
    if not weights.is_floating_point():
        return f"the weights are a tensor of {weights.dtype}: weights are fractions, use dtype=torch.float32."
    if weights.shape != (num_labels,):
        return f"for {num_labels} classes the weights have shape {tuple(weights.shape)}: give exactly one weight per class."
    return None


def _weights_value_problem(got: np.ndarray, labels: list[int], num_labels: int) -> str | None:
    counts = np.bincount(np.asarray(labels), minlength=num_labels).astype(float)
    frequency = counts / counts.sum()
    expected = class_weights(labels, num_labels, "inverse_frequency").double().numpy()
    if np.allclose(got, expected, rtol=1e-4):
        return None
    if _proportional(got, 1 - frequency):
        return "these are the talk's 1 - frequency weights: this exercise wants weights proportional to 1 / frequency."
    if _proportional(got, 1 / (1 - frequency)):
        return "these are 1 / (1 - frequency), the inverse of the talk's weights: this exercise wants weights proportional to 1 / frequency."
    if np.allclose(np.sort(got), np.sort(expected), rtol=1e-4):
        return (
            "right weights, wrong order: the weight at position i must be class i's (a Counter lists the classes in the "
            "order they first appear), so count with np.bincount(labels, minlength=num_labels)."
        )
    if _proportional(got, expected):
        return f"the weights are proportional to 1 / frequency but average {got.mean():.3g}: divide them by their mean so they average 1."
    if _proportional(np.sort(got), np.sort(expected)):
        return (
            "the weights are proportional to 1 / frequency but in the wrong order: the weight at position i must be "
            "class i's, so count with np.bincount(labels, minlength=num_labels), then divide by the mean."
        )
    if np.corrcoef(got, frequency)[0, 1] > 0:
        return "the most frequent class gets the largest weight: rare classes should weigh more, use 1 / frequency."
    worst = int(np.argmax(np.abs(got - expected)))
    return f"for class {worst} the weight is {got[worst]:.4g} but 1 / frequency, scaled to average 1, gives {expected[worst]:.4g}."


def _proportional(got: np.ndarray, reference: np.ndarray) -> bool:
    """Whether ``got`` is ``reference`` times one positive number."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = got / reference
    return bool(np.all(np.isfinite(ratio)) and ratio[0] > 0 and np.allclose(ratio, ratio[0], rtol=1e-4))


def _gradient_problem(loss: Any, logits: Any, labels: Any) -> str | None:
    """What is wrong with the gradient of ``loss`` with respect to ``logits`` (None: the focal loss's)."""
    import torch

    try:
        (got,) = torch.autograd.grad(loss.reshape(()), logits, allow_unused=True)
    except RuntimeError:
        got = None
    if got is None or not torch.any(got != 0):
        return (
            "the loss does not change with outputs.logits, so training would learn nothing: compute it from the logits "
            "(a fixed number, even one with requires_grad=True, has no useful gradient)."
        )
    reference = logits.detach().double().requires_grad_()
    (want,) = torch.autograd.grad(_focal_terms(reference, labels, FOCAL_GAMMA).mean(), reference)
    if not torch.allclose(got.double(), want, rtol=1e-3, atol=1e-6):
        return (
            "the value is right but its gradient is not the focal loss's: keep every factor, (1 - p) ** 2 included, "
            "in the graph (no .detach(), .item() or numbers copied in)."
        )
    return None


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
