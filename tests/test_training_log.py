"""The Trainer's log as a table, and the raw-dict printer switched off."""

from __future__ import annotations

from pathlib import Path

import pytest

from course_utils.training_log import log_table

HISTORY = [
    {"loss": 1.1, "grad_norm": 3.0, "learning_rate": 2e-4, "epoch": 1.0, "step": 38},
    {"eval_loss": 0.52, "eval_accuracy": 0.84, "eval_f1_macro": 0.67, "eval_f1_by_support": 0.82,
     "eval_runtime": 2.2, "eval_samples_per_second": 180.0, "epoch": 1.0, "step": 38},
    {"loss": 0.45, "grad_norm": 2.0, "learning_rate": 1e-4, "epoch": 2.0, "step": 76},
    {"eval_loss": 0.42, "eval_accuracy": 0.86, "eval_f1_macro": 0.80, "eval_f1_by_support": 0.86,
     "eval_runtime": 2.1, "epoch": 2.0, "step": 76},
    {"train_runtime": 76.0, "train_loss": 0.64, "epoch": 2.0, "step": 76},
]


def test_one_row_per_epoch_with_readable_columns() -> None:
    pytest.importorskip("pandas")
    table = log_table(HISTORY)
    assert list(table.index) == [1, 2] and table.index.name == "epoch"
    assert list(table.columns) == ["training loss", "validation loss", "accuracy", "macro F1", "F1 by support"]
    assert table.loc[2, "training loss"] == 0.45 and table.loc[1, "macro F1"] == 0.67


def test_a_log_without_evaluation_keeps_the_columns_it_has() -> None:
    pytest.importorskip("pandas")
    table = log_table([entry for entry in HISTORY if "eval_loss" not in entry])
    assert list(table.columns) == ["training loss"]


def test_an_empty_history_says_to_train_first() -> None:
    with pytest.raises(ValueError, match="train first"):
        log_table([{"train_runtime": 1.0, "epoch": 1.0}])


@pytest.mark.main_env
def test_the_trainer_prints_no_raw_dicts_once_the_printer_is_removed(tmp_path: Path, capsys) -> None:
    import torch
    from datasets import Dataset
    from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments
    from transformers.trainer_callback import PrinterCallback

    from course_utils.training_log import print_logs_as_table_only

    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32, num_labels=2)
    data = Dataset.from_dict({"input_ids": [[1, 2, 3]] * 4, "attention_mask": [[1, 1, 1]] * 4, "labels": [0, 1, 0, 1]})
    args = TrainingArguments(output_dir=str(tmp_path), num_train_epochs=1, per_device_train_batch_size=2, logging_strategy="epoch",
                             save_strategy="no", report_to="none", disable_tqdm=True, use_cpu=True, dataloader_pin_memory=False)
    trainer = Trainer(model=BertForSequenceClassification(config), args=args, train_dataset=data)
    assert any(isinstance(cb, PrinterCallback) for cb in trainer.callback_handler.callbacks)
    print_logs_as_table_only(trainer)
    trainer.train()
    assert capsys.readouterr().out == ""
    assert list(log_table(trainer.state.log_history).columns) == ["training loss"]
