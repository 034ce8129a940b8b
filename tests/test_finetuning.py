"""Notebook 01's TrainingArguments (bound to the notebook): what the comparison and the check rely on."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.main_env

SETTINGS = {"epochs": 3, "learning_rate": 3e-4, "batch_size": 32, "max_length": 64}


def test_sizes_come_from_the_profile_and_the_best_epoch_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from course_utils.finetuning import training_args

    monkeypatch.chdir(tmp_path)
    args = training_args("weighted", SETTINGS, seed=7)
    assert args.output_dir == "outputs/01_trainer_weighted_loss/weighted"
    assert (args.num_train_epochs, args.learning_rate, args.per_device_train_batch_size) == (3, 3e-4, 32)
    assert args.seed == 7
    assert args.load_best_model_at_end and args.metric_for_best_model == "f1_macro"
    assert args.eval_strategy == args.save_strategy == args.logging_strategy == "epoch"
    assert args.push_to_hub is False and args.hub_model_id is None
    assert args.report_to in ([], "none", ["none"])


def test_progress_bars_follow_the_course_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from course_utils.finetuning import training_args

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COURSE_QUIET", "1")
    assert training_args("a", SETTINGS, 0).disable_tqdm is True
    monkeypatch.setenv("COURSE_QUIET", "0")
    assert training_args("a", SETTINGS, 0).disable_tqdm is False


def test_pushing_names_the_course_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from course_utils.finetuning import training_args

    monkeypatch.chdir(tmp_path)
    args = training_args("weighted", SETTINGS, 0, push_to_hub=True)
    assert args.push_to_hub and args.hub_model_id == "minilm-finetuned-emotion"
    assert args.hub_private_repo is True
