"""On-disk storage of the local Hub: content-addressed blobs, immutable commits, atomic refs.

Layout of ``data_dir``::

    blobs/ab/cdef...            file contents, named by their sha256 (written once, never changed)
    repos/models/NS/NAME/       one folder per repository (also datasets/ and spaces/)
        repo.json               creation date, visibility, repository-type extras
        refs.json               {"branches": {"main": SHA}, "tags": {"v1": {"commit": SHA, "message": ...}}}
        commits/SHA.json        immutable manifest: parent, message, date, {path: {sha256, oid, size}}
    locks/                      one lock file per repository (flock, for servers sharing a data dir)
    tmp/PID-RANDOM/             files being received; removed on failure and at the next start
    trash/                      repositories being deleted

Why nothing is ever lost or half-written:

* a blob is written to ``tmp/`` (and fsync'ed), then renamed into ``blobs/``; its name is its
  hash, so two writers of the same content write the same bytes;
* a commit manifest is written (temp file, fsync, ``os.replace``) *before* the ref that points to
  it; ``refs.json`` is replaced atomically while holding the repository's lock (a thread lock plus
  ``flock``), so a reader sees either the old or the new state and two commits never lose one
  another's update;
* a commit whose body is malformed or cut short never reaches the lock: its staged blobs are
  deleted and the refs are untouched;
* deleting a repository reclaims the contents no remaining commit references
  (:meth:`Storage.collect_garbage`), without ever racing a commit in progress;
* everything lives in ``data_dir``; a restarted server reads it back as it was.

Used in notebooks/03_hub.ipynb (through :class:`course_utils.machinery.hub_server.LocalHub`) and the tests.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from .validation import HubError, URL_PREFIXES, is_commit_sha, validate_name_part, validate_ref_name

try:  # POSIX only; on Windows the in-process lock alone protects a single server
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "DEFAULT_BRANCH",
    "Commit",
    "FileEntry",
    "RepoKey",
    "RepoMeta",
    "StagedBlob",
    "Storage",
    "git_blob_oid",
    "utc_now",
]

DEFAULT_BRANCH = "main"
_MANIFEST_FORMAT = 1
#: The first commit's ``.gitattributes``: the binary formats that go through LFS (the Hub's usual list).
_INITIAL_GITATTRIBUTES = (
    b"*.7z filter=lfs diff=lfs merge=lfs -text\n"
    b"*.arrow filter=lfs diff=lfs merge=lfs -text\n"
    b"*.bin filter=lfs diff=lfs merge=lfs -text\n"
    b"*.bz2 filter=lfs diff=lfs merge=lfs -text\n"
    b"*.ckpt filter=lfs diff=lfs merge=lfs -text\n"
    b"*.ftz filter=lfs diff=lfs merge=lfs -text\n"
    b"*.gz filter=lfs diff=lfs merge=lfs -text\n"
    b"*.h5 filter=lfs diff=lfs merge=lfs -text\n"
    b"*.joblib filter=lfs diff=lfs merge=lfs -text\n"
    b"*.lfs.* filter=lfs diff=lfs merge=lfs -text\n"
    b"*.mlmodel filter=lfs diff=lfs merge=lfs -text\n"
    b"*.model filter=lfs diff=lfs merge=lfs -text\n"
    b"*.msgpack filter=lfs diff=lfs merge=lfs -text\n"
    b"*.npy filter=lfs diff=lfs merge=lfs -text\n"
    b"*.npz filter=lfs diff=lfs merge=lfs -text\n"
    b"*.onnx filter=lfs diff=lfs merge=lfs -text\n"
    b"*.ot filter=lfs diff=lfs merge=lfs -text\n"
    b"*.parquet filter=lfs diff=lfs merge=lfs -text\n"
    b"*.pb filter=lfs diff=lfs merge=lfs -text\n"
    b"*.pickle filter=lfs diff=lfs merge=lfs -text\n"
    b"*.pkl filter=lfs diff=lfs merge=lfs -text\n"
    b"*.pt filter=lfs diff=lfs merge=lfs -text\n"
    b"*.pth filter=lfs diff=lfs merge=lfs -text\n"
    b"*.rar filter=lfs diff=lfs merge=lfs -text\n"
    b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n"
    b"saved_model/**/* filter=lfs diff=lfs merge=lfs -text\n"
    b"*.tar.* filter=lfs diff=lfs merge=lfs -text\n"
    b"*.tar filter=lfs diff=lfs merge=lfs -text\n"
    b"*.tflite filter=lfs diff=lfs merge=lfs -text\n"
    b"*.tgz filter=lfs diff=lfs merge=lfs -text\n"
    b"*.wasm filter=lfs diff=lfs merge=lfs -text\n"
    b"*.xz filter=lfs diff=lfs merge=lfs -text\n"
    b"*.zip filter=lfs diff=lfs merge=lfs -text\n"
    b"*.zst filter=lfs diff=lfs merge=lfs -text\n"
    b"*tfevents* filter=lfs diff=lfs merge=lfs -text\n"
)


def utc_now() -> str:
    """The current time as the Hub writes it: ISO 8601, UTC, milliseconds, ``Z``.

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def git_blob_oid(data: bytes) -> str:
    """The git object id of a file's content: ``sha1(b"blob <size>\\0" + data)``.

    This is the ``oid`` the Hub reports in tree listings and preupload answers, and the ``ETag``
    of a download of a regular (non-LFS) file; the client compares it to skip unchanged files.

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """
    sha1 = hashlib.sha1(b"blob %d\x00" % len(data))
    sha1.update(data)
    return sha1.hexdigest()


@dataclass(frozen=True)
class RepoKey:
    """Identity of a repository: type (``model``/``dataset``/``space``), namespace, name.

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """

    type: str
    namespace: str
    name: str

    @property
    def repo_id(self) -> str:
        """``namespace/name``.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        return f"{self.namespace}/{self.name}"

    @property
    def url_path(self) -> str:
        """The repository's path in web and download URLs: ``[datasets/|spaces/]namespace/name``.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        return f"{URL_PREFIXES[self.type]}{self.repo_id}"

    def __str__(self) -> str:
        return f"{self.type} {self.repo_id}"


@dataclass(frozen=True)
class FileEntry:
    """One file of a commit: sha256 of the content (the blob name), git oid (sha1), size, and whether it is in LFS.

    The git oid of an LFS file is that of its pointer file, as in git and on the Hub.

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """

    sha256: str
    oid: str
    size: int
    lfs: bool = False

    def to_json(self) -> dict[str, Any]:
        """The manifest form of the entry.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        data: dict[str, Any] = {"sha256": self.sha256, "oid": self.oid, "size": self.size}
        if self.lfs:
            data["lfs"] = True
        return data


@dataclass(frozen=True)
class Commit:
    """An immutable commit: id, parent id, date, author, message and the full file table.

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """

    id: str
    parent: str | None
    date: str
    author: str
    summary: str
    description: str
    files: Mapping[str, FileEntry]

    def directories(self) -> set[str]:
        """Every folder that holds at least one file of the commit (``a``, ``a/b`` for ``a/b/c.txt``).

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        dirs: set[str] = set()
        for path in self.files:
            parts = path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                dirs.add("/".join(parts[:i]))
        return dirs


@dataclass
class RepoMeta:
    """What ``repo.json`` holds: identity, visibility, creation date, extras (e.g. a Space's sdk).

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """

    key: RepoKey
    uid: str
    private: bool
    created_at: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StagedBlob:
    """A received file content waiting in ``tmp/`` until its commit is applied.

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """

    entry: FileEntry
    tmp_path: Path


#: How many file-table entries one expanded listing (``tree`` or ``paths-info`` with ``expand``) may
#: compare to find each path's last commit: at most about a quarter of a second of CPU (measured: 300
#: files, 1,200 commits), whatever the history's length or the number of paths asked.
LAST_COMMIT_BUDGET = 100_000


class _ReadWriteLock:
    """Many readers or one writer, between the threads of one process (commits read, the collector writes)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False

    @contextlib.contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writing:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextlib.contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            while self._writing or self._readers:
                self._cond.wait()
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


class Storage:
    """The local Hub's persistent state under one data directory (see the module docstring).

    Thread-safe; several :class:`Storage` objects (or server processes on POSIX) may share a
    data directory. ``fsync=False`` trades crash durability for speed (tests, benchmarks of
    the protocol alone).

    Used in notebooks/03_hub.ipynb (through :class:`course_utils.machinery.hub_server.LocalHub`) and the tests.
    """

    def __init__(self, root: str | os.PathLike[str], *, fsync: bool = True) -> None:
        self.root = Path(root).resolve()
        self.fsync = fsync
        self.blobs_dir = self.root / "blobs"
        self.repos_dir = self.root / "repos"
        self.locks_dir = self.root / "locks"
        self.trash_dir = self.root / "trash"
        #: LFS objects uploaded and verified, waiting for the commit that names them
        self.lfs_dir = self.root / "lfs-uploads"
        tmp_root = self.root / "tmp"
        self.root.mkdir(parents=True, exist_ok=True)
        # Only the server's user may enter the data folder: private repositories, and contents a
        # deleted repository left, stay unreadable to the machine's other users whatever the files' modes.
        self.root.chmod(0o700)
        for folder in (self.blobs_dir, self.repos_dir, self.locks_dir, self.trash_dir, self.lfs_dir, tmp_root):
            folder.mkdir(parents=True, exist_ok=True)
        self._clean_leftovers(tmp_root)
        self.tmp_dir = tmp_root / f"{os.getpid()}-{secrets.token_hex(4)}"
        self.tmp_dir.mkdir()
        self._guard = threading.Lock()
        self._collect_guard = _ReadWriteLock()
        self._locks: dict[RepoKey, threading.Lock] = {}
        self._commit_cache: OrderedDict[tuple[str, str], Commit] = OrderedDict()
        self._cache_size = 512

    # ------------------------------------------------------------------ housekeeping

    def _clean_leftovers(self, tmp_root: Path) -> None:
        """Remove what a crashed or stopped server left in ``tmp/`` and ``trash/``."""
        for entry in self.trash_dir.iterdir():
            shutil.rmtree(entry, ignore_errors=True)
        for entry in tmp_root.iterdir():
            pid_text = entry.name.split("-", 1)[0]
            if os.name == "posix" and pid_text.isdigit():
                # The folder belongs to a process: keep it while that process lives (it may be
                # another server on the same data directory, or another instance in this one).
                try:
                    os.kill(int(pid_text), 0)
                    stale = False
                except ProcessLookupError:
                    stale = True
                except PermissionError:
                    stale = False
            else:  # no safe liveness check (os.kill would terminate on Windows): age only
                stale = time.time() - entry.stat().st_mtime > 86400
            if stale:
                shutil.rmtree(entry, ignore_errors=True)
        self._remove_stale_temp_files()

    def _remove_stale_temp_files(self, min_age: float = 600.0) -> int:
        """Delete the ``.<name>.<hex>.tmp`` files that an atomic JSON write killed mid-way left beside
        ``refs.json``, ``repo.json`` and the commit manifests; how many. A write takes milliseconds, so a
        file older than ``min_age`` seconds belongs to no live writer (another server may share the folder).
        At start-up and by :meth:`collect_garbage`.
        """
        removed = 0
        now = time.time()
        for pattern in ("*/*/*/.*.tmp", "*/*/*/commits/.*.tmp"):
            try:
                paths = list(self.repos_dir.glob(pattern))
            except FileNotFoundError:  # a folder moved while listed (another server): the next sweep gets it
                continue
            for path in paths:
                with contextlib.suppress(FileNotFoundError):
                    if now - path.stat().st_mtime > min_age:
                        path.unlink()
                        removed += 1
        return removed

    def close(self) -> None:
        """Remove this instance's temporary folder (nothing committed lives there).

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        shutil.rmtree(self.tmp_dir, ignore_errors=True)

    # ------------------------------------------------------------------ low-level helpers

    def _fsync_dir(self, path: Path) -> None:
        if not self.fsync or os.name != "posix":
            return
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _write_json_atomic(self, path: Path, data: Any) -> None:
        """Write JSON to a temp file beside ``path``, fsync it, ``os.replace`` it into place, fsync the folder."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=1, sort_keys=True)
                fh.flush()
                if self.fsync:
                    os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        self._fsync_dir(path.parent)

    @staticmethod
    def _read_json(path: Path) -> Any:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)

    def canonical(self, key: RepoKey) -> RepoKey:
        """The key with the letter case of the stored repository (ids are case-insensitive, as on the Hub).

        A key that matches no repository comes back unchanged.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        if (self.repo_dir(key) / "repo.json").exists():
            return key
        base = self.repos_dir / f"{key.type}s"
        try:
            namespaces = [d for d in base.iterdir() if d.name.casefold() == key.namespace.casefold()]
        except FileNotFoundError:
            return key
        for namespace in namespaces:
            for repo in namespace.iterdir():
                if repo.name.casefold() == key.name.casefold() and (repo / "repo.json").exists():
                    return RepoKey(key.type, namespace.name, repo.name)
        return key

    def repo_dir(self, key: RepoKey) -> Path:
        """Folder of a repository (names are validated, so the path stays under ``repos/``).

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        validate_name_part(key.namespace, "namespace")
        validate_name_part(key.name, "name")
        return self.repos_dir / f"{key.type}s" / key.namespace / key.name

    @contextlib.contextmanager
    def repo_lock(self, key: RepoKey) -> Iterator[None]:
        """Hold the repository's lock: a thread lock, plus ``flock`` on its lock file where available.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        # Names ignore letter case, as on the Hub: alice/race0 and Alice/RACE0 are one repository, one lock.
        folded = RepoKey(key.type, key.namespace.casefold(), key.name.casefold())
        with self._guard:
            lock = self._locks.setdefault(folded, threading.Lock())
        with lock:
            if fcntl is None:
                yield
                return
            lock_path = self.locks_dir / f"{key.type}s" / folded.namespace / f"{folded.name}.lock"
            lock_path.parent.mkdir(parents=True, exist_ok=True)
            with open(lock_path, "a+b") as fh:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    @contextlib.contextmanager
    def _collection_lock(self, exclusive: bool) -> Iterator[None]:
        """Shared by commits while they publish blobs and write their manifest; exclusive for :meth:`collect_garbage`.

        A thread lock in this process, plus ``flock`` on ``locks/collect.lock`` for servers sharing the folder.
        """
        with self._collect_guard.write() if exclusive else self._collect_guard.read():
            if fcntl is None:
                yield
                return
            with open(self.locks_dir / "collect.lock", "a+b") as fh:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
                try:
                    yield
                finally:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def collect_garbage(self) -> tuple[int, int]:
        """Delete stored contents that no commit of any repository references; return ``(files, bytes)`` freed.

        Runs after a repository is deleted or squashed. It never races a change to what it scans: it
        holds the collection lock exclusively, while commits hold it shared from publishing their blobs
        until their manifest is written, and creating, moving, duplicating, deleting or squashing a
        repository hold it shared while its manifests are outside ``repos/`` or change place (a move
        renames a whole folder: a scan could miss it under both names). Content a commit has staged
        is held by a file (or a hard link) in ``tmp/``, which the collector never touches. Used by the
        local Hub and the tests.
        """
        self.forget_stale_uploads()
        with self._collection_lock(exclusive=True):  # no folder of repos/ moves while this scans it
            self._remove_stale_temp_files()
            referenced: set[str] = set()
            for manifest in self.repos_dir.glob("*/*/*/commits/*.json"):
                try:
                    files = json.loads(manifest.read_text(encoding="utf-8")).get("files", {})
                except (OSError, ValueError):  # unreadable: keep everything rather than guess
                    return 0, 0
                referenced.update(entry["sha256"] for entry in files.values())
            freed_files = freed_bytes = 0
            for blob in self.blobs_dir.glob("*/*"):
                sha256 = blob.parent.name + blob.name
                try:
                    info = blob.stat()
                except FileNotFoundError:
                    continue
                if sha256 in referenced:
                    continue
                with contextlib.suppress(FileNotFoundError):
                    blob.unlink()
                    freed_files += 1
                    freed_bytes += info.st_size
            return freed_files, freed_bytes

    # ------------------------------------------------------------------ blobs

    def blob_path(self, sha256: str) -> Path:
        """Where the blob with that sha256 lives.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        return self.blobs_dir / sha256[:2] / sha256[2:]

    def stage_blob(self, data: bytes | bytearray | memoryview) -> StagedBlob:
        """Hash a file's content and write it to this instance's ``tmp/`` folder (fsync'ed).

        The blob only joins the store when its commit is applied (:meth:`commit`); call
        :meth:`discard` on failure.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        view = memoryview(data)
        size = view.nbytes
        sha256 = hashlib.sha256(view).hexdigest()
        sha1 = hashlib.sha1(b"blob %d\x00" % size)
        sha1.update(view)
        entry = FileEntry(sha256=sha256, oid=sha1.hexdigest(), size=size)
        tmp_path = self.tmp_dir / f"blob-{secrets.token_hex(8)}"
        stored = self.blob_path(sha256)
        if stored.exists():
            # Already stored: nothing to write. A hard link in tmp/ holds the content until the commit,
            # even if the collector removes an unreferenced copy in the meantime (see collect_garbage).
            try:
                os.link(stored, tmp_path)
                return StagedBlob(entry, tmp_path)
            except OSError:  # gone since, or links not supported: write the bytes below
                pass
        try:
            with open(tmp_path, "wb") as fh:
                fh.write(view)
                fh.flush()
                if self.fsync:
                    os.fsync(fh.fileno())
        except BaseException:  # a full disk, say: the half-written file must not stay until the next start
            with contextlib.suppress(FileNotFoundError):
                tmp_path.unlink()
            raise
        return StagedBlob(entry, tmp_path)

    def stage_stream(self, pieces: Iterable[bytes]) -> StagedBlob:
        """Like :meth:`stage_blob` for content that arrives in pieces: written as it comes, never held whole.

        The git blob id needs the size first, so it is computed by reading the written file back.
        On any error (bad content, client gone, full disk) the partial file is removed.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        tmp_path = self.tmp_dir / f"blob-{secrets.token_hex(8)}"
        try:
            sha256, size = self._write_pieces(tmp_path, pieces)
            sha1 = hashlib.sha1(b"blob %d\x00" % size)
            with open(tmp_path, "rb") as fh:
                for piece in iter(lambda: fh.read(1 << 20), b""):
                    sha1.update(piece)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp_path.unlink()
            raise
        return StagedBlob(FileEntry(sha256=sha256, oid=sha1.hexdigest(), size=size), tmp_path)

    def _write_pieces(self, path: Path, pieces: Iterable[bytes], most: int | None = None) -> tuple[str, int]:
        """Write pieces to ``path`` while hashing them (fsync'ed); their sha256 and size. 400 past ``most`` bytes.

        The caller removes ``path`` if this raises.
        """
        digest = hashlib.sha256()
        size = 0
        with open(path, "wb") as fh:
            for piece in pieces:
                size += len(piece)
                if most is not None and size > most:
                    raise HubError(400, f"The upload is larger than the {most} bytes it was declared with; nothing was kept")
                digest.update(piece)
                fh.write(piece)
            fh.flush()
            if self.fsync:
                os.fsync(fh.fileno())
        return digest.hexdigest(), size

    # ------------------------------------------------------------------ LFS objects

    def _pending(self, key: RepoKey, sha256: str) -> Path:
        """Where an LFS object uploaded for this repository waits for its commit (by the repository's uid)."""
        return self.lfs_dir / self.get_repo(key).uid / sha256

    def _referenced(self, key: RepoKey, sha256: str, size: int | None) -> bool:
        """Whether a commit of this repository holds content with that sha256 (and size)."""
        for manifest in (self.repo_dir(key) / "commits").glob("*.json"):
            for entry in self.read_commit(key, manifest.stem).files.values():
                if entry.sha256 == sha256 and (size is None or entry.size == size):
                    return True
        return False

    def has_object(self, key: RepoKey, sha256: str, size: int) -> bool:
        """Whether this repository already has that content (an LFS batch then answers "no upload needed").

        Objects are scoped to a repository, as on the Hub: knowing another repository's sha256 gives
        neither its content nor the fact that it exists.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        try:
            if self._pending(key, sha256).stat().st_size == size:
                return True
        except FileNotFoundError:
            pass
        return self.blob_path(sha256).exists() and self._referenced(key, sha256, size)

    def store_lfs_object(self, key: RepoKey, sha256: str, size: int, pieces: Iterable[bytes]) -> None:
        """Receive an LFS object's bytes; keep them only if they have exactly that sha256 and size.

        Written to ``tmp/`` while hashed, then moved to ``lfs-uploads/``; on a mismatch, a client
        gone mid-upload or any other error the partial file is removed, so the upload can simply
        be tried again.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        tmp_path = self.tmp_dir / f"lfs-{secrets.token_hex(8)}"
        try:
            digest, received = self._write_pieces(tmp_path, pieces, most=size)
            if received != size:
                raise HubError(400, f"The upload has {received} bytes, not the {size} declared; nothing was kept")
            if digest != sha256:
                raise HubError(400, f"The uploaded bytes have sha256 {digest}, not {sha256}; nothing was kept")
            pending = self._pending(key, sha256)
            pending.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_path, pending)
            self._fsync_dir(pending.parent)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp_path.unlink()
            raise

    def stage_lfs(self, key: RepoKey, sha256: str, size: int | None) -> StagedBlob:
        """Stage a stored or uploaded LFS object for a commit (a hard link in ``tmp/``, no copy).

        400 when no such object was uploaded (or its size differs): the client must upload it first.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        from .lfs import lfs_pointer  # noqa: PLC0415 - lfs imports pathspec; storage stays light

        tmp_path = self.tmp_dir / f"blob-{secrets.token_hex(8)}"
        sources = [self._pending(key, sha256)]
        if self._referenced(key, sha256, size):  # a copy of a file this repository already has
            sources.append(self.blob_path(sha256))
        for source in sources:
            try:
                actual = source.stat().st_size
                if size is not None and actual != size:
                    continue
                os.link(source, tmp_path)
            except FileNotFoundError:
                continue
            entry = FileEntry(sha256=sha256, oid=git_blob_oid(lfs_pointer(sha256, actual)), size=actual, lfs=True)
            return StagedBlob(entry, tmp_path)
        raise HubError(
            400,
            f"LFS object {sha256} ({size} bytes) was not uploaded, or its upload did not finish: upload it "
            "through the LFS batch endpoint, then commit again",
        )

    def forget_stale_uploads(self, max_age: float = 86400.0) -> int:
        """Delete uploaded LFS objects no commit took within ``max_age`` seconds; how many.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        removed = 0
        limit = time.time() - max_age
        for path in self.lfs_dir.glob("*/*"):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < limit:
                    path.unlink()
                    removed += 1
        return removed

    @staticmethod
    def discard(staged: Sequence[StagedBlob]) -> None:
        """Delete staged blobs of a commit that will not happen.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        for blob in staged:
            with contextlib.suppress(FileNotFoundError):
                blob.tmp_path.unlink()

    def _publish(self, staged: Sequence[StagedBlob]) -> None:
        """Move staged blobs into ``blobs/`` (an existing blob of the same hash wins: same bytes)."""
        touched: set[Path] = set()
        for blob in staged:
            final = self.blob_path(blob.entry.sha256)
            if not blob.tmp_path.exists():
                if not final.exists():
                    raise HubError(500, f"Staged content {blob.entry.sha256} disappeared before the commit")
                continue
            if final.exists():
                blob.tmp_path.unlink()
                continue
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(blob.tmp_path, final)
            touched.add(final.parent)
        for folder in touched:
            self._fsync_dir(folder)

    # ------------------------------------------------------------------ repositories

    def _meta_from_json(self, key: RepoKey, data: Mapping[str, Any]) -> RepoMeta:
        return RepoMeta(
            key=key,
            uid=str(data.get("uid", "")),
            private=bool(data.get("private", False)),
            created_at=str(data.get("created_at", "")),
            extra=dict(data.get("extra", {})),
        )

    def get_repo(self, key: RepoKey) -> RepoMeta:
        """Read ``repo.json``; 404 ``RepoNotFound`` if the repository does not exist.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        folder = self.repo_dir(key)
        try:
            data = self._read_json(folder / "repo.json")
            if not (folder / "refs.json").exists():
                raise FileNotFoundError
        except (FileNotFoundError, NotADirectoryError):
            raise HubError.repo_not_found(key.repo_id) from None
        return self._meta_from_json(key, data)

    def repo_exists(self, key: RepoKey) -> bool:
        """Whether the repository exists.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        try:
            self.get_repo(key)
        except HubError:
            return False
        return True

    def create_repo(
        self, key: RepoKey, *, private: bool, author: str, extra: Mapping[str, Any] | None = None
    ) -> RepoMeta:
        """Create a repository with an initial commit holding ``.gitattributes`` (as huggingface.co does).

        The folder is built under ``tmp/`` and renamed into place, so a repository either exists
        completely or not at all. 409 if it exists.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        final = self.repo_dir(key)
        with self.repo_lock(key):
            if self.repo_exists(self.canonical(key)):  # under any letter case
                raise HubError(409, f"You already created this {key.type} repo: {key.repo_id}")
            build = self.tmp_dir / f"repo-{secrets.token_hex(8)}"
            build.mkdir()
            try:
                meta = RepoMeta(key=key, uid=secrets.token_hex(12), private=private, created_at=utc_now(),
                                extra=dict(extra or {}))
                staged = self.stage_blob(_INITIAL_GITATTRIBUTES)
                with self._collection_lock(exclusive=False):  # from publishing to installing: see collect_garbage
                    self._publish([staged])
                    commit = self._new_commit(
                        parent=None,
                        author=author,
                        summary="initial commit",
                        description="",
                        files={".gitattributes": staged.entry},
                        date=meta.created_at,
                    )
                    self._save_commit(build, commit)
                    self._write_json_atomic(
                        build / "repo.json",
                        {"uid": meta.uid, "private": meta.private, "created_at": meta.created_at,
                         "extra": meta.extra, "type": key.type, "id": key.repo_id},
                    )
                    self._write_json_atomic(build / "refs.json", {"branches": {DEFAULT_BRANCH: commit.id}, "tags": {}})
                    self._install_repo(build, final)
            except BaseException:
                shutil.rmtree(build, ignore_errors=True)
                raise
        return meta

    def _install_repo(self, build: Path, final: Path) -> None:
        """Rename a repository folder built under ``tmp/`` into place (atomic: it exists whole or not at all)."""
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():  # an empty leftover folder (never a repository: no repo.json)
            shutil.rmtree(final)
        os.rename(build, final)
        self._fsync_dir(final.parent)

    def delete_repo(self, key: RepoKey) -> None:
        """Delete a repository: renamed into ``trash/`` at once (atomic), then removed. 404 if missing.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        folder = self.repo_dir(key)
        with self.repo_lock(key):
            uid = self.get_repo(key).uid
            shutil.rmtree(self.lfs_dir / uid, ignore_errors=True)  # uploads no commit will take now
            grave = self.trash_dir / f"{key.type}-{key.namespace}-{key.name}-{secrets.token_hex(6)}"
            with self._collection_lock(exclusive=False):  # a repository leaves repos/ between two collections
                os.rename(folder, grave)
                self._fsync_dir(folder.parent)
        with self._guard:
            prefix = str(folder)
            for cache_key in [k for k in self._commit_cache if k[0] == prefix]:
                del self._commit_cache[cache_key]
        shutil.rmtree(grave, ignore_errors=True)
        self.collect_garbage()

    def set_private(self, key: RepoKey, private: bool) -> RepoMeta:
        """Change a repository's visibility.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        folder = self.repo_dir(key)
        with self.repo_lock(key):
            data = self._read_json(folder / "repo.json") if self.repo_exists(key) else None
            if data is None:
                raise HubError.repo_not_found(key.repo_id)
            data["private"] = bool(private)
            self._write_json_atomic(folder / "repo.json", data)
        return self._meta_from_json(key, data)

    def list_repos(self, repo_type: str) -> list[RepoMeta]:
        """Every repository of a type, sorted by id.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        out: list[RepoMeta] = []
        base = self.repos_dir / f"{repo_type}s"
        if not base.is_dir():
            return out
        for ns_dir in sorted(base.iterdir()):
            if not ns_dir.is_dir():
                continue
            for repo_dir in sorted(ns_dir.iterdir()):
                try:
                    key = RepoKey(repo_type, ns_dir.name, repo_dir.name)
                    out.append(self.get_repo(key))
                except HubError:
                    continue
        return out

    # ------------------------------------------------------------------ refs and commits

    def read_refs(self, key: RepoKey) -> dict[str, Any]:
        """The repository's ``refs.json``: ``{"branches": {name: sha}, "tags": {name: {"commit", "message"}}}``.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        try:
            data: dict[str, Any] = dict(self._read_json(self.repo_dir(key) / "refs.json"))
        except (FileNotFoundError, NotADirectoryError):
            raise HubError.repo_not_found(key.repo_id) from None
        data.setdefault("branches", {})
        data.setdefault("tags", {})
        data.setdefault("pulls", {})
        return data

    @staticmethod
    def pull_number(revision: str) -> int | None:
        """``refs/pr/3`` -> 3; ``None`` for anything else.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        number = revision[8:]
        if revision.startswith("refs/pr/") and number.isascii() and number.isdigit() and not number.startswith("0"):
            return int(number)
        return None

    def _head_sha(self, key: RepoKey, refs: Mapping[str, Any], ref: str) -> str:
        """The commit a branch or a pull request (``refs/pr/N``, in any state) points to; 404 if neither exists."""
        pull = self.pull_number(ref)
        sha = refs["pulls"].get(str(pull), {}).get("sha") if pull is not None else refs["branches"].get(ref)
        if sha is None:
            raise HubError.revision_not_found(key.repo_id, ref)
        return sha

    def _set_head(self, refs: dict[str, Any], ref: str, sha: str) -> None:
        """Move a branch or a pull request's ref to ``sha`` (in ``refs``; the caller writes it)."""
        pull = self.pull_number(ref)
        if pull is not None:
            refs["pulls"][str(pull)]["sha"] = sha
        else:
            refs["branches"][ref] = sha

    def branch_head(self, key: RepoKey, ref: str) -> Commit:
        """The head commit of a branch or of a pull request (``refs/pr/N``): what a commit builds on.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        return self.read_commit(key, self._head_sha(key, self.read_refs(key), ref))

    def _open_pull_of(self, key: RepoKey, refs: Mapping[str, Any], number: int) -> dict[str, Any]:
        """Pull request ``number``'s record; 404 if there is none, 409 if it is merged."""
        pr = refs["pulls"].get(str(number))
        if pr is None:
            raise HubError(404, f"Pull request #{number} of {key.repo_id} does not exist")
        if pr["status"] != "open":
            raise HubError(409, f"Pull request #{number} of {key.repo_id} is {pr['status']}")
        return dict(pr)

    @staticmethod
    def _add_pull(refs: dict[str, Any], *, sha: str, base: str, target: str, title: str, author: str, created: str) -> int:
        """Record a new open pull request in ``refs`` (the caller writes it); its number."""
        number = 1 + max((int(n) for n in refs["pulls"]), default=0)
        refs["pulls"][str(number)] = {
            "sha": sha, "base": base, "target": target, "title": title, "author": author,
            "status": "open", "created": created,
        }
        return number

    def _save_commit(self, folder: Path, commit: Commit) -> None:
        """Write a commit's manifest into a repository folder (commits never change once written)."""
        self._write_json_atomic(folder / "commits" / f"{commit.id}.json", self._commit_to_json(commit))

    @staticmethod
    def _commit_to_json(commit: Commit) -> dict[str, Any]:
        return {
            "format": _MANIFEST_FORMAT,
            "id": commit.id,
            "parent": commit.parent,
            "date": commit.date,
            "author": commit.author,
            "summary": commit.summary,
            "description": commit.description,
            "files": {path: entry.to_json() for path, entry in sorted(commit.files.items())},
        }

    def read_commit(self, key: RepoKey, sha: str) -> Commit:
        """Load a commit manifest (cached: manifests never change). 404 ``RevisionNotFound`` if absent.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        folder = self.repo_dir(key)
        path = folder / "commits" / f"{sha}.json"
        cache_key = (str(folder), sha)
        if not is_commit_sha(sha) or not path.exists():
            raise HubError.revision_not_found(key.repo_id, sha)
        with self._guard:
            cached = self._commit_cache.get(cache_key)
            if cached is not None:
                self._commit_cache.move_to_end(cache_key)
                return cached
        data = self._read_json(path)
        commit = Commit(
            id=data["id"],
            parent=data.get("parent"),
            date=data.get("date", ""),
            author=data.get("author", ""),
            summary=data.get("summary", ""),
            description=data.get("description", ""),
            files={
                p: FileEntry(e["sha256"], e["oid"], int(e["size"]), bool(e.get("lfs", False)))
                for p, e in data["files"].items()
            },
        )
        with self._guard:
            self._commit_cache[cache_key] = commit
            while len(self._commit_cache) > self._cache_size:
                self._commit_cache.popitem(last=False)
        return commit

    def resolve(self, key: RepoKey, revision: str) -> Commit:
        """Resolve a commit id, branch, tag, ``refs/heads/X`` or ``refs/tags/X`` to its commit.

        404 ``RepoNotFound`` if the repository is missing, ``RevisionNotFound`` if the revision is.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        refs = self.read_refs(key)
        if is_commit_sha(revision):
            return self.read_commit(key, revision)
        short = self._short_sha(key, revision, refs)
        if short is not None:
            return self.read_commit(key, short)
        sha: str | None = None
        pull = self.pull_number(revision)
        if pull is not None:
            sha = refs["pulls"].get(str(pull), {}).get("sha")
        elif revision.startswith("refs/heads/"):
            sha = refs["branches"].get(revision[len("refs/heads/"):])
        elif revision.startswith("refs/tags/"):
            tag = refs["tags"].get(revision[len("refs/tags/"):])
            sha = tag["commit"] if tag else None
        elif revision in refs["branches"]:
            sha = refs["branches"][revision]
        elif revision in refs["tags"]:
            sha = refs["tags"][revision]["commit"]
        if sha is None:
            raise HubError.revision_not_found(key.repo_id, revision)
        return self.read_commit(key, sha)

    def _short_sha(self, key: RepoKey, revision: str, refs: Mapping[str, Any]) -> str | None:
        """The full id of an abbreviated commit id (7 to 39 hex digits) that no branch or tag is named."""
        if not 7 <= len(revision) < 40 or any(c not in "0123456789abcdef" for c in revision):
            return None
        if revision in refs["branches"] or revision in refs["tags"]:
            return None
        matches = [p.stem for p in (self.repo_dir(key) / "commits").glob(f"{revision}*.json")]
        if len(matches) > 1:
            raise HubError(400, f"The short commit id {revision!r} matches {len(matches)} commits: give more digits")
        return matches[0] if matches else None

    def move_repo(self, source: RepoKey, target: RepoKey) -> None:
        """Rename a repository (its history, tags and pull requests move with it); 409 if the target exists.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        if source.type != target.type:
            raise HubError(400, "A repository keeps its type when it moves")
        if source.repo_id.casefold() == target.repo_id.casefold():
            raise HubError(400, f"{source.repo_id} is already called that (names ignore letter case)")
        folder, final = self.repo_dir(source), self.repo_dir(target)
        first, second = sorted((source, target), key=lambda k: k.repo_id.casefold())  # one order: no deadlock
        with self.repo_lock(first), self.repo_lock(second):
            self.get_repo(source)
            if self.repo_exists(self.canonical(target)):
                raise HubError(409, f"A {target.type} repository called {target.repo_id} already exists")  # the Hub's words
            data = self._read_json(folder / "repo.json")
            data["id"] = target.repo_id
            self._write_json_atomic(folder / "repo.json", data)
            final.parent.mkdir(parents=True, exist_ok=True)
            with self._collection_lock(exclusive=False):  # never mid-rename while a collection scans repos/
                os.rename(folder, final)
                self._fsync_dir(final.parent)
                self._fsync_dir(folder.parent)
            with self._guard:  # downloads by the old id are redirected, as on the Hub
                renames_path = self.root / "renames.json"
                renames = self._read_json(renames_path) if renames_path.exists() else {}
                renames[f"{source.type}/{source.repo_id}".casefold()] = target.repo_id
                self._write_json_atomic(renames_path, renames)
        with self._guard:
            for cache_key in [k for k in self._commit_cache if k[0] == str(folder)]:
                del self._commit_cache[cache_key]

    def renamed_to(self, key: RepoKey) -> RepoKey | None:
        """The repository that ``key`` was moved to (followed through later moves), if it was and it exists.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        path = self.root / "renames.json"
        if not path.exists():
            return None
        renames = self._read_json(path)
        current, seen = key, set()
        while f"{current.type}/{current.repo_id}".casefold() in renames and current.repo_id not in seen:
            seen.add(current.repo_id)
            namespace, name = renames[f"{current.type}/{current.repo_id}".casefold()].split("/")
            current = self.canonical(RepoKey(key.type, namespace, name))
            if self.repo_exists(current):
                return current
        return None

    def duplicate_repo(self, source: RepoKey, target: RepoKey, *, private: bool | None) -> RepoMeta:
        """Copy a repository, history and refs, under a new id (contents are shared, not copied); 409 if it exists.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        # The copy's manifests sit in tmp/, where the collector does not look, until they are installed:
        # the shared collection lock keeps a collection (after the source is deleted, say) out until then.
        with self._collection_lock(exclusive=False):
            return self._duplicate(source, target, private)

    def _duplicate(self, source: RepoKey, target: RepoKey, private: bool | None) -> RepoMeta:
        """The body of :meth:`duplicate_repo`; the caller holds the collection lock, shared."""
        with self.repo_lock(source):
            meta = self.get_repo(source)
            build = self.tmp_dir / f"repo-{secrets.token_hex(8)}"
            shutil.copytree(self.repo_dir(source), build)
        try:
            new = RepoMeta(key=target, uid=secrets.token_hex(12), private=meta.private if private is None else private,
                           created_at=utc_now(), extra=dict(meta.extra))
            self._write_json_atomic(
                build / "repo.json",
                {"uid": new.uid, "private": new.private, "created_at": new.created_at, "extra": new.extra,
                 "type": target.type, "id": target.repo_id},
            )
            with self.repo_lock(target):
                if self.repo_exists(self.canonical(target)):
                    raise HubError(409, f"A {target.type} repository called {target.repo_id} already exists")
                self._install_repo(build, self.repo_dir(target))
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            raise
        return new

    def squash(self, key: RepoKey, branch: str, message: str, author: str) -> Commit:
        """Replace a branch's history by one commit holding its current files (tags keep their commits).

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        with self.repo_lock(key):
            refs = self.read_refs(key)
            head = self.read_commit(key, self._head_sha(key, refs, branch))
            commit = self._new_commit(parent=None, author=author, summary=message, description="", files=dict(head.files))
            with self._collection_lock(exclusive=False):  # the new manifest is written before the old ones go
                self._save_commit(self.repo_dir(key), commit)
                self._set_head(refs, branch, commit.id)
                self._write_json_atomic(self.repo_dir(key) / "refs.json", refs)
                self._prune_unreachable(key, refs)
        self.collect_garbage()  # the squashed history's own files go too
        return commit

    def _prune_unreachable(self, key: RepoKey, refs: Mapping[str, Any]) -> int:
        """Delete the commits no branch, tag or pull request reaches (after a squash); how many.

        The caller holds the repository's lock.
        """
        heads = [*refs["branches"].values(), *(tag["commit"] for tag in refs["tags"].values()),
                 *(pr["sha"] for pr in refs["pulls"].values()), *(pr["base"] for pr in refs["pulls"].values())]
        reachable: set[str] = set()
        for sha in heads:
            while sha and sha not in reachable:
                reachable.add(sha)
                sha = self.read_commit(key, sha).parent or ""
        folder = self.repo_dir(key)
        removed = 0
        for manifest in (folder / "commits").glob("*.json"):
            if manifest.stem not in reachable:
                manifest.unlink()
                removed += 1
        with self._guard:
            for cache_key in [k for k in self._commit_cache if k[0] == str(folder) and k[1] not in reachable]:
                del self._commit_cache[cache_key]
        return removed

    def _new_commit(
        self,
        *,
        parent: str | None,
        author: str,
        summary: str,
        description: str,
        files: Mapping[str, FileEntry],
        date: str | None = None,
    ) -> Commit:
        date = date or utc_now()
        digest = hashlib.sha1()
        header = json.dumps(
            {"parent": parent, "author": author, "summary": summary, "description": description,
             "date": date, "nonce": secrets.token_hex(8)},
            sort_keys=True,
        )
        digest.update(header.encode())
        for path in sorted(files):
            digest.update(f"\n{path}\x00{files[path].oid}".encode())
        return Commit(
            id=digest.hexdigest(), parent=parent, date=date, author=author, summary=summary,
            description=description, files=dict(files),
        )

    def commit(
        self,
        key: RepoKey,
        branch: str,
        operations: Sequence[tuple[str, str, FileEntry | None]],
        staged: Sequence[StagedBlob],
        *,
        summary: str,
        description: str,
        author: str,
        parent_commit: str | None = None,
        create_pr: bool = False,
    ) -> tuple[Commit, int | None]:
        """Apply a commit to a branch (or a pull request's ``refs/pr/N``), all or nothing; returns it and the PR number.

        With ``create_pr`` the commit goes on top of the branch's head into a new pull request
        (``refs/pr/N``, the branch does not move), which :meth:`merge_pull` applies later.

        ``operations`` are ``("add", path, entry)``, ``("delete_file", path, None)`` or
        ``("delete_folder", path, None)``, applied in order to the branch head's files.
        Raises (and changes nothing) on: missing repository or branch (404), ``parent_commit``
        that is not the head (412), deletion of a missing entry (404 ``EntryNotFound``), a path
        that would be both a file and a folder (400). On success the staged blobs join the store,
        the manifest is written, then the branch ref moves.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        try:
            with self.repo_lock(key):
                self.get_repo(key)
                refs = self.read_refs(key)
                pull = self.pull_number(branch)
                if pull is not None:
                    self._open_pull_of(key, refs, pull)  # a merged pull request takes no more commits
                head_sha = self._head_sha(key, refs, branch)
                if parent_commit is not None and parent_commit != head_sha:
                    raise HubError(
                        412,
                        # the first sentence is the Hub's own; clients and tests look for it
                        "The branch was updated since you opened this page. Please refresh and try again. "
                        f"(parent {parent_commit}, head of {branch!r} now {head_sha})",
                    )
                head = self.read_commit(key, head_sha)
                files = dict(head.files)
                for kind, path, entry in operations:
                    if kind == "add":
                        assert entry is not None
                        files[path] = entry
                    elif kind == "delete_file" and path not in files and any(p.startswith(path + "/") for p in files):
                        for p in [p for p in files if p.startswith(path + "/")]:  # a folder, as the Hub allows
                            del files[p]
                    elif kind == "delete_file":
                        if path not in files:
                            raise HubError(
                                404,
                                f"A file with this name doesn't exist: {path!r} (in {key.repo_id}@{branch})",
                                "EntryNotFound",
                            )
                        del files[path]
                    elif kind == "delete_folder":
                        prefix = path.rstrip("/") + "/"
                        doomed = [p for p in files if p.startswith(prefix)]
                        if not doomed:
                            raise HubError(
                                404, f"A folder with this name doesn't exist: {path!r} (in {key.repo_id}@{branch})",
                                "EntryNotFound",
                            )
                        for p in doomed:
                            del files[p]
                    else:  # pragma: no cover - the parser only produces the three kinds
                        raise HubError(400, f"Unknown operation {kind!r}")
                for path in files:
                    parts = path.split("/")
                    for i in range(1, len(parts)):
                        if "/".join(parts[:i]) in files:
                            raise HubError(
                                400, f"Path conflict: {path!r} needs {'/'.join(parts[:i])!r} to be a folder, "
                                "but it is a file"
                            )
                with self._collection_lock(exclusive=False):
                    # An uploaded LFS object stays in lfs-uploads/ too: it is a hard link to the same
                    # bytes (no space), and a concurrent commit of the same object may still stage it.
                    # Uploads go after a day (forget_stale_uploads) or with their repository.
                    self._publish(staged)
                    commit = self._new_commit(
                        parent=head_sha, author=author, summary=summary, description=description, files=files
                    )
                    folder = self.repo_dir(key)
                    self._save_commit(folder, commit)
                if create_pr:
                    pull = self._add_pull(refs, sha=commit.id, base=head_sha, target=branch, title=summary,
                                          author=author, created=commit.date)
                else:
                    self._set_head(refs, branch, commit.id)
                self._write_json_atomic(folder / "refs.json", refs)
                return commit, pull
        finally:
            self.discard(staged)

    def open_pull(self, key: RepoKey, target: str, title: str, author: str) -> int:
        """Open an empty pull request on ``target`` (its head, nothing changed yet); returns its number.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        with self.repo_lock(key):
            refs = self.read_refs(key)
            head = self._head_sha(key, refs, target)
            number = self._add_pull(refs, sha=head, base=head, target=target, title=title, author=author, created=utc_now())
            self._write_json_atomic(self.repo_dir(key) / "refs.json", refs)
            return number

    def merge_pull(self, key: RepoKey, number: int, author: str, message: str | None = None) -> Commit:
        """Merge pull request ``number`` into its target branch; returns the branch's new head.

        When the branch has not moved since the pull request was opened, the branch takes the pull
        request's commit as it is. Otherwise the pull request's changes (file by file, against the
        commit it started from) are applied in a new commit; 409 if the branch changed one of
        those files differently meanwhile.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        with self.repo_lock(key):
            refs = self.read_refs(key)
            pr = self._open_pull_of(key, refs, number)
            target = pr["target"]
            head_sha = self._head_sha(key, refs, target)
            if head_sha == pr["base"]:
                merged = self.read_commit(key, pr["sha"])
            else:
                base = self.read_commit(key, pr["base"]).files
                theirs = self.read_commit(key, pr["sha"]).files
                files = dict(self.read_commit(key, head_sha).files)
                conflicts = []
                for path in sorted(set(base) | set(theirs)):
                    if base.get(path) == theirs.get(path):
                        continue  # unchanged by the pull request
                    if files.get(path) not in (base.get(path), theirs.get(path)):
                        conflicts.append(path)
                    elif path in theirs:
                        files[path] = theirs[path]
                    else:
                        files.pop(path, None)
                if conflicts:
                    raise HubError(
                        409, f"Pull request #{number} conflicts with {target!r} on: {', '.join(conflicts[:10])}"
                    )
                merged = self._new_commit(
                    parent=head_sha, author=author, summary=message or f"Merge pull request #{number}: {pr['title']}",
                    description="", files=files,
                )
                self._save_commit(self.repo_dir(key), merged)
            refs["branches"][target] = merged.id
            refs["pulls"][str(number)].update(status="merged", merge_commit=merged.id)
            self._write_json_atomic(self.repo_dir(key) / "refs.json", refs)
            return merged

    def create_tag(self, key: RepoKey, tag: str, revision: str, message: str | None) -> str:
        """Tag the commit a revision points to; 409 if the tag exists. Returns the commit id.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        validate_ref_name(tag, "tag")
        with self.repo_lock(key):
            commit = self.resolve(key, revision)
            refs = self.read_refs(key)
            if tag in refs["tags"]:
                raise HubError(409, f"Tag {tag!r} already exists in {key.repo_id}")
            refs["tags"][tag] = {"commit": commit.id, "message": message or "", "date": utc_now()}
            self._write_json_atomic(self.repo_dir(key) / "refs.json", refs)
            return commit.id

    def delete_tag(self, key: RepoKey, tag: str) -> None:
        """Delete a tag; 404 ``RevisionNotFound`` if it does not exist (the commit stays).

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        with self.repo_lock(key):
            refs = self.read_refs(key)
            if tag not in refs["tags"]:
                raise HubError.revision_not_found(key.repo_id, tag)
            del refs["tags"][tag]
            self._write_json_atomic(self.repo_dir(key) / "refs.json", refs)

    def create_branch(self, key: RepoKey, branch: str, starting_point: str | None) -> str:
        """Create a branch at a revision (default: the default branch's head); 409 if it exists.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        validate_ref_name(branch, "branch")
        with self.repo_lock(key):
            commit = self.resolve(key, starting_point or DEFAULT_BRANCH)
            refs = self.read_refs(key)
            if branch in refs["branches"]:
                raise HubError(409, f"Reference refs/heads/{branch} already exists in {key.repo_id}")  # the Hub's words
            refs["branches"][branch] = commit.id
            self._write_json_atomic(self.repo_dir(key) / "refs.json", refs)
            return commit.id

    def delete_branch(self, key: RepoKey, branch: str) -> None:
        """Delete a branch (not the default one); 404 ``RevisionNotFound`` if it does not exist.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        if branch == DEFAULT_BRANCH:
            raise HubError(403, f"Cannot delete refs/heads/{DEFAULT_BRANCH}: it is the default branch")
        with self.repo_lock(key):
            refs = self.read_refs(key)
            if branch not in refs["branches"]:
                raise HubError(404, f"Invalid rev id: {branch} is not a branch of {key.repo_id}", "RevisionNotFound")
            del refs["branches"][branch]
            self._write_json_atomic(self.repo_dir(key) / "refs.json", refs)

    def history(self, key: RepoKey, commit: Commit, limit: int = 10_000) -> list[Commit]:
        """The commit and its ancestors, newest first (at most ``limit``).

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        out = [commit]
        while out[-1].parent is not None and len(out) < limit:
            out.append(self.read_commit(key, out[-1].parent))
        return out

    def last_commits(
        self, key: RepoKey, commit: Commit, paths: Sequence[str], budget: int = LAST_COMMIT_BUDGET
    ) -> dict[str, Commit]:
        """For each path (file or folder) of ``commit``, the newest commit up to ``commit`` that changed it.

        Walks the history back one commit at a time, comparing two file tables per step; the work is
        the number of table entries compared, at most ``budget`` whatever the history's length or the
        number of paths asked. Paths whose last change lies further back than the budget reaches, and
        paths the commit does not have, are left out (the caller then sends no ``lastCommit``).

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        dirs = commit.directories()
        pending = {path for path in paths if path in commit.files or path in dirs}
        found: dict[str, Commit] = {}
        current, work = commit, 0
        while pending:
            if current.parent is None:  # the first commit added whatever is still pending
                found.update(dict.fromkeys(pending, current))
                break
            parent = self.read_commit(key, current.parent)
            work += len(current.files) + len(parent.files)
            if work > budget and current is not commit:  # the first step always: a huge repository still gets its last changes
                break
            changed = {p for p, e in current.files.items() if (was := parent.files.get(p)) is None or was.oid != e.oid}
            changed.update(p for p in parent.files if p not in current.files)
            touched = set(changed)
            for path in changed:  # a folder changed when anything under it did
                parts = path.split("/")[:-1]
                touched.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
            for path in pending & touched:
                found[path] = current
            pending -= touched
            current = parent
        return found
