"""Bounded reading of HTTP request bodies (``Content-Length`` or chunked).

A body is read at most once, never past its declared length, and never past the limit the
endpoint allows (413 otherwise). A body that ends early (the client closed the connection or
stalled past the socket timeout) raises :class:`IncompleteBody`: the request is then dropped
without touching the repository.

Used in notebooks/03_hub.ipynb (through :class:`course_utils.machinery.hub_server.LocalHub`) and the tests.
"""

from __future__ import annotations

from email.message import Message
from typing import Iterator, Mapping, Protocol, Union

from .validation import HubError

__all__ = ["Body", "Headers", "IncompleteBody", "ReadableStream", "human_bytes"]

_CHUNK = 1 << 20


class ReadableStream(Protocol):
    """What a body is read from: ``rfile`` of a request handler, or any buffered binary file.

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """

    def read(self, size: int = ..., /) -> bytes:
        """Up to ``size`` bytes (fewer only at the end of the stream).

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        ...

    def readline(self, size: int = ..., /) -> bytes:
        """One line, at most ``size`` bytes.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        ...


#: Request headers: ``http.server``'s :class:`~email.message.Message` or a plain mapping.
Headers = Union[Mapping[str, str], Message]


class IncompleteBody(Exception):
    """The client stopped sending before the end of the body it announced.

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """


def human_bytes(n: int) -> str:
    """``1073741824`` -> ``"1 GiB"`` (for error messages).

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"  # pragma: no cover


class Body:
    """A request body over a binary stream, sized by ``Content-Length`` or chunked encoding.

    Used in notebooks/03_hub.ipynb (through :class:`course_utils.machinery.hub_server.LocalHub`) and the tests.
    """

    def __init__(self, stream: ReadableStream, headers: Headers, *, framed: bool = True) -> None:
        self._stream = stream
        self.read_bytes = 0
        self._chunk_left = 0
        self._chunked_done = False
        #: ``framed=False``: the HTTP server already removed the chunked framing (ASGI); a body
        #: without ``Content-Length`` then runs until the stream ends.
        self._framed = framed
        encoding = (headers.get("Transfer-Encoding") or "").strip().lower()
        length_text = headers.get("Content-Length")
        if not framed and encoding == "chunked":
            self.length = None
        elif encoding and encoding != "identity":
            if encoding != "chunked":
                raise HubError(501, f"Unsupported Transfer-Encoding: {encoding!r}")
            self.length: int | None = None
        elif length_text is not None:
            if not length_text.strip().isdigit():
                raise HubError(400, f"Invalid Content-Length: {length_text!r}")
            self.length = int(length_text.strip())
        else:
            self.length = 0

    @property
    def finished(self) -> bool:
        """Whether the whole body has been read.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        if self.length is None:
            return self._chunked_done
        return self.read_bytes >= self.length

    @property
    def remaining(self) -> int | None:
        """Bytes still to read (``None`` when chunked: unknown).

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        return None if self.length is None else self.length - self.read_bytes

    def check_limit(self, limit: int) -> None:
        """413 at once when the announced length is over ``limit`` (chunked bodies are checked while read).

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        if self.length is not None and self.length > limit:
            raise HubError(413, f"Request body too large: {human_bytes(self.length)} (limit {human_bytes(limit)})")

    def _read_exact(self, n: int) -> bytes:
        try:
            data = self._stream.read(n)
        except (OSError, ValueError) as exc:  # timeout, reset, closed file
            raise IncompleteBody(str(exc)) from exc
        if data is None or len(data) < n:
            raise IncompleteBody(f"expected {n} more bytes, got {0 if data is None else len(data)}")
        return data

    def _read_line(self) -> bytes:
        try:
            line = self._stream.readline(1024)
        except (OSError, ValueError) as exc:
            raise IncompleteBody(str(exc)) from exc
        if not line.endswith(b"\n"):
            raise IncompleteBody("chunked body ended early")
        return line

    def read_chunk(self, size: int = _CHUNK) -> bytes:
        """The next piece of the body (at most ``size`` bytes); ``b""`` at its end.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        if self.length is not None:
            left = self.length - self.read_bytes
            if left <= 0:
                return b""
            data = self._read_exact(min(size, left))
            self.read_bytes += len(data)
            return data
        if self._chunked_done:
            return b""
        if not self._framed:
            try:
                data = self._stream.read(size)
            except (OSError, ValueError) as exc:
                raise IncompleteBody(str(exc)) from exc
            if not data:
                self._chunked_done = True
                return b""
            self.read_bytes += len(data)
            return data
        if self._chunk_left == 0:
            header = self._read_line().split(b";", 1)[0].strip()
            try:
                self._chunk_left = int(header, 16)
            except ValueError:
                raise HubError(400, "Malformed chunked body") from None
            if self._chunk_left == 0:
                while self._read_line() not in (b"\r\n", b"\n"):  # trailers
                    pass
                self._chunked_done = True
                return b""
        data = self._read_exact(min(size, self._chunk_left))
        self._chunk_left -= len(data)
        self.read_bytes += len(data)
        if self._chunk_left == 0:
            self._read_exact(2)  # CRLF after the chunk
        return data

    def chunks(self, limit: int) -> Iterator[bytes]:
        """The body's chunks as they arrive; 413 as soon as more than ``limit`` bytes came.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        self.check_limit(limit)
        while True:
            chunk = self.read_chunk()
            if not chunk:
                return
            if self.read_bytes > limit:
                raise HubError(413, f"Request body too large (limit {human_bytes(limit)})")
            yield chunk

    def read_all(self, limit: int) -> bytes:
        """The whole body; 413 past ``limit`` bytes.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        return b"".join(self.chunks(limit))

    def iter_lines(self, limit: int) -> Iterator[bytes]:
        """The body's lines (without ``\\n``), read as they arrive; 413 past ``limit`` bytes.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        pending: list[bytes] = []
        for chunk in self.chunks(limit):
            start = 0
            while True:
                newline = chunk.find(b"\n", start)
                if newline < 0:
                    if start < len(chunk):
                        pending.append(chunk[start:] if start else chunk)
                    break
                piece = chunk[start:newline]
                if pending:
                    pending.append(piece)
                    line = b"".join(pending)
                    pending = []
                else:
                    line = piece
                yield line
                del line
                start = newline + 1
        if pending:
            yield b"".join(pending)

    def drain(self, max_bytes: int) -> bool:
        """Read and drop the rest of the body if it is at most ``max_bytes``; whether it was.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        if self.finished:
            return True
        remaining = self.remaining
        if remaining is None or remaining > max_bytes:
            return False
        try:
            while self.read_chunk():
                pass
        except (IncompleteBody, HubError):
            return False
        return True
