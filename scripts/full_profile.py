"""Run every lesson notebook in the full profile under nbval: rehearsed locally, or for real.

``./course rehearse`` (and the end of ``./course test``) runs the dress rehearsal: it starts the
project's Hub on ``build/rehearsal/hub-data``, seeds it with stand-ins under the full profile's
own ids (:mod:`course_utils.machinery.rehearsal`; the main environment seeds datasets, tokenizers and
PyTorch weights, the keras environment TensorFlow weights), then runs each lesson notebook
against a throw-away copy of it (what the notebooks push is deleted afterwards) with
``COURSE_PROFILE=full``, ``COURSE_REHEARSAL=1`` and a per-notebook size cap, with a fresh Hugging
Face cache. ``./course test-full ENV`` (the GPU workflow) runs the same
notebooks in the full profile against ``$HF_ENDPOINT`` (huggingface.co by default) or an
offline cache, uncapped.

nbval runs in ``--nbval-lax`` mode: no output is compared (the data and weights differ from the
smoke profile's), and any error, a failed check included, fails the notebook. Prints one line
per notebook and writes ``build/<rehearsal|full>/summary.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_utils.machinery.environments import ENVIRONMENTS, notebook_environment  # noqa: E402
from course_utils.machinery.profiles import MAX_EXAMPLES_ENV_VAR, PROFILE_ENV_VAR, REHEARSAL_ENV_VAR  # noqa: E402
from course_utils.machinery.rehearsal import KERAS_PARTS, ORGS, REHEARSAL_MAX_EXAMPLES, TOKEN, USER  # noqa: E402



def lesson_notebooks(envs: list[str], solutions: bool = False) -> list[Path]:
    """The lesson notebooks of ``envs`` in course order, then (``solutions``) their solutions notebooks."""
    found = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if solutions:
        found += sorted((ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb"))
    return [nb for nb in found if notebook_environment(nb) in envs]


def run_notebook(notebook: Path, python: Path, env: dict[str, str], pytest_args: list[str]) -> tuple[bool, float]:
    start = time.monotonic()
    command = [
        str(python), "-m", "pytest", str(notebook.relative_to(ROOT)), "--nbval-lax", "--nbval-current-env",
        "--nbval-cell-timeout", "1800", "-p", "no:cacheprovider", "-q", *pytest_args,
    ]
    done = subprocess.run(command, cwd=ROOT, env=env)
    return done.returncode == 0, time.monotonic() - start


def seed_hub(venvs: Path, envs: list[str], env: dict[str, str]) -> float:
    """Seed the rehearsal Hub: here what this environment builds, in the keras environment its TensorFlow weights."""
    from huggingface_hub import HfApi

    from course_utils.machinery.environments import current_environment
    from course_utils.machinery.rehearsal import seed

    here = current_environment()
    start = time.monotonic()
    parts = ("datasets", "tokenizers", "torch" if here == "main" else "tensorflow")
    seed(HfApi(endpoint=env["HF_ENDPOINT"], token=env["HF_TOKEN"]), parts, log=lambda line: print("  seed:", line))
    if here == "main" and "keras" in envs:
        subprocess.run(
            [str(venvs / "keras" / "bin" / "python"), "-m", "course_utils.machinery.rehearsal", "seed", "--parts", *KERAS_PARTS],
            cwd=ROOT, env=env, check=True,
        )
    return time.monotonic() - start


@contextmanager
def rehearsal_hub(build: Path, scratch: Path, args: argparse.Namespace, env: dict[str, str], results: list) -> Iterator[None]:
    """Seed ``build/hub-data`` (idempotent), then serve a throw-away copy of it for the notebooks' pushes.

    The copy hard-links the stored files (the storage writes each file once and replaces the others
    atomically), so it costs nothing, and what the notebooks push goes away with it: the seeded folder
    does not grow with every run. ``env`` gets the Hub's address and token, a fresh Hugging Face home
    under ``scratch`` (never the user's own cache: it is not keyed by endpoint) and the rehearsal flag.
    """
    # Imported here: HF_ENDPOINT must be set before huggingface_hub is imported.
    from course_utils.machinery.hub_server import LocalHub

    seeded = build / "hub-data"
    # the local Hub takes large files through Git LFS; hf_xet, installed with huggingface_hub, would try Xet
    env.update(HF_HUB_DISABLE_TELEMETRY="1", HF_HUB_DISABLE_XET="1", **{REHEARSAL_ENV_VAR: "1"})
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "HF_HUB_CACHE", "HF_DATASETS_CACHE", "HF_TOKEN_PATH"):
        env.pop(name, None)
    with LocalHub(seeded, user=USER, orgs=ORGS, token=TOKEN, fsync=False) as hub:
        env.update(HF_ENDPOINT=hub.endpoint, HF_TOKEN=hub.token, HF_HOME=str(scratch / "seeding-hf-home"))
        os.environ.update(HF_ENDPOINT=hub.endpoint, HF_HOME=env["HF_HOME"], HF_HUB_DISABLE_XET="1")
        print(f"[rehearsal] seeding the local Hub in {seeded.relative_to(ROOT)}")
        seconds = seed_hub(args.venvs, args.env, env)
    print(f"[rehearsal] Hub ready in {seconds:.0f} s")
    results.append({"notebook": "(seeding)", "seconds": round(seconds, 1), "passed": True})
    run_data = build / f"hub-data-run-{os.getpid()}"
    remove_stale_run_copies(build)
    shutil.rmtree(run_data, ignore_errors=True)
    shutil.copytree(seeded, run_data, copy_function=os.link, ignore=shutil.ignore_patterns("tmp", "trash"))
    try:
        with LocalHub(run_data, user=USER, orgs=ORGS, token=TOKEN, fsync=False) as hub:
            env.update(HF_ENDPOINT=hub.endpoint, HF_HOME=str(scratch / "hf-home"))
            yield
    finally:
        shutil.rmtree(run_data, ignore_errors=True)


def remove_stale_run_copies(build: Path) -> None:
    """Delete the throw-away Hub copies of rehearsals whose process is gone (killed before its clean-up)."""
    for copy in build.glob("hub-data-run-*"):
        pid = copy.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _process_alive(int(pid)):
            shutil.rmtree(copy, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _stop_on_term(signum: int, frame: object) -> None:
    """SIGTERM (an interrupted ./course test) ends the run through its clean-up: the local Hub, the scratch folders."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop_on_term)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rehearsal", action="store_true", help="against the seeded local Hub, sizes capped")
    parser.add_argument("--env", nargs="+", choices=ENVIRONMENTS, default=list(ENVIRONMENTS))
    parser.add_argument("--venvs", type=Path, default=ROOT / ".venvs")
    parser.add_argument("--only", nargs="*", default=[], help="notebook numbers to run (default: all)")
    parser.add_argument("--seed-only", action="store_true",
                        help="with --rehearsal: seed the local Hub and stop (./course test seeds it before the unit tests use it)")
    args, pytest_args = parser.parse_known_args(argv)
    if args.seed_only and not args.rehearsal:
        parser.error("--seed-only goes with --rehearsal")

    # The rehearsal is also the test command's capped run: solutions notebooks too, at the same caps.
    notebooks = [nb for nb in lesson_notebooks(args.env, solutions=args.rehearsal) if not args.only or nb.name[:2] in args.only]
    if args.seed_only:
        notebooks = []
    kind = "rehearsal" if args.rehearsal else "full"
    build = ROOT / "build" / kind
    build.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, **{PROFILE_ENV_VAR: "full"})
    env.pop(MAX_EXAMPLES_ENV_VAR, None)
    results: list[dict[str, object]] = []
    with contextlib.ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="course-full-profile-")))
        if args.rehearsal:
            stack.enter_context(rehearsal_hub(build, scratch, args, env, results))
        for notebook in notebooks:
            stem = notebook.name[:2]
            run_env = dict(env)
            if args.rehearsal and REHEARSAL_MAX_EXAMPLES.get(stem) is not None:
                run_env[MAX_EXAMPLES_ENV_VAR] = str(REHEARSAL_MAX_EXAMPLES[stem])
            python = args.venvs / notebook_environment(notebook) / "bin" / "python"
            cap = run_env.get(MAX_EXAMPLES_ENV_VAR, "none")
            name = f"solutions/{notebook.name}" if notebook.parent.name == "solutions" else notebook.name
            print(f"[{kind}] {name} (full profile, cap {cap})", flush=True)
            passed, seconds = run_notebook(notebook, python, run_env, pytest_args)
            results.append({"notebook": name, "cap": cap, "seconds": round(seconds, 1), "passed": passed})
    if args.seed_only:
        return 0 if all(r["passed"] for r in results) else 1
    (build / "summary.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\n{kind}: full profile, {'stand-ins on the local Hub' if args.rehearsal else 'real assets'}")
    for result in results:
        status = "passed" if result["passed"] else "FAILED"
        print(f"  {result['notebook']:<34} {status:<7} {result['seconds']:>7.1f} s")
    return 0 if all(r["passed"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
