"""Target listings kept on disk, so the first picker open after a restart is instant.

The last listing of each (kube context, namespace or all namespaces) is stored under
the user's cache folder (`$XDG_CACHE_HOME/mirrord-ide/targets`, else
`~/.cache/mirrord-ide/targets`) as one file: a JSON header line, then the
`mirrord/listTargets` result as sent to clients. That result holds only what the
picker shows (target paths, kinds, names, namespaces, containers, availability and
the reasons, warnings); never an object's spec, env or any credential. The header
names the format and its version, the context (its name, the cluster's server URL,
the user's name and the scope), the rules the targets were built with, and the
body's length and CRC-32. A file whose header does not match exactly what is asked
for, or whose body does not check out, is ignored (and replaced at the next save);
reading never raises.

Files are written atomically (a temporary file in the same folder, then a rename),
readable by the user only; the folder keeps at most `MAX_FILES` of them, the least
recently written going first.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import orjson

from mirrord_ide.cluster.kubeconfig import ContextIdentity
from mirrord_ide.cluster.targets import Target, TargetRules

log = logging.getLogger(__name__)

FORMAT = "mirrord-ide/targets"
VERSION = 1
SUFFIX = ".snapshot"
MAX_FILES = 64
MAX_BYTES = 256 * 1024 * 1024  # far above any real listing; a bigger file is not ours


def cache_root(environ: Mapping[str, str] | None = None) -> Path:
    """Where snapshots live: `$XDG_CACHE_HOME` (only if absolute, as the XDG spec
    says) or `~/.cache`, then `mirrord-ide/targets`."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "mirrord-ide" / "targets"


def rules_fingerprint(rules: TargetRules) -> str:
    """The target rules a listing was built with: the same targets need the same rules."""
    raw = orjson.dumps([sorted(rules.excluded.items()), rules.targetless_reason, rules.copy_target])
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class SnapshotKey:
    identity: ContextIdentity
    scope: str | None  # a namespace, or None for all namespaces

    def fields(self) -> dict[str, Any]:
        return {
            "context": self.identity.context,
            "server": self.identity.server,
            "user": self.identity.user,
            "scope": self.scope,
        }

    def filename(self) -> str:
        digest = hashlib.sha256(orjson.dumps(self.fields(), option=orjson.OPT_SORT_KEYS))
        return digest.hexdigest()[:32] + SUFFIX


class _Header(msgspec.Struct):
    format: str
    version: int
    context: str
    server: str
    user: str
    scope: str | None
    rules: str
    savedAt: float
    length: int
    crc32: int


_HEADER = msgspec.json.Decoder(_Header)


@dataclass(frozen=True, slots=True)
class Stored:
    """A listing read back: the `listTargets` body and when it was saved (epoch seconds)."""

    body: bytes
    saved_at: float


class SnapshotStore:
    def __init__(self, root: Path | None = None, *, max_files: int = MAX_FILES) -> None:
        self.root = root if root is not None else cache_root()
        self.max_files = max_files

    def path(self, key: SnapshotKey) -> Path:
        return self.root / key.filename()

    def load(self, key: SnapshotKey, rules: str) -> Stored | None:
        """The stored listing for `key` built with `rules`, or None (missing, corrupt,
        another version, another context or other rules)."""
        path = self.path(key)
        try:
            with open(path, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size > MAX_BYTES:
                    raise ValueError(f"{size} bytes")
                data = handle.read()
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            log.debug("ignoring the snapshot %s: %s", path, error)
            return None
        end = data.find(b"\n")
        try:
            if end < 0:
                raise ValueError("no header")
            header = _HEADER.decode(data[:end])
            body = data[end + 1 :]
            expected = key.fields()
            if header.format != FORMAT or header.version != VERSION:
                raise ValueError(f"format {header.format!r} version {header.version}")
            if any(getattr(header, name) != value for name, value in expected.items()):
                raise ValueError("another context")
            if header.rules != rules:
                raise ValueError("other target rules")
            if header.length != len(body) or header.crc32 != zlib.crc32(body):
                raise ValueError("truncated or damaged")
            if not body.startswith(b"{") or not body.endswith(b"}"):
                raise ValueError("not a listing")
        except (msgspec.DecodeError, ValueError) as error:
            log.debug("ignoring the snapshot %s: %s", path, error)
            return None
        return Stored(body, header.savedAt)

    def save(self, key: SnapshotKey, rules: str, body: bytes) -> bool:
        """Store a listing atomically; False (logged) when the folder is not writable."""
        header = orjson.dumps(
            {
                "format": FORMAT,
                "version": VERSION,
                **key.fields(),
                "rules": rules,
                "savedAt": time.time(),
                "length": len(body),
                "crc32": zlib.crc32(body),
            }
        )
        tmp: str | None = None
        try:
            self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=SUFFIX, dir=self.root)
            with os.fdopen(fd, "wb") as handle:
                handle.write(header + b"\n" + body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path(key))
            tmp = None
        except OSError as error:
            log.warning("cannot save the target snapshot in %s: %s", self.root, error)
            return False
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        self._prune()
        return True

    def _prune(self) -> None:
        try:
            entries = [p for p in self.root.iterdir() if p.name.endswith(SUFFIX)]
            if len(entries) <= self.max_files:
                return
            entries.sort(key=lambda p: p.stat().st_mtime)
            for old in entries[: len(entries) - self.max_files]:
                old.unlink()
        except OSError as error:
            log.debug("cannot prune %s: %s", self.root, error)


class _StoredTarget(msgspec.Struct):
    path: str
    kind: str
    name: str
    namespace: str
    container: str | None = None
    available: bool = False
    reason: str | None = None


class _StoredListing(msgspec.Struct):
    namespace: str
    targets: list[_StoredTarget]
    warnings: list[str] = []
    hidden: list[str] = []


_LISTING = msgspec.json.Decoder(_StoredListing)


@dataclass(slots=True)
class StoredListing:
    namespace: str
    targets: list[Target]
    warnings: list[str]


def decode_listing(body: bytes) -> StoredListing | None:
    """A stored `listTargets` body as targets, or None if it is not one."""
    try:
        raw = _LISTING.decode(body)
    except msgspec.DecodeError:
        return None
    targets = [
        Target(t.path, t.kind, t.name, t.namespace, t.container, t.available, t.reason)
        for t in raw.targets
    ]
    return StoredListing(raw.namespace, targets, list(raw.warnings))


def mark_stale(body: bytes) -> bytes:
    """A JSON object's bytes with `"stale": true` added."""
    return body[:-1] + (b',"stale":true}' if len(body) > 2 else b'"stale":true}')
