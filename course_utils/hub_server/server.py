"""The HTTP side of the local Hub, and :class:`LocalHub`, the object notebooks and tests start.

Standard library only: a ``ThreadingHTTPServer`` speaking HTTP/1.1 with keep-alive, one thread
per connection, file downloads sent with ``socket.sendfile`` (zero-copy where the OS has it).
:meth:`LocalHub.stop` closes the listening socket *and* every open connection, then joins the
connection threads, so nothing is left running.

Used in notebooks/03_hub.ipynb and the tests.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Iterable

from .app import HubApp, Limits, Request, Response
from .accounts import Accounts
from .auth import TokenAuth
from .body import Body, IncompleteBody
from .storage import Storage
from .validation import HubError

__all__ = ["DEFAULT_USER", "LocalHub", "generate_token"]

logger = logging.getLogger("course_utils.hub_server")

DEFAULT_USER = "learner"
#: A request body left unread by an early error is read and dropped up to this size, so the
#: connection stays usable and the client gets the error; past it the connection is closed.
_DRAIN_LIMIT = 8 << 20


def generate_token() -> str:
    """A fresh random access token (``hf_local_`` + 32 URL-safe characters).

    Used in notebooks/03_hub.ipynb and the tests.
    """
    return "hf_local_" + secrets.token_urlsafe(24)


class _Handler(BaseHTTPRequestHandler):
    """Turns HTTP requests into :class:`Request` objects for :class:`HubApp`, and answers."""

    protocol_version = "HTTP/1.1"
    server_version = "course-utils-local-hub/1.0"
    sys_version = ""
    timeout = 120  # seconds of silence before a connection (idle or mid-body) is dropped
    server: "_HubHTTPServer"

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._dispatch()

    do_HEAD = do_GET
    do_POST = do_GET
    do_PUT = do_GET
    do_DELETE = do_GET

    def handle_expect_100(self) -> bool:
        """Refuse an oversized body before the client sends it (``Expect: 100-continue``)."""
        length = self.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > self.server.app.limits.max_commit_bytes:
            self._send(Response.error(HubError(413, "Request body too large")), close=True)
            return False
        return super().handle_expect_100()

    def _base_url(self) -> str:
        host = self.headers.get("Host")
        if host and all(c.isalnum() or c in ".:-[]" for c in host):
            return f"http://{host}"
        return self.server.hub_endpoint

    def _dispatch(self) -> None:
        close = False
        try:
            body = Body(self.rfile, self.headers)
        except HubError as exc:
            self._send(Response.error(exc), close=True)
            return
        request = Request(
            method=self.command, target=self.path, headers=self.headers, body=body, base_url=self._base_url()
        )
        try:
            response = self.server.app.handle(request)
        except IncompleteBody as exc:
            logger.info("%s %s: body cut short (%s); nothing was changed", self.command, self.path, exc)
            self.close_connection = True
            return
        except HubError as exc:
            response = Response.error(exc)
            if exc.status == 413:
                close = True
        except Exception as exc:  # a bug: answer 500 rather than drop the connection
            logger.exception("Internal error on %s %s", self.command, self.path)
            # The exception's text can hold the server's own paths: it goes to the log, not to the client.
            response = Response.error(HubError(500, f"Internal server error ({type(exc).__name__}); the server's log has the details"))
            close = True
        if not body.finished and not close:
            close = not body.drain(_DRAIN_LIMIT)
        self._send(response, close=close)

    def _send(self, response: Response, *, close: bool = False) -> None:
        try:
            self.send_response(response.status)
            length = response.length if response.file is not None else len(response.body)
            headers = dict(response.headers)
            headers["Content-Length"] = str(length)
            if close:
                headers["Connection"] = "close"
                self.close_connection = True
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command == "HEAD":
                return
            if response.file is not None:
                if response.length:
                    with open(response.file, "rb") as fh:
                        self.connection.sendfile(fh, response.offset, response.length)
            elif response.body:
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError, socket.timeout, OSError) as exc:
            logger.info("%s %s: client went away while we answered (%s)", self.command, self.path, exc)
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server signature
        """Per-request lines only in verbose mode (quiet by default)."""
        if self.server.verbose:
            sys.stderr.write(f"[local-hub] {self.address_string()} {format % args}\n")


class _HubHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that tracks its connections so that it can close them all on stop."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], app: HubApp, verbose: bool) -> None:
        self.app = app
        self.verbose = verbose
        self.hub_endpoint = ""
        self._conn_lock = threading.Lock()
        self._connections: dict[threading.Thread, socket.socket] = {}
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name=f"local-hub-{self.server_address[1]}-connection",
            daemon=True,
        )
        with self._conn_lock:
            self._connections[thread] = request
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            with self._conn_lock:
                self._connections.pop(threading.current_thread(), None)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Connection-level errors (resets, timeouts) are normal: log them only in verbose mode."""
        if self.verbose:
            super().handle_error(request, client_address)

    def connection_count(self) -> int:
        """How many client connections are open."""
        with self._conn_lock:
            return len(self._connections)

    def close_connections(self, timeout: float = 5.0) -> None:
        """Shut every open connection down and wait for their threads to end."""
        with self._conn_lock:
            items = list(self._connections.items())
        for _, conn in items:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread, _ in items:
            thread.join(timeout)


class LocalHub:
    """A Hugging Face Hub-compatible server on this machine, started in a background thread.

    >>> with LocalHub(tmp_path) as hub:                     # doctest: +SKIP
    ...     os.environ["HF_ENDPOINT"] = hub.endpoint          # before importing huggingface_hub
    ...     os.environ["HF_TOKEN"] = hub.token

    ``data_dir`` holds everything (see :mod:`course_utils.hub_server.storage`); a new server on
    the same folder finds every repository, commit and tag again. ``port=0`` picks a free port
    (read it back from :attr:`url`). ``token=None`` generates a random token (:attr:`token`);
    it belongs to ``user``, who may also write to ``orgs``. Bodies are bounded by
    ``max_commit_bytes`` (commits, 1 GiB) and ``max_json_bytes`` (other endpoints, 8 MiB).
    ``verbose=True`` logs one line per request on stderr. ``fsync=False`` skips the fsync calls
    (faster, but a power cut may lose the last commits; a crash of the process still cannot).

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
        # validates token, user and orgs now; learner accounts are read from the data folder when used
        self._auth = TokenAuth(self.token, user, self.orgs, accounts=Accounts(self.data_dir))
        self._server: _HubHTTPServer | None = None
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
        """``{"HF_ENDPOINT": ..., "HF_TOKEN": ...}`` for a subprocess or a notebook kernel.

        Used in notebooks/03_hub.ipynb and the tests.
        """
        return {"HF_ENDPOINT": self.url, "HF_TOKEN": self.token}

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
        return self._server.connection_count() if self._server is not None else 0

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
        app = HubApp(storage, self._auth, self.limits)
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        server_class = type("_HubHTTPServerV6", (_HubHTTPServer,), {"address_family": family})
        try:
            server = server_class((self.host, self.port), app, self.verbose)
        except BaseException:
            storage.close()
            raise
        self.port = server.server_address[1]
        self._storage = storage
        self._server = server
        server.hub_endpoint = self.url
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name=f"local-hub-{self.port}-server",
            daemon=True,
        )
        self._thread.start()
        logger.info("Local hub serving %s on %s", self.data_dir, self.url)
        return self

    def stop(self) -> None:
        """Stop serving, close every connection, join the threads, release the data directory.

        Used in notebooks/03_hub.ipynb and the tests.
        """
        server, thread, storage = self._server, self._thread, self._storage
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(5)
        if storage is not None:
            storage.close()
        self._server = self._thread = self._storage = None

    def __enter__(self) -> "LocalHub":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "not started"
        return f"LocalHub(data_dir={str(self.data_dir)!r}, {where}, user={self.user!r})"
