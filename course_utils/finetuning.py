"""The ``TrainingArguments`` of notebook 01's fine-tuning runs.

Notebook 01 defines :func:`training_args` in its own cell (``#| bind: course_utils.finetuning``)
and trains both of its models with it; benchmarks/seed_spread.py reruns the same runs with other
seeds through this identical copy, so the benchmark measures exactly what the notebook does.
Main environment only (torch, transformers).
"""

from __future__ import annotations

import torch
from transformers import TrainingArguments

from course_utils.environment_info import fp16_supported
from course_utils.notebook_setup import show_progress


def training_args(run_name, settings, seed, push_to_hub=False):
    """Notebook 01's hyper-parameters for one run: sizes from the profile's ``settings``.

    Evaluates, saves and logs once per epoch, keeps the best epoch by validation macro F1 and
    reloads it at the end. ``run_name`` names the output folder under
    ``outputs/01_trainer_weighted_loss/``, relative to the working directory.

    Used in notebooks/01_trainer_weighted_loss.ipynb (defined there) and benchmarks/seed_spread.py.
    """
    return TrainingArguments(
        output_dir=f"outputs/01_trainer_weighted_loss/{run_name}",
        num_train_epochs=settings["epochs"],
        learning_rate=settings["learning_rate"],
        per_device_train_batch_size=settings["batch_size"],
        per_device_eval_batch_size=settings["batch_size"],
        weight_decay=0.01,
        fp16=fp16_supported(),  # mixed precision where a CUDA GPU supports it
        eval_strategy="epoch",
        save_strategy="epoch",
        logging_strategy="epoch",
        load_best_model_at_end=True,
        metric_for_best_model="f1_macro",
        save_total_limit=1,  # the best checkpoint and the latest one stay on disk
        save_only_model=True,  # no optimizer state: we never resume these runs
        seed=seed,
        dataloader_pin_memory=torch.cuda.is_available(),  # pinned memory only helps (and works) with a GPU
        disable_tqdm=not show_progress(),
        report_to="none",
        push_to_hub=push_to_hub,
        hub_model_id="minilm-finetuned-emotion" if push_to_hub else None,
        hub_private_repo=True,  # created private: publish it yourself once you have looked at it
    )
