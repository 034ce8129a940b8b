"""A classroom on one local Hub: learners pushing and pulling at once, with idle connections held open.

    python benchmarks/classroom.py [--learners 30] [--idle 1000] [--mb 3] [--fd-limit 1024]
                                   [--big 4] [--big-mb 300] [--servers current,baseline] [--baseline-rev REV]

Starts the local Hub as its own process (``python -m course_utils.machinery.hub_server``), with the open-file
limit a learner's laptop typically has (``--fd-limit``) and an account per learner. Then, at once:
``--idle`` connections are opened from their own address (``--idle-from``, one machine of the room)
and held without sending a request, reopened whenever the server closes them; and each learner,
in a thread with the real ``huggingface_hub`` client and their own token, creates a repository,
uploads a model folder of ``--mb`` MB and downloads three other learners' repositories. Then
``--big`` uploads of ``--big-mb`` MB each run at once. Measures the success rate of those
operations, their p50 / p95 latency, and the server's peak memory (``VmHWM``) after the room and
after the large uploads.

The room runs once per scenario of ``--scenarios`` (the learners and their operations are the same;
what the other machine of the room does differs):

- ``idle``: the ``--idle`` connections above (and then the large uploads);
- ``early-answer``: 128 connections from each of four addresses, each an anonymous commit that
  announces 100 MB, sends about 750 KB, gets its 401 and then sends nothing, its socket kept open
  (before, each held its place until the server restarted: the room got 503);
- ``slow-body``: 300 connections from one address, each ``POST /api/validate-yaml`` announcing
  1 MB and sending one byte every 5 s, reopened as soon as they close (before, they took every
  worker).

Each server of ``--servers`` runs the same script: ``current`` is this checkout, ``baseline`` the
package at ``--baseline-rev`` (taken with ``git archive``; by default the last commit with the
standard library's ``http.server`` layer; ``4ddcafa`` is the server before the early-answer and
slow-body fixes). Prints the figures and writes them to
``benchmarks/results/classroom.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import socket
import subprocess
import sys
import tarfile
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

from course_utils.machinery.hub_server.accounts import Accounts  # noqa: E402


def start_server(data: Path, fd_limit: int, package_root: Path) -> tuple[subprocess.Popen[str], str]:
    def limit_files() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    process = subprocess.Popen(
        [sys.executable, "-m", "course_utils.machinery.hub_server", "--data-dir", str(data), "--port", "0", "--no-fsync"],
        cwd=package_root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, preexec_fn=limit_files,
        env={**os.environ, "PYTHONPATH": str(package_root)},
    )
    assert process.stdout is not None
    for line in process.stdout:
        if " at http://" in line:
            return process, line.rsplit(" at ", 1)[1].strip()
    raise RuntimeError("the server did not start")


def baseline_package(rev: str, into: Path) -> Path:
    """``course_utils`` as it was at ``rev``, unpacked into ``into``."""
    archive = subprocess.run(["git", "archive", rev, "course_utils"], cwd=ROOT, check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


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


#: What each scenario's connections send when they open (``{port}`` filled in), whether they are
#: reopened when the server closes them, and the seconds between the bytes they trickle afterwards.
ATTACKS: dict[str, tuple[bytes, bool, float | None]] = {
    "idle": (b"", True, None),
    "early-answer": (
        b"POST /api/models/x/y/commit/main HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n" + b"a" * 750_000,
        False, None,
    ),
    "slow-body": (
        b"POST /api/validate-yaml HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{",
        True, 5.0,
    ),
}


class IdleHolder(threading.Thread):
    """Keeps ``count`` connections open from ``source``, as ``mode`` of :data:`ATTACKS` says.

    ``idle``: nothing sent, closed ones reopened every second.
    """

    def __init__(self, url: str, count: int, source: str, server_pid: int, mode: str = "idle") -> None:
        super().__init__(daemon=True)
        self.opening, self.reopen, self.trickle = ATTACKS[mode]
        self.last_byte: dict[socket.socket, float] = {}
        self.server_pid = server_pid
        self.server_most_files = 0
        host, port = url.removeprefix("http://").split(":")
        self.address = (host, int(port))
        self.count = count
        self.source = source
        self.stop = threading.Event()
        self.sockets: list[socket.socket] = []
        self.opened = self.closed_by_server = self.most_open = 0

    def _open(self) -> None:
        if not self.reopen and self.opened >= self.count:
            return
        while len(self.sockets) < self.count and not self.stop.is_set():
            try:
                sock = socket.create_connection(self.address, timeout=5, source_address=(self.source, 0))
                if self.opening:
                    sock.settimeout(0.5)  # a server that stopped reading takes no more
                    with contextlib.suppress(socket.timeout, BrokenPipeError, ConnectionResetError):
                        sock.sendall(self.opening)
            except OSError:
                return
            sock.setblocking(False)
            self.sockets.append(sock)
            self.last_byte[sock] = time.monotonic()
            self.opened += 1

    def _prune(self) -> None:
        alive = []
        now = time.monotonic()
        for sock in self.sockets:
            try:
                # an answer (a 503, a 401) is read and the socket kept, until the server ends the stream
                gone = sock.recv(65536) == b"" and self.opening != b""
                if not self.opening:
                    gone = True  # idle: whatever comes (a 503 or the end) means the server let go
            except BlockingIOError:
                gone = False
            except OSError:
                gone = True
            if not gone and self.trickle is not None and now - self.last_byte[sock] >= self.trickle:
                try:
                    sock.send(b" ")
                    self.last_byte[sock] = now
                except BlockingIOError:
                    pass
                except OSError:
                    gone = True
            if gone:
                sock.close()
                self.last_byte.pop(sock, None)
                self.closed_by_server += 1
            else:
                alive.append(sock)
        self.sockets = alive

    def run(self) -> None:
        while not self.stop.is_set():
            self._prune()
            self.most_open = max(self.most_open, len(self.sockets))
            self._open()
            self.most_open = max(self.most_open, len(self.sockets))
            with contextlib.suppress(OSError):
                self.server_most_files = max(self.server_most_files, len(os.listdir(f"/proc/{self.server_pid}/fd")))
            self.stop.wait(1.0)
        for sock in self.sockets:
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


def big_upload(name: str, token: str, url: str, mb: float, scratch: Path, results: list) -> None:
    from huggingface_hub import HfApi

    api = HfApi(endpoint=url, token=token)
    path = scratch / f"{name}-big.bin"
    with open(path, "wb") as fh:
        for _ in range(int(mb)):
            fh.write(os.urandom(1_000_000))
    timed(results, "big_upload", lambda: api.upload_file(path_or_fileobj=str(path), path_in_repo="big.bin", repo_id=f"{name}/model"))
    path.unlink()


def summary(results: list[tuple[str, bool, float, str]]) -> dict:
    kinds = sorted({kind for kind, *_ in results})
    return {
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
        "errors": sorted({error for *_, error in results if error})[:6],
    }


def attackers(url: str, scenario: str, idle: int, idle_from: str, server_pid: int) -> list[IdleHolder]:
    """The other machine of the room, in ``scenario``: one holder per address it uses."""
    if scenario == "idle":
        return [IdleHolder(url, idle, idle_from, server_pid)]
    if scenario == "early-answer":
        return [IdleHolder(url, 128, f"127.0.0.{2 + i}", server_pid, scenario) for i in range(4)]
    return [IdleHolder(url, 300, idle_from, server_pid, scenario)]


def run_room(args: argparse.Namespace, package_root: Path, scratch: Path, scenario: str = "idle") -> dict:
    names = [f"learner{i:02d}" for i in range(args.learners)]
    accounts = Accounts(scratch / "data")
    tokens = {name: accounts.add_user(name) for name in names}
    server, url = start_server(scratch / "data", args.fd_limit, package_root)
    holders = attackers(url, scenario, args.idle, args.idle_from, server.pid)
    results: list[tuple[str, bool, float, str]] = []
    big_results: list[tuple[str, bool, float, str]] = []
    start = time.monotonic()
    try:
        for holder in holders:
            holder.start()
        asked = sum(holder.count for holder in holders)
        accepted = wait_until_accepted(server.pid, asked, seconds=15)  # the connections are in before the room starts
        start = time.monotonic()
        uploaded = threading.Barrier(len(names))
        with ThreadPoolExecutor(max_workers=args.learners) as pool:
            for i, name in enumerate(names):
                others = [names[(i + k) % len(names)] for k in (1, 2, 3) if len(names) > k]
                pool.submit(learner, name, tokens[name], url, others, args.mb, scratch / "learners", results, uploaded)
        elapsed = time.monotonic() - start
        peak_room = peak_memory_mb(server.pid)
        big_start = time.monotonic()
        if args.big and scenario == "idle":
            with ThreadPoolExecutor(max_workers=args.big) as pool:
                for name in names[: args.big]:
                    pool.submit(big_upload, name, tokens[name], url, args.big_mb, scratch, big_results)
        big_elapsed = time.monotonic() - big_start
        peak_big = peak_memory_mb(server.pid)
    finally:
        for holder in holders:
            holder.stop.set()
        for holder in holders:
            holder.join()
        server.terminate()
        server.wait(timeout=30)
    return {
        "scenario": scenario,
        "idle_connections_opened": sum(holder.opened for holder in holders),
        "idle_connections_most_open_at_once": sum(holder.most_open for holder in holders),
        "idle_connections_closed_or_refused_by_the_server": sum(holder.closed_by_server for holder in holders),
        "server_open_files_taken_by_idle_connections_before_the_room": accepted,
        "server_most_open_files_seen": max(holder.server_most_files for holder in holders),
        "room_seconds": round(elapsed, 1),
        "room": summary(results),
        "server_peak_memory_mb_after_the_room": round(peak_room, 1),
        "big_uploads_seconds": round(big_elapsed, 1),
        "big_uploads": summary(big_results),
        "server_peak_memory_mb_with_big_uploads": round(peak_big, 1),
    }


def report(figures: dict, fd_limit: int) -> None:
    print(f"room: {figures['room']['success_rate']:.1%} of {figures['room']['operations']} operations, "
          f"{figures['room_seconds']} s; peak {figures['server_peak_memory_mb_after_the_room']} MB", flush=True)
    for kind, figure in figures["room"]["latency_s"].items():
        print(f"  {kind}: p50 {figure['p50']} s, p95 {figure['p95']} s, {figure['failed']} failed")
    if figures["big_uploads"]["operations"]:
        print(f"big uploads: {figures['big_uploads']['success_rate']:.1%} of {figures['big_uploads']['operations']}, "
              f"{figures['big_uploads_seconds']} s; peak {figures['server_peak_memory_mb_with_big_uploads']} MB", flush=True)
    print(f"server: at most {figures['server_most_open_files_seen']} open files of {fd_limit}")
    print(f"other machine's connections: {figures['idle_connections_opened']} opened, at most "
          f"{figures['idle_connections_most_open_at_once']} open at once, "
          f"{figures['idle_connections_closed_or_refused_by_the_server']} closed or refused by the server")
    for error in figures["room"]["errors"] + figures["big_uploads"]["errors"]:
        print("  error:", error)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=30)
    parser.add_argument("--idle", type=int, default=1000, help="connections held open without a request")
    parser.add_argument("--idle-from", default="127.0.0.2", help="the address the idle connections come from")
    parser.add_argument("--mb", type=float, default=3.0, help="size of each learner's model file")
    parser.add_argument("--big", type=int, default=4, help="large uploads at once after the room")
    parser.add_argument("--big-mb", type=float, default=300.0, help="size of each large upload")
    parser.add_argument("--fd-limit", type=int, default=1024, help="the server's open-file limit")
    parser.add_argument("--servers", default="current,baseline", help="which servers to run, in order")
    parser.add_argument("--scenarios", default="idle,early-answer,slow-body", help="which scenarios to run, in order")
    parser.add_argument("--baseline-rev", default="7b02604", help="the commit whose server is the baseline")
    parser.add_argument("--output", type=Path, default=HERE / "results" / "classroom.json")
    args = parser.parse_args(argv)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # this process holds the idle connections
    # A request the server never answers fails after 20 s instead of hanging the room.
    os.environ.update(HF_HUB_DISABLE_PROGRESS_BARS="1", HF_HUB_DISABLE_TELEMETRY="1", HF_HUB_DISABLE_XET="1", HF_HUB_ETAG_TIMEOUT="20",
                      HF_HUB_DOWNLOAD_TIMEOUT="20")
    servers: dict[str, dict] = {}
    for scenario in args.scenarios.split(","):
        if scenario not in ATTACKS:
            parser.error(f"unknown scenario {scenario!r}: choose from {', '.join(ATTACKS)}")
    for which in args.servers.split(","):
        if which == "current":
            label = "Hypercorn + Starlette, connection and request caps, streamed bodies"
        elif which == "baseline":
            label = f"the server of commit {args.baseline_rev}"
        else:
            parser.error(f"unknown server {which!r}: current or baseline")
        servers[which] = {"server": label, "scenarios": {}}
        for scenario in args.scenarios.split(","):
            with tempfile.TemporaryDirectory(prefix="classroom-") as tmp:
                scratch = Path(tmp)
                package_root = ROOT if which == "current" else baseline_package(args.baseline_rev, scratch / "baseline")
                print(f"== {which}: {label}; scenario {scenario}", flush=True)
                figures = run_room(args, package_root, scratch, scenario)
            servers[which]["scenarios"][scenario] = figures
            report(figures, args.fd_limit)
    write_results(args.output, "classroom", {
        "learners": args.learners, "idle_connections_asked": args.idle, "idle_from": args.idle_from,
        "server_fd_limit": args.fd_limit, "model_mb": args.mb, "big_uploads": args.big, "big_upload_mb": args.big_mb,
        "servers": servers,
    })
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return 0


if __name__ == "__main__":
    sys.exit(main())
