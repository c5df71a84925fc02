"""A thread-safe log of the API requests the server answered (for tests and benchmarks)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query: str
    user: str | None
    status: int
    at: float


class RequestLog:
    def __init__(self, limit: int = 100_000):
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []
        self._limit = limit
        self._total = 0

    def add(self, method: str, path: str, query: str, user: str | None, status: int) -> None:
        with self._lock:
            self._total += 1
            if len(self._records) >= self._limit:
                del self._records[: self._limit // 10]
            self._records.append(RequestRecord(method, path, query, user, status, time.time()))

    def __len__(self) -> int:
        with self._lock:
            return self._total

    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def count(self, method: str | None = None, path_contains: str | None = None) -> int:
        return len(
            [
                r
                for r in self.records()
                if (method is None or r.method == method)
                and (path_contains is None or path_contains in r.path)
            ]
        )

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._total = 0
