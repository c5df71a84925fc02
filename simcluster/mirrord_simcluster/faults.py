"""Fault injection, settable at run time from any thread.

Each `FaultRule` applies to requests matching its resource and verb (None = any): added
latency, a share of 500 responses, a share of connection resets, watch streams cut after
some seconds, or watches answered with 410 Gone. `times` bounds how often a rule fires.
Scheduler faults: images whose pull fails and a cluster where nothing schedules.
Random choices come from one `random.Random(seed)`, so a seeded run is reproducible.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field


@dataclass
class FaultRule:
    resource: str | None = None
    verb: str | None = None
    latency: float = 0.0
    error_rate: float = 0.0
    reset_rate: float = 0.0
    drop_watch_after: float | None = None
    gone: bool = False
    times: int | None = None

    def matches(self, resource: str | None, verb: str) -> bool:
        return (self.resource is None or self.resource == resource) and (
            self.verb is None or self.verb == verb
        )


@dataclass
class Decision:
    latency: float = 0.0
    error: bool = False
    reset: bool = False
    drop_watch_after: float | None = None
    gone: bool = False


@dataclass
class Faults:
    seed: int | None = None
    rules: list[FaultRule] = field(default_factory=list)
    # Image substrings whose pull fails (ErrImagePull, then ImagePullBackOff).
    pull_error_images: set[str] = field(default_factory=lambda: {"does-not-exist"})
    # When set, no pod gets scheduled: they stay Pending with PodScheduled=False.
    unschedulable: bool = False

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(self.seed)

    def add(self, **kwargs: object) -> FaultRule:
        rule = FaultRule(**kwargs)  # type: ignore[arg-type]
        with self._lock:
            self.rules.append(rule)
        return rule

    def remove(self, rule: FaultRule) -> None:
        with self._lock:
            if rule in self.rules:
                self.rules.remove(rule)

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self.unschedulable = False
            self.pull_error_images = {"does-not-exist"}

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self._rng = random.Random(seed)

    def decide(self, resource: str | None, verb: str) -> Decision:
        decision = Decision()
        with self._lock:
            for rule in list(self.rules):
                if not rule.matches(resource, verb):
                    continue
                fired = False
                if rule.latency:
                    decision.latency += rule.latency
                    fired = True
                if rule.error_rate and self._rng.random() < rule.error_rate:
                    decision.error = fired = True
                if rule.reset_rate and self._rng.random() < rule.reset_rate:
                    decision.reset = fired = True
                if verb == "watch" and rule.drop_watch_after is not None:
                    decision.drop_watch_after = rule.drop_watch_after
                    fired = True
                if verb == "watch" and rule.gone:
                    decision.gone = fired = True
                if fired and rule.times is not None:
                    rule.times -= 1
                    if rule.times <= 0:
                        self.rules.remove(rule)
        return decision

    def pull_fails(self, image: str) -> bool:
        with self._lock:
            return any(pattern in image for pattern in self.pull_error_images)
