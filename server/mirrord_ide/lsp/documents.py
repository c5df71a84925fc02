"""Diagnostics for open mirrord config documents.

didOpen/didChange/didSave schedule an analysis; at most one analysis per
document runs at a time, and changes that arrive meanwhile are coalesced into
the next run, so a burst of keystrokes costs one or two analyses and the
latest version is always published. An isolated edit is analysed at once.
Live cluster checks (`ServerState.live_checks`, when provided) run afterwards and
re-publish with their findings if the document has not moved on.

The document layer (tree-sitter, the pydantic model) is imported on first use
so that the server answers `initialize` quickly.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING
from urllib.parse import unquote

from lsprotocol import types

from mirrord_ide.lsp.convert import SOURCE, to_diagnostic
from mirrord_ide.lsp.state import AnalyzedDocument, LiveChecks

if TYPE_CHECKING:
    from mirrord_ide.document.formats import ConfigFormat
    from mirrord_ide.lsp.server import MirrordLanguageServer

log = logging.getLogger(__name__)

LIVE_CHECK_DELAY = 0.3  # seconds of quiet before asking the cluster
LIVE_CHECK_TIMEOUT = 5.0
# Larger documents are analysed off the event loop so other requests keep flowing.
THREAD_THRESHOLD_CHARS = 20_000


def config_format(uri: str) -> ConfigFormat | None:
    """The format of a mirrord config document; None for any other file."""
    from mirrord_ide.document.formats import config_format as fmt_of
    from mirrord_ide.document.formats import is_config_file

    return fmt_of(uri) if is_config_file(uri) else None


def analyze_text(uri: str, text: str, version: int | None, fmt: ConfigFormat) -> AnalyzedDocument:
    from mirrord_ide.document.analysis import analyze

    return AnalyzedDocument(
        uri=uri, version=version, fmt=fmt, text=text, analysis=analyze(text, fmt)
    )


def is_open(ls: MirrordLanguageServer, uri: str) -> bool:
    return unquote(uri) in ls.workspace.text_documents


def current(ls: MirrordLanguageServer, uri: str) -> AnalyzedDocument | None:
    """The analysis of the document as it is now, for completion, hover, code
    actions and symbols; analyses synchronously if the cache is behind."""
    fmt = config_format(uri)
    if fmt is None or not is_open(ls, uri):
        return None
    doc = ls.workspace.get_text_document(uri)
    cached = ls.documents.get(uri)
    if cached is not None and cached.version == doc.version and cached.text == doc.source:
        return cached
    try:
        analyzed = analyze_text(uri, doc.source, doc.version, fmt)
    except Exception:  # noqa: BLE001 - a request must not fail on odd input
        log.exception("analysis failed for %s", uri)
        return None
    ls.documents[uri] = analyzed
    return analyzed


def internal_error_diagnostic() -> types.Diagnostic:
    return types.Diagnostic(
        range=types.Range(start=types.Position(0, 0), end=types.Position(0, 0)),
        message="mirrord could not check this file completely (internal error, see the server log)",
        severity=types.DiagnosticSeverity.Warning,
        code="internal-error",
        source=SOURCE,
    )


class DiagnosticsScheduler:
    """Runs analyses per document and publishes their diagnostics."""

    def __init__(self, ls: MirrordLanguageServer) -> None:
        self.ls = ls
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._live: dict[str, asyncio.Task[None]] = {}
        self._dirty: set[str] = set()

    def schedule(self, uri: str) -> None:
        if config_format(uri) is None:
            return
        self._dirty.add(uri)
        worker = self._workers.get(uri)
        if worker is None or worker.done():
            self._workers[uri] = asyncio.ensure_future(self._run(uri))

    def close(self, uri: str) -> None:
        self._dirty.discard(uri)
        for tasks in (self._workers, self._live):
            task = tasks.pop(uri, None)
            if task is not None:
                task.cancel()
        had = self.ls.documents.pop(uri, None) is not None
        if had or config_format(uri) is not None:
            self.ls.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            )

    async def _run(self, uri: str) -> None:
        try:
            while uri in self._dirty:
                self._dirty.discard(uri)
                # Let changes already queued behind this one land first.
                await asyncio.sleep(0)
                self._dirty.discard(uri)
                await self._analyze_and_publish(uri)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - never let a worker die loudly
            log.exception("diagnostics worker failed for %s", uri)

    async def _analyze_and_publish(self, uri: str) -> None:
        fmt = config_format(uri)
        if fmt is None or not is_open(self.ls, uri):
            return
        doc = self.ls.workspace.get_text_document(uri)
        text, version = doc.source, doc.version
        started = time.perf_counter()
        try:
            if len(text) > THREAD_THRESHOLD_CHARS:
                analyzed = await asyncio.to_thread(analyze_text, uri, text, version, fmt)
            else:
                analyzed = analyze_text(uri, text, version, fmt)
        except Exception:  # noqa: BLE001 - report, never crash on odd input
            log.exception("analysis failed for %s (version %s)", uri, version)
            self.ls.documents.pop(uri, None)
            self._publish(uri, version, [internal_error_diagnostic()])
            return
        log.debug("analysed %s v%s in %.1f ms", uri, version, (time.perf_counter() - started) * 1e3)
        if not is_open(self.ls, uri):
            return  # closed while analysing
        self.ls.documents[uri] = analyzed
        self._publish_analysis(analyzed)
        self._start_live_checks(analyzed)

    def _publish_analysis(self, analyzed: AnalyzedDocument) -> None:
        diagnostics: list[types.Diagnostic] = []
        for finding in analyzed.findings:
            try:
                diagnostics.append(to_diagnostic(finding))
            except Exception:  # noqa: BLE001 - skip a malformed finding, keep the rest
                log.exception("could not convert finding %r", finding)
        self._publish(analyzed.uri, analyzed.version, diagnostics)

    def _publish(self, uri: str, version: int | None, diagnostics: list[types.Diagnostic]) -> None:
        self.ls.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )

    def _start_live_checks(self, analyzed: AnalyzedDocument) -> None:
        check = self.ls.state.live_checks
        previous = self._live.pop(analyzed.uri, None)
        if previous is not None:
            previous.cancel()
        if check is None:
            return
        self._live[analyzed.uri] = asyncio.ensure_future(self._live_checks(check, analyzed))

    async def _live_checks(self, check: LiveChecks, analyzed: AnalyzedDocument) -> None:
        await asyncio.sleep(LIVE_CHECK_DELAY)
        try:
            findings = await asyncio.wait_for(
                check(analyzed.analysis, analyzed.uri), LIVE_CHECK_TIMEOUT
            )
        except asyncio.CancelledError:
            raise
        except TimeoutError:
            log.info("live checks for %s timed out", analyzed.uri)
            return
        except Exception as error:  # noqa: BLE001 - the cluster is optional for editing
            log.info("live checks for %s failed: %s", analyzed.uri, error)
            return
        if self.ls.documents.get(analyzed.uri) is not analyzed or not findings:
            return  # the document moved on; its own run will check again
        analyzed.live_findings = list(findings)
        self._publish_analysis(analyzed)


def scheduler(ls: MirrordLanguageServer) -> DiagnosticsScheduler:
    if ls.state.diagnostics is None:
        ls.state.diagnostics = DiagnosticsScheduler(ls)
    return ls.state.diagnostics


def register(server: MirrordLanguageServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: MirrordLanguageServer, params: types.DidOpenTextDocumentParams) -> None:
        scheduler(ls).schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: MirrordLanguageServer, params: types.DidChangeTextDocumentParams) -> None:
        scheduler(ls).schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(ls: MirrordLanguageServer, params: types.DidSaveTextDocumentParams) -> None:
        scheduler(ls).schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: MirrordLanguageServer, params: types.DidCloseTextDocumentParams) -> None:
        scheduler(ls).close(params.text_document.uri)
