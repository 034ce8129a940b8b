"""The HTTP side of the local Hub, and :class:`LocalHub`, the object notebooks and tests start.

The HTTP layer is Hypercorn (HTTP/1.1 through h11) serving the Starlette application of
:mod:`.asgi`, in an asyncio event loop on a background thread. Hypercorn was chosen by the
slow-client test (``benchmarks/slow_client.py``): it closes a connection that trickles its
request head after its idle timeout, where uvicorn keeps such a client forever; the request
body's deadline is the application's (:mod:`.asgi`). Hypercorn has no connection cap, so this
module accepts connections itself and hands each one to Hypercorn's connection handler, after
counting it: past ``max_connections`` (or ``max_connections_per_client`` from one address) the
client gets 503 with ``Retry-After`` and the connection is closed, so idle sockets can never
take all the server's open files.

:meth:`LocalHub.stop` stops accepting, closes every connection and joins the threads.

Used in notebooks/03_hub.ipynb and the tests.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import dataclasses
import logging
import os
import resource
import secrets
import socket
import struct
import threading
import time
from collections import Counter
from http import HTTPStatus
from pathlib import Path
from types import TracebackType
from typing import Iterable

import h11
import hypercorn.protocol
from hypercorn.asyncio.tcp_server import TCPServer
from hypercorn.asyncio.worker_context import WorkerContext
from hypercorn.config import Config
from hypercorn.events import Closed, RawData
from hypercorn.protocol.events import Body, EndBody, StreamClosed
from hypercorn.protocol.h11 import H11Protocol
from hypercorn.protocol.http_stream import ASGIHTTPState, HTTPStream
from hypercorn.utils import wrap_app

try:  # the socket's unsent bytes (Linux, macOS); elsewhere asyncio's buffer alone
    import fcntl
    import termios
except ImportError:  # pragma: no cover
    fcntl = termios = None  # type: ignore[assignment]

from .accounts import Accounts, AccountsError
from .app import HubApp, Limits
from .asgi import HubEndpoint, ServerLimits, build_asgi_app, overload_response
from .auth import TokenAuth
from .storage import Storage

__all__ = ["DEFAULT_USER", "LocalHub", "ServerLimits", "generate_token"]

logger = logging.getLogger("course_utils.machinery.hub_server")

DEFAULT_USER = "learner"


def generate_token() -> str:
    """A fresh random access token (``hf_local_`` + 32 URL-safe characters).

    Used in notebooks/03_hub.ipynb and the tests.
    """
    return "hf_local_" + secrets.token_urlsafe(24)


def _refusal(limits: ServerLimits, message: str) -> bytes:
    """The 503 of :func:`overload_response` as raw HTTP/1.1, for a connection refused before Hypercorn sees it."""
    response = overload_response(limits, message)
    headers = {**response.headers, "Content-Length": str(len(response.body))}
    head = "HTTP/1.1 503 Service Unavailable\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return head.encode("latin-1") + response.body


def fitting_connection_cap(wanted: int) -> int:
    """``wanted``, lowered to half this process's open-file limit (the rest stays for files and threads).

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, soft // 2))


class _H11WithReasons(H11Protocol):
    """Hypercorn's HTTP/1.1 protocol, with the reason phrase in the status line (``404 Not Found``).

    Hypercorn sends none, and the client's error messages then read "Client error '404 ' for url".
    """

    async def _send_h11_event(self, event: object) -> None:
        if isinstance(event, h11.Response) and not event.reason:
            try:
                reason = HTTPStatus(event.status_code).phrase.encode()
            except ValueError:
                reason = b""
            event = h11.Response(status_code=event.status_code, headers=event.headers, reason=reason)
        await super()._send_h11_event(event)  # type: ignore[arg-type]


#: After an answer sent before the request body was read (401, 404, 413, 503...), how much more of the
#: body the server reads and drops so that a client still sending can read the answer, and for how long;
#: then the connection closes (or serves the next request, when the body ended within the budget).
DRAIN_BYTES = 4 << 20
DRAIN_SECONDS = 2.0
#: Seconds a closing connection may take to hand its last bytes to the client before it is dropped.
CLOSE_SECONDS = 5.0


class ClientGone(ConnectionResetError):
    """Raised to the application that sends more of an answer after its client left (as ASGI servers do)."""


#: Connections answered 503 at once (each holds an open file while its answer goes out); past this,
#: new connections over a cap are closed at once: a client reopening hundreds a second cannot use up
#: the server's open files (and make its file reads fail) through the refusals themselves.
REFUSING_AT_ONCE = 64
#: The stream reader's limit per connection (it buffers at most twice this before pausing the socket).
READ_BUFFER = 16 << 10


class _HTTPStream(HTTPStream):
    """Hypercorn's HTTP request stream, never stuck behind a request body the application left unread.

    Hypercorn 0.18 queues each piece of a request body for the application, at most
    ``max_app_queue_size`` (10) pieces. When the application answers without reading the body (a 401
    before a large upload), the queue stays full: the connection's reader waits forever to add the
    next piece, and the end of the stream waits forever to queue ``http.disconnect``, so the
    connection is never closed and no timeout applies (each such client held one of its address's
    connections until the server restarted). Here the rest of the body is dropped once the answer
    is complete, within :data:`DRAIN_BYTES` and :data:`DRAIN_SECONDS`, and ``http.disconnect``
    never waits.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._body_ended = asyncio.Event()  # the request body ended, the client left, or the drain budget is spent
        self._answered = False  # the answer is complete
        self._app_gone = False  # the application has the answer out or has returned: it reads no more body
        self._drained = 0

    def _queue(self) -> asyncio.Queue[object] | None:
        return getattr(getattr(self, "app_put", None), "__self__", None)

    async def handle(self, event: object) -> None:
        if isinstance(event, EndBody):
            self._body_ended.set()
        if isinstance(event, StreamClosed):
            self._body_ended.set()
            if self.closed:
                return
            self.closed = True
            queue = self._queue()
            if queue is not None:  # the application learns the client left, without waiting for a full queue
                if queue.full():  # what is queued goes: a body that can no longer complete (never one cut in the middle)
                    self._drop_queued()
                queue.put_nowait({"type": "http.disconnect"})
            return
        if self._app_gone and isinstance(event, (Body, EndBody)):
            if isinstance(event, Body):  # read and dropped: nobody will read it
                self._drained += len(event.data)
                if self._drained > DRAIN_BYTES:
                    self._body_ended.set()
            return
        await super().handle(event)  # type: ignore[arg-type]

    def _drop_queued(self) -> None:
        """Empty the application's queue (a reader waiting for room in it goes on)."""
        queue = self._queue()
        while queue is not None and not queue.empty():
            queue.get_nowait()

    def _stop_feeding(self) -> None:
        """The application reads no more of the body: drop what is queued."""
        self._app_gone = True
        self._drop_queued()

    async def app_send(self, message: object) -> None:
        if message is not None and self.closed:  # the client is gone (or was dropped)
            raise ClientGone("the client is gone: the rest of the answer goes nowhere")
        if message is None:  # the application returned
            self._stop_feeding()
            if self._answered:
                return  # _close_after_drain ends the stream
        await super().app_send(message)  # type: ignore[arg-type]

    async def _send_closed(self) -> None:
        await self.send(EndBody(stream_id=self.stream_id))
        self.state = ASGIHTTPState.CLOSED
        await self.config.log.access(self.scope, self.response, time.time() - self.start_time)
        self._answered = True
        self._stop_feeding()
        self.task_group.spawn(self._close_after_drain)

    async def _close_after_drain(self) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._body_ended.wait(), DRAIN_SECONDS)
        if not self.closed:  # (a client that left is already closed: no next request to wait for)
            await self.send(StreamClosed(stream_id=self.stream_id))


# Hypercorn's connection wrapper picks its HTTP/1.1 protocol by this module-level name, and the
# protocol its request stream by this one.
hypercorn.protocol.H11Protocol = _H11WithReasons  # type: ignore[misc]
hypercorn.protocol.h11.HTTPStream = _HTTPStream  # type: ignore[misc]


class _Connection(TCPServer):
    """Hypercorn's connection handler, closing at once when an idle client hangs up.

    Hypercorn 0.18 keeps such a connection (and its open file) until the idle timeout fires;
    ``tests/test_hub_server_robustness.py`` waits for the count of open connections to drop.
    """

    async def _read_data(self) -> None:
        await super()._read_data()
        if getattr(self.protocol.protocol, "stream", None) is None:  # no request in progress: nothing more to send
            await self.idle_task.stop()

    async def protocol_send(self, event: object) -> None:
        """As Hypercorn's, but a client that takes nothing of its answer for ``keep_alive_timeout`` is dropped.

        A slow reader is kept: what counts is that the bytes waiting for it go down now and then.
        """
        if not isinstance(event, RawData):
            await super().protocol_send(event)  # type: ignore[arg-type]
            return
        async with self.send_lock:
            try:
                self.writer.write(event.data)
                if not await self._drained():
                    self.writer.transport.abort()  # what is still buffered for it goes too
                    await self.protocol.handle(Closed())
            except (ConnectionError, RuntimeError):
                await self.protocol.handle(Closed())

    async def _drained(self) -> bool:
        """Wait until the send buffer drains; False once nothing of it has reached the client for ``keep_alive_timeout``."""
        patience = self.config.keep_alive_timeout
        left, since = self._unsent(), time.monotonic()
        while True:
            try:
                await asyncio.wait_for(self.writer.drain(), min(1.0, patience / 4))
                return True
            except asyncio.TimeoutError:
                now = self._unsent()
                if now < left:
                    left, since = now, time.monotonic()
                elif time.monotonic() - since >= patience:
                    return False

    def _unsent(self) -> int:
        """Bytes of the answer not yet taken by the client: asyncio's buffer, plus the socket's on Linux.

        The socket's own buffer (megabytes on loopback) drains as the client reads, while asyncio's
        waits for room in it: counting both sees a slow reader's progress.
        """
        transport = self.writer.transport
        unsent = transport.get_write_buffer_size()
        sock = transport.get_extra_info("socket")
        if sock is not None and fcntl is not None and hasattr(termios, "TIOCOUTQ"):
            with contextlib.suppress(OSError, ValueError):
                unsent += struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, b"\0\0\0\0"))[0]
        return unsent

    async def _close(self) -> None:
        """As Hypercorn's, but a socket whose last bytes a client never takes is dropped after a few seconds."""
        with contextlib.suppress(NotImplementedError, OSError, RuntimeError):
            self.writer.write_eof()
        try:
            self.writer.close()
            await asyncio.wait_for(self.writer.wait_closed(), CLOSE_SECONDS)
        except asyncio.TimeoutError:
            self.writer.transport.abort()
        except (BrokenPipeError, ConnectionAbortedError, ConnectionResetError, RuntimeError, asyncio.CancelledError):
            pass  # already closed
        finally:
            await self.idle_task.stop()


class _Server:
    """Hypercorn's connection handler behind an accept loop that counts connections (one event-loop thread)."""

    def __init__(self, sock: socket.socket, endpoint: HubEndpoint, limits: ServerLimits) -> None:
        self.sock = sock
        self.endpoint = endpoint
        self.limits = limits
        config = Config()
        config.keep_alive_timeout = limits.idle_timeout
        config.read_timeout = None  # the body deadline is the application's (asgi.py)
        # pieces of a request body read ahead of the application (64 KiB each): Hypercorn's 10 let 512
        # connections that announce large bodies hold 0.5 GB before their answers (benchmarks/classroom.py)
        config.max_app_queue_size = 2
        config.graceful_timeout = 1.0
        config.include_server_header = False
        config.accesslog = None
        # Hypercorn's own errors go to our logger (quiet unless the host turns logging on)
        config.errorlog = logging.getLogger("course_utils.machinery.hub_server.http")
        self.config = config
        self.app = wrap_app(build_asgi_app(endpoint), config.wsgi_max_body_size, mode="asgi")
        self.connections: dict[asyncio.Task[None], str] = {}
        self.per_client: Counter[str] = Counter()
        self.refused = 0
        self._refusing = 0  # connections being answered 503 now (each holds an open file for up to 3 s)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self.ready = threading.Event()
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # noqa: BLE001 - reported to the thread that waits for start
            self.failure = exc
            self.ready.set()

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        context = WorkerContext(None)
        state: dict[str, object] = {}

        async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            peer = writer.get_extra_info("peername")
            client = str(peer[0]) if isinstance(peer, tuple) and peer else "?"
            if len(self.connections) >= self.limits.max_connections:
                await self._refuse(reader, writer, "The hub has too many open connections. Try again in a few seconds.")
                return
            if self.per_client[client] >= self.limits.max_connections_per_client:
                await self._refuse(reader, writer, "Too many open connections from your address. Close some and try again.")
                return
            self.connections[task] = client
            self.per_client[client] += 1
            try:
                await _Connection(self.app, self.loop, self.config, context, state, reader, writer)
            finally:
                del self.connections[task]
                self.per_client[client] -= 1
                if not self.per_client[client]:
                    del self.per_client[client]

        # the stream reader buffers at most twice its limit before it stops reading the socket (64 KiB by default)
        server = await asyncio.start_server(on_connection, sock=self.sock, backlog=128, limit=READ_BUFFER)
        self.ready.set()
        try:
            await self._stop.wait()
        finally:
            server.close()
            await context.terminated.set()  # idle keep-alive connections close now
            pending = list(self.connections)
            if pending:
                _, still = await asyncio.wait(pending, timeout=self.config.graceful_timeout)
                for task in still:
                    task.cancel()
                if still:
                    await asyncio.wait(still, timeout=2)
            await server.wait_closed()

    async def _refuse(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, message: str) -> None:
        self.refused += 1
        if self._refusing >= REFUSING_AT_ONCE:  # a flood of new connections: no 503 for these, their files come back at once
            writer.transport.abort()
            return
        self._refusing += 1
        try:
            writer.write(_refusal(self.limits, message))
            await asyncio.wait_for(writer.drain(), 2)
            writer.write_eof()
            # read what the client already sent, so that closing does not reset the connection before it reads the 503
            await asyncio.wait_for(reader.read(1 << 16), 1)
        except (OSError, asyncio.TimeoutError, RuntimeError):
            pass
        finally:
            self._refusing -= 1
            writer.close()

    def stop(self) -> None:
        loop, stop = self.loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stop.set)
            except RuntimeError:  # the loop already ended
                pass


class LocalHub:
    """A Hugging Face Hub-compatible server on this machine, started in a background thread.

    >>> with LocalHub(tmp_path) as hub:                     # doctest: +SKIP
    ...     os.environ["HF_ENDPOINT"] = hub.endpoint          # before importing huggingface_hub
    ...     os.environ["HF_TOKEN"] = hub.token

    ``data_dir`` holds everything (see :mod:`course_utils.machinery.hub_server.storage`); a new server on
    the same folder finds every repository, commit and tag again. ``port=0`` picks a free port
    (read it back from :attr:`url`). ``token=None`` generates a random token (:attr:`token`);
    it belongs to ``user``, who may also write to ``orgs``. Bodies are bounded by
    ``max_commit_bytes`` (commits, 1 GiB) and ``max_json_bytes`` (other endpoints, 8 MiB).
    ``verbose=True`` logs one line per request on stderr. ``fsync=False`` skips the fsync calls
    (faster, but a power cut may lose the last commits; a crash of the process still cannot).
    ``server_limits`` caps connections and requests in flight and sets the timeouts
    (:class:`ServerLimits`; the connection cap is lowered to half the open-file limit).

    Used in notebooks/03_hub.ipynb and the tests.
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        *,
        user: str = DEFAULT_USER,
        orgs: Iterable[str] = (),
        max_commit_bytes: int = 1 << 30,
        max_json_bytes: int = 8 << 20,
        verbose: bool = False,
        fsync: bool = True,
        server_limits: ServerLimits | None = None,
    ) -> None:
        if not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be an integer from 0 to 65535, not {port!r}")
        if max_commit_bytes <= 0 or max_json_bytes <= 0:
            raise ValueError("body limits must be positive")
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port
        self.token = token if token is not None else generate_token()
        self.user = user
        self.orgs = tuple(orgs)
        self.limits = Limits(max_commit_bytes=max_commit_bytes, max_json_bytes=max_json_bytes)
        self.verbose = verbose
        self.fsync = fsync
        self.server_limits = server_limits or ServerLimits()
        # validates token, user and orgs now; learner accounts are read from the data folder when used
        self._auth = TokenAuth(self.token, user, self.orgs, accounts=Accounts(self.data_dir))
        self._server: _Server | None = None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None
        self._storage: Storage | None = None

    # ------------------------------------------------------------------ addresses

    @property
    def url(self) -> str:
        """The endpoint URL, e.g. ``http://127.0.0.1:43121`` (the value for ``HF_ENDPOINT``).

        Used in notebooks/03_hub.ipynb and the tests.
        """
        if self._server is None and self.port == 0:
            raise RuntimeError("The local hub is not started: its port is not known yet (call start())")
        host = self.host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def endpoint(self) -> str:
        """Same as :attr:`url`: what ``HF_ENDPOINT`` (or ``HfApi(endpoint=...)``) should be.

        Used in notebooks/03_hub.ipynb and the tests.
        """
        return self.url

    @property
    def env(self) -> dict[str, str]:
        """``HF_ENDPOINT``, ``HF_TOKEN`` and ``HF_HUB_DISABLE_XET`` for a subprocess or a notebook kernel.

        This Hub takes large files through Git LFS; a client with ``hf_xet`` installed would try Xet.

        Used in notebooks/03_hub.ipynb and the tests.
        """
        return {"HF_ENDPOINT": self.url, "HF_TOKEN": self.token, "HF_HUB_DISABLE_XET": "1"}

    @property
    def running(self) -> bool:
        """Whether the server thread is serving.

        Used in notebooks/03_hub.ipynb and the tests.
        """
        return self._thread is not None and self._thread.is_alive()

    @property
    def active_connections(self) -> int:
        """How many client connections the server holds open right now (0 when stopped).

        Used in notebooks/03_hub.ipynb and the tests.
        """
        return len(self._server.connections) if self._server is not None else 0

    @property
    def refused(self) -> int:
        """How many connections and requests were answered 503 because the server was full.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        if self._server is None:
            return 0
        return self._server.refused + self._server.endpoint.refused

    @property
    def storage(self) -> Storage:
        """The :class:`Storage` of the running server.

        Used in notebooks/03_hub.ipynb and the tests.
        """
        if self._storage is None:
            raise RuntimeError("The local hub is not started")
        return self._storage

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> "LocalHub":
        """Open the data directory, bind the socket and serve in a daemon thread; returns ``self``.

        Used in notebooks/03_hub.ipynb and the tests.
        """
        if self._server is not None:
            return self
        storage = Storage(self.data_dir, fsync=self.fsync)
        with contextlib.suppress(AccountsError):  # a damaged accounts file: the token check says so when used
            # the host's `course-hub accounts add` then refuses these names, whose tokens we would refuse (403)
            Accounts(self.data_dir).reserve((self.user, *self.orgs))
        app = HubApp(storage, self._auth, self.limits)
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
            sock.listen(128)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            storage.close()
            raise
        self.port = sock.getsockname()[1]
        limits = dataclasses.replace(
            self.server_limits, max_connections=fitting_connection_cap(self.server_limits.max_connections)
        )
        executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=limits.max_requests + 2, thread_name_prefix=f"local-hub-{self.port}-worker"
        )
        endpoint = HubEndpoint(app, limits, executor, self.url, verbose=self.verbose)
        server = _Server(sock, endpoint, limits)
        thread = threading.Thread(target=server.run, name=f"local-hub-{self.port}-server", daemon=True)
        thread.start()
        server.ready.wait(30)
        if server.failure is not None or not server.ready.is_set():
            server.stop()
            thread.join(5)
            executor.shutdown(wait=False, cancel_futures=True)
            sock.close()
            storage.close()
            raise RuntimeError(f"The local hub could not start: {server.failure!r}")
        self._storage, self._server, self._thread, self._executor = storage, server, thread, executor
        logger.info("Local hub serving %s on %s", self.data_dir, self.url)
        return self

    def stop(self) -> None:
        """Stop serving, close every connection, join the threads, release the data directory.

        Used in notebooks/03_hub.ipynb and the tests.
        """
        server, thread, storage, executor = self._server, self._thread, self._storage, self._executor
        if server is None:
            return
        server.stop()
        if thread is not None:
            thread.join(10)
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        server.sock.close()
        if storage is not None:
            storage.close()
        self._server = self._thread = self._storage = self._executor = None

    def __enter__(self) -> "LocalHub":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "not started"
        return f"LocalHub(data_dir={str(self.data_dir)!r}, {where}, user={self.user!r})"
