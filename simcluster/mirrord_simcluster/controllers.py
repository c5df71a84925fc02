"""Controllers: the scheduler/kubelet, the Job controller and the Deployment controller.

They react to store events on the server's event loop:
- a newly created pod (no conditions yet) is placed on a node and, after
  `options.schedule_delay`, reported Running with container ids, ready conditions and an IP;
  or it fails: images matching `faults.pull_error_images` go ErrImagePull, then
  ImagePullBackOff; a nodeSelector no node satisfies, or `faults.unschedulable`, leaves it
  Pending with PodScheduled=False/Unschedulable; a `nodeName` naming no node leaves it
  Pending untouched, as a kubelet that never comes would.
- a created Job gets its pod (the Job's template plus `job-name`/`controller-uid` labels);
  the Job's status follows the pod, and `ttlSecondsAfterFinished` removes finished Jobs.
- a created Deployment gets a ReplicaSet and its pods; their statuses follow the pods.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Coroutine
from typing import Any

from mirrord_simcluster import gc
from mirrord_simcluster import objects as o
from mirrord_simcluster.selectors import match_labels_selector, parse_label_selector
from mirrord_simcluster.state import ClusterState
from mirrord_simcluster.status import ApiError
from mirrord_simcluster.store import Obj, WatchEvent, now_iso

log = logging.getLogger(__name__)


def _is_fresh_pod(pod: Obj) -> bool:
    status = pod.get("status") or {}
    return not status.get("conditions") and status.get("phase", "Pending") == "Pending"


def _controller_of(obj: Obj) -> dict[str, Any] | None:
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return dict(ref)
    return None


class Controllers:
    def __init__(self, state: ClusterState):
        self.state = state
        self._tasks: set[asyncio.Task[None]] = set()
        self._unsubscribe: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._spread = itertools.count()
        self._stopped = False

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        loop = self._loop

        def listener(event: WatchEvent) -> None:
            if event.resource in ("pods", "jobs", "deployments") and not loop.is_closed():
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    loop.call_soon_threadsafe(self._on_event, event)

        self._unsubscribe = self.state.store.subscribe(listener)

    async def stop(self) -> None:
        self._stopped = True
        if self._unsubscribe:
            self._unsubscribe()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        if self._stopped:  # an event that was already on its way when the server stopped
            coro.close()
            return
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            if not isinstance(exc, ApiError):  # the object went away meanwhile: fine
                log.error("simulated controller failed", exc_info=exc)

    def _on_event(self, event: WatchEvent) -> None:
        obj = event.obj
        if event.resource == "pods":
            if event.type == "ADDED" and _is_fresh_pod(obj):
                self._spawn(self._schedule(obj["metadata"]["namespace"], obj["metadata"]["name"]))
            elif event.type in ("MODIFIED", "DELETED"):
                self._pod_changed(obj)
        elif event.resource == "jobs" and event.type == "ADDED" and obj.get("status") == {}:
            self._spawn(self._start_job(obj))
        elif event.resource == "deployments" and event.type == "ADDED" and obj.get("status") == {}:
            self._roll_out(obj)

    # ---- scheduler and kubelet --------------------------------------------------------

    def _pick_node(self, pod: Obj) -> tuple[int, Obj] | str | None:
        """(index, node), or an Unschedulable message, or None (never scheduled)."""
        nodes = sorted(self.state.store.snapshot("nodes")[1], key=lambda n: n["metadata"]["name"])
        total = len(nodes)
        spec = pod.get("spec", {})
        if spec.get("nodeName"):
            for i, n in enumerate(nodes):
                if n["metadata"]["name"] == spec["nodeName"]:
                    return i + 1, n
            return None
        if self.state.faults.unschedulable:
            return (
                f"0/{total} nodes are available: {total} Insufficient cpu. preemption: "
                f"0/{total} nodes are available: {total} No preemption victims found for "
                "incoming pod."
            )
        wanted = spec.get("nodeSelector") or {}
        fits = [
            (i + 1, n)
            for i, n in enumerate(nodes)
            if not n.get("spec", {}).get("unschedulable")
            and all((n["metadata"].get("labels") or {}).get(k) == v for k, v in wanted.items())
        ]
        if not fits:
            return (
                f"0/{total} nodes are available: {total} node(s) didn't match Pod's node "
                f"affinity/selector. preemption: 0/{total} nodes are available: {total} "
                "Preemption is not helpful for scheduling."
            )
        return fits[next(self._spread) % len(fits)]

    async def _schedule(self, ns: str, name: str) -> None:
        store = self.state.store
        pod = store.get_ref("pods", ns, name)
        if pod is None:
            return
        choice = self._pick_node(pod)
        if choice is None:
            return
        if isinstance(choice, str):
            message = choice
            store.update(
                "pods",
                ns,
                name,
                lambda p: p.update(status=o.unschedulable_status(p, now_iso(), message)),
            )
            return
        index, node = choice
        node_name = node["metadata"]["name"]
        await asyncio.sleep(self.state.options.schedule_delay)
        pod = store.get_ref("pods", ns, name)
        if pod is None:
            return
        images = [c.get("image", "") for c in pod["spec"].get("containers", [])]
        failing = any(self.state.faults.pull_fails(image) for image in images)
        state = "imagepull" if failing else "running"

        def run(p: Obj, reason: str = "ErrImagePull") -> None:
            p["spec"]["nodeName"] = node_name
            p["status"] = o.pod_status(
                p, state, now_iso(), index, o.node_ip(node), pull_reason=reason
            )

        store.update("pods", ns, name, run)
        if failing:
            await asyncio.sleep(max(self.state.options.schedule_delay, 0.05))
            if store.get_ref("pods", ns, name) is not None:
                store.update("pods", ns, name, lambda p: run(p, "ImagePullBackOff"))

    # ---- owners follow their pods -----------------------------------------------------

    def _pod_changed(self, pod: Obj) -> None:
        owner = _controller_of(pod)
        if owner is None:
            return
        ns = pod["metadata"]["namespace"]
        if owner["kind"] == "Job":
            self._sync_job(ns, owner["name"])
        elif owner["kind"] == "ReplicaSet":
            self._sync_replica_set(ns, owner["name"])

    def _owned_pods(self, ns: str, owner_uid: str) -> list[Obj]:
        return [
            p
            for p in self.state.store.snapshot("pods", ns)[1]
            if any(r.get("uid") == owner_uid for r in p["metadata"].get("ownerReferences") or ())
        ]

    @staticmethod
    def _ready(pod: Obj) -> bool:
        return any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in pod.get("status", {}).get("conditions") or ()
        )

    def _sync_job(self, ns: str, name: str) -> None:
        store = self.state.store
        job = store.get_ref("jobs", ns, name)
        if job is None:
            return
        pods = self._owned_pods(ns, job["metadata"]["uid"])
        phases = [p.get("status", {}).get("phase") for p in pods]
        succeeded, failed = phases.count("Succeeded"), phases.count("Failed")
        active = len(pods) - succeeded - failed
        ready = sum(1 for p in pods if self._ready(p))

        def sync(j: Obj) -> None:
            status = j.setdefault("status", {})
            status.update(active=active, ready=ready, succeeded=succeeded, failed=failed)
            for key in ("active", "succeeded", "failed"):
                if not status[key]:
                    status.pop(key)
            at = now_iso()
            if succeeded and not status.get("conditions"):
                status["completionTime"] = at
                status["conditions"] = [
                    {
                        "type": "SuccessCriteriaMet",
                        "status": "True",
                        "reason": "CompletionsReached",
                        "lastTransitionTime": at,
                    },
                    {
                        "type": "Complete",
                        "status": "True",
                        "reason": "CompletionsReached",
                        "lastTransitionTime": at,
                    },
                ]
            elif failed > int(j["spec"].get("backoffLimit", 6)) and not status.get("conditions"):
                status["conditions"] = [
                    {
                        "type": "Failed",
                        "status": "True",
                        "reason": "BackoffLimitExceeded",
                        "message": "Job has reached the specified backoff limit",
                        "lastTransitionTime": at,
                    },
                ]

        updated = store.update("jobs", ns, name, sync)
        ttl = updated["spec"].get("ttlSecondsAfterFinished")
        if ttl is not None and updated["status"].get("conditions"):
            self._spawn(self._expire_job(ns, name, float(ttl)))

    async def _expire_job(self, ns: str, name: str, ttl: float) -> None:
        await asyncio.sleep(ttl)
        gc.delete_with_dependents(self.state.store, "jobs", ns, name, "Background")

    async def _start_job(self, job: Obj) -> None:
        meta = job["metadata"]
        ns = meta["namespace"]
        template = job["spec"]["template"]
        labels = o.job_labels(job)
        pod = o.new_pod(ns, "", template, job, labels)
        pod["metadata"]["generateName"] = f"{meta['name']}-"
        del pod["metadata"]["name"]
        self.state.store.create("pods", ns, pod)
        self.state.store.update(
            "jobs",
            ns,
            meta["name"],
            lambda j: j["status"].update(active=1, startTime=now_iso(), ready=0, terminating=0),
        )

    def _roll_out(self, dep: Obj) -> None:
        store = self.state.store
        ns = dep["metadata"]["namespace"]
        template_hash = o.safe_hash(f"{dep['metadata']['uid']}/template", 10)
        rs = store.create("replicasets", ns, o.replica_set(dep, template_hash))
        store.update(
            "deployments",
            ns,
            dep["metadata"]["name"],
            lambda d: d.update(
                status=o.workload_status("Deployment", int(d["spec"].get("replicas", 1)), 0)
            ),
        )
        for _ in range(int(dep["spec"].get("replicas", 1))):
            pod = o.new_pod(ns, "", rs["spec"]["template"], rs)
            del pod["metadata"]["name"]
            pod["metadata"]["generateName"] = f"{rs['metadata']['name']}-"
            store.create("pods", ns, pod)

    def _sync_replica_set(self, ns: str, name: str) -> None:
        store = self.state.store
        rs = store.get_ref("replicasets", ns, name)
        if rs is None:
            return
        selector = parse_label_selector(match_labels_selector(rs["spec"].get("selector")))
        pods = [
            p
            for p in store.snapshot("pods", ns)[1]
            if selector is None or selector(p["metadata"].get("labels") or {})
        ]
        ready = sum(1 for p in pods if self._ready(p))
        replicas = int(rs["spec"].get("replicas", 1))
        store.update(
            "replicasets",
            ns,
            name,
            lambda r: r.update(status=o.workload_status("ReplicaSet", replicas, ready)),
        )
        owner = _controller_of(rs)
        if (
            owner
            and owner["kind"] == "Deployment"
            and store.get_ref("deployments", ns, owner["name"])
        ):
            store.update(
                "deployments",
                ns,
                owner["name"],
                lambda d: d.update(status=o.workload_status("Deployment", replicas, ready)),
            )
