"""Who may do what on the local Hub: the server's token, and learner accounts.

The server is started with an access token that belongs to one user (``learner`` by default),
and may hold learner accounts (:mod:`.accounts`), each with its own token and organisations.
The rules, checked before any request body is read:

* no ``Authorization`` header: anonymous; it may read public repositories only;
* ``Authorization: Bearer <the server's token>``: the server's user; it may read public
  repositories and those of its namespaces, and write into its own namespace and the
  organizations the server was started with;
* ``Authorization: Bearer <a learner's token>``: that learner, likewise with their own namespace
  and the organisations they are a member of;
* any other ``Authorization`` header: 401 ``Invalid credentials in Authorization header`` on
  every endpoint (as huggingface.co answers an invalid token), reads included;
* a write without a token: 401; a write into another namespace: 403;
* a private repository read without the token answers exactly like a missing repository
  (404 ``RepoNotFound``), so its existence does not leak.

Used in notebooks/03_hub.ipynb (through :class:`course_utils.machinery.hub_server.LocalHub`) and the tests.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable

from .validation import HubError, validate_name_part

if TYPE_CHECKING:  # pragma: no cover
    from .accounts import Accounts

__all__ = ["INVALID_CREDENTIALS", "Identity", "TokenAuth"]

#: The message huggingface.co uses for an invalid token (the client keys on it).
INVALID_CREDENTIALS = "Invalid credentials in Authorization header"


@dataclass(frozen=True)
class Identity:
    """An authenticated caller: its user name and the organizations it may write to.

    Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
    """

    name: str
    orgs: tuple[str, ...] = field(default_factory=tuple)

    def namespaces(self) -> tuple[str, ...]:
        """The namespaces this identity may write to: its own, then its organizations.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        return (self.name, *self.orgs)


class TokenAuth:
    """Checks ``Authorization`` headers against the server's single token.

    Used in notebooks/03_hub.ipynb (through :class:`course_utils.machinery.hub_server.LocalHub`) and the tests.
    """

    def __init__(self, token: str, user: str, orgs: Iterable[str] = (), accounts: "Accounts | None" = None) -> None:
        if not token or any(c.isspace() for c in token):
            raise ValueError("The token must be a non-empty string without whitespace")
        self._token = token.encode("utf-8")
        self.accounts = accounts
        self.identity = Identity(
            name=validate_name_part(user, "namespace"),
            orgs=tuple(validate_name_part(org, "namespace") for org in orgs),
        )

    def identify(self, authorization: str | None) -> Identity | None:
        """The caller of a request: ``None`` when anonymous; 401 for a malformed or wrong token.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        if authorization is None or authorization.strip() == "":
            return None
        scheme, _, credentials = authorization.strip().partition(" ")
        credentials = credentials.strip()
        if scheme.lower() != "bearer" or not credentials:
            raise HubError(401, f"{INVALID_CREDENTIALS}: expected 'Bearer <token>'")
        if hmac.compare_digest(credentials.encode("utf-8", "surrogatepass"), self._token):
            return self.identity
        learner = self.accounts.identify(credentials) if self.accounts is not None else None
        if learner is None:
            raise HubError(401, INVALID_CREDENTIALS)
        own = {n.casefold() for n in self.identity.namespaces()}
        if learner.name.casefold() in own or any(org.casefold() in own for org in learner.orgs):
            # an account named like the server's own user or organisations would share their namespaces
            raise HubError(
                403, f"The account {learner.name!r} clashes with the server's own user or organisations "
                "(names ignore letter case): the host should rename it",
            )
        return learner

    @staticmethod
    def require(identity: Identity | None, action: str) -> Identity:
        """The identity of a write request; 401 when the request carries no token.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        if identity is None:
            raise HubError(
                401,
                f"Authentication required to {action}: send 'Authorization: Bearer <token>' "
                "(set HF_TOKEN to the local hub's token, or pass token=...)",
            )
        return identity

    @staticmethod
    def check_namespace(identity: Identity, namespace: str, action: str) -> None:
        """403 unless the identity may write into ``namespace``.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        if namespace.casefold() not in {n.casefold() for n in identity.namespaces()}:  # names ignore case, as on the Hub
            raise HubError(
                403,
                f"You don't have the rights to {action} in namespace {namespace!r}: "
                f"user {identity.name!r} may write to {', '.join(identity.namespaces())}",
            )

    @staticmethod
    def can_read(identity: Identity | None, namespace: str, private: bool) -> bool:
        """Whether the identity may read a repository of that namespace and visibility.

        Used by the local Hub of notebooks/03_hub.ipynb, and the tests.
        """
        if not private:
            return True
        return identity is not None and namespace.casefold() in {n.casefold() for n in identity.namespaces()}
