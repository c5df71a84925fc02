"""The one place where the server's start-up, settings and shutdown hooks run.

Features register what they need when they are registered; the core handlers
in `mirrord_ide.lsp.server` call `started` after `initialized` (once the client's
settings are in), `settings_changed` whenever an accepted setting changes, and
`shutdown` on `shutdown` or `exit` (whichever comes first; the other waits for
the same run). Hooks run in a defined order, and one that fails is logged
without keeping the others from running.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from mirrord_ide.lsp.settings import MirrordSettings

log = logging.getLogger(__name__)

# Shutdown order: sessions end while the cluster connection they use still works.
STOP_SESSIONS = 10
DROP_CLUSTER = 20

Hook = Callable[[], Awaitable[None] | None]
SettingsHook = Callable[[MirrordSettings], None]


@dataclass(frozen=True)
class _SettingsHook:
    # Field names of `MirrordSettings`; None: any change.
    keys: frozenset[str] | None
    fn: SettingsHook


class Lifecycle:
    def __init__(self) -> None:
        self._started: list[Hook] = []
        self._settings: list[_SettingsHook] = []
        self._shutdown: list[tuple[int, int, Hook]] = []
        self._stopping: asyncio.Future[None] | None = None

    # -- registration ----------------------------------------------------------------------

    def on_started(self, fn: Hook) -> None:
        """Run `fn` after `initialized`, in registration order."""
        self._started.append(fn)

    def on_settings(self, keys: Iterable[str] | None, fn: SettingsHook) -> None:
        """Call `fn` with the new settings when one of `keys` (`MirrordSettings`
        field names; None for any) changes."""
        if keys is not None:
            keys = frozenset(keys)
            unknown = keys - set(MirrordSettings.model_fields)
            if unknown:
                raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        self._settings.append(_SettingsHook(keys, fn))

    def on_shutdown(self, fn: Hook, order: int) -> None:
        """Run `fn` at shutdown: lower `order` first, then in registration order."""
        self._shutdown.append((order, len(self._shutdown), fn))

    # -- running ---------------------------------------------------------------------------

    async def started(self) -> None:
        for fn in list(self._started):
            await _run(fn, "start-up")

    def settings_changed(self, old: MirrordSettings, new: MirrordSettings) -> None:
        changed = {
            name
            for name in MirrordSettings.model_fields
            if getattr(old, name) != getattr(new, name)
        }
        if not changed:
            return
        for hook in list(self._settings):
            if hook.keys is not None and not hook.keys & changed:
                continue
            try:
                hook.fn(new)
            except Exception:  # noqa: BLE001 - one hook must not break the others
                log.exception("settings hook failed")

    @property
    def shutting_down(self) -> bool:
        return self._stopping is not None

    async def shutdown(self) -> None:
        """Run the shutdown hooks once; a second call waits for the same run."""
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._run_shutdown())
        await asyncio.shield(self._stopping)

    async def _run_shutdown(self) -> None:
        for _, _, fn in sorted(self._shutdown, key=lambda entry: entry[:2]):
            await _run(fn, "shutdown")


async def _run(fn: Hook, stage: str) -> None:
    try:
        result = fn()
        if inspect.isawaitable(result):
            await result
    except asyncio.CancelledError:
        raise
    except Exception:  # noqa: BLE001 - run every hook
        log.exception("%s hook failed", stage)
