"""Domain errors shared by every layer.

Each error carries the `kind` of the protocol's error contract
(`unreachable`, `unauthorized`, `forbidden`, `not-found`, `invalid-config`,
`timeout`, `conflict`), a message a user can read aloud, and an optional hint
that says what to do. The LSP layer turns them into `ResponseError`s whose
`data` is `{"kind", "message", "hint"?}`; the CLI prints them as JSON.
"""

from __future__ import annotations

from typing import Any, Literal

ErrorKind = Literal[
    "unreachable",
    "unauthorized",
    "forbidden",
    "not-found",
    "invalid-config",
    "timeout",
    "conflict",
    "cancelled",
]


class MirrordError(Exception):
    """An error a user can act on. Never carries credentials."""

    kind: ErrorKind = "conflict"

    def __init__(self, message: str, *, hint: str | None = None, kind: ErrorKind | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if kind is not None:
            self.kind = kind

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "message": self.message}
        if self.hint:
            data["hint"] = self.hint
        return data

    def __str__(self) -> str:
        return self.message


class ClusterUnreachable(MirrordError):
    kind: ErrorKind = "unreachable"


class Unauthorized(MirrordError):
    kind: ErrorKind = "unauthorized"


class Forbidden(MirrordError):
    kind: ErrorKind = "forbidden"


class NotFound(MirrordError):
    kind: ErrorKind = "not-found"


class InvalidConfig(MirrordError):
    kind: ErrorKind = "invalid-config"


class Timeout(MirrordError):
    kind: ErrorKind = "timeout"


class Conflict(MirrordError):
    kind: ErrorKind = "conflict"


class Cancelled(MirrordError):
    kind: ErrorKind = "cancelled"
