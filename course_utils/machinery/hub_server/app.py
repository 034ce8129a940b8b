"""The Hub protocol: routes of the ``huggingface_hub`` client mapped onto :class:`Storage`.

This module knows nothing of sockets: :meth:`HubApp.handle` takes a :class:`Request` (method,
raw target, headers, :class:`~course_utils.machinery.hub_server.body.Body`) and returns a
:class:`Response` (JSON, a file range, or headers only). ``server.py`` does the HTTP.

Routes (``{t}`` is ``models``, ``datasets`` or ``spaces``; ``{p}`` is ``""``, ``datasets/`` or
``spaces/``; ``{r}`` is ``namespace/name``):

=========  ================================================  ==========================================
method     path                                              what
=========  ================================================  ==========================================
GET        /api/whoami-v2                                    the token's user and organizations
POST       /api/validate-yaml                                README metadata check
POST       /api/repos/create, DELETE /api/repos/delete       create (409 + url if it exists) / delete
GET        /api/{t}                                          list repositories (``author``, ``search``)
GET        /api/{t}/{r}[/revision/{rev}]                     repository info (``id``, ``sha``, ``siblings``)
GET        /api/{t}/{r}/tree/{rev}[/{path}]                  tree listing (``recursive``, ``expand``)
POST       /api/{t}/{r}/paths-info/{rev}                     info on given paths
GET        /api/{t}/{r}/refs                                 branches and tags
GET        /api/{t}/{r}/commits/{rev}                        history
POST       /api/{t}/{r}/preupload/{rev}                      always ``uploadMode: "regular"``
POST       /api/{t}/{r}/commit/{rev}                         NDJSON commit, all or nothing
POST/DEL   /api/{t}/{r}/tag/{rev|tag}                        create (409 if it exists) / delete a tag
POST/DEL   /api/{t}/{r}/branch/{branch}                      create / delete a branch
PUT        /api/{t}/{r}/settings                             visibility
HEAD/GET   /{p}{r}/resolve/{rev}/{path}                      download, ``Range`` supported
=========  ================================================  ==========================================

Never Xet, never LFS: preupload answers ``regular`` and no reply carries ``X-Xet-Hash``.
Anything else is a plain 404 (no ``X-Error-Code``): e.g. ``/api/agent-harnesses``, which
huggingface_hub asks for once a day and would otherwise cache in the user's HF_HOME.

Used in notebooks/03_hub.ipynb (through :class:`course_utils.machinery.hub_server.LocalHub`) and the tests.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import json
import mimetypes
import re
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence
from urllib.parse import parse_qs, quote, unquote

from .auth import Identity, TokenAuth
from .body import Body, Headers, human_bytes
from .lfs import LFS_THRESHOLD, UploadSigner, git_ignores, is_sha256, lfs_paths, lfs_pointer
from .storage import DEFAULT_BRANCH, Commit, FileEntry, RepoKey, RepoMeta, StagedBlob, Storage, utc_now
from .validation import (
    URL_PREFIXES,
    HubError,
    is_commit_sha,
    normalize_repo_type,
    validate_name_part,
    validate_ref_name,
    validate_repo_path,
    validate_revision,
)

__all__ = ["HubApp", "Limits", "Request", "Response"]

_JSON = "application/json; charset=utf-8"
_FAST_FILE_PREFIXES = (b'{"key": "file", "value": {"content": "', b'{"key":"file","value":{"content":"')
_ARCH_TASKS: tuple[tuple[str, str], ...] = (
    ("ForSequenceClassification", "text-classification"),
    ("ForTokenClassification", "token-classification"),
    ("ForQuestionAnswering", "question-answering"),
    ("ForMaskedLM", "fill-mask"),
    ("ForCausalLM", "text-generation"),
    ("LMHeadModel", "text-generation"),
    ("ForImageClassification", "image-classification"),
    ("ForAudioClassification", "audio-classification"),
    ("ForSpeechSeq2Seq", "automatic-speech-recognition"),
    ("ForCTC", "automatic-speech-recognition"),
    ("Model", "feature-extraction"),
)


@dataclass(frozen=True)
class Limits:
    """Request body limits, in bytes: commits (NDJSON with base64 files) and every other endpoint.

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """

    max_commit_bytes: int = 1 << 30
    max_json_bytes: int = 8 << 20


@dataclass
class Request:
    """One HTTP request as the app sees it: method, raw target (path and query), headers, body, base URL.

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """

    method: str
    target: str
    headers: Headers
    body: Body
    base_url: str


@dataclass
class Response:
    """What to answer: status, headers, and either ``body`` bytes or a range of a file.

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    file: Path | None = None
    offset: int = 0
    length: int = 0

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> "Response":
        """A JSON reply.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        payload = json.dumps(data, ensure_ascii=False).encode("utf-8")
        return cls(status=status, headers={"Content-Type": _JSON, **(headers or {})}, body=payload)

    @classmethod
    def error(cls, exc: HubError) -> "Response":
        """The reply for a :class:`HubError`: ``{"error": message, ...extra}``, ``X-Error-Code``/``-Message``.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        headers = dict(exc.headers)
        if exc.code:
            headers["X-Error-Code"] = exc.code
        headers["X-Error-Message"] = _header_safe(exc.message)
        return cls.json({"error": exc.message, **exc.extra}, status=exc.status, headers=headers)


def _header_safe(text: str) -> str:
    """A message fit for an HTTP header: one line, printable ASCII (NUL and other controls escaped), bounded."""
    flat = " ".join(text.split())
    ascii_text = flat.encode("ascii", "backslashreplace").decode("ascii")
    return "".join(ch if " " <= ch <= "~" else f"\\x{ord(ch):02x}" for ch in ascii_text)[:500]


def _flag(query: Mapping[str, list[str]], name: str) -> bool:
    values = query.get(name) or query.get(f"{name}[]") or []
    return any(v.strip().lower() in ("1", "true", "yes") for v in values)


def _split_target(target: str) -> tuple[list[str], dict[str, list[str]]]:
    """Raw request target -> percent-decoded path segments and query parameters."""
    path, _, query_text = target.partition("?")
    if not path.startswith("/"):
        raise HubError(400, "Invalid request target")
    try:
        segments = [unquote(s, errors="strict") for s in path[1:].split("/")]
    except UnicodeDecodeError:
        raise HubError(400, "Invalid request target: percent-escapes must encode UTF-8") from None
    query = parse_qs(query_text, keep_blank_values=True)
    return segments, query


def _b64decode(data: bytes | memoryview | str) -> bytes:
    try:
        if sys.version_info >= (3, 11):
            return binascii.a2b_base64(data, strict_mode=True)
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise HubError(400, f"Invalid base64 content: {exc}") from None


#: A commit line longer than this that starts like the client's base64 file line is streamed to
#: disk as it arrives (memory stays bounded whatever the file's size).
_STREAM_LINE = 1 << 20
#: Other commit lines (headers, deletions, non-base64 files) must be at most this long.
_MAX_LINE = 16 << 20


class _CommitLines:
    """The lines of an NDJSON commit body, with long base64 file lines streamed rather than held."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buf = bytearray()
        self._eof = False

    def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = next(self._chunks, b"")
        if not chunk:
            self._eof = True
            return False
        self._buf += chunk
        return True

    def next(self) -> bytes | tuple[str, bytes] | None:
        """A whole line; or ``("file", prefix)`` for a long file line whose content comes next; ``None`` at the end."""
        scanned = 0
        while True:
            newline = self._buf.find(b"\n", scanned)
            if newline >= 0:
                line = bytes(self._buf[:newline])
                del self._buf[: newline + 1]
                return line
            scanned = len(self._buf)
            if scanned > _STREAM_LINE:
                for prefix in _FAST_FILE_PREFIXES:
                    if self._buf.startswith(prefix):
                        del self._buf[: len(prefix)]
                        return ("file", prefix)
                if scanned > _MAX_LINE:
                    raise HubError(
                        400,
                        f"A commit line is longer than {human_bytes(_MAX_LINE)} and is not a base64 file line: "
                        "send large files as {\"key\": \"file\", \"value\": {\"content\": ...}} (the huggingface_hub client does)",
                    )
            if not self._fill():
                if self._buf:
                    line = bytes(self._buf)
                    self._buf.clear()
                    return line
                return None

    def content(self) -> Iterator[bytes]:
        """The file's base64 text, in pieces, up to (not including) its closing quote."""
        while True:
            quote = self._buf.find(b'"')
            if quote >= 0:
                piece = bytes(self._buf[:quote])
                del self._buf[:quote]
                if piece:
                    yield piece
                return
            if self._buf:
                piece = bytes(self._buf)
                self._buf.clear()
                yield piece
            if not self._fill():
                raise HubError(400, "The commit body ends inside a file's content")

    def rest_of_line(self) -> bytes:
        """The rest of a streamed file line (path, encoding): short."""
        line = self.next()
        if not isinstance(line, bytes) or len(line) > _STREAM_LINE:
            raise HubError(400, "A file line's path and encoding must follow its content on the same line")
        return line


def _b64_pieces(text: Iterator[bytes]) -> Iterator[bytes]:
    """Decode base64 arriving in pieces of any length (4-character groups are decoded as they complete)."""
    carry = b""
    for piece in text:
        if b"\\" in piece:
            raise HubError(400, "Invalid base64 content: a file's content must be plain base64, without escapes")
        data = carry + piece if carry else piece
        cut = len(data) - len(data) % 4
        carry = data[cut:]
        if cut:
            yield _b64decode(data[:cut])
    if carry:
        raise HubError(400, "Invalid base64 content: its length is not a multiple of 4")


def _front_matter(text: str) -> str | None:
    """The YAML block between leading ``---`` lines of a README, if any."""
    match = re.match(r"\A\s*---[ \t]*\r?\n(?:(.*?)\r?\n)?---[ \t]*(?:\r?\n|\Z)", text, re.DOTALL)
    return (match.group(1) or "") if match else None


def _is_number(text: str) -> bool:
    """ASCII digits only (``"²".isdigit()`` is true, but ``int("²")`` fails)."""
    return text.isascii() and text.isdigit()


def _model_index_error(index: Any) -> str | None:
    """Why a card's ``model-index`` is malformed (a list of {name, results: [...]}), or ``None``."""
    if index is None:
        return None
    if not isinstance(index, list) or not all(isinstance(item, dict) for item in index):
        return '"model-index" must be a list of models, each with a "name" and a list of "results"'
    for item in index:
        if not isinstance(item.get("name"), str) or not isinstance(item.get("results"), list):
            return 'each entry of "model-index" needs a "name" (text) and "results" (a list)'
    return None


#: What follows a repository id in /api/{type}s/{namespace}/{name}/... (to recognise an id without namespace).
_REPO_ACTIONS = frozenset({
    "revision", "tree", "refs", "commits", "paths-info", "preupload", "commit", "tag", "branch", "settings",
    "discussions", "auth-check", "super-squash", "duplicate", "xet-write-token", "xet-read-token",
})

#: Paths one paths-info request may ask about (ours; huggingface_hub asks about a few at a time).
MAX_PATHS_INFO = 1000
#: A card's metadata block may hold this many bytes...
MAX_YAML_BYTES = 256 * 1024
#: ...and this many values once its aliases are expanded (a few aliases nested a few times expand to
#: billions: one 488-byte card took 80 s and 5.9 GB to answer before this budget).
MAX_YAML_VALUES = 100_000


def _load_yaml(text: str) -> tuple[Any, str | None]:
    """Parse YAML safely, within a size and alias budget; ``(data, None)`` or ``(None, error)``.

    PyYAML ships with huggingface_hub; without it, ``(None, None)`` (metadata is not checked).
    """
    try:
        import yaml  # type: ignore[import-untyped,unused-ignore]
    except ImportError:  # pragma: no cover - PyYAML missing: metadata is not checked
        return None, None
    if len(text.encode("utf-8", "replace")) > MAX_YAML_BYTES:
        return None, f"the metadata block is larger than {MAX_YAML_BYTES // 1024} KiB"
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        if _expanded_size(node, {}) > MAX_YAML_VALUES:
            return None, f"the metadata expands to more than {MAX_YAML_VALUES:,} values (YAML aliases)"
        return loader.construct_document(node), None
    except yaml.YAMLError as exc:
        return None, str(exc).replace("\n", " ")
    except RecursionError:
        return None, "the metadata is nested too deeply"
    finally:
        loader.dispose()


def _expanded_size(node: Any, sizes: dict[int, int]) -> int:
    """How many values ``node`` stands for with every alias expanded; stops counting past the budget.

    An alias is the same node object appearing again, so memoising by identity keeps this linear
    in the document's size while the expanded size can be exponential.
    """
    known = sizes.get(id(node))
    if known is not None:
        return known
    sizes[id(node)] = MAX_YAML_VALUES + 1  # a node that contains itself expands without end
    total = 1
    if isinstance(node.value, list):
        for item in node.value:
            children = item if isinstance(item, tuple) else (item,)
            for child in children:
                total += _expanded_size(child, sizes)
                if total > MAX_YAML_VALUES:
                    sizes[id(node)] = total
                    return total
    sizes[id(node)] = total
    return total


class HubApp:
    """The Hub endpoints over a :class:`Storage`, with :class:`TokenAuth` and :class:`Limits`.

    Used in notebooks/03_hub.ipynb (through :class:`course_utils.machinery.hub_server.LocalHub`) and the tests.
    """

    def __init__(self, storage: Storage, auth: TokenAuth, limits: Limits | None = None) -> None:
        self.storage = storage
        self.auth = auth
        self.limits = limits or Limits()
        self.signer = UploadSigner(secrets.token_bytes(32))

    # ------------------------------------------------------------------ dispatch

    def handle(self, request: Request) -> Response:
        """Answer one request (raises :class:`HubError` for the server to format, or ``IncompleteBody``).

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        segments, query = _split_target(request.target)
        identity = self.auth.identify(request.headers.get("Authorization"))
        method = request.method
        if segments and segments[0] == "api":
            return self._api(request, method, segments[1:], query, identity)
        lfs = self._lfs_route(segments)
        if lfs is not None:
            return self._lfs(request, method, lfs[0], lfs[1], query, identity)
        if method in ("GET", "HEAD"):
            return self._resolve(request, segments, identity)
        raise HubError(404, f"Not found: {method} {request.target.partition('?')[0]}")

    def _api(
        self, req: Request, method: str, seg: list[str], query: dict[str, list[str]], who: Identity | None
    ) -> Response:
        head = seg[0] if seg else ""
        if head == "whoami-v2" and len(seg) == 1 and method == "GET":
            return self._whoami(who)
        if head == "validate-yaml" and len(seg) == 1 and method == "POST":
            return self._validate_yaml(req)
        if head == "repos" and len(seg) == 2:
            if seg[1] == "create" and method == "POST":
                return self._create_repo(req, who)
            if seg[1] == "move" and method == "POST":
                return self._move_repo(req, who)
            if seg[1] == "delete" and method == "DELETE":
                return self._delete_repo(req, who)
        if seg == ["settings", "repositories"] and method == "GET":
            return self._own_repos(who, None)
        if head == "organizations" and len(seg) == 4 and seg[2:] == ["settings", "repositories"] and method == "GET":
            return self._own_repos(who, seg[1])
        if head in ("models", "datasets", "spaces"):
            repo_type = normalize_repo_type(head)
            if len(seg) == 1 and method == "GET":
                return self._list_repos(repo_type, query, who)
            if len(seg) == 2 and method in ("GET", "HEAD"):
                raise self._no_namespace(seg[1])
            if len(seg) >= 3:
                key = RepoKey(repo_type, validate_name_part(seg[1], "namespace"), validate_name_part(seg[2], "name"))
                key = self.storage.canonical(key)
                if key.name in _REPO_ACTIONS and not self.storage.repo_exists(key):
                    raise self._no_namespace(key.namespace)  # /api/models/gpt2/revision/main: an id without a namespace
                return self._repo_api(req, method, key, seg[3:], query, who)
        raise HubError(404, f"Not found: {method} /api/{'/'.join(seg)}")

    def _repo_api(
        self,
        req: Request,
        method: str,
        key: RepoKey,
        rest: list[str],
        query: dict[str, list[str]],
        who: Identity | None,
    ) -> Response:
        action = rest[0] if rest else ""
        arg = "/".join(rest[1:])
        readers: dict[tuple[str, str], Callable[[], Response]] = {
            ("GET", ""): lambda: self._info(key, DEFAULT_BRANCH, query, who),
            ("GET", "revision"): lambda: self._info(key, arg, query, who),
            ("GET", "tree"): lambda: self._tree(key, rest[1:], query, who),
            ("GET", "refs"): lambda: self._refs(key, who),
            ("GET", "commits"): lambda: self._commits(key, arg or DEFAULT_BRANCH, query, who),
            ("GET", "auth-check"): lambda: self._auth_check(key, who),
            ("GET", "discussions"): lambda: self._pull_details(key, arg, who),
            ("POST", "paths-info"): lambda: self._paths_info(req, key, arg, who),
        }
        if (method, action) in readers and (action in ("", "refs", "auth-check") or arg):
            if action in ("", "refs", "auth-check") and arg:
                raise HubError(404, f"Not found: {method} {req.target.partition('?')[0]}")
            return readers[(method, action)]()
        writers: dict[tuple[str, str], Callable[[Identity], Response]] = {
            ("POST", "preupload"): lambda ident: self._preupload(req, key, arg, query, ident),
            ("POST", "commit"): lambda ident: self._commit(req, key, arg, query, ident),
            ("POST", "tag"): lambda ident: self._create_tag(req, key, arg, ident),
            ("DELETE", "tag"): lambda ident: self._delete_tag(key, arg, ident),
            ("POST", "branch"): lambda ident: self._create_branch(req, key, arg, ident),
            ("DELETE", "branch"): lambda ident: self._delete_branch(key, arg, ident),
            ("PUT", "settings"): lambda ident: self._settings(req, key, ident),
            ("POST", "discussions"): lambda ident: self._discussion_change(key, rest[1:], ident),
            ("POST", "super-squash"): lambda ident: self._squash(req, key, arg, ident),
        }
        if (method, action) == ("POST", "discussions") and not arg:
            ident = self.auth.require(who, f"open a pull request on {key.repo_id}")
            self.auth.check_namespace(ident, key.namespace, "open a pull request")
            return self._open_pull(req, key, ident)
        if (method, action) == ("POST", "duplicate") and not arg:  # into the caller's namespace: checked there
            return self._duplicate(req, key, self.auth.require(who, f"duplicate {key.repo_id}"))
        if action in ("xet-write-token", "xet-read-token"):
            raise HubError(
                501,
                "This local Hub has no Xet storage: set HF_HUB_DISABLE_XET=1 before importing huggingface_hub "
                "(connect_hub does), and large files go through Git LFS",
            )
        if (method, action) in writers and (arg or action == "settings"):
            ident = self.auth.require(who, f"{action} {key.repo_id}")
            self.auth.check_namespace(ident, key.namespace, f"write ({action})")
            return writers[(method, action)](ident)
        if not self.storage.repo_exists(key):  # the routes above answer RepoNotFound themselves
            raise HubError.repo_not_found(key.repo_id)
        raise HubError(404, f"Not found: {method} {req.target.partition('?')[0]}")

    # ------------------------------------------------------------------ helpers

    def _json_body(self, req: Request) -> dict[str, Any]:
        raw = req.body.read_all(self.limits.max_json_bytes)
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise HubError(400, f"Invalid JSON body: {exc}") from None
        if not isinstance(data, dict):
            raise HubError(400, "Invalid JSON body: expected an object")
        return data

    def _readable(self, key: RepoKey, who: Identity | None) -> RepoMeta:
        """The repository's metadata, or 404 ``RepoNotFound`` when missing or private to someone else."""
        meta = self.storage.get_repo(key)
        if not self.auth.can_read(who, key.namespace, meta.private):
            raise HubError.repo_not_found(key.repo_id)
        return meta

    def _writable(self, key: RepoKey) -> RepoMeta:
        return self.storage.get_repo(key)

    @staticmethod
    def _repo_url(req: Request, key: RepoKey) -> str:
        return f"{req.base_url}/{key.url_path}"

    def _read_small_blob(self, entry: FileEntry, max_size: int = 1 << 20) -> bytes | None:
        if entry.size > max_size:
            return None
        try:
            return self.storage.blob_path(entry.sha256).read_bytes()
        except OSError:
            return None

    # ------------------------------------------------------------------ account

    def _whoami(self, who: Identity | None) -> Response:
        if who is None:
            raise HubError(401, "Authentication required: send 'Authorization: Bearer <token>'")
        return Response.json(
            {
                "type": "user",
                "id": hashlib.sha1(who.name.encode()).hexdigest()[:24],
                "name": who.name,
                "fullname": who.name,
                "email": None,
                "emailVerified": False,
                "canPay": False,
                "isPro": False,
                "periodEnd": None,
                "avatarUrl": "",
                "orgs": [
                    {"type": "org", "name": org, "fullname": org, "roleInOrg": "admin", "isEnterprise": False}
                    for org in who.orgs
                ],
                "auth": {
                    "type": "access_token",
                    "accessToken": {"displayName": "local-hub", "role": "write", "createdAt": utc_now()},
                },
            }
        )

    def _validate_yaml(self, req: Request) -> Response:
        data = self._json_body(req)
        content = data.get("content", "")
        if not isinstance(content, str):
            raise HubError(400, "'content' must be a string")
        block = _front_matter(content)
        empty = {"errors": [], "warnings": [{"message": "Empty or missing yaml metadata in repo card"}]}
        if block is None:
            return Response.json(empty)  # the Hub's warning: a card should say what the repository is
        parsed, error = _load_yaml(block)
        if error is None and parsed is not None and not isinstance(parsed, dict):
            error = "README.md metadata must be a YAML mapping (key: value lines)"
        if error is None and isinstance(parsed, dict):
            error = _model_index_error(parsed.get("model-index"))
        if error is not None:
            return Response.json({"error": "Invalid metadata in README.md", "errors": [{"message": error}]}, 400)
        return Response.json({"errors": [], "warnings": []} if parsed else empty)

    # ------------------------------------------------------------------ repositories

    def _repo_key_from_payload(self, data: Mapping[str, Any], who: Identity) -> RepoKey:
        repo_type = normalize_repo_type(data.get("type"))
        name = data.get("name")
        organization = data.get("organization") or who.name
        if isinstance(name, str) and "/" in name and not data.get("organization"):
            organization, _, name = name.partition("/")
        key = RepoKey(repo_type, validate_name_part(organization, "namespace"), validate_name_part(name, "name"))
        return self.storage.canonical(key)

    def _create_repo(self, req: Request, who: Identity | None) -> Response:
        ident = self.auth.require(who, "create a repository")
        data = self._json_body(req)
        key = self._repo_key_from_payload(data, ident)
        self.auth.check_namespace(ident, key.namespace, "create a repository")
        visibility = data.get("visibility")
        private = bool(data.get("private", False)) or visibility == "private"
        extra = {k: data[k] for k in ("sdk", "template") if isinstance(data.get(k), str)}
        url = self._repo_url(req, key)
        try:
            meta = self.storage.create_repo(key, private=private, author=ident.name, extra=extra)
        except HubError as exc:
            if exc.status == 409:
                raise HubError(409, exc.message, extra={"url": url}) from None
            raise
        return Response.json({"url": url, "name": key.repo_id, "id": meta.uid})

    def _delete_repo(self, req: Request, who: Identity | None) -> Response:
        ident = self.auth.require(who, "delete a repository")
        data = self._json_body(req)
        key = self._repo_key_from_payload(data, ident)
        self.auth.check_namespace(ident, key.namespace, "delete a repository")
        self.storage.delete_repo(key)
        return Response.json({})

    def _settings(self, req: Request, key: RepoKey, who: Identity) -> Response:
        data = self._json_body(req)
        self._writable(key)
        if data.get("gated") not in (None, False):
            raise HubError(400, "Gated repositories are not supported by the local hub")
        private: bool | None = None
        if "private" in data:
            private = bool(data["private"])
        if data.get("visibility") in ("private", "public"):
            private = data["visibility"] == "private"
        if private is not None:
            self.storage.set_private(key, private)
        return Response.json({})

    def _list_repos(self, repo_type: str, query: dict[str, list[str]], who: Identity | None) -> Response:
        author = (query.get("author") or [""])[0]
        search = (query.get("search") or [""])[0].lower()
        try:
            limit = int((query.get("limit") or ["0"])[0])
        except ValueError:
            raise HubError(400, "'limit' must be an integer") from None
        out = []
        for meta in self.storage.list_repos(repo_type):
            key = meta.key
            if author and key.namespace != author:
                continue
            if search and search not in key.repo_id.lower():
                continue
            if not self.auth.can_read(who, key.namespace, meta.private):
                continue
            try:
                head = self.storage.resolve(key, DEFAULT_BRANCH)
            except HubError:
                continue
            out.append(
                {
                    "_id": meta.uid, "id": key.repo_id, "author": key.namespace, "private": meta.private,
                    "sha": head.id, "lastModified": head.date, "createdAt": meta.created_at,
                    "downloads": 0, "likes": 0, "tags": [],
                }
            )
            if limit and len(out) >= limit:
                break
        return Response.json(out)

    def _model_card_fields(self, commit: Commit) -> dict[str, Any]:
        """``pipeline_tag``, ``library_name``, ``tags`` and ``cardData`` read from README.md and config.json."""
        fields: dict[str, Any] = {}
        config_entry = commit.files.get("config.json")
        if config_entry is not None:
            raw = self._read_small_blob(config_entry)
            try:
                config = json.loads(raw) if raw else None
            except (UnicodeDecodeError, json.JSONDecodeError):
                config = None
            if isinstance(config, dict):
                fields["library_name"] = "transformers"
                fields["config"] = {k: config[k] for k in ("architectures", "model_type") if k in config}
                archs = config.get("architectures")
                if isinstance(archs, list) and archs and isinstance(archs[0], str):
                    for suffix, task in _ARCH_TASKS:
                        if archs[0].endswith(suffix):
                            fields["pipeline_tag"] = task
                            break
        readme = commit.files.get("README.md")
        if readme is not None:
            raw = self._read_small_blob(readme)
            block = _front_matter(raw.decode("utf-8", "replace")) if raw else None
            card, error = _load_yaml(block) if block else (None, None)
            if isinstance(card, dict) and error is None:
                try:
                    json.dumps(card)
                except (TypeError, ValueError):
                    card = json.loads(json.dumps(card, default=str))
                fields["cardData"] = card
                for name in ("pipeline_tag", "library_name"):
                    if isinstance(card.get(name), str):
                        fields[name] = card[name]
                tags = card.get("tags")
                if isinstance(tags, list):
                    fields["tags"] = [str(t) for t in tags]
        return fields

    def _info(self, key: RepoKey, revision: str, query: dict[str, list[str]], who: Identity | None) -> Response:
        meta = self._readable(key, who)
        commit = self.storage.resolve(key, validate_revision(revision))
        with_blobs = _flag(query, "blobs")
        siblings = []
        for path in sorted(commit.files):
            item: dict[str, Any] = {"rfilename": path}
            if with_blobs:
                entry = commit.files[path]
                item.update(size=entry.size, blobId=entry.oid)
                if entry.lfs:
                    item["lfs"] = {"sha256": entry.sha256, "size": entry.size, "pointerSize": len(lfs_pointer(entry.sha256, entry.size))}
            siblings.append(item)
        info: dict[str, Any] = {
            "_id": meta.uid,
            "id": key.repo_id,
            "author": key.namespace,
            "sha": commit.id,
            "lastModified": commit.date,
            "createdAt": meta.created_at,
            "private": meta.private,
            "gated": False,
            "disabled": False,
            "downloads": 0,
            "likes": 0,
            "tags": [],
            "siblings": siblings,
            "usedStorage": sum(e.size for e in commit.files.values()),
        }
        if key.type == "model":
            info["modelId"] = key.repo_id
        if key.type == "space":
            info["sdk"] = meta.extra.get("sdk")
            info["runtime"] = {"stage": "NO_APP_FILE", "hardware": {"current": None, "requested": None}}
        info.update(self._model_card_fields(commit))
        expand = query.get("expand") or query.get("expand[]")
        if expand:
            info = {k: v for k, v in info.items() if k in set(expand) or k in ("_id", "id")}
        return Response.json(info)

    # ------------------------------------------------------------------ trees

    @staticmethod
    def _dir_oid(commit: Commit, directory: str) -> str:
        prefix = directory + "/"
        digest = hashlib.sha1(b"tree\x00")
        for path in sorted(p for p in commit.files if p.startswith(prefix)):
            digest.update(f"{path[len(prefix):]}\x00{commit.files[path].oid}\n".encode())
        return digest.hexdigest()

    def _entries(
        self, key: RepoKey, commit: Commit, paths: Sequence[str], dirs: set[str], expand: bool
    ) -> list[dict[str, Any]]:
        last = self.storage.last_commits(key, commit, paths) if expand else {}
        out: list[dict[str, Any]] = []
        for path in paths:
            if path in commit.files:
                entry = commit.files[path]
                item: dict[str, Any] = {"type": "file", "oid": entry.oid, "size": entry.size, "path": path}
                if entry.lfs:
                    item["lfs"] = {"oid": entry.sha256, "size": entry.size, "pointerSize": len(lfs_pointer(entry.sha256, entry.size))}
            elif path in dirs:
                item = {"type": "directory", "oid": self._dir_oid(commit, path), "size": 0, "path": path}
            else:
                continue
            if expand and path in last:
                c = last[path]
                item["lastCommit"] = {"id": c.id, "title": c.summary, "date": c.date}
            out.append(item)
        return out

    def _tree(self, key: RepoKey, rest: list[str], query: dict[str, list[str]], who: Identity | None) -> Response:
        self._readable(key, who)
        if not rest or not rest[0]:
            raise HubError(404, "Not found: a tree listing needs a revision")
        commit = self.storage.resolve(key, validate_revision(rest[0]))
        path = "/".join(rest[1:]).strip("/")
        if path:
            validate_repo_path(path)
        recursive = _flag(query, "recursive")
        expand = _flag(query, "expand")
        dirs = commit.directories()
        if path and path not in dirs:
            raise HubError.entry_not_found(key.repo_id, path, commit.id)
        prefix = f"{path}/" if path else ""
        if recursive:
            names = [p for p in (*dirs, *commit.files) if p.startswith(prefix)]
        else:
            names = [p for p in (*dirs, *commit.files) if p.startswith(prefix) and "/" not in p[len(prefix):]]
        names.sort(key=lambda p: (p not in dirs, p))
        return Response.json(self._entries(key, commit, names, dirs, expand))

    def _paths_info(self, req: Request, key: RepoKey, revision: str, who: Identity | None) -> Response:
        self._readable(key, who)
        raw = req.body.read_all(self.limits.max_json_bytes)
        content_type = (req.headers.get("Content-Type") or "").lower()
        paths: list[Any]
        expand = False
        if "json" in content_type:
            try:
                data = json.loads(raw or b"{}")
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise HubError(400, f"Invalid JSON body: {exc}") from None
            paths = data.get("paths", []) if isinstance(data, dict) else []
            expand = bool(data.get("expand")) if isinstance(data, dict) else False
        else:
            try:
                form = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
            except UnicodeDecodeError:
                raise HubError(400, "Invalid form body") from None
            paths = form.get("paths", [])
            expand = _flag(form, "expand")
        if not isinstance(paths, list):
            raise HubError(400, "'paths' must be a list")
        if len(paths) > MAX_PATHS_INFO:
            # With expand, each path walks the history: the work of one request, anonymous or not, stays bounded.
            raise HubError(400, f"At most {MAX_PATHS_INFO} paths per paths-info request ({len(paths)} sent): split them")
        commit = self.storage.resolve(key, validate_revision(revision))
        wanted = [validate_repo_path(p.strip("/") if isinstance(p, str) else p) for p in paths]
        return Response.json(self._entries(key, commit, wanted, commit.directories(), expand))

    def _refs(self, key: RepoKey, who: Identity | None) -> Response:
        self._readable(key, who)
        refs = self.storage.read_refs(key)
        branches = [
            {"name": name, "ref": f"refs/heads/{name}", "targetCommit": sha}
            for name, sha in sorted(refs["branches"].items())
        ]
        tags = [
            {"name": name, "ref": f"refs/tags/{name}", "targetCommit": tag["commit"]}
            for name, tag in sorted(refs["tags"].items())
        ]
        pulls = [
            {"name": number, "ref": f"refs/pr/{number}", "targetCommit": pr["sha"]}
            for number, pr in sorted(refs["pulls"].items(), key=lambda item: int(item[0]))
        ]
        return Response.json({"branches": branches, "tags": tags, "converts": [], "pullRequests": pulls})

    def _commits(self, key: RepoKey, revision: str, query: dict[str, list[str]], who: Identity | None) -> Response:
        self._readable(key, who)
        commit = self.storage.resolve(key, validate_revision(revision))
        formatted = "formatted" in (query.get("expand[]") or []) + (query.get("expand") or [])
        out = []
        for c in self.storage.history(key, commit):
            item: dict[str, Any] = {
                "id": c.id, "title": c.summary, "message": c.description, "authors": [{"user": c.author}], "date": c.date,
            }
            if formatted:  # the Hub renders titles and messages as HTML
                item["formatted"] = {"title": html.escape(c.summary), "message": html.escape(c.description)}
            out.append(item)
        return Response.json(out)

    # ------------------------------------------------------------------ writes

    def _preupload(
        self, req: Request, key: RepoKey, revision: str, query: dict[str, list[str]], who: Identity
    ) -> Response:
        data = self._json_body(req)
        self._writable(key)
        head = self.storage.branch_head(key, validate_revision(revision))
        files = data.get("files")
        if not isinstance(files, list):
            raise HubError(400, "'files' must be a list")
        max_file = self.limits.max_commit_bytes
        lfs_rules = lfs_paths(self._text_of(head, ".gitattributes"))
        ignore_text = data.get("gitIgnore")
        ignored = git_ignores(ignore_text if isinstance(ignore_text, str) else self._text_of(head, ".gitignore"))
        out = []
        for item in files:
            if not isinstance(item, dict):
                raise HubError(400, "each entry of 'files' must be an object")
            path = validate_repo_path(item.get("path"))
            size = item.get("size")
            lfs = lfs_rules.match_file(path) or (isinstance(size, int) and size > LFS_THRESHOLD)
            # a regular file travels as base64 inside the commit (4/3 of its size); an LFS file as itself
            most = max_file if lfs else (max_file * 3) // 4
            if isinstance(size, int) and size > most:
                raise HubError(
                    413,
                    f"File {path!r} is {human_bytes(size)}: over what this local hub takes in one file "
                    f"({human_bytes(most)}; start the server with a larger --max-commit-mb)",
                )
            answer: dict[str, Any] = {
                "path": path,
                "uploadMode": "lfs" if lfs else "regular",
                "shouldIgnore": ignored.match_file(path),
            }
            existing = head.files.get(path)
            if existing is not None:  # the client skips unchanged files: sha256 for LFS, git oid otherwise
                answer["oid"] = existing.sha256 if existing.lfs else existing.oid
            out.append(answer)
        return Response.json({"files": out, "commitOid": head.id})

    def _parse_commit_line(self, line: bytes) -> dict[str, Any]:
        for prefix in _FAST_FILE_PREFIXES:
            if line.startswith(prefix):
                # Fast path for the client's file lines: decode base64 straight from the bytes
                # (no 1.3x-sized str copies); the small rest is parsed as ordinary JSON.
                start = len(prefix)
                end = line.find(b'"', start)
                if end > 0 and line.find(b"\\", start, end) < 0:
                    rest: Any = json.loads(line[:start] + line[end:])
                    value = rest.get("value") if isinstance(rest, dict) else None
                    if isinstance(value, dict) and value.get("content") == "":
                        value["content"] = memoryview(line)[start:end]
                        return dict(rest)
        obj: Any = json.loads(line)
        if not isinstance(obj, dict):
            raise HubError(400, "Each commit line must be a JSON object")
        return dict(obj)

    def _commit(
        self, req: Request, key: RepoKey, revision: str, query: dict[str, list[str]], who: Identity
    ) -> Response:
        create_pr = _flag(query, "create_pr")
        validate_revision(revision)
        req.body.check_limit(self.limits.max_commit_bytes)
        self._writable(key)
        self.storage.branch_head(key, revision)  # fail early (404) before reading a large body
        content_type = (req.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if content_type not in ("application/x-ndjson", "application/ndjson", "application/jsonl"):
            raise HubError(415, f"Commits are sent as application/x-ndjson, not {content_type or 'nothing'!r}")
        staged: list[StagedBlob] = []
        operations: list[tuple[str, str, FileEntry | None]] = []
        header: dict[str, Any] | None = None
        lines = _CommitLines(req.body.chunks(self.limits.max_commit_bytes))
        number = 0
        try:
            while (line := lines.next()) is not None:
                number += 1
                if isinstance(line, tuple):
                    if header is None:
                        raise HubError(400, "The first commit line must be the header")
                    blob = self.storage.stage_stream(_b64_pieces(lines.content()))
                    staged.append(blob)
                    rest = lines.rest_of_line()
                    try:
                        streamed: Any = json.loads(line[1] + rest)
                    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                        raise HubError(400, f"Malformed commit line {number}: {exc}") from None
                    value = streamed.get("value") if isinstance(streamed, dict) else None
                    if not isinstance(value, dict) or str(value.get("encoding", "base64")).lower() != "base64":
                        raise HubError(400, f"Commit line {number}: file content must be a base64 string")
                    operations.append(("add", validate_repo_path(value.get("path")), blob.entry))
                    continue
                if not line.strip():
                    continue
                try:
                    obj = self._parse_commit_line(line)
                except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                    raise HubError(400, f"Malformed commit line {number}: {exc}") from None
                del line
                kind, value = obj.get("key"), obj.get("value")
                if not isinstance(value, dict):
                    raise HubError(400, f"Commit line {number}: 'value' must be an object")
                if header is None:
                    if kind != "header":
                        raise HubError(400, "The first commit line must be the header")
                    header = value
                    continue
                if kind == "file":
                    path = validate_repo_path(value.get("path"))
                    content = value.get("content")
                    encoding = str(value.get("encoding", "base64")).lower()
                    if encoding == "base64" and isinstance(content, (str, memoryview)):
                        data = _b64decode(content)
                    elif encoding in ("utf-8", "utf8") and isinstance(content, str):
                        data = content.encode("utf-8")
                    else:
                        raise HubError(400, f"Commit line {number}: file content must be a base64 string")
                    del content, value["content"]
                    blob = self.storage.stage_blob(data)
                    del data
                    staged.append(blob)
                    operations.append(("add", path, blob.entry))
                elif kind in ("deletedFile", "deletedFolder"):
                    raw_path = value.get("path")
                    if kind == "deletedFolder" and isinstance(raw_path, str):
                        raw_path = raw_path.rstrip("/")
                    path = validate_repo_path(raw_path)
                    operations.append(("delete_file" if kind == "deletedFile" else "delete_folder", path, None))
                elif kind == "lfsFile":
                    path = validate_repo_path(value.get("path"))
                    oid, size = value.get("oid"), value.get("size")
                    if str(value.get("algo", "sha256")).lower() != "sha256" or not is_sha256(oid):
                        raise HubError(400, f"Commit line {number}: an LFS file is named by its sha256 ('oid')")
                    if size is not None and (not isinstance(size, int) or size < 0):
                        raise HubError(400, f"Commit line {number}: 'size' must be a number of bytes")
                    blob = self.storage.stage_lfs(key, oid, size)
                    staged.append(blob)
                    operations.append(("add", path, blob.entry))
                elif kind == "header":
                    raise HubError(400, f"Commit line {number}: a second header")
                else:
                    raise HubError(400, f"Commit line {number}: unknown operation {kind!r}")
            if header is None:
                raise HubError(400, "Empty commit: the body holds no header line")
            summary = header.get("summary") or "Commit"
            description = header.get("description") or ""
            parent = header.get("parentCommit")
            if not isinstance(summary, str) or not isinstance(description, str) or len(summary) > 10_000:
                raise HubError(400, "The header's summary and description must be strings")
            if parent is not None and (not isinstance(parent, str) or not is_commit_sha(parent)):
                raise HubError(400, "'parentCommit' must be a full commit id (40 hex digits)")
        except BaseException:
            self.storage.discard(staged)
            raise
        commit, pull = self.storage.commit(
            key, revision, operations, staged,
            summary=summary, description=description, author=who.name, parent_commit=parent, create_pr=create_pr,
        )
        return Response.json(
            {
                "success": True,
                "commitOid": commit.id,
                "commitUrl": f"{self._repo_url(req, key)}/commit/{commit.id}",
                "commitMessage": summary,
                "hookOutput": "",
                "pullRequestUrl": f"{self._repo_url(req, key)}/discussions/{pull}" if create_pr else None,
            }
        )

    def _create_tag(self, req: Request, key: RepoKey, revision: str, who: Identity) -> Response:
        data = self._json_body(req)
        self._writable(key)
        self.storage.resolve(key, validate_revision(revision))  # a missing revision is a 404 first, as on the Hub
        tag = validate_ref_name(data.get("tag"), "tag")
        message = data.get("message")
        if message is not None and not isinstance(message, str):
            raise HubError(400, "'message' must be a string")
        sha = self.storage.create_tag(key, tag, validate_revision(revision), message)
        return Response.json({"name": tag, "ref": f"refs/tags/{tag}", "targetCommit": sha})

    def _delete_tag(self, key: RepoKey, tag: str, who: Identity) -> Response:
        self._writable(key)
        self.storage.delete_tag(key, validate_revision(tag))
        return Response.json({})

    def _create_branch(self, req: Request, key: RepoKey, branch: str, who: Identity) -> Response:
        data = self._json_body(req)
        self._writable(key)
        start = data.get("startingPoint")
        if start is not None:
            start = validate_revision(start)
        sha = self.storage.create_branch(key, validate_ref_name(branch, "branch"), start)
        return Response.json({"name": branch, "ref": f"refs/heads/{branch}", "targetCommit": sha})

    def _delete_branch(self, key: RepoKey, branch: str, who: Identity) -> Response:
        self._writable(key)
        self.storage.delete_branch(key, validate_revision(branch))
        return Response.json({})

    # ------------------------------------------------------------------ repository management

    @staticmethod
    def _no_namespace(name: str) -> HubError:
        return HubError(
            404,
            f"Repository Not Found for {name!r}: repositories on this local Hub are named 'namespace/name' "
            "(models without a namespace, such as gpt2, exist only on huggingface.co)",
            "RepoNotFound",
        )

    def _auth_check(self, key: RepoKey, who: Identity | None) -> Response:
        self._readable(key, who)
        return Response.json({})

    def _repo_key(self, repo_id: Any, repo_type: str, what: str) -> RepoKey:
        if not isinstance(repo_id, str) or repo_id.count("/") != 1:
            raise HubError(400, f"{what} must be a repository id 'namespace/name'")
        namespace, name = repo_id.split("/")
        return RepoKey(repo_type, validate_name_part(namespace, "namespace"), validate_name_part(name, "name"))

    def _move_repo(self, req: Request, who: Identity | None) -> Response:
        ident = self.auth.require(who, "move a repository")
        data = self._json_body(req)
        repo_type = normalize_repo_type(data.get("type"))
        source = self.storage.canonical(self._repo_key(data.get("fromRepo"), repo_type, "'fromRepo'"))
        target = self._repo_key(data.get("toRepo"), repo_type, "'toRepo'")
        self.auth.check_namespace(ident, source.namespace, "move a repository")
        self.auth.check_namespace(ident, target.namespace, "move a repository")
        self.storage.move_repo(source, target)
        return Response.json({"url": self._repo_url(req, target)})

    def _duplicate(self, req: Request, key: RepoKey, who: Identity) -> Response:
        self._readable(key, who)
        data = self._json_body(req)
        target = self._repo_key(data.get("repository"), key.type, "'repository'")
        self.auth.check_namespace(who, target.namespace, "duplicate a repository")
        private = {"private": True, "public": False}.get(str(data.get("visibility")))
        if private is None and isinstance(data.get("private"), bool):
            private = data["private"]
        self.storage.duplicate_repo(key, target, private=private)
        return Response.json({"url": self._repo_url(req, target)})

    def _squash(self, req: Request, key: RepoKey, branch: str, who: Identity) -> Response:
        data = self._json_body(req)
        self._writable(key)
        branch = validate_revision(branch)
        message = data.get("message") or f"Super-squash branch '{branch}'"
        if not isinstance(message, str):
            raise HubError(400, "'message' must be a string")
        commit = self.storage.squash(key, branch, message, who.name)
        return Response.json({"commitId": commit.id})

    def _own_repos(self, who: Identity | None, organization: str | None) -> Response:
        """``hf repos ls``: the repositories of the caller (or of one of their organisations), with their size."""
        ident = self.auth.require(who, "list your repositories")
        namespace = organization or ident.name
        self.auth.check_namespace(ident, namespace, "list the repositories")
        out = []
        for repo_type in ("model", "dataset", "space"):
            for meta in self.storage.list_repos(repo_type):
                if meta.key.namespace.casefold() != namespace.casefold():
                    continue
                try:
                    head = self.storage.resolve(meta.key, DEFAULT_BRANCH)
                except HubError:
                    continue
                out.append({
                    "id": meta.key.repo_id, "type": repo_type, "updatedAt": head.date,
                    "visibility": "private" if meta.private else "public",
                    "storage": sum(entry.size for entry in head.files.values()), "storagePercent": 0,
                })
        return Response.json(out)

    # ------------------------------------------------------------------ pull requests

    def _open_pull(self, req: Request, key: RepoKey, who: Identity) -> Response:
        data = self._json_body(req)
        if not data.get("pullRequest"):
            raise HubError(400, "This local Hub keeps pull requests only: discussions are not supported")
        title = data.get("title")
        if not isinstance(title, str) or not title.strip():
            raise HubError(400, "A pull request needs a 'title'")
        self._writable(key)
        number = self.storage.open_pull(key, DEFAULT_BRANCH, title.strip(), who.name)
        return Response.json({"num": number, "pullRequest": {"num": number}, "url": f"{self._repo_url(req, key)}/discussions/{number}"})

    def _pull_details(self, key: RepoKey, number: str, who: Identity | None) -> Response:
        self._readable(key, who)
        pr = self.storage.read_refs(key)["pulls"].get(number) if _is_number(number) else None
        if pr is None:
            raise HubError(404, f"Pull request #{number} of {key.repo_id} does not exist (discussions are not kept)")
        return Response.json({
            "num": int(number), "title": pr["title"], "status": pr["status"], "author": {"name": pr["author"]},
            "createdAt": pr["created"], "isPullRequest": True, "repo": {"name": key.repo_id, "type": key.type},
            "events": [], "filesWithConflicts": [], "diff": "",
            "changes": {"base": f"refs/heads/{pr['target']}", "mergeCommitId": pr.get("merge_commit")},
        })

    def _discussion_change(self, key: RepoKey, rest: list[str], who: Identity) -> Response:
        """``POST discussions/N/merge``: merge a pull request (discussions themselves are not kept)."""
        if len(rest) != 2 or not _is_number(rest[0]) or rest[1] != "merge":
            raise HubError(
                404, "This local Hub keeps pull requests as refs (refs/pr/N) that can be merged; "
                "comments, titles and status changes of discussions are not supported",
            )
        self._writable(key)
        merged = self.storage.merge_pull(key, int(rest[0]), who.name)
        event = {
            "id": merged.id[:24], "type": "status-change", "createdAt": merged.date,
            "author": {"name": who.name}, "data": {"status": "merged"},
        }
        return Response.json({"newStatus": event})

    # ------------------------------------------------------------------ Git LFS

    def _text_of(self, commit: Commit, path: str) -> str:
        """A small text file of a commit ('' when absent, too large or not UTF-8)."""
        entry = commit.files.get(path)
        data = self._read_small_blob(entry) if entry is not None else None
        try:
            return data.decode("utf-8") if data else ""
        except UnicodeDecodeError:
            return ""

    @staticmethod
    def _lfs_route(segments: list[str]) -> tuple[RepoKey, list[str]] | None:
        """``[datasets/]NS/NAME.git/info/lfs/objects/...`` -> the repository and what follows ``objects``."""
        repo_type, rest = "model", segments
        if rest and rest[0] in ("datasets", "spaces"):
            repo_type, rest = normalize_repo_type(rest[0]), rest[1:]
        if len(rest) < 5 or not rest[1].endswith(".git") or rest[2:5] != ["info", "lfs", "objects"]:
            return None
        return RepoKey(repo_type, rest[0], rest[1][: -len(".git")]), rest[5:]

    def _lfs(
        self, req: Request, method: str, key: RepoKey, rest: list[str], query: dict[str, list[str]], who: Identity | None
    ) -> Response:
        key = self.storage.canonical(key)  # also checks the names (Storage.repo_dir)
        if method == "PUT" and len(rest) == 2:
            return self._lfs_upload(req, key, rest[0], rest[1], query)
        if method == "POST" and rest in (["batch"], ["verify"]):
            ident = self.auth.require(who, f"upload to {key.repo_id}")
            self.auth.check_namespace(ident, key.namespace, "write (LFS upload)")
            self._writable(key)
            return self._lfs_batch(req, key) if rest == ["batch"] else self._lfs_verify(req, key)
        raise HubError(404, f"Not found: {method} {req.target.partition('?')[0]}")

    def _lfs_batch(self, req: Request, key: RepoKey) -> Response:
        data = self._json_body(req)
        if data.get("operation") != "upload":
            raise HubError(400, "This local Hub's LFS batch endpoint takes uploads only (downloads use /resolve/)")
        objects = data.get("objects")
        if not isinstance(objects, list) or len(objects) > 1000:
            raise HubError(400, "'objects' must be a list of at most 1000 {oid, size} objects")
        answers = []
        for obj in objects:
            oid = obj.get("oid") if isinstance(obj, dict) else None
            size = obj.get("size") if isinstance(obj, dict) else None
            if not is_sha256(oid) or not isinstance(size, int) or size < 0:
                raise HubError(400, "Each LFS object needs 'oid' (its sha256, 64 hex digits) and 'size' (bytes)")
            answer: dict[str, Any] = {"oid": oid, "size": size, "authenticated": True}
            if size > self.limits.max_commit_bytes:
                answer["error"] = {
                    "code": 422,
                    "message": f"{human_bytes(size)} is over what this local hub takes in one file "
                    f"({human_bytes(self.limits.max_commit_bytes)}; start it with a larger --max-commit-mb)",
                }
            elif not self.storage.has_object(key, oid, size):
                expires, signature = self.signer.sign(self._lfs_link_subject(key), oid, size)
                base = f"{req.base_url}/{URL_PREFIXES[key.type]}{key.repo_id}.git/info/lfs/objects"
                answer["actions"] = {
                    "upload": {"href": f"{base}/{oid}/{size}?expires={expires}&signature={signature}", "header": {}},
                    "verify": {"href": f"{base}/verify", "header": {}},
                }
            answers.append(answer)
        return Response.json(
            {"transfer": "basic", "objects": answers, "hash_algo": "sha256"},
            headers={"Content-Type": "application/vnd.git-lfs+json"},
        )

    def _lfs_link_subject(self, key: RepoKey) -> str:
        """What an upload link is signed for: the repository itself (its uid), not just its name, so that a link
        for a repository deleted and created again under the same name is refused."""
        try:
            uid = self.storage.get_repo(key).uid
        except HubError:  # no such repository: no link matches, and the answer (403) says nothing of what exists
            uid = ""
        return f"{key.type}/{key.repo_id}/{uid}"

    def _lfs_upload(self, req: Request, key: RepoKey, oid: str, size_text: str, query: dict[str, list[str]]) -> Response:
        if not is_sha256(oid) or not _is_number(size_text):
            raise HubError(404, f"Not found: PUT {req.target.partition('?')[0]}")
        size = int(size_text)
        problem = self.signer.check(
            self._lfs_link_subject(key), oid, size, (query.get("expires") or [""])[0], (query.get("signature") or [""])[0]
        )
        if problem is not None:
            raise HubError(403, f"Upload refused: {problem}")
        if req.body.length is not None and req.body.length != size:
            raise HubError(400, f"The upload has {req.body.length} bytes, not the {size} declared; nothing was kept")
        if not self.storage.has_object(key, oid, size):
            self.storage.store_lfs_object(key, oid, size, req.body.chunks(size))
        return Response.json({})

    def _lfs_verify(self, req: Request, key: RepoKey) -> Response:
        data = self._json_body(req)
        oid, size = data.get("oid"), data.get("size")
        if not is_sha256(oid) or not isinstance(size, int):
            raise HubError(400, "'oid' (sha256) and 'size' are required")
        if not self.storage.has_object(key, oid, size):
            raise HubError(404, f"LFS object {oid} ({size} bytes) was not uploaded; upload it again")
        return Response.json({"oid": oid, "size": size})

    # ------------------------------------------------------------------ downloads

    def _resolve(self, req: Request, segments: list[str], who: Identity | None) -> Response:
        repo_type = "model"
        if segments and segments[0] in ("datasets", "spaces"):
            repo_type = normalize_repo_type(segments[0])
            segments = segments[1:]
        if len(segments) >= 4 and segments[1] == "resolve":
            raise self._no_namespace(segments[0])
        if len(segments) < 5 or segments[2] != "resolve":
            raise HubError(404, f"Not found: {req.method} {req.target.partition('?')[0]}")
        key = RepoKey(repo_type, validate_name_part(segments[0], "namespace"), validate_name_part(segments[1], "name"))
        key = self.storage.canonical(key)
        try:
            self._readable(key, who)
        except HubError:
            moved = None if self.storage.repo_exists(key) else self.storage.renamed_to(key)
            # the Hub redirects downloads by a repository's old id (to those who may read it: the new
            # name of a private repository is not for everyone)
            if moved is None or not self.auth.can_read(who, moved.namespace, self.storage.get_repo(moved).private):
                raise
            prefix = "" if repo_type == "model" else URL_PREFIXES[repo_type]
            rest = "/".join(quote(s, safe="") for s in segments[2:])
            query_text = req.target.partition("?")[2]
            location = f"/{prefix}{moved.namespace}/{moved.name}/{rest}" + (f"?{query_text}" if query_text else "")
            return Response(status=307, headers={"Location": location})
        commit = self.storage.resolve(key, validate_revision(segments[3]))
        path = validate_repo_path("/".join(segments[4:]))
        entry = commit.files.get(path)
        if entry is None:
            raise HubError.entry_not_found(key.repo_id, path, commit.id)
        headers = {
            "X-Repo-Commit": commit.id,
            # an LFS file is named by its sha256, as the Hub's X-Linked-Etag does (the client's cache uses it)
            "ETag": f'"{entry.sha256}"' if entry.lfs else f'"{entry.oid}"',
            "Accept-Ranges": "bytes",
            "Content-Type": mimetypes.guess_type(path)[0] or "application/octet-stream",
            "Cache-Control": "private, max-age=0" if not is_commit_sha(segments[3]) else "public, max-age=31536000",
        }
        blob = self.storage.blob_path(entry.sha256)
        if not blob.exists():
            raise HubError(500, f"Stored content of {path!r} is missing from the data directory")
        status, offset, length = 200, 0, entry.size
        byte_range = self._parse_range(req.headers.get("Range"), entry.size)
        if byte_range == "unsatisfiable":
            raise HubError(
                416,
                f"Range not satisfiable for a {entry.size}-byte file",
                headers={"Content-Range": f"bytes */{entry.size}", "X-Repo-Commit": commit.id},
            )
        if isinstance(byte_range, tuple):
            offset, last = byte_range
            length = last - offset + 1
            status = 206
            headers["Content-Range"] = f"bytes {offset}-{last}/{entry.size}"
        headers["Content-Length"] = str(length)
        if entry.lfs:
            headers["X-Linked-Etag"] = f'"{entry.sha256}"'
            headers["X-Linked-Size"] = str(entry.size)
        return Response(status=status, headers=headers, file=blob, offset=offset, length=length)

    @staticmethod
    def _parse_range(value: str | None, size: int) -> tuple[int, int] | str | None:
        """A single ``bytes=`` range -> ``(first, last)``; ``None`` to send the whole file; ``"unsatisfiable"``."""
        if not value:
            return None
        match = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", value)
        if not match or (not match.group(1) and not match.group(2)):
            return None  # malformed or multi-range: ignored, as RFC 9110 allows
        first_text, last_text = match.groups()
        if first_text:
            first = int(first_text)
            last = int(last_text) if last_text else size - 1
            if first >= size or last < first:
                return "unsatisfiable"
            return first, min(last, size - 1)
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            return "unsatisfiable"
        return max(size - suffix, 0), size - 1
