"""Nothing is lost: interrupted and malformed commits, restarts, concurrency, clean shutdown, quiet logs."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import random
import re
import signal
import socket
import threading
import time
from pathlib import Path

import pytest

from course_utils.machinery.hub_server import LocalHub
from hub_fixtures import raw_request, start_cli_server

pytestmark = pytest.mark.main_env

HEADER = {"key": "header", "value": {"summary": "test", "description": ""}}


def ndjson(*items: dict) -> bytes:
    return b"".join(json.dumps(item).encode() + b"\n" for item in items)


def file_line(path: str, content: bytes) -> dict:
    return {"key": "file", "value": {"content": base64.b64encode(content).decode(), "path": path, "encoding": "base64"}}


def snapshot_state(data_dir: Path) -> dict[str, bytes]:
    """Every file of the data folder except locks and temp files, with its content."""
    return {
        str(p.relative_to(data_dir)): p.read_bytes()
        for p in sorted(data_dir.rglob("*"))
        if p.is_file() and p.relative_to(data_dir).parts[0] not in ("locks", "tmp")
    }


def wait_idle(hub: LocalHub, baseline: int = 0, timeout: float = 10.0) -> None:
    """Wait until the server is down to ``baseline`` open connections (the client's keep-alive pool).

    A dropped connection is closed by the server once it has dealt with what it received.
    """
    deadline = time.monotonic() + timeout
    while hub.active_connections > baseline and time.monotonic() < deadline:
        time.sleep(0.02)
    assert hub.active_connections <= baseline


def hub_threads(port: int) -> list[threading.Thread]:
    """The live threads of the server on that port (the session hub runs beside the tests)."""
    return [t for t in threading.enumerate() if t.name.startswith(f"local-hub-{port}-")]


def test_interrupted_commit_leaves_the_repository_as_it_was(hub, hub_api, tmp_path):
    repo = "learner/interrupted"
    hub_api.create_repo(repo)
    hub_api.upload_file(path_or_fileobj=b"before", path_in_repo="kept.txt", repo_id=repo)
    before = snapshot_state(tmp_path / "data")
    head = hub_api.repo_info(repo).sha

    big = random.Random(1).randbytes(1 << 20)
    body = ndjson(HEADER, file_line("first.bin", big), file_line("kept.txt", b"after"), file_line("second.bin", big[::-1]))
    request_head = (
        f"POST /api/models/{repo}/commit/main HTTP/1.1\r\nHost: {hub.url[7:]}\r\n"
        f"Authorization: Bearer {hub.token}\r\nContent-Type: application/x-ndjson\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    for cut in (0, len(body) // 2, len(body) - 10):  # headers only; half; all but the last bytes
        baseline = hub.active_connections  # the client's keep-alive connections
        with socket.create_connection(("127.0.0.1", hub.port)) as sock:
            sock.sendall(request_head + body[:cut])
            deadline = time.monotonic() + 5
            while hub.active_connections <= baseline and time.monotonic() < deadline:
                time.sleep(0.01)  # the server has accepted it
        wait_idle(hub, baseline)
        assert snapshot_state(tmp_path / "data") == before, cut
        assert not any(hub.storage.tmp_dir.iterdir()), "staged blobs must be removed"

    assert hub_api.repo_info(repo).sha == head
    assert sorted(hub_api.list_repo_files(repo)) == [".gitattributes", "kept.txt"]
    # The same body sent completely is committed.
    status, _, reply = raw_request(hub, "POST", f"/api/models/{repo}/commit/main", body, token=hub.token,
                                   headers={"Content-Type": "application/x-ndjson"})
    assert status == 200 and reply["commitOid"] == hub_api.repo_info(repo).sha
    assert sorted(hub_api.list_repo_files(repo)) == [".gitattributes", "first.bin", "kept.txt", "second.bin"]


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_server_killed_mid_commit_loses_nothing_and_cleans_up(tmp_path, hub_online):
    """A server process killed (SIGKILL) while it receives a commit: after a restart, the repository is
    exactly as before and the staged files the dead process left behind are gone."""
    from huggingface_hub import HfApi

    data = tmp_path / "data"
    proc, lines = start_cli_server("--data-dir", str(data), "--port", "0", "--token", "crash-token")
    try:
        match = re.search(r"export HF_ENDPOINT=http://127\.0\.0\.1:(\d+)", "\n".join(lines))
        assert match, lines
        port = int(match.group(1))
        api = HfApi(endpoint=f"http://127.0.0.1:{port}", token="crash-token")
        api.create_repo("learner/crash")
        api.upload_file(path_or_fileobj=b"before", path_in_repo="kept.txt", repo_id="learner/crash")
        head = api.repo_info("learner/crash").sha
        before = snapshot_state(data)

        body = ndjson(HEADER, file_line("staged.bin", os.urandom(1 << 20)), file_line("never.bin", os.urandom(1 << 20)))
        request_head = (
            f"POST /api/models/learner/crash/commit/main HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Authorization: Bearer crash-token\r\nContent-Type: application/x-ndjson\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(request_head + body[: len(body) * 3 // 4])  # first file complete, second half-sent
            deadline = time.monotonic() + 10
            while not list(data.glob("tmp/*/blob-*")) and time.monotonic() < deadline:
                time.sleep(0.02)
            assert list(data.glob("tmp/*/blob-*")), "the server should have staged the first file"
            proc.send_signal(signal.SIGKILL)
            proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=20)

    with LocalHub(data, token="crash-token") as hub:
        assert not list(data.glob("tmp/*/blob-*")), "leftovers of the killed process are removed at start"
        assert snapshot_state(data) == before
        api = HfApi(endpoint=hub.url, token=hub.token)
        assert api.repo_info("learner/crash").sha == head
        assert sorted(api.list_repo_files("learner/crash")) == [".gitattributes", "kept.txt"]


@pytest.mark.parametrize(
    "lines, status",
    [
        ([HEADER, file_line("new.bin", b"n" * 5000), b"{this is not json"], 400),
        ([HEADER, file_line("new.bin", b"n" * 5000), {"key": "file", "value": {"path": "b.bin", "content": "!!!"}}], 400),
        ([file_line("new.bin", b"n" * 5000), HEADER], 400),
        ([HEADER, file_line("new.bin", b"n" * 5000), {"key": "rename", "value": {"path": "x"}}], 400),
        ([HEADER, file_line("new.bin", b"n" * 5000), {"key": "lfsFile", "value": {"path": "l", "oid": "0" * 64}}], 400),
        ([HEADER, file_line("new.bin", b"n" * 5000), {"key": "deletedFile", "value": {"path": "missing.txt"}}], 404),
        ([HEADER, file_line("new.bin", b"n" * 5000), file_line("kept.txt/inner", b"x")], 400),
        ([HEADER, file_line("new.bin", b"n" * 5000), HEADER], 400),
        ([{"key": "header", "value": {"summary": "x", "parentCommit": "not-a-sha"}}, file_line("new.bin", b"n")], 400),
        ([], 400),
    ],
)
def test_malformed_commit_changes_nothing(hub, hub_api, tmp_path, lines, status):
    repo = "learner/malformed"
    hub_api.create_repo(repo)
    hub_api.upload_file(path_or_fileobj=b"before", path_in_repo="kept.txt", repo_id=repo)
    before = snapshot_state(tmp_path / "data")
    body = b"".join(line + b"\n" if isinstance(line, bytes) else ndjson(line) for line in lines)
    got, headers, reply = raw_request(hub, "POST", f"/api/models/{repo}/commit/main", body, token=hub.token,
                                      headers={"Content-Type": "application/x-ndjson"})
    assert got == status and isinstance(reply["error"], str) and reply["error"]
    assert snapshot_state(tmp_path / "data") == before  # no ref moved, no manifest, no blob of new.bin
    assert not any(hub.storage.tmp_dir.iterdir())
    assert sorted(hub_api.list_repo_files(repo)) == [".gitattributes", "kept.txt"]


def test_restart_keeps_repositories_history_and_tags(tmp_path, hub_online):
    from huggingface_hub import HfApi, hf_hub_download
    from huggingface_hub.errors import HfHubHTTPError

    data = tmp_path / "data"
    with LocalHub(data, token="tok-restart") as first:
        api = HfApi(endpoint=first.url, token=first.token)
        api.create_repo("learner/kept")
        api.upload_file(path_or_fileobj=b"v1", path_in_repo="w.txt", repo_id="learner/kept")
        v1 = api.repo_info("learner/kept").sha
        api.create_tag("learner/kept", tag="v1")
        api.upload_file(path_or_fileobj=b"v2", path_in_repo="w.txt", repo_id="learner/kept")
        api.create_branch("learner/kept", branch="exp", revision=v1)
        api.create_repo("learner/kept-ds", repo_type="dataset")
        api.upload_file(path_or_fileobj=b"a,b\n", path_in_repo="d.csv", repo_id="learner/kept-ds", repo_type="dataset")
        api.create_repo("learner/kept-private", private=True)
        refs_before = api.list_repo_refs("learner/kept")
        head_before = api.repo_info("learner/kept").sha
        first_port = first.port
    assert not first.running and not hub_threads(first_port)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", first_port), timeout=2).close()

    with LocalHub(data, token="tok-restart") as second:
        api = HfApi(endpoint=second.url, token=second.token)
        assert api.repo_info("learner/kept").sha == head_before
        assert api.list_repo_refs("learner/kept") == refs_before
        for revision, expected in (("v1", b"v1"), (v1, b"v1"), ("exp", b"v1"), ("main", b"v2")):
            path = hf_hub_download("learner/kept", "w.txt", revision=revision, endpoint=second.url,
                                   token=second.token, cache_dir=tmp_path / "cache" / revision)
            assert Path(path).read_bytes() == expected
        assert api.list_repo_files("learner/kept-ds", repo_type="dataset") == [".gitattributes", "d.csv"]
        assert api.repo_info("learner/kept-private").private is True
        assert not HfApi(endpoint=second.url, token=False).repo_exists("learner/kept-private")
        # New commits continue the old history.
        api.upload_file(path_or_fileobj=b"v3", path_in_repo="w.txt", repo_id="learner/kept")
        assert api.list_repo_commits("learner/kept")[1].commit_id == head_before

    # The token is not stored: a server started with another token refuses the old one.
    with LocalHub(data, token="tok-other") as third:
        with pytest.raises(HfHubHTTPError) as info:
            HfApi(endpoint=third.url, token="tok-restart").repo_info("learner/kept")
        assert info.value.response.status_code == 401


def test_concurrent_uploads_and_downloads_lose_nothing(hub, hub_api, tmp_path, record_property):
    from huggingface_hub import hf_hub_download, snapshot_download

    repo = "learner/busy"
    hub_api.create_repo(repo)
    expected: dict[str, str] = {}
    lock = threading.Lock()
    errors: list[BaseException] = []
    counts = {"uploads": 0, "downloads": 0}
    n_threads, max_ops, duration = 6, 25, 4.0
    shared = b"identical content in every thread" * 1000
    start = time.monotonic()
    deadline = start + duration

    def worker(index: int) -> None:
        rng = random.Random(index)
        mine: list[str] = []
        try:
            for op in range(max_ops):
                if time.monotonic() > deadline:
                    break
                if mine and op % 3 == 2:
                    path = rng.choice(mine)
                    local = hf_hub_download(repo, path, endpoint=hub.url, token=hub.token,
                                            cache_dir=tmp_path / f"cache-{index}", force_download=True)
                    digest = hashlib.sha256(Path(local).read_bytes()).hexdigest()
                    with lock:
                        assert digest == expected[path], path
                        counts["downloads"] += 1
                    continue
                content = shared if op == 0 else rng.randbytes(rng.randint(1, 200_000))
                path = f"worker-{index}/file-{op}.bin"
                hub_api.upload_file(path_or_fileobj=content, path_in_repo=path, repo_id=repo)
                with lock:
                    expected[path] = hashlib.sha256(content).hexdigest()
                    counts["uploads"] += 1
                mine.append(path)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    elapsed = time.monotonic() - start
    assert not errors, errors
    assert not any(t.is_alive() for t in threads)
    total = counts["uploads"] + counts["downloads"]
    record_property("concurrent_ops", total)
    record_property("concurrent_seconds", round(elapsed, 2))
    print(f"concurrency: {counts['uploads']} uploads + {counts['downloads']} downloads by {n_threads} threads "
          f"in {elapsed:.1f} s")
    assert counts["uploads"] >= n_threads  # every thread got at least one commit in

    # Every upload is its own commit on top of the previous one: none lost.
    assert len(hub_api.list_repo_commits(repo)) == counts["uploads"] + 1
    files = set(hub_api.list_repo_files(repo))
    assert set(expected) <= files
    snapshot = Path(snapshot_download(repo, endpoint=hub.url, token=hub.token, cache_dir=tmp_path / "final"))
    for path, digest in expected.items():
        assert hashlib.sha256((snapshot / path).read_bytes()).hexdigest() == digest, path
    # Identical content uploaded by every thread is stored once.
    shared_blob = hub.storage.blob_path(hashlib.sha256(shared).hexdigest())
    assert shared_blob.read_bytes() == shared


def test_stop_closes_connections_and_joins_threads(tmp_path):
    hub = LocalHub(tmp_path / "data").start()
    idle = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=5)
    idle.request("GET", "/api/models/learner/x")  # keep-alive: the server keeps this connection open
    assert idle.getresponse().read()
    assert hub.active_connections == 1 and len(hub_threads(hub.port)) == 2  # server + connection
    started = time.monotonic()
    hub.stop()
    assert time.monotonic() - started < 3
    assert not hub_threads(hub.port) and not hub.running and hub.active_connections == 0
    idle.close()
    hub.stop()  # idempotent


def test_quiet_by_default_verbose_on_request(tmp_path, capfd):
    with LocalHub(tmp_path / "quiet") as hub:
        raw_request(hub, "GET", "/api/models/learner/missing")
        raw_request(hub, "GET", "/learner/x/resolve/main/../../etc")
        with socket.create_connection(("127.0.0.1", hub.port)) as sock:  # a connection dropped mid-request
            sock.sendall(b"POST /api/repos/create HTTP/1.1\r\nContent-Length: 100\r\n\r\n{")
        wait_idle(hub)
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""

    with LocalHub(tmp_path / "loud", verbose=True) as hub:
        raw_request(hub, "GET", "/api/models/learner/missing")
    assert '"GET /api/models/learner/missing HTTP/1.1" 404' in capfd.readouterr().err


def test_a_full_disk_is_answered_507_with_what_to_do(hub, hub_api, monkeypatch, repo_name):
    # Issue 21: disk full showed as a generic 500.
    import errno

    from huggingface_hub.errors import HfHubHTTPError

    from course_utils.machinery.hub_server.storage import Storage

    hub_api.create_repo(repo_name)

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Storage, "stage_blob", full)
    monkeypatch.setattr(Storage, "stage_stream", full)
    with pytest.raises(HfHubHTTPError) as raised:
        hub_api.upload_file(path_or_fileobj=b"some notes", path_in_repo="notes.txt", repo_id=f"{hub.user}/{repo_name}")  # not LFS
    assert raised.value.response.status_code == 507
    assert "disk is full" in raised.value.response.headers["X-Error-Message"]
