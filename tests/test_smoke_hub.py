"""The smoke profile's local Hub: seeded once, repaired after a kill or damage, isolated from the learner's own.

Each test seeds into its own course cache (``COURSE_CACHE``), in a subprocess, as a notebook kernel would.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from course_utils.machinery import smoke_hub

# The mechanism is the same in both environments; the keras environment's part (TensorFlow weights) is
# seeded and loaded by notebook 02 and by the rehearsal.
pytestmark = pytest.mark.main_env

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO_ROOT / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def _code(notebook: Path) -> str:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")


def _env(cache: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "COURSE_"))}
    return {**env, "COURSE_CACHE": str(cache), "COURSE_QUIET": "1", **extra}


def _seed(cache: Path, **kwargs: object) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "course_utils.machinery.smoke_hub", "seed"], cwd=REPO_ROOT, env=_env(cache),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs,
    )


def _state(cache: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COURSE_CACHE", str(cache))
    return smoke_hub.state()


# ------------------------------------------------------------------------------ the talks' calls


def test_lesson_notebooks_make_the_talks_own_calls():
    for notebook in LESSONS:
        code = _code(notebook)
        for hidden in ("load_course_dataset", "resolve_checkpoint", "resolve_tf_checkpoint"):
            assert hidden not in code, f"{notebook.name} still calls {hidden}"
    expected = {
        "01": 'load_dataset("dair-ai/emotion", "split")',
        "02": 'load_dataset("nyu-mll/glue", "cola")',
        "03": 'load_dataset("dair-ai/emotion", "split")',
        "04": 'load_dataset("Salesforce/wikitext", "wikitext-2-raw-v1")',
        "05": 'load_dataset("dair-ai/emotion", "split")',
    }
    found = {nb.name[:2]: _code(nb) for nb in LESSONS}
    for number, call in expected.items():
        assert call in found[number], f"notebook {number} does not call {call} in a code cell"
    assert 'AutoTokenizer.from_pretrained("openai-community/gpt2")' in found["04"]
    # every Hub dataset a lesson loads is named with its config (the emotion repository has two)
    for number, code in found.items():
        for call in re.findall(r"load_dataset\(([^)]*)\)", code):
            if call.startswith('"') and "/" in call.split(",")[0]:
                assert "," in call, f"notebook {number}: {call} names no config"


def test_the_catalogue_serves_every_smoke_asset_under_its_real_id():
    from course_utils.machinery.profiles import all_assets

    served = {spec.repo_id for spec in smoke_hub.catalogue()}
    for assets in all_assets("smoke"):
        for name in (assets.dataset, assets.checkpoint):
            assert name is None or name in served, f"{assets.notebook} needs {name}, which the smoke Hub does not serve"
    emotion = next(spec for spec in smoke_hub.DATASETS if spec.repo_id == "dair-ai/emotion")
    assert [c.name for c in emotion.configs] == ["split", "unsplit"] and emotion.default is None


# ------------------------------------------------------------------------------ seeding


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = tmp_path_factory.mktemp("course-cache")
    done = _seed(cache)
    output, _ = done.communicate(timeout=600)
    assert done.returncode == 0, output
    return cache


def test_seeding_is_idempotent_and_fingerprinted(seeded: Path, monkeypatch: pytest.MonkeyPatch):
    assert _state(seeded, monkeypatch) == "current"
    stamp = json.loads((seeded / "smoke-hub" / "seeded.json").read_text())
    assert set(stamp) == {spec.repo_id for spec in smoke_hub.catalogue()}
    again = _seed(seeded)
    output, _ = again.communicate(timeout=120)
    assert again.returncode == 0 and "(0.0 s spent seeding)" in output, output


def test_a_damaged_seeded_hub_is_found_and_seeded_again(seeded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import shutil

    cache = tmp_path / "cache"
    shutil.copytree(seeded, cache)
    stamp = json.loads((cache / "smoke-hub" / "seeded.json").read_text())
    sha256 = next(iter(stamp["sentence-transformers/all-MiniLM-L6-v2"]["blobs"]))
    (cache / "smoke-hub" / "hub-data" / "blobs" / sha256[:2] / sha256[2:]).unlink()
    assert _state(cache, monkeypatch) == "damaged"
    repair = _seed(cache)
    output, _ = repair.communicate(timeout=600)
    assert repair.returncode == 0 and "damaged" in output, output
    assert _state(cache, monkeypatch) == "current"


def test_a_seeding_killed_half_way_is_repaired_on_the_next_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cache = tmp_path / "cache"
    seeding = _seed(cache, start_new_session=True)
    blobs = cache / "smoke-hub" / "hub-data" / "blobs"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (blobs.is_dir() and any(blobs.rglob("*"))):
        time.sleep(0.05)
    os.killpg(seeding.pid, signal.SIGKILL)
    seeding.wait()
    assert _state(cache, monkeypatch) != "current"  # killed before it could finish
    again = _seed(cache)
    output, _ = again.communicate(timeout=600)
    assert again.returncode == 0, output
    assert _state(cache, monkeypatch) == "current"


def test_two_kernels_seeding_at_once_seed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from course_utils.machinery.hub_server.storage import RepoKey, Storage

    cache = tmp_path / "cache"
    first, second = _seed(cache), _seed(cache)
    outputs = [first.communicate(timeout=600)[0], second.communicate(timeout=600)[0]]
    assert first.returncode == 0 and second.returncode == 0, outputs
    assert sum("(0.0 s spent seeding)" in output for output in outputs) == 1, outputs  # one waited, then found it done
    assert _state(cache, monkeypatch) == "current"
    storage = Storage(cache / "smoke-hub" / "hub-data", fsync=False)
    try:
        for spec in smoke_hub.catalogue():
            kind = "model" if isinstance(spec, smoke_hub.ModelRepo) else "dataset"
            key = RepoKey(kind, *spec.repo_id.split("/"))
            seeds = [c for c in storage.history(key, storage.branch_head(key, "main")) if c.summary.startswith("Seed the course")]
            assert len(seeds) == 1, spec.repo_id
    finally:
        storage.close()


def test_an_unwritable_cache_gets_one_clear_sentence(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("COURSE_CACHE", "/sys/course-cache")  # sysfs: nobody may create a folder there, root included
    with pytest.raises(smoke_hub.SmokeHubError, match="not writable: set COURSE_CACHE to a folder you can write to"):
        smoke_hub.ensure_seeded()


def test_a_full_disk_is_named_as_such():
    message = smoke_hub._seeding_failure("Traceback ...\nOSError: [Errno 28] No space left on device\n")
    assert "The disk is full" in message and "No space left on device" in message


# ------------------------------------------------------------------------------ a kernel's view of it

_KERNEL = r"""
import json, logging, os, sys
from pathlib import Path

records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append(record.getMessage())
logging.getLogger().addHandler(Keep())
logging.getLogger().setLevel(logging.DEBUG)

from course_utils.notebook_setup import setup
assets = setup("01_trainer_weighted_loss", "smoke")
from datasets import load_dataset
from huggingface_hub import get_token
from huggingface_hub.utils import build_hf_headers
from transformers import AutoTokenizer

emotions = assets.sized(load_dataset("dair-ai/emotion", "split"))
tokenizer = AutoTokenizer.from_pretrained(assets.checkpoint)
from course_utils.hub_session import connect_hub
hub = connect_hub(assets)
print(json.dumps({
    "sizes": {split: len(data) for split, data in emotions.items()},
    "features": str(emotions["train"].features),
    "vocab": len(tokenizer),
    "hf_home": os.environ["HF_HOME"],
    "token": get_token(),
    "headers": build_hf_headers(),
    "env_token": os.environ.get("HF_TOKEN"),
    "same_hub": hub.endpoint == os.environ["HF_ENDPOINT"],
    "logged": "\n".join(records),
}))
"""


def test_a_kernel_loads_by_the_real_ids_and_keeps_the_learners_cache_and_token_apart(seeded: Path, tmp_path: Path):
    learner_home = tmp_path / "learner-hf-home"
    learner_home.mkdir()
    (learner_home / "token").write_text("hf_stored_learner_token_xxxxxxxxxxxxxxxx")
    secret = "hf_learner_secret_token_xxxxxxxxxxxxxxxx"
    done = subprocess.run(
        [sys.executable, "-c", _KERNEL], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
        env=_env(seeded, HF_HOME=str(learner_home), HF_TOKEN=secret),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["sizes"] == {"train": 1200, "validation": 400, "test": 400}
    assert "ClassLabel(names=['sadness', 'joy', 'love', 'anger', 'fear', 'surprise']" in seen["features"]
    assert seen["vocab"] == 30522 and seen["same_hub"]
    # the kernel's Hugging Face home is its own, under the course cache, and is gone once the kernel exits
    assert Path(seen["hf_home"]).is_relative_to(seeded / "smoke-hub" / "kernels")
    assert not Path(seen["hf_home"]).exists()
    # nothing reached the learner's own cache
    assert sorted(p.name for p in learner_home.iterdir()) == ["token"]
    # the learner's tokens were set aside: never sent, never logged
    assert seen["token"] is None and seen["env_token"] is None and "authorization" not in {k.lower() for k in seen["headers"]}
    assert secret not in done.stdout + done.stderr and "hf_stored_learner_token" not in done.stdout + done.stderr
