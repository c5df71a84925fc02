"""Reading an agent pod's state while it starts. Pure.

Mirrors how mirrord waits: ready once the pod runs and the agent container is
ready; fail fast on image pull errors, an unschedulable pod, a pod that
failed, finished or was deleted. Everything else is "still starting", with a
human description kept for the timeout message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mirrord_ide.errors import Conflict, MirrordError

IMAGE_PULL_REASONS = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName"})
READY_LINE = re.compile(r"agent ready( - version (\S+))?")


@dataclass(frozen=True, slots=True)
class Verdict:
    ready: bool
    state: str  # e.g. "Pending (Unschedulable: 0/3 nodes are available)"
    error: MirrordError | None = None


def _container_status(pod: Mapping[str, Any], container: str) -> Mapping[str, Any] | None:
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        if isinstance(cs, Mapping) and cs.get("name") == container:
            return cs
    return None


def _describe_container(cs: Mapping[str, Any]) -> tuple[str | None, str]:
    state = cs.get("state") or {}
    for key in ("waiting", "terminated", "running"):
        sub = state.get(key)
        if isinstance(sub, Mapping):
            reason = sub.get("reason")
            message = sub.get("message")
            text = str(reason or key)
            if message:
                text += f": {message}"
            return (str(reason) if reason else None), text
    return None, "unknown"


def assess(pod: Mapping[str, Any], container: str, *, image: str, deleted: bool = False) -> Verdict:
    """Where the agent pod stands; `error` set when waiting longer is pointless."""
    meta = pod.get("metadata") or {}
    name = meta.get("name", "?")
    hint = f"check it with `kubectl describe pod {name} -n {meta.get('namespace', '?')}`"
    if deleted:
        return Verdict(
            False,
            "deleted",
            Conflict(
                f"agent pod `{name}` was deleted during startup",
                hint="an admission policy (e.g. Pod Security) may reject privileged pods; " + hint,
            ),
        )
    status = pod.get("status") or {}
    phase = str(status.get("phase") or "Pending")
    cs = _container_status(pod, container)
    reason, text = _describe_container(cs) if cs is not None else (None, "")
    if cs is not None and reason in IMAGE_PULL_REASONS:
        return Verdict(
            False,
            f"{phase} ({text})",
            Conflict(
                f"agent container failed to pull image `{image}` ({text})",
                hint="check `agent.image` and `agent.image_pull_secrets` in the mirrord config",
            ),
        )
    if phase == "Failed":
        why = status.get("reason") or reason or "Failed"
        detail = status.get("message") or text
        return Verdict(
            False,
            f"Failed ({why})",
            Conflict(f"agent pod `{name}` failed ({why}): {detail}", hint=hint),
        )
    if phase == "Succeeded":
        return Verdict(
            False,
            "Succeeded",
            Conflict(f"agent pod `{name}` unexpectedly finished", hint=hint),
        )
    for cond in status.get("conditions") or []:
        if (
            isinstance(cond, Mapping)
            and cond.get("type") == "PodScheduled"
            and cond.get("status") == "False"
            and cond.get("reason") == "Unschedulable"
        ):
            message = cond.get("message") or "no node can run it"
            return Verdict(
                False,
                f"Pending (Unschedulable: {message})",
                Conflict(
                    f"agent pod `{name}` cannot be scheduled: {message}",
                    hint="the target's node may be full or tainted; check `agent.tolerations` "
                    "and the node's capacity",
                ),
            )
    if phase == "Running" and cs is not None and cs.get("ready"):
        return Verdict(True, "Running")
    return Verdict(False, f"{phase} ({text})" if text else phase)


def agent_version(log_text: str) -> tuple[bool, str | None]:
    """Whether the log has mirrord's `agent ready` line, and the version it names."""
    match = READY_LINE.search(log_text)
    if match is None:
        return False, None
    return True, match.group(2)
