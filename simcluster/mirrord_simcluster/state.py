"""Everything one simulated cluster holds: store, users, faults, options, request log."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from mirrord_simcluster.encoding import EncodedCache
from mirrord_simcluster.faults import Faults
from mirrord_simcluster.rbac import Authorizer
from mirrord_simcluster.reqlog import RequestLog
from mirrord_simcluster.seed import Seed, SeedInput, apply_seed, load_seed
from mirrord_simcluster.store import Store

if TYPE_CHECKING:
    from mirrord_simcluster.agent import AgentSupervisor


@dataclass
class Options:
    """Server behaviour; every field may be changed while the server runs."""

    schedule_delay: float = 0.3  # seconds from pod creation to Running
    bookmark_interval: float = 1.0  # seconds between BOOKMARK events on watches
    default_watch_timeout: float = 1800.0  # seconds, when the client sends no timeoutSeconds
    history_limit: int = 5000  # events a watch may resume from
    agent_version: str = "3.250.0"  # reported by simulated agents when the tag is no version
    fault_seed: int | None = None
    # seconds between requests of the seed's traffic sources (None: each source's own; 0: off)
    traffic_interval: float | None = None
    agent_exec: str | None = None  # command of an external agent run for each agent pod

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> Options:
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown simulated-cluster options: {sorted(unknown)}")
        return cls(**values)


@dataclass
class ClusterState:
    seed: Seed
    options: Options
    store: Store
    authorizer: Authorizer
    faults: Faults
    requests: RequestLog = field(default_factory=RequestLog)
    encoded: EncodedCache = field(default_factory=EncodedCache)
    lock: threading.Lock = field(default_factory=threading.Lock)
    agents: AgentSupervisor | None = None  # set while the server runs


def build_state(seed: SeedInput = None, **options: Any) -> ClusterState:
    loaded = load_seed(seed)
    opts = Options.from_mapping(loaded.options | options)
    store = Store(history_limit=opts.history_limit)
    apply_seed(store, loaded)
    return ClusterState(
        seed=loaded,
        options=opts,
        store=store,
        authorizer=Authorizer(loaded.users),
        faults=Faults(seed=opts.fault_seed),
    )
