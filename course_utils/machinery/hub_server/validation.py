"""Errors and input validation of the local Hub server.

Every rejection the server makes is a :class:`HubError`: an HTTP status, a clear message (sent
as ``{"error": "..."}`` and as the ``X-Error-Message`` header) and, where the real Hub has one,
an ``X-Error-Code`` (``RepoNotFound``, ``RevisionNotFound``, ``EntryNotFound``) that the
``huggingface_hub`` client turns into ``RepositoryNotFoundError``, ``RevisionNotFoundError`` or
``EntryNotFoundError``.

The validators here are pure functions (no I/O): repository types and names, file paths inside
a repository, branch and tag names, revisions. They are what keeps a request from naming a file
outside the data directory.

Used in notebooks/03_hub.ipynb (through :class:`course_utils.machinery.hub_server.LocalHub`) and the tests.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Mapping

__all__ = [
    "HubError",
    "REPO_TYPES",
    "URL_PREFIXES",
    "is_commit_sha",
    "normalize_repo_type",
    "validate_name_part",
    "validate_repo_path",
    "validate_ref_name",
    "validate_revision",
]

#: Repository types, by their singular name (the ``type`` of ``/api/repos/create``).
REPO_TYPES: tuple[str, ...] = ("model", "dataset", "space")
#: Download URL prefix of each repository type: ``/{prefix}{namespace}/{name}/resolve/...``.
URL_PREFIXES: Mapping[str, str] = {"model": "", "dataset": "datasets/", "space": "spaces/"}

_NAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?")
_SHA_RE = re.compile(r"[0-9a-f]{40}")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
#: Names Windows gives to devices, whatever the extension (``aux.txt`` too): a checkout cannot hold them.
_WINDOWS_DEVICES = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))})
#: Characters a Windows disk refuses in a file name (macOS refuses ':' too).
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*]')
#: Names a model namespace cannot take: they are URL prefixes or routes of the server.
_RESERVED_NAMESPACES = frozenset({"api", "datasets", "spaces", "models", "resolve"})

MAX_PATH_CHARS = 1000
MAX_SEGMENT_BYTES = 255
MAX_REF_CHARS = 200


class HubError(Exception):
    """An error the server answers with: HTTP status, message, optional ``X-Error-Code``.

    ``extra`` entries are merged into the JSON body (the 409 of ``create_repo`` carries the
    repository ``url`` there, which the client reads with ``exist_ok=True``); ``headers`` are
    added to the reply (an ``EntryNotFound`` of a download carries ``X-Repo-Commit``).

    Used in notebooks/03_hub.ipynb (through the server) and the tests.
    """

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        *,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.extra: dict[str, Any] = dict(extra or {})
        self.headers: dict[str, str] = dict(headers or {})

    @classmethod
    def repo_not_found(cls, repo_id: str) -> "HubError":
        """404 ``RepoNotFound``: the repository does not exist, or it is private and the request is not the owner's.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        return cls(404, f"Repository not found: {repo_id}", "RepoNotFound")

    @classmethod
    def revision_not_found(cls, repo_id: str, revision: str) -> "HubError":
        """404 ``RevisionNotFound``: no branch, tag or commit of that name in the repository.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        return cls(404, f"Revision not found: {revision!r} in {repo_id}", "RevisionNotFound")

    @classmethod
    def entry_not_found(cls, repo_id: str, path: str, commit: str | None = None) -> "HubError":
        """404 ``EntryNotFound``: no file or folder at that path (``X-Repo-Commit`` says in which commit).

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        headers = {"X-Repo-Commit": commit} if commit else None
        return cls(404, f"Entry not found: {path!r} in {repo_id}", "EntryNotFound", headers=headers)


def is_commit_sha(value: str) -> bool:
    """Whether ``value`` is a full commit id: 40 lowercase hexadecimal digits.

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """
    return isinstance(value, str) and bool(_SHA_RE.fullmatch(value))


def normalize_repo_type(value: Any) -> str:
    """Map ``"model"``/``"models"``/``None``, ``"dataset(s)"``, ``"space(s)"`` to the singular type; 400 otherwise.

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """
    if value is None:
        return "model"
    if isinstance(value, str):
        singular = value[:-1] if value.endswith("s") else value
        if singular in REPO_TYPES:
            return singular
    raise HubError(400, f"Invalid repository type: {value!r} (expected one of {', '.join(REPO_TYPES)})")


def validate_name_part(value: Any, what: str = "name") -> str:
    """Check a namespace or repository name: 1-96 of ``A-Z a-z 0-9 . _ -``, alphanumeric at both ends, no ``--``/``..``.

    Raises a 400 :class:`HubError` with the reason otherwise.

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """
    if not isinstance(value, str) or not value:
        raise HubError(400, f"Invalid repository {what}: it must be a non-empty string")
    if not _NAME_RE.fullmatch(value) or "--" in value or ".." in value or value.lower().endswith(".git"):
        raise HubError(
            400,
            f"Invalid repository {what} {value!r}: use 1-96 characters among letters, digits, '.', '_' and '-', "
            "starting and ending with a letter or digit, without '--' or '..'",
        )
    if what == "namespace" and value.lower() in _RESERVED_NAMESPACES:
        raise HubError(400, f"Invalid repository namespace {value!r}: the name is reserved")
    return value


def validate_repo_path(value: Any) -> str:
    """Check a file path inside a repository and return it unchanged.

    Rejected with 422 (the Hub's answer to a relative path): backslashes, ``.`` and ``..`` segments.
    Rejected (400): non-strings, empty paths, absolute paths, control characters,
    empty segments (``a//b``, a trailing ``/``), ``.`` and ``..`` segments, ``.git`` segments,
    paths over 1000 characters and segments over 255 bytes. The server never turns such a path
    into a file name (files are stored by content hash), but it refuses them all the same so
    that no repository ever holds a path that would escape a checkout.

    Those rules are git's and the Hub's. These are the course's own, for learners' disks, where
    a checkout of the repository must not fail or change a file's name: ``.git`` in any letter
    case (``.GIT/config`` is git's folder on a case-insensitive disk), names ending with a dot or
    a space, the characters ``< > : " | ? *`` and Windows device names (``CON``, ``aux.txt``,
    ``COM1``), and paths not in Unicode NFC (macOS and git would see two different names).

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """
    if not isinstance(value, str) or value == "":
        raise HubError(400, "Invalid path: it must be a non-empty string")
    shown = value[:80] + ("..." if len(value) > 80 else "")
    if len(value) > MAX_PATH_CHARS:
        raise HubError(400, f"Invalid path {shown!r}: longer than {MAX_PATH_CHARS} characters")
    if value.startswith("/"):
        raise HubError(400, f"Invalid path {shown!r}: absolute paths are not allowed")
    if "\\" in value:
        raise HubError(422, f"Invalid path {shown!r}: backslashes are not allowed")
    if _CONTROL_RE.search(value):
        raise HubError(400, f"Invalid path {shown!r}: control characters are not allowed")
    for segment in value.split("/"):
        if segment == "":
            raise HubError(400, f"Invalid path {shown!r}: empty path segment")
        if segment in (".", ".."):
            raise HubError(422, f"Invalid path {shown!r}: '.' and '..' segments are not allowed")
        if segment.lower() == ".git":
            raise HubError(400, f"Invalid path {shown!r}: a '.git' folder cannot be committed (in any letter case)")
        if segment[-1] in ". ":
            raise HubError(400, f"Invalid path {shown!r}: a name ending with a dot or a space (Windows drops them)")
        if _WINDOWS_FORBIDDEN.search(segment):
            raise HubError(400, f"Invalid path {shown!r}: the characters < > : \" | ? * cannot be in a file name on Windows")
        if segment.split(".", 1)[0].lower() in _WINDOWS_DEVICES:
            raise HubError(400, f"Invalid path {shown!r}: {segment.split('.', 1)[0]!r} is a device name on Windows")
        if len(segment.encode("utf-8", "surrogatepass")) > MAX_SEGMENT_BYTES:
            raise HubError(400, f"Invalid path {shown!r}: a segment is longer than {MAX_SEGMENT_BYTES} bytes")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise HubError(400, f"Invalid path {shown!r}: not valid Unicode") from None
    if not unicodedata.is_normalized("NFC", value):
        normal = unicodedata.normalize("NFC", value)
        raise HubError(
            400,
            f"Invalid path {shown!r}: not in Unicode normal form NFC (macOS would store {normal[:80]!r}, "
            "another file to git): commit it under that name",
        )
    return value


def validate_ref_name(value: Any, what: str = "tag") -> str:
    """Check a branch or tag name (git rules, simplified); 400 otherwise.

    Allowed: up to 200 of ``A-Z a-z 0-9 . _ - /``, no empty, ``.`` or ``..`` segment, no ``..``,
    not ``HEAD``, not 40 hex digits (which would read as a commit id), not ending in ``.lock``.

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """
    if not isinstance(value, str) or not value:
        raise HubError(400, f"Invalid {what} name: it must be a non-empty string")
    bad = (
        len(value) > MAX_REF_CHARS
        or not re.fullmatch(r"[A-Za-z0-9._/-]+", value)
        or ".." in value
        or value.endswith(".lock")
        or value == "HEAD"
        or value.startswith("-")
        or is_commit_sha(value)
        or any(seg in ("", ".") for seg in value.split("/"))
        or value.startswith("refs/")
    )
    if bad:
        raise HubError(
            400,
            f"Invalid {what} name {value[:80]!r}: use letters, digits, '.', '_', '-' and '/' "
            "(no '..', no empty segment, not 40 hex digits, not starting with 'refs/')",
        )
    return value


def validate_revision(value: Any) -> str:
    """Check a revision as found in a URL (branch, tag, ``refs/heads/x``, ``refs/tags/x`` or commit id).

    Only the form is checked (400 when it cannot name anything); whether it exists is the storage's business.

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_REF_CHARS + 11:
        raise HubError(400, "Invalid revision: it must be a non-empty string of at most 211 characters")
    if _CONTROL_RE.search(value) or "\\" in value or ".." in value:
        raise HubError(400, f"Invalid revision {value[:80]!r}")
    return value
