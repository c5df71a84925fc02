"""Watches through the official client: events, selectors, bookmarks, 410 Gone, timeouts."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from kubernetes import client, watch

from mirrord_simcluster.testing import SimCluster
from simcluster.helpers import core, pod_manifest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]


def collect(func: Any, stop_after: int, **kwargs: Any) -> list[dict[str, Any]]:
    w = watch.Watch()
    events = []
    for event in w.stream(func, **kwargs):
        events.append(event)
        if len(events) >= stop_after:
            w.stop()
    return events


def test_watch_from_list_version_sees_changes(sim_cluster: SimCluster) -> None:
    v1 = core(sim_cluster)
    rv = v1.list_namespaced_pod("default").metadata.resource_version
    results: list[dict[str, Any]] = []
    thread = threading.Thread(
        target=lambda: results.extend(
            collect(
                v1.list_namespaced_pod,
                2,
                namespace="default",
                resource_version=rv,
                timeout_seconds=10,
                label_selector="app=watched",
            )
        )
    )
    thread.start()
    time.sleep(0.3)
    sim_cluster.options.schedule_delay = 0.05
    v1.create_namespaced_pod("default", pod_manifest("watched"))
    v1.create_namespaced_pod("default", pod_manifest("unrelated"))  # filtered out
    thread.join(timeout=15)
    types = [(e["type"], e["object"].metadata.name) for e in results]
    assert types[0] == ("ADDED", "watched")
    assert ("MODIFIED", "watched") in types[1:]
    assert all(name == "watched" for _, name in types)
    assert int(results[-1]["object"].metadata.resource_version) > int(rv)


def test_watch_without_version_replays_current_state(sim_cluster: SimCluster) -> None:
    v1 = core(sim_cluster)
    expected = {p.metadata.name for p in v1.list_namespaced_pod("payments").items}
    events = collect(v1.list_namespaced_pod, len(expected), namespace="payments", timeout_seconds=5)
    assert {e["type"] for e in events} == {"ADDED"}
    assert {e["object"].metadata.name for e in events} == expected


def test_too_old_version_is_410(sim_cluster: SimCluster) -> None:
    v1 = core(sim_cluster)
    rv = v1.list_namespaced_pod("default").metadata.resource_version
    v1.create_namespaced_config_map("default", {"metadata": {"name": "bump"}})
    sim_cluster.store.compact()
    with pytest.raises(client.ApiException) as err:
        collect(
            v1.list_namespaced_pod, 1, namespace="default", resource_version=rv, timeout_seconds=5
        )
    assert err.value.status == 410
    assert "too old resource version" in str(err.value.reason)


def test_raw_410_event_body(sim_cluster: SimCluster) -> None:
    v1 = core(sim_cluster)
    sim_cluster.store.compact()
    response = v1.list_namespaced_pod(
        "default", watch=True, resource_version="1", _preload_content=False
    )
    import json

    (line,) = [json.loads(line) for line in response.data.splitlines() if line.strip()]
    assert line["type"] == "ERROR"
    assert line["object"]["code"] == 410 and line["object"]["reason"] == "Expired"
    assert line["object"]["kind"] == "Status"


def test_bookmarks(sim_cluster: SimCluster) -> None:
    sim_cluster.options.bookmark_interval = 0.2
    v1 = core(sim_cluster)
    rv = v1.list_namespaced_pod("default").metadata.resource_version
    response = v1.list_namespaced_pod(
        "default",
        watch=True,
        resource_version=rv,
        allow_watch_bookmarks=True,
        timeout_seconds=1,
        _preload_content=False,
    )
    import json

    lines = [json.loads(line) for line in response.data.splitlines() if line.strip()]
    bookmarks = [line for line in lines if line["type"] == "BOOKMARK"]
    assert len(bookmarks) >= 2
    assert bookmarks[0]["object"]["kind"] == "Pod"
    assert int(bookmarks[0]["object"]["metadata"]["resourceVersion"]) >= int(rv)


def test_timeout_seconds_ends_the_stream(sim_cluster: SimCluster) -> None:
    v1 = core(sim_cluster)
    rv = v1.list_namespaced_pod("default").metadata.resource_version
    started = time.monotonic()
    response = v1.list_namespaced_pod(
        "default", watch=True, resource_version=rv, timeout_seconds=1, _preload_content=False
    )
    assert response.data == b""
    assert 0.9 < time.monotonic() - started < 5


def test_deleted_event(sim_cluster: SimCluster) -> None:
    v1 = core(sim_cluster)
    rv = v1.list_namespaced_pod("default").metadata.resource_version
    name = v1.list_namespaced_pod("default").items[0].metadata.name
    v1.delete_namespaced_pod(name, "default")
    events = collect(
        v1.list_namespaced_pod, 1, namespace="default", resource_version=rv, timeout_seconds=5
    )
    assert (events[0]["type"], events[0]["object"].metadata.name) == ("DELETED", name)
