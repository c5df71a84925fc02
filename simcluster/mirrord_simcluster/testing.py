"""Run a simulated cluster in a background thread: for tests, benchmarks and the demo.

with running_cluster() as cluster:             # the bundled demo seed
    os.environ["KUBECONFIG"] = str(cluster.kubeconfig_path)
    cluster.store.put("pods", "default", pod)  # change state at run time
    cluster.faults.add(resource="pods", verb="list", error_rate=1.0)
    cluster.options.schedule_delay = 0.05
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from mirrord_simcluster.faults import Faults
from mirrord_simcluster.kubeconfig import write_kubeconfig
from mirrord_simcluster.reqlog import RequestLog
from mirrord_simcluster.seed import SeedInput
from mirrord_simcluster.server import serve
from mirrord_simcluster.state import ClusterState, Options, build_state
from mirrord_simcluster.store import Store
from mirrord_simcluster.tls import make_server_cert

log = logging.getLogger(__name__)


class SimCluster:
    """A running simulated cluster. Stop it with `stop()` (idempotent)."""

    def __init__(
        self,
        state: ClusterState,
        host: str = "127.0.0.1",
        port: int = 0,
        workdir: Path | None = None,
        tls: bool = True,
    ):
        self.state = state
        self._owns_workdir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="simcluster-"))
        self.cert = make_server_cert() if tls else None
        self._ssl = self.cert.ssl_context(self.workdir) if self.cert else None
        self._loop = asyncio.new_event_loop()
        self._stop_event: asyncio.Event | None = None
        self._ready: Future[tuple[str, int]] = Future()
        self._thread = threading.Thread(
            target=self._run, args=(host, port), name="simcluster", daemon=True
        )
        self._thread.start()
        self.host, self.port = self._ready.result(timeout=30)
        scheme = "https" if self.cert else "http"
        self.url = f"{scheme}://{self.host}:{self.port}"
        self.kubeconfig_path = self.kubeconfig_for(state.seed.default_user)

    # ---- handles ---------------------------------------------------------------------------

    @property
    def store(self) -> Store:
        return self.state.store

    @property
    def faults(self) -> Faults:
        return self.state.faults

    @property
    def requests(self) -> RequestLog:
        return self.state.requests

    @property
    def options(self) -> Options:
        return self.state.options

    @property
    def default_namespace(self) -> str:
        return self.state.seed.default_namespace

    def token_for(self, user: str) -> str:
        found = self.state.authorizer.user(user)
        if found is None:
            known = ", ".join(u.name for u in self.state.authorizer.users)
            raise KeyError(f"no user {user!r} in the seed (known: {known})")
        return found.token

    def kubeconfig_for(self, user: str, namespace: str | None = None) -> Path:
        """A kubeconfig for `user` (current-context namespace: `namespace` or the seed's)."""
        ns = namespace or self.default_namespace
        path = self.workdir / f"kubeconfig-{user}-{ns}.yaml"
        return write_kubeconfig(path, self.url, user, self.token_for(user), ns, self.ca_pem)

    @property
    def ca_pem(self) -> bytes | None:
        """The server certificate (its own CA), or None when serving plain HTTP."""
        return self.cert.cert_pem if self.cert else None

    def send_traffic(self, namespace: str, pod: str, port: int, data: bytes) -> int:
        """A connection carrying `data` reaches `pod`'s `port`: the simulated agents targeting
        it mirror it to their subscribed clients. Returns how many clients got it."""

        async def inject() -> int:
            agents = self.state.agents
            if agents is None:
                raise RuntimeError("the simulated cluster is not running")
            return agents.inject(namespace, pod, port, [data])

        return asyncio.run_coroutine_threadsafe(inject(), self._loop).result(timeout=10)

    # ---- lifecycle -------------------------------------------------------------------------

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The server's event loop (closed once `stop()` returns)."""
        return self._loop

    def _run(self, host: str, port: int) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main(host, port))
        except BaseException as exc:  # surface start-up failures to the constructor
            if not self._ready.done():
                self._ready.set_exception(exc)
        finally:
            try:
                self._loop.run_until_complete(_finish_tasks())
                self._loop.run_until_complete(self._loop.shutdown_asyncgens())
                self._loop.run_until_complete(self._loop.shutdown_default_executor())
            finally:
                asyncio.set_event_loop(None)
                self._loop.close()

    async def _main(self, host: str, port: int) -> None:
        self._stop_event = asyncio.Event()
        async with serve(self.state, host, port, self._ssl) as bound:
            self._ready.set_result(bound)
            await self._stop_event.wait()

    def stop(self) -> None:
        if self._thread.is_alive() and self._stop_event is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                self._loop.call_soon_threadsafe(self._stop_event.set)
            self._thread.join(timeout=15)
        if self._owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> SimCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


async def _finish_tasks() -> None:
    """Cancel and await every task still on the loop (the HTTP server cancels handlers it
    gave up on without awaiting them), so closing the loop destroys nothing pending."""
    current = asyncio.current_task()
    for _ in range(5):  # a cancelled task may start another one while it unwinds
        tasks = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
        if not tasks:
            return
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks, timeout=2.0)
    for task in asyncio.all_tasks():
        if task is not current and not task.done():
            log.warning("simulated cluster: task still running at shutdown: %r", task)


@contextlib.contextmanager
def running_cluster(
    seed: SeedInput = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    tls: bool = True,
    **options: Any,
) -> Iterator[SimCluster]:
    """A simulated cluster on loopback for the duration of the `with` block.

    `seed`: a path, YAML text, a dict, or None for the demo app. `options`: fields of
    `Options` (e.g. `schedule_delay=0.05`), overriding the seed's. `tls=False` serves plain
    HTTP (kubectl then sends no token, so only token-less clients work).
    """
    cluster = SimCluster(build_state(seed, **options), host, port, tls=tls)
    try:
        yield cluster
    finally:
        cluster.stop()


def agent_objects(cluster: SimCluster) -> list[str]:
    """Every agent Job and pod (label app=mirrord), as `kind/namespace/name`."""
    found = []
    for kind in ("jobs", "pods"):
        for obj in cluster.store.list(kind):
            meta = obj["metadata"]
            if (meta.get("labels") or {}).get("app") == "mirrord":
                found.append(f"{kind}/{meta['namespace']}/{meta['name']}")
    return found


async def wait_no_agents(cluster: SimCluster, timeout: float = 3.0) -> list[str]:
    """Agents still present after `timeout` (pods go by garbage collection)."""
    deadline = time.monotonic() + timeout
    while (left := agent_objects(cluster)) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    return left
