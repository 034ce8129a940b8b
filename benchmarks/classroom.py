"""A classroom on one local Hub: learners pushing and pulling at once, with idle connections held open.

    python benchmarks/classroom.py [--learners 30] [--idle 1000] [--mb 3] [--fd-limit 1024]

Starts the local Hub as its own process (``python -m course_utils.hub_server``), with the open-file
limit a learner's laptop typically has (``--fd-limit``) and an account per learner. Then, at once:
``--idle`` connections are opened and held without sending a request (a room's browsers and
stalled clients), and each learner, in a thread with the real ``huggingface_hub`` client and their
own token, creates a repository, uploads a model folder of ``--mb`` MB and downloads three other
learners' repositories. Measures the success rate of those operations, their p50 / p95 latency,
and the server's peak memory (``VmHWM``). Prints the figures and writes them to
``benchmarks/results/classroom.json`` (issue 13 compares this server with the next one, in the
same run, with the same script).
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from results_file import write_results  # noqa: E402

from course_utils.hub_server.accounts import Accounts  # noqa: E402


def start_server(data: Path, fd_limit: int) -> tuple[subprocess.Popen[str], str]:
    def limit_files() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    process = subprocess.Popen(
        [sys.executable, "-m", "course_utils.hub_server", "--data-dir", str(data), "--port", "0", "--no-fsync"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, preexec_fn=limit_files,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if " at http://" in line:
            return process, line.rsplit(" at ", 1)[1].strip()
    raise RuntimeError("the server did not start")


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_until_accepted(pid: int, count: int, seconds: float = 30.0) -> int:
    """Wait until the server holds ``count`` more open files than at rest (it accepted the idle connections)."""
    at_rest = len(os.listdir(f"/proc/{pid}/fd"))
    deadline = time.monotonic() + seconds
    held = 0
    while time.monotonic() < deadline:
        held = len(os.listdir(f"/proc/{pid}/fd")) - at_rest
        if held >= count:
            break
        time.sleep(0.1)
    time.sleep(0.5)
    return held


def hold_idle(url: str, count: int, stop: threading.Event, opened: list[int]) -> None:
    host, port = url.removeprefix("http://").split(":")
    sockets = []
    for _ in range(count):
        try:
            sockets.append(socket.create_connection((host, int(port)), timeout=5))
        except OSError:
            break
    opened.append(len(sockets))
    stop.wait()
    for sock in sockets:
        sock.close()


def timed(results: list[tuple[str, bool, float, str]], kind: str, action) -> None:
    start = time.monotonic()
    try:
        action()
        results.append((kind, True, time.monotonic() - start, ""))
    except Exception as error:  # noqa: BLE001 - every failure is a figure
        results.append((kind, False, time.monotonic() - start, f"{type(error).__name__}: {str(error)[:120]}"))


def learner(
    name: str, token: str, url: str, others: list[str], mb: float, scratch: Path, results: list, uploaded: threading.Barrier
) -> None:
    from huggingface_hub import HfApi, snapshot_download

    api = HfApi(endpoint=url, token=token)
    folder = scratch / name / "model"
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(os.urandom(int(mb * 1e6)))
    (folder / "config.json").write_text('{"model_type": "bert"}')
    timed(results, "create", lambda: api.create_repo(f"{name}/model"))
    timed(results, "upload", lambda: api.upload_folder(folder_path=str(folder), repo_id=f"{name}/model"))
    try:
        uploaded.wait(timeout=600)  # everyone's model is in before anyone pulls
    except threading.BrokenBarrierError:
        pass
    for other in others:
        timed(results, "download", lambda other=other: snapshot_download(
            f"{other}/model", endpoint=url, token=token, cache_dir=str(scratch / name / "cache")))


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--idle", type=int, default=1000, help="connections held open without a request")
    parser.add_argument("--mb", type=float, default=3.0, help="size of each learner's model file")
    parser.add_argument("--fd-limit", type=int, default=1024, help="the server's open-file limit")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "classroom.json")
    args = parser.parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # this process holds the idle connections

    with tempfile.TemporaryDirectory(prefix="classroom-") as tmp:
        scratch = Path(tmp)
        names = [f"learner{i:02d}" for i in range(args.learners)]
        accounts = Accounts(scratch / "data")
        tokens = {name: accounts.add_user(name) for name in names}
        # A request the server never answers fails after 20 s instead of hanging the room.
        os.environ.update(HF_HUB_DISABLE_PROGRESS_BARS="1", HF_HUB_DISABLE_TELEMETRY="1", HF_HUB_ETAG_TIMEOUT="20",
                          HF_HUB_DOWNLOAD_TIMEOUT="20")
        server, url = start_server(scratch / "data", args.fd_limit)
        stop, opened = threading.Event(), []
        idle = threading.Thread(target=hold_idle, args=(url, args.idle, stop, opened))
        results: list[tuple[str, bool, float, str]] = []
        start = time.monotonic()
        try:
            idle.start()
            accepted = wait_until_accepted(server.pid, args.idle)  # the idle connections are in before the room starts
            uploaded = threading.Barrier(len(names))
            with ThreadPoolExecutor(max_workers=args.learners) as pool:
                for i, name in enumerate(names):
                    others = [names[(i + k) % len(names)] for k in (1, 2, 3) if len(names) > k]
                    pool.submit(learner, name, tokens[name], url, others, args.mb, scratch / "learners", results, uploaded)
            elapsed = time.monotonic() - start
            peak = peak_memory_mb(server.pid)
        finally:
            stop.set()
            idle.join()
            server.terminate()
            server.wait(timeout=30)

    kinds = sorted({kind for kind, *_ in results})
    figures = {
        "server": "http.server (ThreadingHTTPServer), a thread per connection",
        "learners": args.learners,
        "idle_connections_asked": args.idle,
        "idle_connections_opened": opened[0] if opened else 0,
        "idle_connections_accepted_by_the_server": accepted,
        "server_fd_limit": args.fd_limit,
        "model_mb": args.mb,
        "seconds": round(elapsed, 1),
        "operations": len(results),
        "success_rate": round(sum(ok for _, ok, *_ in results) / max(1, len(results)), 4),
        "latency_s": {
            kind: {
                "p50": round(percentile([s for k, ok, s, _ in results if k == kind and ok], 0.5), 3),
                "p95": round(percentile([s for k, ok, s, _ in results if k == kind and ok], 0.95), 3),
                "failed": sum(1 for k, ok, *_ in results if k == kind and not ok),
            }
            for kind in kinds
        },
        "server_peak_memory_mb": round(peak, 1),
        "errors": sorted({error for *_, error in results if error})[:10],
    }
    result = write_results(args.output, "classroom", figures)
    for key in ("learners", "idle_connections_opened", "idle_connections_accepted_by_the_server", "server_fd_limit", "seconds", "success_rate", "server_peak_memory_mb"):
        print(f"{key}: {result[key]}")
    for kind, figure in result["latency_s"].items():
        print(f"{kind}: p50 {figure['p50']} s, p95 {figure['p95']} s, {figure['failed']} failed")
    for error in result["errors"]:
        print("error:", error)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return 0


if __name__ == "__main__":
    sys.exit(main())
