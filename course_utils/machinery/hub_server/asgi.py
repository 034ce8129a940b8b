"""The local Hub as an ASGI application (Starlette), with the limits a classroom needs.

:class:`HubApp` stays synchronous (it reads bodies and files with ordinary blocking calls), so
each request runs in one of a fixed number of worker threads. This module bridges the two:

- **Concurrency.** At most ``max_requests`` requests are handled at once, and at most
  ``max_requests_per_client`` of them for one client (an address, and the account of its token:
  learners behind one address each get their share); one more waits up to ``queue_timeout``
  seconds for a free worker (a room's burst of downloads), then is answered 503 with
  ``Retry-After`` (nothing of its body is read). A client's requests past its share wait for its
  own workers, not in the room's queue: one address sending slow bodies cannot take every worker.
- **Request bodies** are streamed from the connection to the worker as it reads them (never
  held whole: the app writes file contents to disk as they arrive). The body has a deadline
  that a slow client cannot push back: ``body_timeout`` seconds plus one second per
  ``min_upload_rate`` bytes received, and no pause longer than ``idle_timeout``. Past either
  the request is answered 408 and the connection closed. A client that hangs up mid-body
  changes nothing. A worker is held while the request is handled, not while its answer is sent.
- **Responses** go out in 1 MiB pieces; a client that does not take a piece within
  ``body_timeout`` seconds is dropped.

Routing: Starlette's router matches on the *decoded* path, but Hub URLs carry revisions with
encoded slashes (``refs%2Fpr%2F1``), so one Starlette route passes every path to
:meth:`HubApp.handle`, which splits the raw path itself.

Used by the local Hub of notebooks/03_hub.ipynb (through :class:`course_utils.machinery.hub_server.LocalHub`) and the tests.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import errno
import logging
import sys
import time
import uuid
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, MutableMapping

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.routing import Route

from .app import HubApp, Request, Response
from .body import Body, IncompleteBody
from .validation import HubError

__all__ = ["BodyTimeout", "ServerLimits", "build_asgi_app", "overload_response"]

logger = logging.getLogger("course_utils.machinery.hub_server")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: A body left unread by an early error is read and dropped up to this size, so that the client
#: gets the answer; past it the connection is closed after the answer.
DRAIN_LIMIT = 8 << 20
_PIECE = 1 << 20
_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]


@dataclass(frozen=True)
class ServerLimits:
    """How much one server takes on: connections, requests in flight, and how long a client may take.

    ``max_connections`` open connections in all and ``max_connections_per_client`` from one
    address (more are answered 503 and closed); ``max_requests`` handled at once, at most
    ``max_requests_per_client`` for one client (its address and account; more wait up to
    ``queue_timeout`` seconds for a free worker, then get 503);
    ``idle_timeout`` seconds for a connection to send a complete request head (and between
    requests); ``body_timeout`` seconds plus one per ``min_upload_rate`` bytes received for a
    request body; ``retry_after`` seconds suggested with every 503.

    Used by the local Hub of notebooks/03_hub.ipynb (through :class:`course_utils.machinery.hub_server.LocalHub`) and the tests.
    """

    max_connections: int = 512
    max_connections_per_client: int = 128
    max_requests: int = 32
    max_requests_per_client: int = 8
    queue_timeout: float = 10.0
    idle_timeout: float = 10.0
    body_timeout: float = 30.0
    min_upload_rate: int = 16 * 1024
    retry_after: int = 5

    def __post_init__(self) -> None:
        for name in ("max_connections", "max_connections_per_client", "max_requests", "max_requests_per_client",
                     "min_upload_rate", "retry_after"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)!r}")
        for name in ("idle_timeout", "body_timeout", "queue_timeout"):
            if not float(getattr(self, name)) > 0:
                raise ValueError(f"{name} must be a positive number of seconds, not {getattr(self, name)!r}")


class BodyTimeout(IncompleteBody):
    """The request body did not arrive within its deadline.

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """


def overload_response(limits: ServerLimits, message: str) -> Response:
    """The 503 answer of an overloaded server, with ``Retry-After`` and no server detail.

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """
    response = Response.error(HubError(503, message, headers={"Retry-After": str(limits.retry_after)}))
    response.headers["Connection"] = "close"
    return response


class _ReceiveStream:
    """A blocking, file-like view of an ASGI request body, for a worker thread (``read`` only).

    Each ``read`` asks the event loop for more messages; the deadline is checked on every wait.
    """

    def __init__(self, receive: Receive, loop: asyncio.AbstractEventLoop, limits: ServerLimits) -> None:
        self._receive = receive
        self._loop = loop
        self._limits = limits
        self._buffer = bytearray()
        self._more = True
        self._started = time.monotonic()
        self._received = 0

    def _deadline(self) -> float:
        return self._started + self._limits.body_timeout + self._received / self._limits.min_upload_rate

    async def _fill(self, want: int) -> None:
        while len(self._buffer) < want and self._more:
            # the whole body's deadline, and a pause of at most idle_timeout between pieces
            left = min(self._deadline() - time.monotonic(), self._limits.idle_timeout)
            try:
                if left <= 0:
                    raise asyncio.TimeoutError
                message = await asyncio.wait_for(self._receive(), left)
            except asyncio.TimeoutError:
                allowed = self._deadline() - self._started
                raise BodyTimeout(
                    f"the request body did not arrive in time ({self._received} bytes in {allowed:.0f} s; "
                    f"the server waits {self._limits.body_timeout:.0f} s plus 1 s per "
                    f"{self._limits.min_upload_rate // 1024} KiB)"
                ) from None
            if message["type"] == "http.disconnect":
                raise IncompleteBody("the client closed the connection")
            chunk = message.get("body", b"")
            self._received += len(chunk)
            self._buffer += chunk
            self._more = bool(message.get("more_body", False))

    def read(self, size: int = -1, /) -> bytes:
        want = size if size >= 0 else 1 << 62
        if len(self._buffer) < want and self._more:
            future = asyncio.run_coroutine_threadsafe(self._fill(want), self._loop)
            try:  # the deadline is enforced in _fill; the margin only guards against a loop that stopped
                future.result(timeout=max(1.0, self._deadline() - time.monotonic()) + 30)
            except (concurrent.futures.CancelledError, concurrent.futures.TimeoutError):
                future.cancel()
                raise IncompleteBody("the server is stopping") from None
        if size < 0 or size >= len(self._buffer):
            data = bytes(self._buffer)
            self._buffer.clear()
        else:
            data = bytes(self._buffer[:size])
            del self._buffer[:size]
        return data

    def readline(self, size: int = -1, /) -> bytes:  # pragma: no cover - unframed bodies never read lines
        raise NotImplementedError("an ASGI body is read by size")


class FairSlots:
    """At most ``total`` requests at once, and at most ``per_client`` of them for one client key.

    A request waits first for a place among its own client's, then for one of the room's: a client
    past its share waits behind its own requests, never ahead of other clients'.

    Used by the local Hub of notebooks/03_hub.ipynb (through :class:`HubEndpoint`), and the tests.
    """

    def __init__(self, total: int, per_client: int) -> None:
        self._room = asyncio.Semaphore(total)
        self._per_client = per_client
        self._clients: dict[str, tuple[asyncio.Semaphore, int]] = {}  # key: its semaphore, requests holding or waiting

    async def acquire(self, client: str, timeout: float) -> bool:
        """Take a slot for ``client`` within ``timeout`` seconds; False when none came (nothing is held then)."""
        own, users = self._clients.get(client, (asyncio.Semaphore(self._per_client), 0))
        self._clients[client] = (own, users + 1)
        try:
            async with asyncio.timeout(timeout):
                await own.acquire()
                try:
                    await self._room.acquire()
                except BaseException:
                    own.release()
                    raise
        except (TimeoutError, asyncio.CancelledError) as exc:
            self._leave(client)
            if isinstance(exc, asyncio.CancelledError):
                raise
            return False
        return True

    def release(self, client: str) -> None:
        """Give back the slot ``client`` took."""
        self._room.release()
        self._clients[client][0].release()
        self._leave(client)

    def _leave(self, client: str) -> None:
        own, users = self._clients[client]
        if users <= 1:
            del self._clients[client]
        else:
            self._clients[client] = (own, users - 1)

    @property
    def clients(self) -> int:
        """How many clients hold or wait for a slot (their bookkeeping is dropped when they have none)."""
        return len(self._clients)

    def requests(self, client: str) -> int:
        """How many requests of ``client`` hold or wait for a slot."""
        return self._clients.get(client, (None, 0))[1]


class HubEndpoint:
    """The ASGI endpoint behind the one route: limits, the worker threads, and the answer.

    Used by the local Hub of notebooks/03_hub.ipynb (through :class:`course_utils.machinery.hub_server.LocalHub`) and the tests.
    """

    def __init__(
        self,
        app: HubApp,
        limits: ServerLimits,
        executor: concurrent.futures.Executor,
        endpoint: str,
        *,
        verbose: bool = False,
    ) -> None:
        self.app = app
        self.verbose = verbose
        self.limits = limits
        self.executor = executor
        self._endpoint = endpoint
        self.refused = 0
        self._slots: FairSlots | None = None

    @property
    def slots(self) -> FairSlots | None:
        """The worker slots, once the first request made them (in the server's event loop)."""
        return self._slots

    def _client(self, scope: Scope) -> str:
        """Whose share a request takes: its address, and the account its token names (a bad token: none)."""
        address = str((scope.get("client") or ("?",))[0])
        authorization = Headers(scope=scope).get("authorization")
        if authorization:
            try:
                identity = self.app.auth.identify(authorization)
            except HubError:  # answered when handled; until then it counts as anonymous
                identity = None
            if identity is not None:
                return f"{address} {identity.name}"
        return address

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._slots is None:  # made in the server's event loop
            self._slots = FairSlots(self.limits.max_requests, self.limits.max_requests_per_client)
        client = self._client(scope)
        if not await self._slots.acquire(client, self.limits.queue_timeout):
            self.refused += 1
            await self._send(send, scope, overload_response(self.limits, "The hub is busy: too many requests at once. Try again in a few seconds."))
            return
        try:
            answer = await self._answer(scope, receive)
        finally:
            self._slots.release(client)  # the answer is ready: sending it needs no worker
        if answer is None:  # the client went away
            return
        response, close, target = answer
        try:
            await self._send(send, scope, response, close=close)
        except ConnectionResetError:  # the client left (or was dropped) mid-answer: stop reading the file for it
            return
        if self.verbose:  # one line per request, as ``--verbose`` promises
            client = (scope.get("client") or ("?", 0))[0]
            version = scope.get("http_version", "1.1")
            sys.stderr.write(f'[local-hub] {client} "{scope["method"]} {target} HTTP/{version}" {response.status}\n')

    async def _answer(self, scope: Scope, receive: Receive) -> tuple[Response, bool, str] | None:
        """The answer to a request (made in a worker thread), whether to close after it, and the raw target."""
        loop = asyncio.get_running_loop()
        headers = Headers(scope=scope)
        target = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        host = headers.get("host")
        base_url = f"http://{host}" if host and all(c.isalnum() or c in ".:-[]" for c in host) else self._endpoint
        try:
            body = Body(_ReceiveStream(receive, loop, self.limits), headers, framed=False)
        except HubError as exc:
            return Response.error(exc), True, target
        request = Request(method=scope["method"], target=target, headers=headers, body=body, base_url=base_url)
        try:
            response, close = await loop.run_in_executor(self.executor, self._handle, request)
        except BodyTimeout as exc:
            logger.info("%s %s: %s; nothing was changed", request.method, target, exc)
            return Response.error(HubError(408, f"Request timeout: {exc}")), True, target
        except IncompleteBody as exc:
            logger.info("%s %s: body cut short (%s); nothing was changed", request.method, target, exc)
            return None
        return response, close, target

    def _handle(self, request: Request) -> tuple[Response, bool]:
        """Runs in a worker thread: the app's answer, and whether to close the connection after it."""
        close = False
        try:
            response = self.app.handle(request)
        except IncompleteBody:
            raise
        except HubError as exc:
            response = Response.error(exc)
            close = exc.status == 413
        except RecursionError:  # JSON (or YAML) nested thousands deep: the client's fault, not a bug to log
            logger.info("%s %s: the request nests its data too deeply", request.method, request.target)
            response = Response.error(HubError(400, "The request's data is nested too deeply"))
        except OSError as exc:
            if exc.errno == errno.ENOSPC:  # a full disk: the host's to fix, not a bug
                logger.warning("%s %s: the data folder's disk is full; nothing was changed", request.method, request.target)
                response = Response.error(HubError(507, "The Hub's disk is full: nothing was saved. Tell the host, "
                                                        "who must free space on the server; then try again."))
            else:
                response = self._internal_error(request, exc)
            close = True
        except Exception as exc:  # a bug: answer 500 rather than drop the connection
            response = self._internal_error(request, exc)
            close = True
        if not request.body.finished and not close:
            try:
                close = not request.body.drain(DRAIN_LIMIT)
            except IncompleteBody:
                close = True
        return response, close

    @staticmethod
    def _internal_error(request: Request, exc: BaseException) -> Response:
        """A bug's answer: 500; the traceback goes to the log (it can hold the server's own paths), not to the client."""
        logger.error("Internal error on %s %s", request.method, request.target, exc_info=exc)
        return Response.error(
            HubError(500, f"Internal server error ({type(exc).__name__}); the server's log has the details")
        )

    async def _send(self, send: Send, scope: Scope, response: Response, *, close: bool = False) -> None:
        length = response.length if response.file is not None else len(response.body)
        headers = dict(response.headers)
        headers["Content-Length"] = str(length)
        headers["X-Request-Id"] = uuid.uuid4().hex  # as the Hub's answers carry one, for bug reports
        if close:
            headers["Connection"] = "close"
        raw = [(k.lower().encode("latin-1"), str(v).encode("latin-1")) for k, v in headers.items()]
        timeout = self.limits.body_timeout
        await asyncio.wait_for(send({"type": "http.response.start", "status": response.status, "headers": raw}), timeout)
        if scope["method"] == "HEAD" or length == 0:
            await asyncio.wait_for(send({"type": "http.response.body", "body": b""}), timeout)
            return
        if response.file is None:
            await asyncio.wait_for(send({"type": "http.response.body", "body": response.body}), timeout)
            return
        loop = asyncio.get_running_loop()
        handle = await loop.run_in_executor(self.executor, open, response.file, "rb")
        try:
            await loop.run_in_executor(self.executor, handle.seek, response.offset)
            left = response.length
            while left > 0:
                piece = await loop.run_in_executor(self.executor, handle.read, min(_PIECE, left))
                if not piece:  # the file is shorter than its entry: a bug; the client sees a short body
                    raise RuntimeError("stored file shorter than recorded")
                left -= len(piece)
                await asyncio.wait_for(send({"type": "http.response.body", "body": piece, "more_body": left > 0}), timeout)
        finally:
            handle.close()


def build_asgi_app(endpoint: HubEndpoint) -> Starlette:
    """The Starlette application: one route that takes every path to ``endpoint``.

    Used by the local Hub of notebooks/03_hub.ipynb (through :class:`course_utils.machinery.hub_server.LocalHub`) and the tests.
    """
    return Starlette(routes=[Route("/{path:path}", endpoint, methods=_METHODS, include_in_schema=False)])
