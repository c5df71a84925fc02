"""What the server keeps between requests: per open config document, and the
services features create and share."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mirrord_ide.agent.sessions import SessionManager
    from mirrord_ide.cli_engine.engine import CliEngine
    from mirrord_ide.cluster.service import ClusterService
    from mirrord_ide.document.analysis import Analysis, Finding
    from mirrord_ide.document.formats import ConfigFormat
    from mirrord_ide.lsp.documents import DiagnosticsScheduler

# Cluster findings for an analysed document (`uri`), for the diagnostics.
LiveChecks = Callable[["Analysis", str], Awaitable[list["Finding"]]]
# Target paths and namespaces for the config at `uri`, for completion.
LiveValues = Callable[[str], Awaitable[tuple[Sequence[str], Sequence[str]]]]


@dataclass
class AnalyzedDocument:
    uri: str
    version: int | None
    fmt: ConfigFormat
    text: str
    analysis: Analysis
    # Findings from the live cluster checks for this same version, if any ran.
    live_findings: list[Finding] = field(default_factory=list)

    @property
    def findings(self) -> list[Finding]:
        return [*self.analysis.findings, *self.live_findings]


@dataclass
class ServerState:
    """The services of one server, each created by the feature that owns it
    (most on first use, so start-up imports none of them). None: not created
    yet, or dropped (the cluster connection, after a kubeconfig or context change)."""

    # The cluster connection, its caches and watches (`target_requests.cluster_service`).
    cluster: ClusterService | None = None
    # Schedules the analysis of open config documents (`documents.scheduler`).
    diagnostics: DiagnosticsScheduler | None = None
    # Provided by the target requests: the cluster's view for the document features.
    live_checks: LiveChecks | None = None
    live_values: LiveValues | None = None
    # The builtin session engine and the mirrord CLI engine (`session_requests`).
    sessions: SessionManager | None = None
    cli_sessions: CliEngine | None = None
    # The look for agents left by servers that exited, shortly after start-up.
    sessions_reaper: asyncio.Future[None] | None = None
    # Ends the server when the client process named in `initialize` is gone.
    parent_watch: asyncio.Task[None] | None = None
