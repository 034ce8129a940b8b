from __future__ import annotations

import random

import pytest

from course_utils import notebook_setup
from course_utils.notebook_setup import SMOKE_NOTE, quiet, seed_everything, setup, show_progress
from course_utils.machinery.profiles import UnknownProfileError, notebook_assets


@pytest.fixture
def hub_calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    """Record what setup() asks of the Hubs instead of doing it.

    The pytest process imported huggingface_hub with the session hub's endpoint (hub_fixtures.py), so a
    local Hub cannot start in it (``start_local_hub`` rightly refuses); the subprocess tests below start
    the real one, as a notebook kernel does.
    """
    from course_utils import hub_session
    from course_utils.machinery import assets

    calls: dict[str, list] = {"start_local_hub": [], "require_hub_assets": []}
    monkeypatch.setattr(hub_session, "start_local_hub", lambda *args: calls["start_local_hub"].append(args))
    monkeypatch.setattr(assets, "require_hub_assets", lambda declared: calls["require_hub_assets"].append(declared))
    return calls


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("yes", True), ("0", False), ("", False)])
def test_quiet_follows_the_environment(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("COURSE_QUIET", value)
    assert quiet() is expected
    assert show_progress() is not expected


def test_seeding_makes_runs_repeat() -> None:
    import numpy as np

    seed_everything(7)
    first = (random.random(), float(np.random.rand()))
    seed_everything(7)
    assert (random.random(), float(np.random.rand())) == first


def test_setup_prints_the_profile_and_assets(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, hub_calls: dict[str, list]
) -> None:
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    assets = setup("01_trainer_weighted_loss", None)
    out = capsys.readouterr().out
    assert assets.profile == "smoke"
    assert hub_calls == {"start_local_hub": [()], "require_hub_assets": []}  # the smoke profile's local Hub
    lines = out.splitlines()
    assert lines[:2] == ["profile: smoke", "Hub: the course's local Hub (stand-in datasets under the real ids, genuine pretrained files)"]
    assert "dataset: dair-ai/emotion (split)" in lines and "checkpoint: sentence-transformers/all-MiniLM-L6-v2" in lines
    assert lines[-1] == SMOKE_NOTE


def test_the_smoke_note_says_what_the_stand_ins_are_and_how_to_get_the_real_data() -> None:
    assert "stand-ins" in SMOKE_NOTE and "local Hub" in SMOKE_NOTE and "COURSE_PROFILE=full" in SMOKE_NOTE


def test_the_smoke_note_is_printed_only_for_a_notebook_with_a_dataset(
    capsys: pytest.CaptureFixture[str], hub_calls: dict[str, list]
) -> None:
    setup("00_setup_check", "smoke")
    out = capsys.readouterr().out
    assert "Hub: the course's local Hub" in out and SMOKE_NOTE not in out
    assert len(hub_calls["start_local_hub"]) == 1


def test_the_full_profile_checks_its_assets_and_starts_no_local_hub(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, hub_calls: dict[str, list]
) -> None:
    assets = setup("02_keras_to_tf_dataset", "full")
    assert hub_calls == {"start_local_hub": [], "require_hub_assets": [assets]}
    out = capsys.readouterr().out
    assert out.startswith("profile: full\n") and "local Hub" not in out and SMOKE_NOTE not in out

    from course_utils.machinery import assets as assets_module
    from course_utils.machinery.assets import AssetUnavailableError

    def missing(declared):
        raise AssetUnavailableError(f"The full profile needs the checkpoint {declared.checkpoint!r}")

    monkeypatch.setattr(assets_module, "require_hub_assets", missing)
    with pytest.raises(AssetUnavailableError, match="distilbert/distilbert-base-uncased"):
        setup("02_keras_to_tf_dataset", "full")
    assert capsys.readouterr().out == ""  # it stops before the banner


def test_setup_caps_the_splits_from_its_parameter_or_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, hub_calls: dict[str, list]
) -> None:
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    monkeypatch.setenv("COURSE_MAX_EXAMPLES", "50")
    assert dict(setup("01_trainer_weighted_loss", None).splits) == {"train": 50, "validation": 50, "test": 50}
    assert dict(setup("01_trainer_weighted_loss", None, max_examples=20).splits)["train"] == 20  # the parameter wins
    monkeypatch.delenv("COURSE_MAX_EXAMPLES")
    assert setup("01_trainer_weighted_loss", None).max_examples is None
    assert "capped at: 20 examples per split" in capsys.readouterr().out


def test_only_the_full_profile_can_be_a_rehearsal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, hub_calls: dict[str, list]
) -> None:
    monkeypatch.setenv("COURSE_REHEARSAL", "1")
    assert setup("05_accelerate", "smoke").rehearsal is False
    rehearsed = setup("05_accelerate", "full")
    assert hub_calls["require_hub_assets"] == [rehearsed]  # the rehearsal's assets are checked like the full profile's
    assert rehearsed.rehearsal is True and rehearsed.settings["epochs"] == 1
    assert dict(rehearsed.settings) == {**notebook_assets("05_accelerate", "full").settings, "epochs": 1}
    assert "rehearsal: stand-ins under the full profile's ids, random weights" in capsys.readouterr().out
    monkeypatch.delenv("COURSE_REHEARSAL")
    assert setup("05_accelerate", "full").rehearsal is False


def test_setup_refuses_an_unknown_profile() -> None:
    with pytest.raises(UnknownProfileError, match="smoke, full"):
        setup("00_setup_check", "turbo")


def test_quiet_setup_turns_progress_bars_off(monkeypatch: pytest.MonkeyPatch, hub_calls: dict[str, list]) -> None:
    for name in notebook_setup._QUIET_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COURSE_QUIET", "1")
    setup("00_setup_check", "smoke")
    import os

    assert os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1"
    from datasets.utils.logging import is_progress_bar_enabled

    assert not is_progress_bar_enabled()


def test_setup_imports_no_hugging_face_library() -> None:
    # huggingface_hub reads HF_ENDPOINT once, at import: setup() sets it (to the local Hub) before the notebook imports it.
    import subprocess
    import sys

    code = (
        "import os, sys\n"
        "from course_utils.notebook_setup import setup\n"
        "setup('03_hub', 'smoke')\n"
        "print(os.environ['HF_ENDPOINT'])\n"
        "print(sorted(m for m in ('huggingface_hub', 'transformers', 'datasets', 'tensorflow') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=True).stdout
    endpoint, imported = out.strip().splitlines()[-2:]
    assert endpoint.startswith("http://127.0.0.1:") and imported == "[]"


def test_smoke_setup_serves_the_notebooks_assets_under_their_hub_ids(tmp_path) -> None:
    """What a notebook does after setup(): the talks' own calls, answered by the local Hub setup() started."""
    import json
    import os
    import subprocess
    import sys

    code = """
import json, os
from course_utils.notebook_setup import setup
assets = setup("05_accelerate", "smoke")
from datasets import load_dataset
from transformers import AutoTokenizer
data = load_dataset(assets.dataset, assets.dataset_config)
tokenizer = AutoTokenizer.from_pretrained(assets.checkpoint)
print(json.dumps({
    "endpoint": os.environ["HF_ENDPOINT"],
    "home": os.environ["HF_HOME"],
    "served": {split: len(d) for split, d in data.items()},
    "sized": {split: len(d) for split, d in assets.sized(data).items()},
    "labels": data["train"].features["label"].names,
    "tokens": tokenizer.tokenize("Hello, Hub!"),
}))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}
    env.update(HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "learner-home"), COURSE_QUIET="1")  # a learner's offline setup
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    assert "Hub: the course's local Hub (stand-in datasets under the real ids, genuine pretrained files)" in lines
    assert SMOKE_NOTE in lines
    found = json.loads(lines[-1])
    assert found["endpoint"].startswith("http://127.0.0.1:")
    assert not found["home"].startswith(str(tmp_path))  # the learner's own cache is left alone
    assert found["served"] == {"train": 1200, "validation": 400, "test": 400}  # the local Hub's emotion, config split
    assert found["sized"] == {"train": 800, "validation": 200}  # 05's declared splits and sizes
    assert found["labels"] == ["sadness", "joy", "love", "anger", "fear", "surprise"]
    assert found["tokens"] == ["hello", ",", "hub", "!"]  # the genuine MiniLM's uncased WordPiece tokenizer
    assert not (tmp_path / "learner-home").exists()


def test_quiet_setup_reaches_libraries_imported_later(monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess
    import sys

    code = (
        "from course_utils.notebook_setup import setup\n"
        "setup('00_setup_check', 'smoke')\n"
        "import datasets, huggingface_hub.utils as hf\n"
        "print(datasets.is_progress_bar_enabled(), hf.are_progress_bars_disabled())\n"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k not in notebook_setup._QUIET_VARIABLES}
    env["COURSE_QUIET"] = "1"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env, check=True).stdout
    assert out.strip().splitlines()[-1] == "False True"


def test_quiet_tensorflow_import_drops_only_the_startup_info_lines(capfd) -> None:
    import os

    from course_utils.notebook_setup import quiet_tensorflow_import

    with quiet_tensorflow_import():
        os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n")
        os.write(2, b"I0000 00:00:1795672533.526181   12151 port.cc:153] oneDNN custom operations are on.\n")
        os.write(2, b"I0000 00:00:1795672533.526181   12151 cpu_feature_guard.cc:227] This binary is optimized.\n")
        os.write(2, b"To enable the following instructions: AVX2, rebuild TensorFlow.\n")
        os.write(2, b"W0000 00:00:1795672533.527176   12151 gpu.cc:1] a real warning stays\n")
        os.write(2, b"Traceback: something broke\n")
    err = capfd.readouterr().err
    assert "oneDNN" not in err and "absl::InitializeLog" not in err and "AVX2" not in err
    assert "a real warning stays" in err and "something broke" in err
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"  # stderr is restored
