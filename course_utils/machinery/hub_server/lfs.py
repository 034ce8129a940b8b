"""Large files as the Hub stores them: Git LFS pointers, ``.gitattributes`` and ``.gitignore`` rules, signed upload links.

The client asks ``preupload`` how to send each file. A file goes through LFS when the branch's
``.gitattributes`` marks its path ``filter=lfs`` or when it is over 10 MiB (the Hub refuses larger
regular files); then the client asks the LFS batch endpoint where to send the bytes, sends them
raw (no base64) to a link this module signs, and names the object by sha256 in its commit. A
file an uploaded ``.gitignore`` excludes is answered ``shouldIgnore``.

Pattern matching follows git (``pathspec``'s git-wildmatch rules). The upload link carries an
HMAC of the repository, object and expiry time, because the client sends the bytes without its
token (as to a presigned S3 URL on the real Hub).

Used by the local Hub of notebooks/03_hub.ipynb (through :class:`course_utils.machinery.hub_server.LocalHub`) and the tests.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

import pathspec

__all__ = [
    "LFS_THRESHOLD",
    "UploadSigner",
    "git_ignores",
    "is_sha256",
    "lfs_paths",
    "lfs_pointer",
]

#: Files over this size always go through LFS (the Hub refuses regular files past 10 MiB).
LFS_THRESHOLD = 10 << 20
_SHA256 = re.compile(r"[0-9a-f]{64}")


def is_sha256(text: object) -> bool:
    """Whether ``text`` is a lowercase hex sha256 (an LFS object id).

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """
    return isinstance(text, str) and _SHA256.fullmatch(text) is not None


def lfs_pointer(sha256: str, size: int) -> bytes:
    """The Git LFS pointer file that stands for the content in git (its git oid is the file's ``oid``).

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


def lfs_paths(gitattributes: str) -> pathspec.PathSpec:
    """The paths a ``.gitattributes`` text sends through LFS (lines with ``filter=lfs``).

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """
    patterns = []
    for line in gitattributes.splitlines():
        parts = line.split()
        if len(parts) >= 2 and not parts[0].startswith("#") and "filter=lfs" in parts[1:]:
            patterns.append(parts[0])
    return pathspec.GitIgnoreSpec.from_lines(patterns)


def git_ignores(gitignore: str) -> pathspec.PathSpec:
    """The paths a ``.gitignore`` text excludes.

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """
    return pathspec.GitIgnoreSpec.from_lines(gitignore.splitlines())


class UploadSigner:
    """Signs and checks the links LFS objects are uploaded to (HMAC-SHA256, with an expiry time).

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """

    def __init__(self, secret: bytes, lifetime: float = 3600.0) -> None:
        self._secret = secret
        self.lifetime = lifetime

    def _mac(self, repo: str, oid: str, size: int, expires: int) -> str:
        message = f"{repo}\n{oid}\n{size}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def sign(self, repo: str, oid: str, size: int) -> tuple[int, str]:
        """``(expires, signature)`` for an upload of object ``oid`` of ``size`` bytes to ``repo``.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        expires = int(time.time() + self.lifetime)
        return expires, self._mac(repo, oid, size, expires)

    def check(self, repo: str, oid: str, size: int, expires: str, signature: str) -> str | None:
        """``None`` when the link is genuine and current, else why not.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        if not expires.isdigit():
            return "the upload link is malformed"
        if not hmac.compare_digest(self._mac(repo, oid, size, int(expires)), signature):
            return "the upload link's signature does not match (ask the batch endpoint for a new link)"
        if int(expires) < time.time():
            return "the upload link has expired (ask the batch endpoint for a new link)"
        return None
