"""WeightedLossTrainer: its loss against a hand-computed weighted cross-entropy, on a tiny
randomly initialised BERT (no downloads)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.main_env

NUM_LABELS = 3
WEIGHTS = [0.2, 1.0, 3.0]


@pytest.fixture
def torch():
    import torch

    return torch


def tiny_model():
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=100,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        num_labels=NUM_LABELS,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    return BertForSequenceClassification(config).eval()


def quiet_args(folder: Path, **arguments):
    """TrainingArguments for a CPU test run: no reports, no saving, no progress bars."""
    from transformers import TrainingArguments

    return TrainingArguments(
        output_dir=str(folder),
        report_to="none",
        disable_tqdm=True,
        save_strategy="no",
        use_cpu=True,
        dataloader_pin_memory=False,
        **arguments,
    )


def make_trainer(tmp_path: Path, model=None, class_weights=WEIGHTS, **arguments):
    from course_utils.weighted_trainer import WeightedLossTrainer

    args = quiet_args(tmp_path / "out", **arguments)
    return WeightedLossTrainer(model=model or tiny_model(), args=args, class_weights=class_weights)


def fixed_batch(device: str = "cpu"):
    import torch

    generator = torch.Generator().manual_seed(1)
    batch = {
        "input_ids": torch.randint(1, 100, (4, 6), generator=generator),
        "attention_mask": torch.ones(4, 6, dtype=torch.long),
        "labels": torch.tensor([0, 2, 1, 2]),
    }
    return {name: value.to(device) for name, value in batch.items()}


def weighted_cross_entropy_by_hand(logits, labels, weights):
    """sum_i w[y_i] * (-log softmax(logits_i)[y_i]) / sum_i w[y_i], written out."""
    log_probs = logits.log_softmax(dim=-1)
    per_example = -log_probs[range(len(labels)), labels]
    example_weights = weights[labels]
    return (example_weights * per_example).sum() / example_weights.sum()


def cuda_available() -> bool:
    try:
        import torch
    except ImportError:  # the keras environment, where these tests are skipped anyway
        return False
    return torch.cuda.is_available()


DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not cuda_available(), reason="no CUDA GPU"))]


@pytest.mark.parametrize("device", DEVICES)
def test_loss_is_the_hand_computed_weighted_cross_entropy(tmp_path: Path, torch, device: str) -> None:
    trainer = make_trainer(tmp_path)
    model = trainer.model.to(device)
    batch = fixed_batch(device)
    loss = trainer.compute_loss(model, batch)
    with torch.no_grad():
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    expected = weighted_cross_entropy_by_hand(logits, batch["labels"], torch.tensor(WEIGHTS, device=device))
    assert loss.device.type == device
    assert loss.ndim == 0
    assert torch.allclose(loss.detach(), expected, atol=1e-6)


def test_weighting_changes_the_loss(tmp_path: Path, torch) -> None:
    """Guard against a test that passes because the weights are ignored."""
    trainer = make_trainer(tmp_path)
    batch = fixed_batch()
    with torch.no_grad():
        logits = trainer.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    unweighted = torch.nn.functional.cross_entropy(logits, batch["labels"])
    assert not torch.allclose(trainer.compute_loss(trainer.model, batch).detach(), unweighted, atol=1e-4)


class FixedLogits:
    """A stand-in model that returns given logits, wherever they live (here: the meta device)."""

    def __init__(self, logits) -> None:
        self.logits = logits
        self.received: dict = {}

    def __call__(self, **inputs):
        from transformers.modeling_outputs import SequenceClassifierOutput

        self.received = inputs
        return SequenceClassifierOutput(logits=self.logits)


def test_weights_follow_the_logits_to_their_device(tmp_path: Path, torch) -> None:
    trainer = make_trainer(tmp_path)
    logits = torch.empty(4, NUM_LABELS, device="meta")
    loss = trainer.compute_loss(FixedLogits(logits), {"labels": torch.tensor([0, 1, 2, 1], device="meta")})
    assert loss.device.type == "meta" and loss.shape == ()
    assert trainer.class_weights.device.type == "cpu"  # the stored weights stay put


def test_weights_follow_the_logits_precision(tmp_path: Path, torch) -> None:
    trainer = make_trainer(tmp_path)
    logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]], dtype=torch.float64)
    labels = torch.tensor([2, 0])
    loss = trainer.compute_loss(FixedLogits(logits), {"labels": labels})
    assert loss.dtype == torch.float64
    expected = weighted_cross_entropy_by_hand(logits, labels, torch.tensor(WEIGHTS, dtype=torch.float64))
    assert torch.allclose(loss, expected)


def test_the_model_does_not_receive_the_labels_and_inputs_are_untouched(tmp_path: Path, torch) -> None:
    trainer = make_trainer(tmp_path)
    model = FixedLogits(torch.zeros(2, NUM_LABELS))
    inputs = {"input_ids": torch.ones(2, 3, dtype=torch.long), "labels": torch.tensor([0, 1])}
    trainer.compute_loss(model, inputs)
    assert set(model.received) == {"input_ids"}
    assert set(inputs) == {"input_ids", "labels"}


@pytest.mark.parametrize("value", [1.0, 2.5])
def test_equal_weights_give_the_unweighted_loss(tmp_path: Path, torch, value: float) -> None:
    trainer = make_trainer(tmp_path, class_weights=[value] * NUM_LABELS)
    batch = fixed_batch()
    with torch.no_grad():
        model_loss = trainer.model(**batch).loss  # the model's own, unweighted cross-entropy
    assert torch.allclose(trainer.compute_loss(trainer.model, batch).detach(), model_loss, atol=1e-6)


def test_return_outputs_gives_the_loss_and_the_model_outputs(tmp_path: Path, torch) -> None:
    trainer = make_trainer(tmp_path)
    batch = fixed_batch()
    loss, outputs = trainer.compute_loss(trainer.model, batch, return_outputs=True)
    assert outputs.logits.shape == (4, NUM_LABELS)
    assert torch.allclose(loss, trainer.compute_loss(trainer.model, batch))
    assert torch.allclose(loss, weighted_cross_entropy_by_hand(outputs.logits, batch["labels"], torch.tensor(WEIGHTS)))


@pytest.mark.parametrize("num_items", [None, 4, "tensor"])
def test_num_items_in_batch_is_accepted(tmp_path: Path, torch, num_items) -> None:
    trainer = make_trainer(tmp_path)
    batch = fixed_batch()
    if num_items == "tensor":
        num_items = torch.tensor(4)
    reference = trainer.compute_loss(trainer.model, batch)
    assert torch.allclose(trainer.compute_loss(trainer.model, batch, num_items_in_batch=num_items), reference)
    assert torch.allclose(trainer.compute_loss(trainer.model, batch, False, num_items), reference)


def test_gradient_accumulation_divides_the_per_batch_mean(tmp_path: Path, torch) -> None:
    """The loss is a per-batch weighted mean, so the Trainer must divide it by the accumulation steps."""
    trainer = make_trainer(tmp_path, gradient_accumulation_steps=2)
    trainer.current_gradient_accumulation_steps = 2  # set by the training loop in train()
    batch = fixed_batch()
    with torch.no_grad():
        full = trainer.compute_loss(trainer.model, batch)
    step_loss = trainer.training_step(trainer.model, fixed_batch(), num_items_in_batch=torch.tensor(8))
    assert torch.allclose(step_loss, full / 2, atol=1e-6)


def test_class_weights_accept_a_sequence_and_are_stored_as_float32(tmp_path: Path, torch) -> None:
    trainer = make_trainer(tmp_path, class_weights=(1, 2, 3))
    assert trainer.class_weights.dtype == torch.float32
    assert trainer.class_weights.tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("weights", [[1.0, 2.0], [1.0, 2.0, 3.0, 4.0], [[1.0, 2.0, 3.0]]], ids=["short", "long", "2-D"])
def test_class_weights_of_the_wrong_length_are_refused(tmp_path: Path, weights) -> None:
    with pytest.raises(ValueError, match=r"but the model has num_labels=3\. Give exactly one weight per class"):
        make_trainer(tmp_path, class_weights=weights)


@pytest.mark.parametrize("weights", [[1.0, -1.0, 1.0], [1.0, float("nan"), 1.0]], ids=["negative", "nan"])
def test_negative_or_missing_weights_are_refused(tmp_path: Path, weights) -> None:
    with pytest.raises(ValueError, match="finite and non-negative"):
        make_trainer(tmp_path, class_weights=weights)


def test_train_and_evaluate_end_to_end(tmp_path: Path, torch) -> None:
    """A few real steps through train() and evaluate(); eval_loss is the weighted loss."""
    from datasets import Dataset

    generator = torch.Generator().manual_seed(2)
    rows = {
        "input_ids": torch.randint(1, 100, (8, 6), generator=generator).tolist(),
        "attention_mask": [[1] * 6] * 8,
        "labels": [0, 1, 2, 2, 1, 0, 2, 1],
    }
    data = Dataset.from_dict(rows)
    trainer = make_trainer(tmp_path, num_train_epochs=1, per_device_train_batch_size=4, per_device_eval_batch_size=8)
    trainer.train_dataset = data
    trainer.eval_dataset = data
    trainer.train()
    assert trainer.state.global_step == 2
    metrics = trainer.evaluate()
    everything = data.with_format("torch")[:]
    with torch.no_grad():
        logits = trainer.model(input_ids=everything["input_ids"], attention_mask=everything["attention_mask"]).logits
    expected = weighted_cross_entropy_by_hand(logits, everything["labels"], torch.tensor(WEIGHTS))
    assert metrics["eval_loss"] == pytest.approx(expected.item(), abs=1e-5)


# --- the lighter route: Trainer(compute_loss_func=weighted_loss(class_weights)) ---------------


def plain_trainer(tmp_path: Path, model=None, **arguments):
    import torch
    from transformers import Trainer

    from course_utils.weighted_trainer import weighted_loss

    args = quiet_args(tmp_path / "plain", **arguments)
    return Trainer(model=model or tiny_model(), args=args, compute_loss_func=weighted_loss(torch.tensor(WEIGHTS)))


def test_loss_func_gives_the_subclass_loss_on_one_batch(tmp_path: Path, torch) -> None:
    subclass = make_trainer(tmp_path)
    light = plain_trainer(tmp_path, model=subclass.model)
    expected = subclass.compute_loss(subclass.model, fixed_batch())
    assert torch.allclose(light.compute_loss(light.model, fixed_batch()), expected, atol=1e-7)
    # During training the Trainer passes the size of the (accumulated) batch: one batch, same loss.
    assert torch.allclose(light.compute_loss(light.model, fixed_batch(), num_items_in_batch=torch.tensor(4)), expected)


def test_loss_func_takes_its_share_of_an_accumulated_batch(tmp_path: Path, torch) -> None:
    from transformers.modeling_outputs import SequenceClassifierOutput

    from course_utils.weighted_trainer import weighted_loss

    logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3], [1.0, 1.0, 0.0], [0.0, 0.0, 3.0]])
    labels = torch.tensor([2, 0, 1, 2])
    loss_func = weighted_loss(WEIGHTS)  # a plain list works too
    mean = weighted_cross_entropy_by_hand(logits, labels, torch.tensor(WEIGHTS))
    outputs = SequenceClassifierOutput(logits=logits)
    assert torch.allclose(loss_func(outputs, labels), mean)
    assert torch.allclose(loss_func(outputs, labels, num_items_in_batch=torch.tensor(12)), mean / 3)


def test_both_routes_train_the_same_model_under_gradient_accumulation(tmp_path: Path, torch) -> None:
    """Two accumulated batches of 2: the subclass and the loss function end with the same weights."""
    from datasets import Dataset

    generator = torch.Generator().manual_seed(3)
    data = Dataset.from_dict(
        {
            "input_ids": torch.randint(1, 100, (8, 6), generator=generator).tolist(),
            "attention_mask": [[1] * 6] * 8,
            "labels": [0, 1, 2, 2, 1, 0, 2, 1],
        }
    )
    arguments = dict(num_train_epochs=1, per_device_train_batch_size=2, gradient_accumulation_steps=2, seed=0)
    subclass = make_trainer(tmp_path, **arguments)
    light = plain_trainer(tmp_path, **arguments)
    for trainer in (subclass, light):
        trainer.train_dataset = data
        trainer.train()
        assert trainer.state.global_step == 2
    for (name, ours), (_, theirs) in zip(subclass.model.named_parameters(), light.model.named_parameters()):
        assert torch.allclose(ours, theirs, atol=1e-6), name
    untouched = tiny_model()
    assert not torch.allclose(untouched.classifier.weight, subclass.model.classifier.weight)  # it did train
