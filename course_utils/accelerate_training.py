"""From a plain PyTorch loop to Accelerate: the loops of notebook 05 and what they need.

Notebook 05 defines :func:`make_dataloaders`, :func:`train_plain`, :func:`train_accelerate` and
:func:`training_function` in its own cells (``#| bind: course_utils.accelerate_training``); this
module keeps identical copies, which the script that ``accelerate launch`` runs, the scaling
benchmark and the unit tests use. :func:`load_emotion_for_training`, :func:`load_classifier` and
:func:`check_data_parallel` are helpers that hide nothing the talk teaches. Main environment
(torch, transformers, accelerate); imports them at import time.
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Any

import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from torch.utils.data import DataLoader
from datasets import load_dataset
from tqdm.auto import tqdm
from transformers import AutoTokenizer, DataCollatorWithPadding, get_linear_schedule_with_warmup

from course_utils.notebook_setup import show_progress


def load_emotion_for_training(assets):
    """The emotion data of ``assets``, tokenized as in notebook 01: ``(tokenizer, encoded, checkpoint, id2label)``.

    ``load_dataset`` by the talk's id (the smoke profile's local Hub or the Hub), cut to the profile's sizes;
    ``encoded`` keeps only what the model takes (``input_ids``, ``token_type_ids``, ``attention_mask``,
    ``labels``), so that batches go straight into the model. Used in notebooks/05_accelerate.ipynb and by
    :func:`training_function`.
    """
    emotions = assets.sized(load_dataset("dair-ai/emotion", "split"))  # this profile's sizes (or MAX_EXAMPLES)
    id2label = dict(enumerate(emotions["train"].features["label"].names))
    checkpoint = assets.checkpoint  # smoke: sentence-transformers/all-MiniLM-L6-v2; full: microsoft/MiniLM-L12-H384-uncased
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    encoded = emotions.map(
        lambda batch: tokenizer(batch["text"], truncation=True, max_length=64), batched=True, remove_columns=["text"]
    ).rename_column("label", "labels")
    return tokenizer, encoded, checkpoint, id2label


def load_classifier(checkpoint: str, id2label: dict[int, str]) -> Any:
    """The pretrained checkpoint with a new classification head, without the loading report on stderr.

    Seed first (``set_seed``) for a reproducible head. Used in notebooks/05_accelerate.ipynb and by
    :func:`training_function`.
    """
    import transformers
    from transformers import AutoModelForSequenceClassification

    verbosity = transformers.logging.get_verbosity()
    transformers.logging.set_verbosity_error()  # its report is long: the notebook prints the gist
    try:
        return AutoModelForSequenceClassification.from_pretrained(
            checkpoint, num_labels=len(id2label), id2label=id2label, label2id={v: k for k, v in id2label.items()}
        )
    finally:
        transformers.logging.set_verbosity(verbosity)


class DataParallelError(RuntimeError):
    """Processes launched together that do not train together. Used in notebooks/05_accelerate.ipynb."""


def check_data_parallel(accelerator: Any) -> None:
    """Raise :class:`DataParallelError` when this process was launched as one of several but trains alone.

    ``notebook_launcher`` and ``accelerate launch`` set ``WORLD_SIZE`` for every process they start.
    On a machine without a GPU, a plain ``Accelerator()`` ignores it and each process trains on the
    whole data by itself, without any error; ``Accelerator(cpu=True)`` joins them (over gloo).
    Used in notebooks/05_accelerate.ipynb (inside :func:`training_function`).
    """
    launched = int(os.environ.get("WORLD_SIZE", "1"))
    if launched > accelerator.num_processes:
        raise DataParallelError(
            f"This process was launched as one of {launched}, but its Accelerator sees {accelerator.num_processes}: "
            "each process would train alone on all the data. On a machine without a GPU, create "
            "Accelerator(cpu=True) inside the training function (or set ACCELERATE_USE_CPU=yes)."
        )


def reset_accelerator_state() -> None:
    """Forget the Accelerator this process created, so that the next one can use other settings.

    Accelerate keeps one shared state per process: a script creates one ``Accelerator`` and keeps
    it, but a notebook that tries several settings (mixed precision, accumulation) must clear it
    in between, and ``notebook_launcher`` refuses to start while one exists. Used in
    notebooks/05_accelerate.ipynb.
    """
    from accelerate.state import AcceleratorState

    AcceleratorState._reset_state(reset_partial_state=True)


def processes_to_launch(requested: int) -> tuple[int, str]:
    """How many processes ``notebook_launcher`` can start from this kernel, and why if fewer.

    It forks the notebook's process, and a forked child cannot use CUDA once the parent has:
    after a GPU training in the same kernel, several processes fail at start. Then this answers 1,
    with a sentence saying to restart the kernel (or use ``accelerate launch``) for more. Used in
    notebooks/05_accelerate.ipynb.
    """
    if requested > 1 and torch.cuda.is_available() and torch.cuda.is_initialized():
        return 1, (
            f"CUDA is already in use in this kernel, so notebook_launcher cannot fork {requested} processes: launching one. "
            "Restart the kernel and run this section first (or use accelerate launch, section 6) for several."
        )
    return requested, ""


def make_dataloaders(encoded, tokenizer, batch_size):
    """Shuffled training batches and evaluation batches, each padded to its own longest example.

    Used in notebooks/05_accelerate.ipynb (defined there) and by :func:`training_function`.
    """
    collator = DataCollatorWithPadding(tokenizer)
    train_dataloader = DataLoader(encoded["train"], batch_size=batch_size, shuffle=True, collate_fn=collator)
    eval_dataloader = DataLoader(encoded["validation"], batch_size=2 * batch_size, collate_fn=collator)
    return train_dataloader, eval_dataloader


def train_plain(model, train_dataloader, eval_dataloader, num_epochs, learning_rate):
    """A plain PyTorch training loop, then predictions on the evaluation data.

    Used in notebooks/05_accelerate.ipynb (defined there) and the unit tests.
    """
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model.to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, fused=True)
    num_training_steps = num_epochs * len(train_dataloader)
    scheduler = get_linear_schedule_with_warmup(optimizer, num_warmup_steps=0, num_training_steps=num_training_steps)
    losses = []
    for epoch in tqdm(range(num_epochs), desc="epochs", disable=not show_progress()):
        model.train()
        for batch in train_dataloader:
            batch = {key: value.to(device) for key, value in batch.items()}
            loss = model(**batch).loss
            loss.backward()
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            losses.append(loss.item())
    model.eval()
    predictions, references = [], []
    for batch in eval_dataloader:
        batch = {key: value.to(device) for key, value in batch.items()}
        with torch.no_grad():
            logits = model(**batch).logits
        predictions.append(logits.argmax(dim=-1))
        references.append(batch["labels"])
    return {"losses": losses, "predictions": torch.cat(predictions).cpu(), "references": torch.cat(references).cpu()}


def train_accelerate(accelerator, model, train_dataloader, eval_dataloader, num_epochs, learning_rate,
                     checkpoint_dir=None, start_epoch=0):
    """The same loop with Accelerate: any device, several processes, mixed precision, accumulation.

    With ``checkpoint_dir``, saves the whole training state after each epoch (``epoch_1``, ...);
    with ``start_epoch``, first loads the state saved after that epoch and goes on from there.
    Returns this process's losses and counts, and every process's predictions, gathered.

    Used in notebooks/05_accelerate.ipynb (defined there), by :func:`training_function`, the
    scaling benchmark and the unit tests.
    """
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, fused=True)
    num_training_steps = num_epochs * math.ceil(len(train_dataloader) / accelerator.gradient_accumulation_steps)
    scheduler = get_linear_schedule_with_warmup(optimizer, num_warmup_steps=0, num_training_steps=num_training_steps)
    model, optimizer, train_dataloader, eval_dataloader, scheduler = accelerator.prepare(
        model, optimizer, train_dataloader, eval_dataloader, scheduler
    )
    if start_epoch:
        accelerator.load_state(f"{checkpoint_dir}/epoch_{start_epoch}")
    losses, optimizer_steps = [], 0
    show = show_progress() and accelerator.is_main_process  # one progress bar, not one per process
    for epoch in tqdm(range(start_epoch, num_epochs), desc="epochs", disable=not show):
        model.train()
        for batch in train_dataloader:
            with accelerator.accumulate(model):
                loss = model(**batch).loss
                accelerator.backward(loss)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
            losses.append(loss.item())
            optimizer_steps += accelerator.sync_gradients
        if checkpoint_dir:
            accelerator.save_state(f"{checkpoint_dir}/epoch_{epoch + 1}")
    model.eval()
    predictions, references = [], []
    for batch in eval_dataloader:
        with torch.no_grad():
            logits = model(**batch).logits
        batch_predictions, batch_references = accelerator.gather_for_metrics((logits.argmax(dim=-1), batch["labels"]))
        predictions.append(batch_predictions)
        references.append(batch_references)
    return {
        "losses": losses,
        "batches": len(losses),
        "optimizer_steps": optimizer_steps,
        "predictions": torch.cat(predictions).cpu(),
        "references": torch.cat(references).cpu(),
        "model": model,
    }


def training_function(assets, results_dir, seed=42):
    """What each launched process runs: its own Accelerator, the data and model, the loop; a report per rank.

    Writes ``rank_<n>.json`` into ``results_dir``: this process's share of the batches and
    optimizer steps, how many predictions were gathered, and the evaluation's macro F1.

    Used in notebooks/05_accelerate.ipynb (defined there, launched with notebook_launcher) and by
    the script it runs with ``accelerate launch``.
    """
    from sklearn.metrics import f1_score

    accelerator = Accelerator(cpu=not torch.cuda.is_available())  # no GPU: the processes join over gloo
    check_data_parallel(accelerator)
    if accelerator.num_processes > 1:  # processes on one machine share its cores: a share of the threads each
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // accelerator.num_processes))
    set_seed(seed)
    tokenizer, encoded, checkpoint, id2label = load_emotion_for_training(assets)
    train_dataloader, eval_dataloader = make_dataloaders(encoded, tokenizer, assets.settings["batch_size"])
    model = load_classifier(checkpoint, id2label)
    start = time.perf_counter()
    result = train_accelerate(
        accelerator, model, train_dataloader, eval_dataloader, assets.settings["epochs"], assets.settings["learning_rate"]
    )
    Path(results_dir).mkdir(parents=True, exist_ok=True)
    report = {
        "rank": accelerator.process_index,
        "processes": accelerator.num_processes,
        "seconds": time.perf_counter() - start,
        "batches": result["batches"],
        "optimizer_steps": result["optimizer_steps"],
        "train_examples": len(encoded["train"]),
        "evaluated": len(result["predictions"]),
        "validation_examples": len(encoded["validation"]),
        "f1_macro": f1_score(result["references"], result["predictions"], average="macro", zero_division=0),
    }
    Path(results_dir, f"rank_{accelerator.process_index}.json").write_text(json.dumps(report))
    accelerator.end_training()


def read_rank_reports(results_dir: str | Path) -> list[dict[str, Any]]:
    """The reports :func:`training_function` wrote, by rank. Used in notebooks/05_accelerate.ipynb."""
    reports = [json.loads(path.read_text()) for path in sorted(Path(results_dir).glob("rank_*.json"))]
    if not reports:
        raise FileNotFoundError(f"No rank_*.json in {results_dir}: did the launched training fail? Look at its output above.")
    return sorted(reports, key=lambda report: report["rank"])


def source_diff(before: Any, after: Any, context: int = 1) -> str:
    """The lines that differ between two functions' source code, as a unified diff (``-`` before, ``+`` after).

    Works on functions defined in a notebook too (IPython keeps their cells' source). Used in
    notebooks/05_accelerate.ipynb.
    """
    import difflib
    import inspect

    return "\n".join(
        difflib.unified_diff(
            inspect.getsource(before).splitlines(),
            inspect.getsource(after).splitlines(),
            fromfile=before.__name__,
            tofile=after.__name__,
            lineterm="",
            n=context,
        )
    )
