"""Which ASGI server keeps a slow client from holding a connection: the probe that chooses the local Hub's.

    python benchmarks/slow_client.py        # in an environment with starlette and the servers to compare

Issue 13 moves the local Hub onto an ASGI stack and asks to choose the server by this test, not by
name. Each candidate serves a tiny Starlette app that reads the request body, configured with its
own timeout set to ``--timeout`` seconds. Two clients then trickle one byte every ``--every``
seconds: one never finishes its headers (slowloris), the other sends headers then a slow body.
A server that meets the deadline closes both near ``--timeout``; one whose timer restarts on every
byte keeps them open until the probe gives up (``--give-up``). Prints the seconds each connection
lived and writes them to ``benchmarks/results/slow_client.json``.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from results_file import write_results  # noqa: E402

APP = '''
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def echo(request):
    body = await request.body()
    return PlainTextResponse(f"{len(body)} bytes")

app = Starlette(routes=[Route("/", echo, methods=["POST"])])
'''


def commands(port: int, timeout: int) -> dict[str, list[str]]:
    py = sys.executable
    return {
        "uvicorn": [py, "-m", "uvicorn", "probe_app:app", "--port", str(port), "--timeout-keep-alive", str(timeout), "--log-level", "warning"],
        "hypercorn": [py, "-m", "hypercorn", "probe_app:app", "--bind", f"127.0.0.1:{port}", "--read-timeout", str(timeout)],
        "granian": [py, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1", "--port", str(port),
                    "--http1-header-read-timeout", str(timeout * 1000), "--log-level", "warning", "probe_app:app"],
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(port: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def trickle(port: int, first: bytes, drip: bytes, every: float, give_up: float) -> float:
    """Send ``first``, then ``drip`` one byte at a time; return how long the server kept the connection."""
    start = time.monotonic()
    sock = socket.create_connection(("127.0.0.1", port), timeout=give_up)
    try:
        sock.sendall(first)
        for byte in drip:
            if time.monotonic() - start > give_up:
                return give_up
            time.sleep(every)
            try:
                sock.sendall(bytes([byte]))
                sock.setblocking(False)
                try:
                    if sock.recv(1024) == b"":
                        return time.monotonic() - start
                except BlockingIOError:
                    pass
                finally:
                    sock.setblocking(True)
            except (BrokenPipeError, ConnectionResetError):
                return time.monotonic() - start
        return time.monotonic() - start
    finally:
        sock.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=int, default=10)
    parser.add_argument("--every", type=float, default=2.0)
    parser.add_argument("--give-up", type=float, default=60.0)
    parser.add_argument("--output", type=Path, default=HERE / "results" / "slow_client.json")
    args = parser.parse_args(argv)

    headers_never_end = (b"POST / HTTP/1.1\r\nHost: x\r\n", b"X-Slow: " + b"a" * 200)
    slow_body = (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n", b"b" * 200)
    found: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "probe_app.py").write_text(APP)
        for name, command in commands(free_port(), args.timeout).items():
            port = int(command[command.index("--port") + 1]) if "--port" in command else int(command[command.index("--bind") + 1].rsplit(":", 1)[1])
            server = subprocess.Popen(command, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_for(port)
                found[name] = {
                    "version": importlib.metadata.version(name),
                    "option": " ".join(command[command.index(next(c for c in command if "timeout" in c)):][:2]),
                    "slow_headers_s": round(trickle(port, *headers_never_end, args.every, args.give_up), 1),
                    "slow_body_s": round(trickle(port, *slow_body, args.every, args.give_up), 1),
                }
            finally:
                server.terminate()
                server.wait(timeout=10)
            print(name, found[name], flush=True)
    write_results(args.output, "slow_client", {"timeout_s": args.timeout, "byte_every_s": args.every, "give_up_s": args.give_up,
                                               "starlette": importlib.metadata.version("starlette"), "servers": found})
    return 0


if __name__ == "__main__":
    sys.exit(main())
