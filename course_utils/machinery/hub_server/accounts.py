"""Learner accounts of the local Hub: a token per learner, organisations with members.

A workshop host gives each learner an account, while the server runs or before::

    course-hub accounts --data-dir hub-data add alice    # prints alice's token, once
    course-hub accounts --data-dir hub-data org course-team alice bob
    course-hub accounts --data-dir hub-data list

Each learner then writes only to their own namespace and to the organisations they belong to,
reads public repositories and their own private ones, and their commits carry their name. The
server's own token (``--token``) keeps working as before, for the host, so a notebook's
single-user Hub needs no accounts at all.

The accounts live in ``DATA_DIR/accounts.json`` (mode 0600): user names with the sha256 of their
token, never the token itself, and each organisation's members. The file is replaced atomically
on every change and the server reads it again when it changes, so accounts added while it runs
work at once.

Used by the local Hub (:mod:`course_utils.machinery.hub_server`) and the tests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
from pathlib import Path
from typing import Any, Mapping

from .auth import Identity
from .validation import HubError, validate_name_part

__all__ = ["ACCOUNTS_FILE", "Accounts", "AccountsError"]

ACCOUNTS_FILE = "accounts.json"


class AccountsError(ValueError):
    """A change to the accounts that cannot be made; the message says why."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class Accounts:
    """The learner accounts stored in ``data_dir/accounts.json``.

    Used by the local Hub (:mod:`course_utils.machinery.hub_server`) and the tests.
    """

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.path = Path(data_dir) / ACCOUNTS_FILE
        self._lock = threading.Lock()
        self._seen: tuple[int, int] | None = None
        self._by_digest: dict[str, Identity] = {}

    # ------------------------------------------------------------------ reading

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"users": {}, "orgs": {}}
        if not isinstance(data, dict) or not isinstance(data.get("users"), dict) or not isinstance(data.get("orgs"), dict):
            raise AccountsError(f"{self.path.name} is not an accounts file")
        return data

    def identify(self, token: str) -> Identity | None:
        """The account a token belongs to, or None. Re-reads the file when it changed."""
        with self._lock:
            try:
                stat = self.path.stat()
                seen: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_ino)
            except FileNotFoundError:
                seen = None
            if seen != self._seen:
                data = self._load()
                self._by_digest = {
                    user["token_sha256"]: Identity(name, tuple(sorted(org for org, members in data["orgs"].items() if name in members)))
                    for name, user in data["users"].items()
                }
                self._seen = seen
            digest = _digest(token)
            for known, identity in self._by_digest.items():
                if hmac.compare_digest(known, digest):
                    return identity
            return None

    def users(self) -> dict[str, list[str]]:
        """Every user and the organisations they belong to."""
        data = self._load()
        return {name: sorted(org for org, members in data["orgs"].items() if name in members) for name in sorted(data["users"])}

    # ------------------------------------------------------------------ changing

    def reserve(self, names: tuple[str, ...]) -> None:
        """Record the server's own user and organisations, which no account may take (the server calls it at start)."""
        data = self._load()
        known = {n.casefold() for n in data.get("server", [])}
        if all(name.casefold() in known for name in names):
            return
        data["server"] = sorted({*data.get("server", []), *names})
        self._save(data)

    def _refuse_reserved(self, data: Mapping[str, Any], name: str) -> None:
        folded = name.casefold()
        if folded in {n.casefold() for n in data.get("server", [])}:
            raise AccountsError(
                f"The name {name!r} is the server's own user or organisation (in any letter case): "
                "an account by that name would be refused. Pick another name."
            )
        if folded in {n.casefold() for n in data.get("removed", [])}:
            raise AccountsError(
                f"The name {name!r} belonged to a removed user whose repositories are still on this server; "
                "a new account or organisation by that name would get them. Pick another name."
            )

    def add_user(self, name: str, reserved: tuple[str, ...] = ()) -> str:
        """Create an account and return its token (shown once: only its hash is kept)."""
        name = self._valid(name)
        data = self._load()
        self._refuse_reserved(data, name)
        taken = {n.casefold() for n in (*data["users"], *data["orgs"], *reserved)}
        if name.casefold() in taken:  # names ignore case, as on the Hub: 'Alice' is 'alice'
            raise AccountsError(f"The name {name!r} is taken (a user or an organisation, in any letter case).")
        token = f"hf_local_{secrets.token_urlsafe(24)}"
        data["users"][name] = {"token_sha256": _digest(token)}
        self._save(data)
        return token

    def new_token(self, name: str) -> str:
        """Replace a user's token (the old one stops working) and return the new one."""
        data = self._load()
        if name not in data["users"]:
            raise AccountsError(f"No user {name!r}.")
        token = f"hf_local_{secrets.token_urlsafe(24)}"
        data["users"][name]["token_sha256"] = _digest(token)
        self._save(data)
        return token

    def remove_user(self, name: str) -> None:
        """Delete an account (its repositories stay, so its name stays reserved); it leaves its organisations."""
        data = self._load()
        if data["users"].pop(name, None) is None:
            raise AccountsError(f"No user {name!r}.")
        data["removed"] = sorted({*data.get("removed", []), name})
        for members in data["orgs"].values():
            if name in members:
                members.remove(name)
        self._save(data)

    def set_org(self, org: str, members: list[str]) -> None:
        """Create an organisation, or replace its members; every member must be a user."""
        org = self._valid(org)
        data = self._load()
        self._refuse_reserved(data, org)
        if org.casefold() in {n.casefold() for n in data["users"]}:
            raise AccountsError(f"The name {org!r} is a user's (in any letter case).")
        existing = [n for n in data["orgs"] if n.casefold() == org.casefold() and n != org]
        if existing:
            raise AccountsError(f"The organisation exists as {existing[0]!r}: use that spelling.")
        unknown = sorted(set(members) - set(data["users"]))
        if unknown:
            raise AccountsError(f"Not users: {', '.join(unknown)} (add them first).")
        data["orgs"][org] = sorted(set(members))
        self._save(data)

    @staticmethod
    def _valid(name: str) -> str:
        try:
            return validate_name_part(name, "namespace")
        except HubError as exc:
            raise AccountsError(exc.message) from None

    def _save(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        scratch = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.replace(scratch, self.path)
