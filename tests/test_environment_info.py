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


def test_smoke_assets_are_all_ready() -> None:
    rows = asset_status("smoke")
    assert rows, "no assets declared"
    assert {row["status"] for row in rows} <= {"installed, sha256 verified", "generated locally"}
    minilm = next(row for row in rows if row["asset"] == "offline:all-MiniLM-L6-v2")
    assert minilm["notebooks"].startswith("00, 01")


def test_full_assets_are_not_cached_on_a_fresh_machine(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(environment_info, "_in_hub_cache", lambda kind, name: name == "dair-ai/emotion")
    rows = {row["asset"]: row["status"] for row in asset_status("full")}
    assert rows["dair-ai/emotion"] == "in the local cache"
    assert rows["nyu-mll/glue"] == "not cached (needs the Hub)"
