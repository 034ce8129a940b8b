"""``./course hub-compat``: huggingface_hub's own tests, run against a fresh local Hub.

    python scripts/hub_compat.py [--files test_hf_api.py ...] [-k EXPR] [--output PATH]

1. Downloads the source distribution of the installed (locked) ``huggingface_hub`` from the package
   registry, once (kept in ``build/hub-compat/``), and unpacks its ``tests/`` into a fresh folder.
2. Points them at a local Hub: the staging address and account of ``tests/testing_constants.py``
   become a fresh ``python -m course_utils.machinery.hub_server`` on a free port, with the tests' user and
   token. The sources ship without their ``conftest.py``; ``scripts/hub_compat_conftest.py``
   provides the fixtures the selected tests use.
3. Runs the selected files. Tests outside a practice Hub's scope are skipped, each with its reason
   (the rules are in ``SCOPE_RULES`` below). A test counts as *in scope* when it ran and reached
   the server (the server's request log shows a request inside the test's brackets).
4. Writes passed / failed / out-of-scope counts, every failure with its last line, and every
   out-of-scope test with its reason to ``benchmarks/results/hub_compat.json``.

Used by issue 14's measure of the local Hub (README: Benchmarks).
"""

from __future__ import annotations

import argparse
import collections
import importlib.metadata
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from results_file import write_results  # noqa: E402

STAGING = "https://hub-ci.huggingface.co"
USER = "hub-compat-user"
TOKEN = "hf_local_hub_compat_token_0123456789"
#: The parts a practice Hub should have: repositories, commits, uploads, downloads, snapshots,
#: tags, branches, refs, commit lists, paths-info, copies.
DEFAULT_FILES = [
    "test_hf_api.py", "test_file_download.py", "test_snapshot_download.py", "test_commit_api.py",
    "test_copy_files.py", "test_lfs.py", "test_upload_pipeline.py",
]
#: First match wins; "id" looks at the test's id, "source" at its code, "class" also at its class's code.
SCOPE_RULES = [
    {"in": "id", "words": ["xet", "Xet"], "reason": "Xet storage (the local Hub takes large files through Git LFS)"},
    {"in": "id", "words": ["Discussion", "discussion"],
     "reason": "discussions and their comments (pull requests are kept as refs only)"},
    {"in": "source", "words": ["OTHER_TOKEN", "OTHER_USER", "ENTERPRISE_"], "reason": "the staging Hub's other accounts"},
    {"in": "class", "words": ["api_prod", "ENDPOINT_PRODUCTION"], "reason": "repositories on huggingface.co"},
    {"in": "source", "words": ["gated", "access_request", "AccessRequest"], "reason": "gated repositories"},
    {"in": "class", "words": ["DUMMY_MODEL_ID", "DUMMY_DATASET_ID", "DUMMY_RENAMED", "SAMPLE_DATASET_IDENTIFIER",
                              "DUMMY_EXTRA_LARGE", "FULL_NAME", "valid_org"],
     "reason": "repositories and account details seeded on the staging Hub"},
    {"in": "source", "words": ["bucket_write", "bucket_with_files"], "reason": "storage buckets"},
    {"in": "id", "words": ["repo_to_repo"], "reason": "copying LFS files between repositories (the client needs their Xet hashes)"},
    {"in": "id", "words": ["Space", "space", "Collection", "Paper", "Webhook", "Inference", "inference", "UserApi",
                           "Activity", "Jobs", "jobs", "Bucket", "bucket", "like", "Like"],
     "reason": "Hub services beyond repositories (Spaces, collections, papers, webhooks, inference, jobs, buckets, likes)"},
    {"in": "source", "words": ["list_lfs_files", "permanently_delete_lfs_files"], "reason": "listing and purging LFS files"},
]
_LOG_LINE = re.compile(r'^\[local-hub\] \S+ "(\w+) (\S+) HTTP/[\d.]+" (\d+)$')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sdist(version: str, cache: Path) -> Path:
    """The source distribution of huggingface_hub ``version``, downloaded from the registry once."""
    cache.mkdir(parents=True, exist_ok=True)
    found = sorted(cache.glob(f"huggingface_hub-{version}.tar.gz"))
    if found:
        return found[0]
    subprocess.run(
        [sys.executable, "-m", "pip", "download", f"huggingface_hub=={version}", "--no-binary", ":all:", "--no-deps",
         "--no-build-isolation", "-q", "-d", str(cache)],
        check=True,
    )
    return next(cache.glob(f"huggingface_hub-{version}.tar.gz"))


def unpack_tests(archive: Path, into: Path, endpoint: str) -> Path:
    """The sdist's ``tests/`` as a package under ``into``, pointed at ``endpoint`` with our user and token."""
    tests = into / "tests"
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if "/tests/" in m.name and m.isfile()]
        for member in members:
            relative = member.name.split("/tests/", 1)[1]
            target = tests / relative
            if not target.resolve().is_relative_to(tests.resolve()):  # no '..' out of the folder
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(member) as src:  # type: ignore[union-attr]
                target.write_bytes(src.read())
    for path in tests.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if STAGING in text:
            path.write_text(text.replace(STAGING, endpoint), encoding="utf-8")
    constants = tests / "testing_constants.py"
    text = constants.read_text(encoding="utf-8")
    text = re.sub(r'^USER = ".*"$', f'USER = "{USER}"', text, flags=re.M)
    text = re.sub(r'^TOKEN = ".*"$', f'TOKEN = "{TOKEN}"', text, flags=re.M)
    constants.write_text(text, encoding="utf-8")
    (tests / "__init__.py").touch()
    shutil.copy(ROOT / "scripts" / "hub_compat_conftest.py", tests / "conftest.py")
    (into / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n", encoding="utf-8")
    return tests


def reached(log: Path, index: Path) -> set[str]:
    """The ids of the tests during which the server answered a request other than the brackets."""
    names = dict(line.split("\t", 1) for line in index.read_text(encoding="utf-8").splitlines() if "\t" in line)
    hit: set[str] = set()
    current: str | None = None
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        match = _LOG_LINE.match(line.strip())
        if not match:
            continue
        path = match.group(2)
        if path.startswith("/__compat__/start/"):
            current = path.rsplit("/", 1)[1]
        elif path.startswith("/__compat__/end/"):
            current = None
        elif current is not None and current in names:
            hit.add(names[current].strip())
    return hit


def outcomes(path: Path) -> dict[str, tuple[str, str]]:
    """Each test's final outcome (``passed``, ``failed``, ``error``, ``skipped``) and message."""
    final: dict[str, tuple[str, str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        report = json.loads(line)
        previous = final.get(report["id"])
        if report["outcome"] == "failed":
            kind = "failed" if report["when"] == "call" else "error"
            final[report["id"]] = (kind, report["message"])
        elif report["outcome"] == "skipped" and (previous is None or previous[0] == "passed"):
            final[report["id"]] = ("skipped", report["message"])
        elif previous is None:
            final[report["id"]] = (report["outcome"], report["message"])
    return final


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="+", default=DEFAULT_FILES, help="test files of the sdist to run")
    parser.add_argument("-k", default=None, help="pytest -k expression, to run a part")
    parser.add_argument("--build", type=Path, default=ROOT / "build" / "hub-compat")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "hub_compat.json")
    args = parser.parse_args(argv)

    version = importlib.metadata.version("huggingface_hub")
    archive = sdist(version, args.build)
    run = args.build / "run"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True)
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    tests = unpack_tests(archive, run, endpoint)
    scope, index, results_log, server_log = run / "scope.json", run / "index.tsv", run / "outcomes.jsonl", run / "server.log"
    scope.write_text(json.dumps({"rules": SCOPE_RULES, "numbers": {}}), encoding="utf-8")
    index.touch()
    results_log.touch()

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}
    env.update(HF_ENDPOINT=endpoint, HF_HUB_DISABLE_XET="1", HF_HUB_DISABLE_TELEMETRY="1", HF_HOME=str(run / "hf-home"),
               HUB_COMPAT_SCOPE=str(scope), HUB_COMPAT_INDEX=str(index), HUB_COMPAT_OUTCOMES=str(results_log))
    with open(server_log, "w", encoding="utf-8") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "course_utils.machinery.hub_server", "--data-dir", str(run / "hub-data"), "--port", str(port),
             "--token", TOKEN, "--user", USER, "--no-fsync", "--verbose"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log, env=env,
        )
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("the local Hub did not start; see " + str(server_log)) from None
                    time.sleep(0.2)
            command = [sys.executable, "-m", "pytest", "-q", "-c", str(run / "pytest.ini"), "--rootdir", str(run)]
            command += [str(tests / name) for name in args.files]
            if args.k:
                command += ["-k", args.k]
            start = time.monotonic()
            subprocess.run(command, cwd=run, env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            seconds = time.monotonic() - start
        finally:
            server.terminate()
            server.wait(timeout=30)

    final = outcomes(results_log)
    hit = reached(server_log, index)
    out_of_scope = {test: message.removeprefix("out of scope: ")
                    for test, (kind, message) in final.items() if kind == "skipped" and message.startswith("out of scope")}
    in_scope = {test: final[test] for test in hit if test in final and test not in out_of_scope}
    passed = sorted(t for t, (kind, _) in in_scope.items() if kind == "passed")
    failed = {t: f"{kind}: {message}" for t, (kind, message) in sorted(in_scope.items()) if kind in ("failed", "error")}
    figures = {
        "huggingface_hub": version,
        "files": args.files,
        "selection": args.k,
        "seconds": round(seconds, 1),
        "tests_run_or_skipped": len(final),
        "in_scope": len(in_scope),
        "passed": len(passed),
        "failed": len(failed),
        "pass_rate": round(len(passed) / max(1, len(in_scope)), 4),
        "out_of_scope": len(out_of_scope),
        "out_of_scope_by_reason": dict(collections.Counter(out_of_scope.values()).most_common()),
        "not_reaching_the_server": len([t for t in final if t not in hit and t not in out_of_scope]),
        "failures": failed,
        "out_of_scope_tests": dict(sorted(out_of_scope.items())),
    }
    result = write_results(args.output, "hub_compat", figures)
    print(f"huggingface_hub {version}: {result['in_scope']} in-scope tests reached the server; "
          f"{result['passed']} passed, {result['failed']} failed ({result['pass_rate']:.1%}); "
          f"{result['out_of_scope']} out of scope; {result['seconds']} s")
    for reason, count in result["out_of_scope_by_reason"].items():
        print(f"  out of scope, {count}: {reason}")
    for test, message in failed.items():
        print(f"  FAILED {test}: {message[:160]}")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
