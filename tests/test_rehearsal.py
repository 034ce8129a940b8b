"""The rehearsal Hub: stand-ins under the full profile's ids, shaped like the real repositories."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils import rehearsal

pytestmark = pytest.mark.main_env

REPO_ROOT = Path(__file__).resolve().parents[1]


def run_python(code: str, env: dict[str, str], python: Path | str = sys.executable) -> dict:
    """Run ``code`` in a fresh interpreter (so HF_ENDPOINT takes effect); it prints one JSON line last."""
    done = subprocess.run([str(python), "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_seeding_again_changes_nothing(rehearsal_hub) -> None:
    from huggingface_hub import HfApi

    api = HfApi(endpoint=rehearsal_hub.endpoint, token=rehearsal_hub.token)
    repos = [(spec.repo_id, "dataset") for spec in rehearsal.DATASETS] + [(spec.repo_id, "model") for spec in rehearsal.CHECKPOINTS]
    before = {repo: api.repo_info(repo, repo_type=kind).sha for repo, kind in repos}
    again = rehearsal.seed(api, rehearsal.MAIN_PARTS, log=lambda line: None)
    assert set(again.values()) == {"up to date"}
    assert {repo: api.repo_info(repo, repo_type=kind).sha for repo, kind in repos} == before


def test_the_full_profiles_loading_code_finds_the_real_shapes(rehearsal_hub, tmp_path: Path) -> None:
    code = """
import json
from course_utils.assets import load_course_dataset
from course_utils.profiles import notebook_assets
shapes = {}
for notebook in ("01", "02", "04"):
    data = load_course_dataset(notebook_assets(notebook, "full"))
    first = next(iter(data.values()))
    shapes[notebook] = {
        "sizes": {split: len(d) for split, d in data.items()},
        "columns": first.column_names,
        "labels": first.features["label"].names if "label" in first.features else None,
    }
from datasets import load_dataset
cola_test = load_dataset("nyu-mll/glue", "cola", split="test")
shapes["cola_test_labels"] = sorted(set(cola_test["label"]))
print(json.dumps(shapes))
"""
    shapes = run_python(code, rehearsal_hub.env(tmp_path))
    assert shapes["01"] == {
        "sizes": {"train": 16000, "validation": 2000, "test": 2000},
        "columns": ["text", "label"],
        "labels": ["sadness", "joy", "love", "anger", "fear", "surprise"],
    }
    assert shapes["02"] == {
        "sizes": {"train": 8551, "validation": 1043},
        "columns": ["sentence", "label", "idx"],
        "labels": ["unacceptable", "acceptable"],
    }
    assert shapes["04"] == {"sizes": {"train": 36718, "validation": 3760}, "columns": ["text"], "labels": None}
    assert shapes["cola_test_labels"] == [-1]


def test_checkpoints_have_the_real_architectures_and_tokenizers(rehearsal_hub, tmp_path: Path) -> None:
    code = """
import json
from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer
from course_utils.assets import resolve_checkpoint
minilm = resolve_checkpoint("microsoft/MiniLM-L12-H384-uncased")
model = AutoModelForSequenceClassification.from_pretrained(minilm, num_labels=6)
gpt2 = AutoTokenizer.from_pretrained("openai-community/gpt2")
bert = AutoTokenizer.from_pretrained(minilm)
distilbert = AutoTokenizer.from_pretrained("distilbert/distilbert-base-uncased")
print(json.dumps({
    "minilm": [model.config.num_hidden_layers, model.config.hidden_size, sum(p.numel() for p in model.bert.parameters())],
    "distilbert": AutoConfig.from_pretrained("distilbert/distilbert-base-uncased").to_dict()["n_layers"],
    "gpt2": [len(gpt2), gpt2.eos_token, gpt2.convert_tokens_to_ids("<|endoftext|>"), gpt2.model_max_length,
             gpt2.decode(gpt2("Hello, rehearsal! 🙂")["input_ids"])],
    "bert": [bert.tokenize("Hello, Rehearsal!"), distilbert("a b", "c")["token_type_ids"]],
}))
"""
    found = run_python(code, rehearsal_hub.env(tmp_path))
    assert found["minilm"][:2] == [12, 384] and 33_000_000 < found["minilm"][2] < 34_000_000
    assert found["distilbert"] == 6
    assert found["gpt2"] == [50257, "<|endoftext|>", 50256, 1024, "Hello, rehearsal! 🙂"]
    assert found["bert"] == [["hello", ",", "rehearsal", "!"], [0, 0, 0, 0, 1, 1]]


def test_every_card_says_it_is_a_stand_in(rehearsal_hub, tmp_path: Path) -> None:
    from huggingface_hub import HfApi

    api = HfApi(endpoint=rehearsal_hub.endpoint, token=rehearsal_hub.token)
    for repo_id, kind in [(s.repo_id, "dataset") for s in rehearsal.DATASETS] + [(s.repo_id, "model") for s in rehearsal.CHECKPOINTS]:
        card = Path(api.hf_hub_download(repo_id, "README.md", repo_type=kind, cache_dir=tmp_path)).read_text()
        assert f"Rehearsal stand-in for `{repo_id}`" in card and "**Not the real" in card, repo_id


def test_dataset_cards_declare_configs_splits_and_features(rehearsal_hub, tmp_path: Path) -> None:
    from huggingface_hub import DatasetCard, HfApi

    api = HfApi(endpoint=rehearsal_hub.endpoint, token=rehearsal_hub.token)
    path = api.hf_hub_download("dair-ai/emotion", "README.md", repo_type="dataset", cache_dir=tmp_path)
    data = DatasetCard.load(path).data.to_dict()
    assert data["configs"] == [
        {"config_name": "split", "default": True, "data_files": [
            {"split": s, "path": f"split/{s}-*"} for s in ("train", "validation", "test")
        ]}
    ]
    info = data["dataset_info"]
    assert info["config_name"] == "split"
    assert [s["name"] for s in info["splits"]] == ["train", "validation", "test"]
    assert [s["num_examples"] for s in info["splits"]] == [16000, 2000, 2000]
    assert sorted(api.list_repo_files("nyu-mll/glue", repo_type="dataset")) == [
        ".gitattributes", "README.md", *(f"cola/{s}-00000-of-00001.parquet" for s in ("test", "train", "validation"))
    ]


def _tiny_emotion(sizes):
    from course_utils import standin

    return standin.make_emotion(seed=0, sizes=dict(sizes))


def test_seeding_is_idempotent_and_replaces_an_outdated_seed(hub, hub_api, monkeypatch) -> None:
    tiny = rehearsal.RehearsalDataset(f"{hub.user}/emotion", "split", {"train": 60, "test": 12}, True, _tiny_emotion, "tiny")
    monkeypatch.setattr(rehearsal, "DATASETS", (tiny,))
    monkeypatch.setattr(rehearsal, "CHECKPOINTS", ())
    lines: list[str] = []
    assert rehearsal.seed(hub_api, ["datasets"], log=lines.append) == {tiny.repo_id: "seeded"}
    sha = hub_api.repo_info(tiny.repo_id, repo_type="dataset").sha
    assert rehearsal.seed(hub_api, ["datasets"], log=lines.append) == {tiny.repo_id: "up to date"}
    assert hub_api.repo_info(tiny.repo_id, repo_type="dataset").sha == sha
    bigger = rehearsal.RehearsalDataset(tiny.repo_id, "split", {"train": 90, "validation": 6}, True, _tiny_emotion, "tiny")
    monkeypatch.setattr(rehearsal, "DATASETS", (bigger,))
    assert rehearsal.seed(hub_api, ["datasets"], log=lines.append) == {tiny.repo_id: "updated"}
    files = sorted(hub_api.list_repo_files(tiny.repo_id, repo_type="dataset"))
    assert files == [".gitattributes", "README.md", "split/train-00000-of-00001.parquet", "split/validation-00000-of-00001.parquet"]
    assert lines == [f"{tiny.repo_id} (dataset): {state}" for state in ("seeded", "up to date", "updated")]


def test_an_unknown_part_is_a_clear_error(hub_api) -> None:
    with pytest.raises(ValueError, match="Unknown seeding part.*choose from datasets, tokenizers, torch, tensorflow"):
        rehearsal.seed(hub_api, ["weights"])


def test_the_rehearsal_caps_name_every_lesson_notebook() -> None:
    lessons = sorted(path.name[:2] for path in (REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(rehearsal.REHEARSAL_MAX_EXAMPLES) == lessons
