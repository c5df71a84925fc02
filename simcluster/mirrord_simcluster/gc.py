"""Deletion with dependents: the garbage collector's propagation policies, applied at once.

`Background`/`Foreground` delete every object whose ownerReferences point at the deleted
one (recursively); `Orphan` strips those ownerReferences instead. Namespaces take every
object inside them along.
"""

from __future__ import annotations

from mirrord_simcluster.resources import BY_PLURAL, CATALOG
from mirrord_simcluster.store import Obj, Store

POLICIES = ("Background", "Foreground", "Orphan")


def default_policy(resource: str) -> str:
    # batch/v1 Jobs keep their pods unless asked otherwise, as upstream does.
    return "Orphan" if resource == "jobs" else "Background"


def _dependents(store: Store, uid: str, namespace: str) -> list[tuple[str, Obj]]:
    found: list[tuple[str, Obj]] = []
    for res in CATALOG:
        if not res.namespaced:
            continue
        for obj in store.snapshot(res.plural, namespace)[1]:
            refs = obj["metadata"].get("ownerReferences") or ()
            if any(ref.get("uid") == uid for ref in refs):
                found.append((res.plural, obj))
    return found


def delete_with_dependents(
    store: Store, resource: str, namespace: str | None, name: str, policy: str
) -> Obj | None:
    obj = store.get_ref(resource, namespace, name)
    if obj is None:
        return None
    uid = obj["metadata"]["uid"]
    if resource == "namespaces":
        for res in CATALOG:
            if res.namespaced:
                for child in store.snapshot(res.plural, name)[1]:
                    store.delete(res.plural, name, child["metadata"]["name"])
        return store.delete(resource, None, name)
    ns = namespace or ""
    if BY_PLURAL[resource].namespaced:
        for dep_resource, dep in _dependents(store, uid, ns):
            dep_name = dep["metadata"]["name"]
            if policy == "Orphan":

                def strip(o: Obj, uid: str = uid) -> None:
                    refs = [
                        r for r in o["metadata"].get("ownerReferences", []) if r.get("uid") != uid
                    ]
                    if refs:
                        o["metadata"]["ownerReferences"] = refs
                    else:
                        o["metadata"].pop("ownerReferences", None)

                store.update(dep_resource, ns, dep_name, strip)
            else:
                delete_with_dependents(store, dep_resource, ns, dep_name, policy)
    return store.delete(resource, namespace, name)
