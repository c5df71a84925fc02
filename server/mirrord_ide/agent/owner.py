"""Who owns an agent: this server process's identity, and whether the process
recorded on an agent is still alive.

A process is identified by host name, boot id, pid and its start time, so a
reused pid or a reboot is never mistaken for the original server. Agents from
another host are never judged: their server may be alive there.
"""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

from mirrord_ide.agent.spec import Owner


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def boot_id() -> str:
    return _read("/proc/sys/kernel/random/boot_id")


def process_start_time(pid: int) -> str:
    """The process start time in clock ticks since boot (Linux), else ""."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return ""
    # The command name (field 2) may contain spaces; fields after it are fixed.
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else ""


def current_owner(server_id: str | None = None) -> Owner:
    pid = os.getpid()
    return Owner(
        server_id=server_id or uuid.uuid4().hex[:16],
        pid=pid,
        host=socket.gethostname(),
        boot_id=boot_id(),
        start_time=process_start_time(pid),
    )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_gone(owner: Owner, me: Owner) -> bool:
    """True only when `owner` certainly no longer runs."""
    if owner.server_id == me.server_id or owner.host != me.host:
        return False
    if owner.boot_id and me.boot_id and owner.boot_id != me.boot_id:
        return True
    if not _pid_alive(owner.pid):
        return True
    started = process_start_time(owner.pid)
    # Same pid, different start time: the pid was reused by another process.
    return bool(owner.start_time and started and started != owner.start_time)
