"""Fuzzing the config path through the real server over stdio.

Generated configs (hypothesis), byte-level mutations of real and generated
configs, and extreme documents, in JSON, TOML and YAML. Every document must get
a publishDiagnostics for its version within 1 s, with no internal error, no
error response, no pop-up and no traceback in the log.

`MIRRORD_FUZZ_SCALE=10` runs ten times as many inputs. The long session
(marked slow) always runs twenty times the mutations through one server, where
state kept per message would show as growing pauses.
"""

from __future__ import annotations

import gc
import itertools
import os
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.rpc import RawClient, server_env, spawn_initialized

from . import fuzzgen
from .support import LoopThread, percentile, report_line

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

SCALE = max(1, int(os.environ.get("MIRRORD_FUZZ_SCALE", "1")))
GENERATED = 200 * SCALE
MUTATIONS = 1500 * SCALE
LONG_SESSION = 1500 * 20
DEADLINE = 1.0
NAMES = {
    "json": ["mirrord.json", "app.mirrord.json", ".mirrord/dev.json"],
    "toml": ["mirrord.toml", "app.mirrord.toml", ".mirrord/dev.toml"],
    "yaml": ["mirrord.yaml", "app.mirrord.yml", ".mirrord/dev.yaml"],
}
LANGUAGES = {"json": "json", "toml": "toml", "yaml": "yaml"}


@dataclass
class FuzzServer:
    loop: LoopThread
    client: RawClient
    root: Path
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    latencies: list[float] = field(default_factory=list)
    tried: dict[str, int] = field(default_factory=dict)
    slowest: tuple[float, str] = (0.0, "")

    def check(self, kind: str, fmt: str, text: str) -> None:
        """Open `text` as a config document; assert on its diagnostics."""
        self.sweep()
        n = next(self.counter)
        name = NAMES[fmt][n % len(NAMES[fmt])]
        uri = (self.root / f"doc{n}" / name).as_uri()
        elapsed, diagnostics = self.loop.run(self._round_trip(uri, fmt, text))
        self.tried[kind] = self.tried.get(kind, 0) + 1
        self.latencies.append(elapsed)
        if elapsed > self.slowest[0]:
            self.slowest = (elapsed, f"{kind}/{fmt} {len(text)} chars")
        sample = repr(text[:200])
        assert elapsed <= DEADLINE, f"diagnostics took {elapsed:.3f}s for {kind} {fmt}: {sample}"
        codes = [d.get("code") for d in diagnostics]
        assert "internal-error" not in codes, f"internal error on {kind} {fmt}: {sample}"
        for d in diagnostics:
            assert d.get("source") == "mirrord" and isinstance(d.get("message"), str)

    async def _round_trip(self, uri: str, fmt: str, text: str) -> tuple[float, list[Any]]:
        sent = time.perf_counter()
        self.client.open(uri, text, version=1, language=LANGUAGES[fmt])
        got = await self.client.diagnostics(uri, 1, timeout=DEADLINE + 9)
        self.client.close_document(uri)
        params = got.message["params"]
        return got.at - sent, list(params.get("diagnostics") or [])

    def sweep(self) -> None:
        """Check what the server sent for earlier documents, then let it go. A
        client that kept every message of a long session would stop for its own
        garbage collection (over a second at 20x) in the middle of a measurement."""
        self.assert_clean()
        self.client.received.clear()
        self.client._published.clear()

    def assert_clean(self) -> None:
        """Nothing went wrong on the server's side, whatever the inputs."""
        assert self.client.proc.returncode is None, "the server exited"
        errors = [r.message for r in self.client.received if "error" in r.message]
        assert errors == []
        assert self.client.notifications("window/showMessage") == []
        logged = self.client.notifications("window/logMessage")
        assert [m for m in logged if (m.get("params") or {}).get("type") == 1] == []
        stderr = self.client.stderr.decode("utf-8", "replace")
        for marker in ("Traceback", "internal error", "analysis failed", "Error in server"):
            assert marker not in stderr, stderr[-3000:]


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzServer]:
    root = tmp_path_factory.mktemp("fuzz")
    loop = LoopThread()
    client = loop.run(spawn_initialized(server_env(None), root))
    server = FuzzServer(loop, client, root)
    # What the test process itself holds (pytest, hypothesis, the modules) is
    # left out of its garbage collections: their pauses would count as latency.
    gc.collect()
    gc.freeze()
    # The first document loads the parsers and the config model: timed apart.
    warm = (root / "warm-up" / "mirrord.json").as_uri()
    cold, _ = loop.run(server._round_trip(warm, "json", '{"target": "targetless"}'))
    assert cold < 10, f"first diagnostics took {cold:.1f}s"
    started = time.monotonic()
    try:
        yield server
        server.assert_clean()
    finally:
        gc.unfreeze()
        loop.run(client.close())
        loop.stop()
        total = sum(server.tried.values())
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(server.tried.items()))
        report_line(
            f"fuzz: first document after start {cold * 1e3:.0f} ms; "
            f"{total} config documents tried ({kinds}) in "
            f"{time.monotonic() - started:.1f}s; diagnostics p50 "
            f"{percentile(server.latencies, 0.5) * 1e3:.1f} ms, p99 "
            f"{percentile(server.latencies, 0.99) * 1e3:.1f} ms, max "
            f"{server.slowest[0] * 1e3:.0f} ms ({server.slowest[1]})"
        )


@settings(
    max_examples=GENERATED,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
@given(value=fuzzgen.config_documents(), fmt=st.sampled_from(fuzzgen.FORMATS))
def test_generated_configs(fuzz: FuzzServer, value: dict[str, Any], fmt: str) -> None:
    fuzz.check("generated", fmt, fuzzgen.WRITERS[fmt](value))


@settings(max_examples=GENERATED // 3, deadline=None, database=None)
@given(text=st.text(max_size=400), fmt=st.sampled_from(fuzzgen.FORMATS))
def test_arbitrary_text(fuzz: FuzzServer, text: str, fmt: str) -> None:
    fuzz.check("text", fmt, text)


def test_mutated_configs(fuzz: FuzzServer) -> None:
    """Byte-level mutations of mirrord's own configs (when present) and of
    configs written here in every format."""
    seeds = fuzzgen.reference_seeds() + fuzzgen.own_seeds()
    corpus = [data for _, data in seeds]
    rng = random.Random(int(os.environ.get("MIRRORD_FUZZ_SEED", "6")))
    for _ in range(MUTATIONS):
        fmt, data = rng.choice(seeds)
        mutated = fuzzgen.mutate(data, rng, corpus)
        fuzz.check("mutated", fmt, fuzzgen.decode(mutated, rng))


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_mutated_configs_long_session(fuzz: FuzzServer) -> None:
    """Twenty times the mutation run, one document after another on the same
    server: every one still within the deadline."""
    seeds = fuzzgen.reference_seeds() + fuzzgen.own_seeds()
    corpus = [data for _, data in seeds]
    rng = random.Random(int(os.environ.get("MIRRORD_FUZZ_SEED", "6")) + 20)
    for _ in range(max(LONG_SESSION, MUTATIONS)):
        fmt, data = rng.choice(seeds)
        mutated = fuzzgen.mutate(data, rng, corpus)
        fuzz.check("long session", fmt, fuzzgen.decode(mutated, rng))


def test_reference_configs_mutated_when_present(fuzz: FuzzServer) -> None:
    seeds = fuzzgen.reference_seeds()
    if not seeds:
        pytest.skip(f"no reference configs at {fuzzgen.REFERENCE}")
    rng = random.Random(7)
    corpus = [data for _, data in seeds]
    for fmt, data in seeds:
        fuzz.check("reference", fmt, data.decode("utf-8"))
        # The same config written as YAML and as TOML too, mutated.
        fuzz.check("mutated", fmt, fuzzgen.decode(fuzzgen.mutate(data, rng, corpus), rng))


@pytest.mark.parametrize(
    "name,fmt,text", list(fuzzgen.extreme_documents()), ids=lambda v: str(v)[:24]
)
def test_extreme_documents(fuzz: FuzzServer, name: str, fmt: str, text: str) -> None:
    fuzz.check("extreme", fmt, text)


def test_invalid_utf8_on_the_wire(fuzz: FuzzServer) -> None:
    """A frame whose body is not UTF-8 at all: the server answers it with a
    parse error (id null), skips a header with a bogus length, and keeps serving."""
    uri = (fuzz.root / "raw" / "mirrord.json").as_uri()
    body = (
        b'{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": '
        b'{"uri": "' + uri.encode() + b'", "languageId": "json", "version": 1, '
        b'"text": "{\\"target\\": \\"\xff\xfe\xc3(\\"}"}}}'
    )
    fuzz.sweep()
    before = len(fuzz.client.stderr)
    received = len(fuzz.client.received)
    fuzz.client.write_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    # A header with a bogus length, then a well-formed document.
    fuzz.client.write_raw(b"Content-Length: nope\r\n\r\n")
    good = (fuzz.root / "raw" / "good" / "mirrord.json").as_uri()
    elapsed, _ = fuzz.loop.run(fuzz._round_trip(good, "json", '{"target": "targetless"}'))
    assert elapsed <= DEADLINE
    answers = [r.message for r in fuzz.client.received[received:] if "method" not in r.message]
    assert answers == [
        {
            "jsonrpc": "2.0",
            "id": None,
            "error": {"code": -32700, "message": "Parse error: the body is not UTF-8"},
        }
    ]
    fuzz.client.received[received:] = [
        r for r in fuzz.client.received[received:] if "method" in r.message
    ]
    # The undecodable frame and the skipped bytes are logged, without a stack.
    logged = fuzz.client.stderr[before:].decode("utf-8", "replace")
    assert "not valid UTF-8" in logged
    assert "Traceback" not in logged
    del fuzz.client.stderr[before:]
