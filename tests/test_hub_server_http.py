"""The HTTP layer under a classroom's load: slow clients, too many connections or requests, large uploads."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import logging
import os
import socket
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from course_utils.machinery.hub_server import LocalHub
from course_utils.machinery.hub_server.asgi import ServerLimits
from hub_fixtures import raw_request

pytestmark = pytest.mark.main_env

HEADER = {"key": "header", "value": {"summary": "test", "description": ""}}


def read_reply(sock: socket.socket, timeout: float = 10.0) -> bytes:
    """Everything the server sends until it closes the connection (or ``timeout``)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return data


def closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed ``sock`` (``None`` if it was still open after ``seconds``)."""
    start = time.monotonic()
    sock.settimeout(0.2)
    while time.monotonic() - start < seconds:
        try:
            if sock.recv(65536) == b"":
                return time.monotonic() - start
        except socket.timeout:
            continue
        except ConnectionResetError:
            return time.monotonic() - start
    return None


def leftover_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def start_commit(hub: LocalHub, repo: str, length: int, first: bytes = b"{") -> socket.socket:
    """A commit to ``learner/<repo>`` announcing ``length`` bytes of body, of which only ``first`` is sent."""
    sock = socket.create_connection(("127.0.0.1", hub.port))
    sock.sendall(
        f"POST /api/models/learner/{repo}/commit/main HTTP/1.1\r\nHost: x\r\n".encode()
        + b"Authorization: Bearer " + hub.token.encode() + b"\r\n"
        + f"Content-Type: application/x-ndjson\r\nContent-Length: {length}\r\n\r\n".encode() + first
    )
    return sock


def hold_connections(hub: LocalHub, count: int) -> list[socket.socket]:
    """``count`` idle connections, once the server holds them all."""
    idle = [socket.create_connection(("127.0.0.1", hub.port)) for _ in range(count)]
    deadline = time.monotonic() + 5
    while hub.active_connections < count:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return idle


def wait_for_whoami(hub: LocalHub, failure: str, seconds: float = 5.0) -> None:
    """Ask whoami until it answers 200; fail with ``failure`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while raw_request(hub, "GET", "/api/whoami-v2", token=hub.token)[0] != 200:
        assert time.monotonic() < deadline, failure
        time.sleep(0.05)


def create_repo(hub: LocalHub, name: str) -> None:
    status, _, _ = raw_request(hub, "POST", "/api/repos/create", {"name": name, "type": "model"}, token=hub.token)
    assert status == 200


def test_a_client_that_trickles_its_request_head_is_dropped_at_the_idle_timeout(tmp_path: Path) -> None:
    limits = ServerLimits(idle_timeout=1.0)
    with LocalHub(tmp_path / "data", server_limits=limits) as hub:
        sock = socket.create_connection(("127.0.0.1", hub.port))
        start = time.monotonic()
        head = b"GET /api/whoami-v2 HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
        sent = 0
        try:
            while sent < len(head) and time.monotonic() - start < 8:
                sock.sendall(head[sent : sent + 1])  # one byte every 0.2 s never completes the head
                sent += 1
                time.sleep(0.2)
        except (BrokenPipeError, ConnectionResetError):
            pass
        waited = closed_within(sock, 5.0)
        sock.close()
        assert waited is not None, "the server kept a trickling client past its idle timeout"
        assert time.monotonic() - start < 4.0
        assert hub.active_connections == 0


def test_a_body_sent_a_byte_at_a_time_gets_408_at_its_deadline_and_changes_nothing(tmp_path: Path) -> None:
    limits = ServerLimits(body_timeout=1.0, min_upload_rate=1 << 20)
    with LocalHub(tmp_path / "data", server_limits=limits) as hub:
        create_repo(hub, "slow")
        before = raw_request(hub, "GET", "/api/models/learner/slow", token=hub.token)[2]["sha"]
        sock = start_commit(hub, "slow", 100000, first=b"")
        start = time.monotonic()
        reply = b""
        sock.settimeout(0.3)
        while time.monotonic() - start < 8:
            try:
                sock.sendall(b"{")  # a byte now and then: each one would restart a plain read timeout
            except (BrokenPipeError, ConnectionResetError):
                break
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                break
            if not chunk:
                break
            reply += chunk
        elapsed = time.monotonic() - start
        reply += read_reply(sock, 2.0)
        sock.close()
        assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
        assert b"did not arrive in time" in reply
        assert elapsed < 4.0
        assert raw_request(hub, "GET", "/api/models/learner/slow", token=hub.token)[2]["sha"] == before
        assert leftover_files(tmp_path / "data" / "tmp") == []


def test_too_many_requests_at_once_get_503_with_retry_after_and_the_server_recovers(tmp_path: Path) -> None:
    limits = ServerLimits(max_requests=2, queue_timeout=0.5, body_timeout=30.0)
    with LocalHub(tmp_path / "data", server_limits=limits) as hub:
        create_repo(hub, "busy")
        held = []
        for _ in range(2):  # two commits whose bodies never finish hold both request slots
            sock = start_commit(hub, "busy", 1000)
            held.append(sock)
        deadline = time.monotonic() + 5
        status, headers, body = raw_request(hub, "GET", "/api/whoami-v2", token=hub.token)
        while status != 503 and time.monotonic() < deadline:  # the two held requests reach the app
            time.sleep(0.05)
            status, headers, body = raw_request(hub, "GET", "/api/whoami-v2", token=hub.token)
        assert status == 503
        assert headers["retry-after"] == str(limits.retry_after)
        assert "Try again" in body["error"] and str(tmp_path) not in json.dumps(body)
        assert hub.refused >= 1
        for sock in held:
            sock.close()
        wait_for_whoami(hub, "the server did not recover once the requests ended")


def test_connections_past_the_per_client_cap_get_503_and_the_cap_frees_up(tmp_path: Path) -> None:
    limits = ServerLimits(max_connections_per_client=3, idle_timeout=30.0)
    with LocalHub(tmp_path / "data", server_limits=limits) as hub:
        idle = hold_connections(hub, 3)
        status, headers, body = raw_request(hub, "GET", "/api/whoami-v2", token=hub.token)
        assert status == 503 and headers["retry-after"] == str(limits.retry_after)
        assert "connections from your address" in body["error"]
        for sock in idle:
            sock.close()
        wait_for_whoami(hub, "closed connections still count against the cap")


def test_the_connection_cap_holds_for_all_clients_together(tmp_path: Path) -> None:
    with LocalHub(tmp_path / "data", server_limits=ServerLimits(max_connections=2, idle_timeout=30.0)) as hub:
        idle = hold_connections(hub, 2)
        status, _, body = raw_request(hub, "GET", "/api/whoami-v2", token=hub.token)
        assert status == 503 and "too many open connections" in body["error"]
        for sock in idle:
            sock.close()


def _streamed_commit(hub: LocalHub, repo: str, path: str, size: int, *, corrupt: bool = False) -> tuple[int, bytes, str]:
    """Send a commit with one ``size``-byte file as a chunked body made on the fly; returns status, reply, sha256."""
    digest = hashlib.sha256()
    piece = 3 * (1 << 18)  # 768 KiB: a multiple of 3, so the base64 of each piece joins without padding

    def body():
        yield json.dumps(HEADER).encode() + b"\n"
        yield b'{"key": "file", "value": {"content": "'
        left, counter = size, 0
        while left > 0:
            n = min(piece, left)
            data = hashlib.sha256(str(counter).encode()).digest() * (n // 32) + b"x" * (n % 32)
            digest.update(data)
            text = base64.b64encode(data)
            if corrupt and left <= piece:
                text = text[:-8] + b"!!!!!!!!"
            yield text
            left -= n
            counter += 1
        yield b'", "path": "' + path.encode() + b'", "encoding": "base64"}}\n'

    conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=60)
    conn.request(
        "POST", f"/api/models/learner/{repo}/commit/main", body=body(), encode_chunked=True,
        headers={"Authorization": f"Bearer {hub.token}", "Content-Type": "application/x-ndjson", "Transfer-Encoding": "chunked"},
    )
    response = conn.getresponse()
    reply = response.read()
    conn.close()
    return response.status, reply, digest.hexdigest()


def test_a_large_file_is_streamed_to_disk_with_bounded_memory(tmp_path: Path) -> None:
    size = 24 << 20
    with LocalHub(tmp_path / "data", fsync=False) as hub:
        create_repo(hub, "big")
        tracemalloc.start()
        try:
            status, reply, sha256 = _streamed_commit(hub, "big", "weights.bin", size)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert status == 200, reply
        # held whole, the line would be 32 MiB of base64 plus 24 MiB decoded; streamed, the server
        # and this test's client hold a few 1 MiB pieces (11.5 MiB measured)
        assert peak < 16 << 20, f"peak Python memory {peak / 2**20:.1f} MiB during a {size >> 20} MiB upload"
        status, headers, _ = raw_request(hub, "HEAD", "/learner/big/resolve/main/weights.bin", token=hub.token)
        assert status == 200 and int(headers["content-length"]) == size
        stored = hub.storage.blob_path(sha256)
        assert stored.stat().st_size == size
        with open(stored, "rb") as fh:
            assert hashlib.sha256(fh.read()).hexdigest() == sha256


def test_bad_base64_in_a_streamed_file_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    with LocalHub(tmp_path / "data", fsync=False) as hub:
        create_repo(hub, "bad")
        before = raw_request(hub, "GET", "/api/models/learner/bad", token=hub.token)[2]["sha"]
        blobs_before = sorted(p.name for p in (tmp_path / "data").rglob("*") if p.is_file())
        status, reply, _ = _streamed_commit(hub, "bad", "weights.bin", 3 << 20, corrupt=True)
        assert status == 400 and b"Invalid base64" in reply
        assert raw_request(hub, "GET", "/api/models/learner/bad", token=hub.token)[2]["sha"] == before
        assert leftover_files(tmp_path / "data" / "tmp") == []
        assert sorted(p.name for p in (tmp_path / "data").rglob("*") if p.is_file()) == blobs_before


def test_a_long_line_that_is_not_a_file_line_gets_a_clear_400(tmp_path: Path) -> None:
    with LocalHub(tmp_path / "data", fsync=False) as hub:
        create_repo(hub, "long")
        line = json.dumps({"key": "file", "value": {"path": "a.txt", "encoding": "base64", "content": "QUFB" * (5 << 20)}})
        body = json.dumps(HEADER).encode() + b"\n" + line.encode() + b"\n"
        status, _, reply = raw_request(
            hub, "POST", "/api/models/learner/long/commit/main", body, token=hub.token,
            headers={"Content-Type": "application/x-ndjson"},
        )
        assert status == 400 and "not a base64 file line" in reply["error"]


def test_the_real_client_uploads_a_multi_megabyte_file_through_the_streamed_path(tmp_path: Path, monkeypatch) -> None:
    from huggingface_hub import HfApi

    data = os.urandom(3 << 20)  # over the 1 MiB line size that switches to streaming
    with LocalHub(tmp_path / "data", fsync=False) as hub:
        api = HfApi(endpoint=hub.url, token=hub.token)
        api.create_repo("learner/client")
        api.upload_file(path_or_fileobj=data, path_in_repo="blob.bin", repo_id="learner/client")
        status, _, body = raw_request(hub, "GET", "/learner/client/resolve/main/blob.bin", token=hub.token)
        assert status == 200 and body == data


def test_stop_ends_every_thread_and_connection_even_mid_request(tmp_path: Path) -> None:
    hub = LocalHub(tmp_path / "data", server_limits=ServerLimits(body_timeout=60.0)).start()
    port = hub.port
    create_repo(hub, "stop")
    sock = start_commit(hub, "stop", 1000)
    time.sleep(0.3)
    start = time.monotonic()
    hub.stop()
    assert time.monotonic() - start < 8
    assert [t.name for t in threading.enumerate() if t.name.startswith(f"local-hub-{port}-")] == []
    assert closed_within(sock, 2.0) is not None
    sock.close()


def test_status_lines_carry_their_reason_phrase(tmp_path: Path) -> None:
    with LocalHub(tmp_path / "data") as hub:
        conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=10)
        conn.request("GET", "/api/models/learner/missing")
        response = conn.getresponse()
        response.read()
        conn.close()
        assert (response.status, response.reason) == (404, "Not Found")  # the client quotes it in its errors


def test_a_request_past_the_cap_waits_for_a_free_worker_before_any_503(tmp_path: Path) -> None:
    limits = ServerLimits(max_requests=1, queue_timeout=10.0, body_timeout=30.0)
    with LocalHub(tmp_path / "data", server_limits=limits) as hub:
        create_repo(hub, "queue")
        held = start_commit(hub, "queue", 1000)
        time.sleep(0.3)  # the held commit has the only worker
        answers: list[int] = []
        waiting = threading.Thread(target=lambda: answers.append(raw_request(hub, "GET", "/api/whoami-v2", token=hub.token)[0]))
        waiting.start()
        time.sleep(1.0)
        assert answers == []  # queued, not refused
        held.close()  # the commit ends (client gone): the worker is free
        waiting.join(10)
        assert answers == [200] and hub.refused == 0


def test_a_body_that_stops_mid_way_gets_408_after_the_idle_timeout(tmp_path: Path) -> None:
    limits = ServerLimits(body_timeout=60.0, min_upload_rate=1024, idle_timeout=1.0)  # a long deadline
    with LocalHub(tmp_path / "data", server_limits=limits) as hub:
        create_repo(hub, "pause")
        sock = start_commit(hub, "pause", 1000000, first=b"{" + b" " * 400_000)
        start = time.monotonic()
        reply = read_reply(sock, 10.0)
        sock.close()
        assert reply.startswith(b"HTTP/1.1 408") and time.monotonic() - start < 5


def _send_some(sock: socket.socket, data: bytes, seconds: float = 1.0) -> int:
    """Send as much of ``data`` as the server takes within ``seconds``; returns how much was sent."""
    sock.settimeout(seconds)
    sent = 0
    try:
        while sent < len(data):
            sent += sock.send(data[sent : sent + 65536])
    except (socket.timeout, BrokenPipeError, ConnectionResetError):
        pass
    return sent


def test_connections_answered_before_their_body_is_read_are_closed_and_free_their_places(tmp_path: Path) -> None:
    """Anonymous commits announcing 100 MB get 401 after 750 KB; the clients then send nothing and keep their sockets.

    Before, Hypercorn waited forever to queue the rest of the body for an application that had answered:
    the connections stayed open and counted, and the address got 503 until the server restarted.
    """
    limits = ServerLimits(max_connections_per_client=4, idle_timeout=1.0)
    with LocalHub(tmp_path / "data", server_limits=limits) as hub:
        held = []
        for _ in range(4):
            sock = socket.create_connection(("127.0.0.1", hub.port))
            head = b"POST /api/models/x/y/commit/main HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n"
            _send_some(sock, head + b"a" * 750_000)
            sock.settimeout(5)
            assert sock.recv(64).startswith(b"HTTP/1.1 401"), "the early answer arrives"
            held.append(sock)
        deadline = time.monotonic() + 8
        while hub.active_connections and time.monotonic() < deadline:
            time.sleep(0.05)
        assert hub.active_connections == 0, "connections answered early stay open"
        assert all(closed_within(sock, 1.0) is not None for sock in held), "the server closed each of them"
        wait_for_whoami(hub, "the address is still locked out", seconds=2.0)
        for sock in held:
            sock.close()


def test_an_early_answer_to_a_small_body_keeps_the_connection_for_the_next_request(tmp_path: Path) -> None:
    """A guard: the application reads and drops a small body itself, and the connection serves on."""
    with LocalHub(tmp_path / "data") as hub:
        conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=10)
        conn.request("POST", "/api/models/x/y/commit/main", body=b"a" * 300_000)  # anonymous: 401
        response = conn.getresponse()
        assert response.status == 401 and b"token" in response.read().lower()
        conn.request("GET", "/api/whoami-v2", headers={"Authorization": f"Bearer {hub.token}"})
        assert conn.getresponse().status == 200, "the same connection answers the next request"
        conn.close()


def test_a_client_that_stops_reading_its_download_is_dropped_after_the_idle_timeout(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="asyncio")
    limits = ServerLimits(idle_timeout=1.0)
    with LocalHub(tmp_path / "data", fsync=False, server_limits=limits) as hub:
        create_repo(hub, "big")
        assert _streamed_commit(hub, "big", "weights.bin", 24 << 20)[0] == 200
        sock = socket.create_connection(("127.0.0.1", hub.port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(b"GET /learner/big/resolve/main/weights.bin HTTP/1.1\r\nHost: x\r\n"
                     + b"Authorization: Bearer " + hub.token.encode() + b"\r\n\r\n")
        deadline = time.monotonic() + 8  # the client reads nothing: the server's buffers fill, then it waits
        while hub.active_connections and time.monotonic() < deadline:
            time.sleep(0.05)
        assert hub.active_connections == 0, "a client that reads nothing holds its connection"
        sock.close()
        wait_for_whoami(hub, "the server answers others")
    assert "socket.send() raised exception" not in caplog.text, "the rest of the answer was written to a closed socket"


def test_a_client_that_reads_its_download_slowly_is_kept(tmp_path: Path) -> None:
    """Before, the answer's 1 MiB pieces each had to be taken within the idle timeout: a slow reader was cut off."""
    size = 6 << 20
    limits = ServerLimits(idle_timeout=0.3)
    with LocalHub(tmp_path / "data", fsync=False, server_limits=limits) as hub:
        create_repo(hub, "big")
        assert _streamed_commit(hub, "big", "weights.bin", size)[0] == 200
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        sock.connect(("127.0.0.1", hub.port))
        sock.sendall(b"GET /learner/big/resolve/main/weights.bin HTTP/1.1\r\nHost: x\r\n"
                     + b"Authorization: Bearer " + hub.token.encode() + b"\r\n\r\n")
        sock.settimeout(5)
        received = 0
        while True:  # about 1.5 MB/s: each 1 MiB piece takes longer than the idle timeout to go out
            chunk = sock.recv(16384)
            if not chunk:
                break
            received += len(chunk)
            time.sleep(0.01)
        sock.close()
        assert received > size, f"the server closed a slow reader after {received} bytes"


def _slow_body_from(hub: LocalHub, address: str) -> socket.socket:
    """An anonymous validate-yaml announcing 1 MB of body, of which one byte is sent, from ``address``."""
    sock = socket.create_connection(("127.0.0.1", hub.port), source_address=(address, 0))
    sock.sendall(b"POST /api/validate-yaml HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 1000000\r\n\r\n{")
    return sock


def _requests_of(hub: LocalHub, client: str, count: int) -> None:
    """Wait until ``count`` requests of ``client`` hold or wait for a worker."""
    deadline = time.monotonic() + 5
    while (hub._server.endpoint.slots is None or hub._server.endpoint.slots.requests(client) < count):
        assert time.monotonic() < deadline, f"{count} requests of {client} never reached the server"
        time.sleep(0.02)


def test_slow_bodies_from_one_address_leave_workers_for_the_others(tmp_path: Path) -> None:
    """Before, every request took a worker before its body was read: 6 slow ones from one address took all 4."""
    limits = ServerLimits(max_requests=4, max_requests_per_client=2, queue_timeout=1.0, body_timeout=60.0)
    with LocalHub(tmp_path / "data", server_limits=limits) as hub:
        slow = [_slow_body_from(hub, "127.0.0.2") for _ in range(6)]
        _requests_of(hub, "127.0.0.2", 6)  # two hold workers waiting for their bodies, four wait for those two
        for _ in range(3):
            conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=10, source_address=("127.0.0.3", 0))
            conn.request("GET", "/api/whoami-v2", headers={"Authorization": f"Bearer {hub.token}"})
            assert conn.getresponse().status == 200, "another address waits behind one address's slow bodies"
            conn.close()
        replies = [read_reply(sock, timeout=0.5) for sock in slow]
        deadline = time.monotonic() + 3  # past its share, one address waits (queue_timeout), then gets 503
        while sum(reply.startswith(b"HTTP/1.1 503") for reply in replies) < 4 and time.monotonic() < deadline:
            replies = [reply or read_reply(sock, timeout=0.2) for reply, sock in zip(replies, slow)]
        assert sum(reply.startswith(b"HTTP/1.1 503") for reply in replies) == 4, "past its share, one address waits, then 503"
        for sock in slow:
            sock.close()
        wait_for_whoami(hub, "the server recovers once the slow clients leave")


def test_learners_behind_one_address_each_get_their_share(tmp_path: Path) -> None:
    from course_utils.machinery.hub_server.accounts import Accounts

    limits = ServerLimits(max_requests=4, max_requests_per_client=2, queue_timeout=1.0, body_timeout=60.0)
    data = tmp_path / "data"
    data.mkdir()
    alice = Accounts(data).add_user("alice")
    with LocalHub(data, server_limits=limits) as hub:
        slow = [_slow_body_from(hub, "127.0.0.1") for _ in range(4)]  # anonymous: two work, two wait
        _requests_of(hub, "127.0.0.1", 4)
        assert raw_request(hub, "GET", "/api/whoami-v2", token=alice)[0] == 200  # the same address, her own share
        for sock in slow:
            sock.close()


def test_a_flood_of_connections_past_the_cap_holds_a_bounded_number_of_open_files(tmp_path: Path) -> None:
    """Each 503 holds its connection's file for up to 3 s; before, 150 new connections a second held 150 of them."""
    from course_utils.machinery.hub_server.server import REFUSING_AT_ONCE

    def open_files() -> int:
        return len(os.listdir("/proc/self/fd"))

    limits = ServerLimits(max_connections=2, idle_timeout=30.0)
    with LocalHub(tmp_path / "data", server_limits=limits) as hub:
        held = hold_connections(hub, 2)
        before = open_files()
        flood = [socket.create_connection(("127.0.0.1", hub.port)) for _ in range(150)]
        # accepted (a burst of accepts can hold many for an instant), then refused: on a loaded machine the
        # server may take a while to get through the burst (measured at once, the test failed beside a rehearsal)
        settled = time.monotonic() + 15
        while hub.refused < 150 and time.monotonic() < settled:
            time.sleep(0.05)
        time.sleep(0.3)
        most, deadline = 0, time.monotonic() + 0.6  # the 503s take their clients' time: these send and read nothing
        while time.monotonic() < deadline:
            most = max(most, open_files() - before - len(flood))
            time.sleep(0.02)
        assert most <= REFUSING_AT_ONCE + 4, f"the refusals held {most} open files at once"
        assert hub.refused == 150
        for sock in flood + held:
            sock.close()
        deadline = time.monotonic() + 5
        while True:  # right after the flood, a new connection may still be closed at once: retried, as clients do
            try:
                if raw_request(hub, "GET", "/api/whoami-v2", token=hub.token)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "the server did not recover after the flood"
            time.sleep(0.1)
