"""The parts of scripts/colab_check.py, which runs notebook 01 as on Colab: only its Colab cell installs the course.

The whole check (about two minutes: a fresh environment, the cell's installs, the notebook capped) is a step
of ./course test of its own, beside the main notebooks, like the rehearsal; these tests hold its parts.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.main_env  # Colab runs the main environment's notebooks

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import colab_check  # noqa: E402


def test_the_stand_in_colab_module_is_imported_at_start_up(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    colab_check.fake_colab(venv)
    seen = subprocess.run([str(venv / "bin" / "python"), "-c", "import sys; print('google.colab' in sys.modules)"],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert seen == "True"


def test_git_fetches_the_repository_url_from_this_checkout(tmp_path: Path) -> None:
    url = "https://github.com/example/not-reachable-from-here"
    config = colab_check.git_config(tmp_path, url)
    done = subprocess.run(["git", "ls-remote", url, "HEAD"], capture_output=True, text=True, timeout=60,
                          env={"GIT_CONFIG_GLOBAL": str(config), "GIT_CONFIG_NOSYSTEM": "1", "PATH": "/usr/bin:/bin"})
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == head


def test_the_preinstalled_libraries_are_the_locks_versions() -> None:
    pins = colab_check.lock_pins(colab_check.PREINSTALLED)
    assert [pin.split("==")[0].lower() for pin in pins] == list(colab_check.PREINSTALLED)
    assert all("==" in pin for pin in pins)
