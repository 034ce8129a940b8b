from __future__ import annotations

import random

import pytest

from course_utils import notebook_setup
from course_utils.notebook_setup import quiet, seed_everything, setup, show_progress
from course_utils.profiles import UnknownProfileError, notebook_assets


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


def test_setup_prints_the_profile_and_assets(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    assets = setup("01_trainer_weighted_loss", None)
    out = capsys.readouterr().out
    assert assets.profile == "smoke"
    assert "profile: smoke" in out and "standin:emotion" in out and "stand-in" in out


def test_setup_caps_the_splits_from_its_parameter_or_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    monkeypatch.setenv("COURSE_MAX_EXAMPLES", "50")
    assert dict(setup("01_trainer_weighted_loss", None).splits) == {"train": 50, "validation": 50, "test": 50}
    assert dict(setup("01_trainer_weighted_loss", None, max_examples=20).splits)["train"] == 20  # the parameter wins
    monkeypatch.delenv("COURSE_MAX_EXAMPLES")
    assert setup("01_trainer_weighted_loss", None).max_examples is None
    assert "capped at: 20 examples per split" in capsys.readouterr().out


def test_only_the_full_profile_can_be_a_rehearsal(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_REHEARSAL", "1")
    assert setup("05_accelerate", "smoke").rehearsal is False
    rehearsed = setup("05_accelerate", "full")
    assert rehearsed.rehearsal is True and rehearsed.settings["epochs"] == 1
    assert dict(rehearsed.settings) == {**notebook_assets("05_accelerate", "full").settings, "epochs": 1}
    assert "rehearsal: stand-ins under the full profile's ids, random weights" in capsys.readouterr().out
    monkeypatch.delenv("COURSE_REHEARSAL")
    assert setup("05_accelerate", "full").rehearsal is False


def test_setup_refuses_an_unknown_profile() -> None:
    with pytest.raises(UnknownProfileError, match="smoke, full"):
        setup("00_setup_check", "turbo")


def test_quiet_setup_turns_progress_bars_off(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in notebook_setup._QUIET_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COURSE_QUIET", "1")
    setup("00_setup_check", "smoke")
    import os

    assert os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1"
    from datasets.utils.logging import is_progress_bar_enabled

    assert not is_progress_bar_enabled()


def test_setup_imports_no_hugging_face_library() -> None:
    # huggingface_hub reads HF_ENDPOINT once, at import: notebook 03 sets it after setup().
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from course_utils.notebook_setup import setup\n"
        "setup('03_hub', 'smoke')\n"
        "print(sorted(m for m in ('huggingface_hub', 'transformers', 'datasets', 'tensorflow') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


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
