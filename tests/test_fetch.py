"""Fetching the full profile's assets ahead, verifying them offline, and loading them offline."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course_utils.machinery import fetch

pytestmark = pytest.mark.main_env

REPO_ROOT = Path(__file__).resolve().parents[1]
MINILM = "microsoft/MiniLM-L12-H384-uncased"


def run_fetch(command: str, cache: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "course_utils.machinery.fetch", command, "--cache", str(cache)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900,
    )


@pytest.fixture(scope="module")
def fetched(rehearsal_hub, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if rehearsal_hub.keras_python is None:
        pytest.skip("fetching every asset needs the TensorFlow weights, seeded from the keras environment (./course setup keras)")
    cache = tmp_path_factory.mktemp("workshop-cache")
    done = run_fetch("fetch", cache, rehearsal_hub.env(cache))
    assert done.returncode == 0, done.stderr[-3000:]
    return cache


def offline_env(rehearsal_hub, cache: Path) -> dict[str, str]:
    env = rehearsal_hub.env(cache, HF_HUB_OFFLINE="1", COURSE_PROFILE="full")
    env["HF_ENDPOINT"] = "http://127.0.0.1:9"  # nothing listens there: any request would fail
    return env


def test_the_manifest_lists_every_asset_with_revision_sizes_and_hashes(fetched: Path) -> None:
    manifest = fetch.read_manifest(fetched)
    assert {(a["kind"], a["repo_id"], a["config"]) for a in manifest["assets"]} == {
        ("model", MINILM, None),
        ("model", "distilbert/distilbert-base-uncased", None),
        ("model", "openai-community/gpt2", None),
        ("model", "sentence-transformers/all-MiniLM-L6-v2", None),  # notebook 04's BERT tokenizer
        ("dataset", "dair-ai/emotion", "split"),
        ("dataset", "nyu-mll/glue", "cola"),
        ("dataset", "Salesforce/wikitext", "wikitext-2-raw-v1"),
    }
    by_repo = {a["repo_id"]: a for a in manifest["assets"]}
    files = {name: {f["path"] for f in asset["files"]} for name, asset in by_repo.items()}
    assert {"config.json", "vocab.txt", "pytorch_model.bin", "README.md"} <= files[MINILM]
    assert "tf_model.h5" in files["distilbert/distilbert-base-uncased"]
    assert not any(name.endswith((".bin", ".h5", ".safetensors")) for name in files["openai-community/gpt2"])
    assert "vocab.txt" in files["sentence-transformers/all-MiniLM-L6-v2"]
    assert not any(name.endswith((".bin", ".h5", ".safetensors")) for name in files["sentence-transformers/all-MiniLM-L6-v2"])
    assert files["nyu-mll/glue"] >= {f"cola/{s}-00000-of-00001.parquet" for s in ("train", "validation", "test")}
    for asset in manifest["assets"]:
        assert len(asset["revision"]) == 40
        for entry in asset["files"] + asset.get("prepared", []):
            assert entry["size"] > 0 and len(entry["sha256"]) == 64
    # The manifest round-trips: what is on disk reads back as what fetch returned (JSON types only).
    assert json.loads(json.dumps(manifest)) == manifest
    assert fetch.verify(fetched) == []


def test_every_notebooks_loading_code_finds_its_assets_offline(rehearsal_hub, fetched: Path) -> None:
    # As the notebooks do: setup() (which checks the checkpoint), then the talks' own calls by Hub id.
    code = """
import json
from course_utils.notebook_setup import setup
from datasets import load_dataset
from transformers import AutoModelForSequenceClassification, AutoTokenizer
found = {}
for notebook in ("00", "01", "03", "04", "05"):
    assets = setup(notebook, "full")
    data = assets.sized(load_dataset(assets.dataset, assets.dataset_config)) if assets.dataset else {}
    tokenizer = AutoTokenizer.from_pretrained(assets.checkpoint)
    if notebook != "04":
        AutoModelForSequenceClassification.from_pretrained(assets.checkpoint, num_labels=6)
    found[notebook] = [{k: len(v) for k, v in data.items()}, len(tokenizer)]
print(json.dumps(found))
"""
    found = json.loads(_run(code, offline_env(rehearsal_hub, fetched)).splitlines()[-1])
    assert found["01"] == [{"train": 16000, "validation": 2000, "test": 2000}, 30522]
    assert found["04"] == [{"train": 36718, "validation": 3760}, 50257]
    assert found["05"] == [{"train": 16000, "validation": 2000}, 30522]
    assert found["00"] == [{}, 30522]


def test_the_keras_notebooks_loading_code_finds_its_assets_offline(rehearsal_hub, fetched: Path) -> None:
    code = """
import json, os
os.environ["TF_USE_LEGACY_KERAS"] = "1"
from transformers import AutoTokenizer, TFAutoModelForSequenceClassification
from transformers.utils import logging
logging.set_verbosity_error()
from course_utils.notebook_setup import setup
assets = setup("02", "full")
from datasets import load_dataset
data = assets.sized(load_dataset(assets.dataset, assets.dataset_config))
model = TFAutoModelForSequenceClassification.from_pretrained(assets.checkpoint, num_labels=2, use_safetensors=False)
print(json.dumps([{k: len(v) for k, v in data.items()}, len(AutoTokenizer.from_pretrained(assets.checkpoint)), model.config.n_layers]))
"""
    found = json.loads(_run(code, offline_env(rehearsal_hub, fetched), rehearsal_hub.keras_python).splitlines()[-1])
    assert found == [{"train": 8551, "validation": 1043}, 30522, 6]


def test_damaged_and_missing_files_are_named_and_a_second_fetch_repairs_them(rehearsal_hub, fetched: Path) -> None:
    manifest = fetch.read_manifest(fetched)
    minilm = next(a for a in manifest["assets"] if a["repo_id"] == MINILM)
    weights = fetch._snapshot(fetched, "model", MINILM, minilm["revision"]) / "pytorch_model.bin"
    with open(weights.resolve(), "r+b") as handle:  # flip one byte of the blob
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    emotion = next(a for a in manifest["assets"] if a["repo_id"] == "dair-ai/emotion")
    prepared = fetched / next(f["path"] for f in emotion["prepared"] if f["path"].endswith(".arrow"))
    prepared.unlink()
    vocab = fetch._snapshot(fetched, "model", "openai-community/gpt2", next(
        a["revision"] for a in manifest["assets"] if a["repo_id"] == "openai-community/gpt2"
    )) / "vocab.json"
    vocab.unlink()

    done = run_fetch("verify", fetched, offline_env(rehearsal_hub, fetched))
    assert done.returncode == 1
    assert f"model {MINILM}: damaged pytorch_model.bin" in done.stderr
    assert f"dataset dair-ai/emotion: missing {prepared.relative_to(fetched)}" in done.stderr
    assert "model openai-community/gpt2: missing vocab.json" in done.stderr
    assert f"3 problem(s) in {fetched}" in done.stderr and f"./course fetch --cache {fetched}" in done.stderr

    repaired = run_fetch("fetch", fetched, rehearsal_hub.env(fetched))
    assert repaired.returncode == 0, repaired.stderr[-3000:]
    assert f"{MINILM}: pytorch_model.bin is damaged; downloading it again" in repaired.stdout
    assert fetch.verify(fetched) == []


def test_an_interrupted_fetch_goes_on_where_it_stopped(rehearsal_hub, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    if rehearsal_hub.keras_python is None:
        pytest.skip("fetching every asset needs the TensorFlow weights, seeded from the keras environment")
    process = subprocess.Popen(
        [sys.executable, "-m", "course_utils.machinery.fetch", "fetch", "--cache", str(cache)],
        cwd=REPO_ROOT, env=rehearsal_hub.env(cache), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    weights = None
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and weights is None:  # stop it once the first checkpoint is in
        found = list((cache / "hub").glob("models--microsoft--MiniLM-L12-H384-uncased/snapshots/*/pytorch_model.bin"))
        weights = found[0] if found else None
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert weights is not None, "the fetch never got to the first checkpoint"
    assert not (cache / fetch.MANIFEST).exists(), "killed before the end, so no manifest yet"
    first = weights.resolve().stat()

    done = run_fetch("fetch", cache, rehearsal_hub.env(cache))
    assert done.returncode == 0, done.stderr[-3000:]
    again = weights.resolve().stat()
    assert (again.st_ino, again.st_mtime_ns) == (first.st_ino, first.st_mtime_ns), "the intact weights were kept"
    assert fetch.verify(cache) == []


def test_verify_without_a_manifest_says_how_to_fetch(tmp_path: Path) -> None:
    with pytest.raises(fetch.FetchError, match=r"was not filled by `./course fetch --cache"):
        fetch.verify(tmp_path)


def _run(code: str, env: dict[str, str], python: Path | str = sys.executable) -> str:
    done = subprocess.run([str(python), "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_a_notebook_in_the_full_profile_without_hub_or_cache_stops_naming_the_asset(tmp_path: Path, monkeypatch) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("run_notebooks_for_fetch", REPO_ROOT / "scripts" / "run_notebooks.py")
    runner = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "run_notebooks_for_fetch", runner)  # dataclasses look their module up
    spec.loader.exec_module(runner)  # type: ignore[union-attr]
    for name in [k for k in os.environ if k.startswith(("HF_", "HUGGINGFACE_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-hf-home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("COURSE_PROFILE", "full")
    _, result = runner.execute(REPO_ROOT / "notebooks" / "01_trainer_weighted_loss.ipynb", timeout=600)
    assert result.status == "failed: AssetUnavailableError"
    # setup() checks the checkpoint first; offline, the dataset is left to `./course verify`.
    assert "The full profile needs the checkpoint 'microsoft/MiniLM-L12-H384-uncased'" in result.error
    assert "./course fetch --cache DIR" in result.error and "HF_HUB_OFFLINE=1" in result.error
