"""scripts/full_profile.py: the rehearsal serves a throw-away copy of the seeded Hub."""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("full_profile", ROOT / "scripts" / "full_profile.py")
full_profile = importlib.util.module_from_spec(_spec)
sys.modules["full_profile"] = full_profile
_spec.loader.exec_module(full_profile)  # type: ignore[union-attr]

pytestmark = pytest.mark.main_env


def test_what_a_rehearsal_pushes_goes_away_and_the_seed_stays(rehearsal_hub, tmp_path: Path, monkeypatch) -> None:
    from huggingface_hub import HfApi

    for name in ("HF_ENDPOINT", "HF_HOME"):
        monkeypatch.setenv(name, os.environ.get(name, ""))  # the context sets them for its own seeding
    seeded = full_profile.ROOT / "build" / "rehearsal" / "hub-data"
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = seeded.parent / f"hub-data-run-{int(ended.stdout)}"  # left by a rehearsal killed before its clean-up
    stale.mkdir(parents=True, exist_ok=True)
    before = sorted(path.relative_to(seeded) for path in (seeded / "repos").rglob("*"))
    env: dict[str, str] = {}
    args = argparse.Namespace(venvs=Path(sys.prefix).parent, env=["main"])
    with full_profile.rehearsal_hub(seeded.parent, tmp_path, args, env, []):
        api = HfApi(endpoint=env["HF_ENDPOINT"], token=env["HF_TOKEN"])
        api.create_repo("rehearsal/pushed-by-a-notebook")
        assert api.repo_exists("rehearsal/pushed-by-a-notebook")
        assert api.repo_exists("dair-ai/emotion", repo_type="dataset")  # the seed is served
        assert env["COURSE_REHEARSAL"] == "1" and env["HF_HOME"].startswith(str(tmp_path))
        copy = seeded.parent / f"hub-data-run-{os.getpid()}"
        assert copy.is_dir() and not stale.exists()  # a copy for this run; the stale one went away
        # (another rehearsal running at the same time, as in ./course test, keeps its own copy)
    assert not copy.exists(), "the throw-away copy is deleted"
    assert sorted(path.relative_to(seeded) for path in (seeded / "repos").rglob("*")) == before
