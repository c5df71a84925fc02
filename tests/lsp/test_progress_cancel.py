"""`window/workDoneProgress/cancel` reaches a session launch whenever it arrives:
before the first progress report, between reports, or before the launch said
what to run on a cancel."""

from __future__ import annotations

from typing import Any

from lsprotocol import types
from pygls.progress import Progress

from mirrord_ide.lsp.session_requests import ProgressReporter


class FakeProtocol:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []

    def notify(self, method: str, params: Any) -> None:
        self.sent.append((method, params))


class FakeServer:
    def __init__(self) -> None:
        self.protocol = FakeProtocol()
        self.work_done_progress = Progress(self.protocol)  # type: ignore[arg-type]

    def client_cancels(self, token: str) -> None:
        # What pygls does on `window/workDoneProgress/cancel`.
        future = self.work_done_progress.tokens.get(token)
        if future is not None:
            future.cancel()


async def test_cancel_before_the_first_report() -> None:
    ls = FakeServer()
    reporter = await ProgressReporter.open(ls, "early")
    assert reporter is not None
    ls.client_cancels("early")
    assert reporter.cancel_requested
    calls: list[str] = []
    reporter.on_cancel(lambda: calls.append("cancel"))
    assert calls == ["cancel"]
    # `begin` reuses the token's future: the cancel is not forgotten.
    reporter("Resolving target", None, 5)
    assert ls.work_done_progress.tokens["early"].cancelled()


async def test_cancel_between_reports_runs_right_away() -> None:
    ls = FakeServer()
    reporter = await ProgressReporter.open(ls, "between")
    assert reporter is not None
    calls: list[str] = []
    reporter.on_cancel(lambda: calls.append("cancel"))
    reporter("Resolving target", None, 5)
    reporter("Creating agent", "ns/agent", 25)
    ls.client_cancels("between")
    assert calls == ["cancel"]
    ls.client_cancels("between")
    assert calls == ["cancel"]


async def test_end_forgets_the_token_even_before_a_report() -> None:
    ls = FakeServer()
    reporter = await ProgressReporter.open(ls, "unused")
    assert reporter is not None
    reporter.end("failed")
    assert "unused" not in ls.work_done_progress.tokens
    assert ls.protocol.sent == []  # no `end` for a progress that never began
    again = await ProgressReporter.open(ls, "unused")
    assert again is not None and not again.cancel_requested
    again("Resolving target", None, 5)
    again.end("session ready")
    kinds = [type(params.value).__name__ for _, params in ls.protocol.sent]
    assert kinds == [types.WorkDoneProgressBegin.__name__, types.WorkDoneProgressEnd.__name__]
