"""Listings kept on disk: where they live, what they hold, and that a damaged,
foreign or half-written file is ignored, never fatal."""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

from mirrord_ide.cluster.kubeconfig import ContextIdentity, KubeSettings, context_identity
from mirrord_ide.cluster.service import TargetListing
from mirrord_ide.cluster.snapshot import (
    SnapshotKey,
    SnapshotStore,
    cache_root,
    decode_listing,
    mark_stale,
    rules_fingerprint,
)
from mirrord_ide.cluster.targets import Target, TargetRules

IDENTITY = ContextIdentity("prod", "https://10.0.0.1:6443", "alice", "shop")
KEY = SnapshotKey(IDENTITY, "shop")
RULES = rules_fingerprint(TargetRules.none())


def listing_body() -> bytes:
    targets = [
        Target("deployment/api", "deployment", "api", "shop", "api", True),
        Target("pod/api-1", "pod", "api-1", "shop", "api", False, "CrashLoopBackOff"),
    ]
    return TargetListing("shop", targets, warnings=["jobs hidden: forbidden"]).encoded()


def store_file(store: SnapshotStore) -> Path:
    return store.path(KEY)


def test_cache_folder_follows_xdg(tmp_path: Path) -> None:
    assert cache_root({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "mirrord-ide" / "targets"
    # A relative XDG_CACHE_HOME is ignored, as the XDG spec says.
    assert cache_root({"XDG_CACHE_HOME": "rel"}) == Path.home() / ".cache/mirrord-ide/targets"
    assert cache_root({}) == Path.home() / ".cache" / "mirrord-ide" / "targets"


def test_round_trip_and_stale_marking(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "targets")
    body = listing_body()
    assert store.load(KEY, RULES) is None
    assert store.save(KEY, RULES, body)
    stored = store.load(KEY, RULES)
    assert stored is not None and stored.body == body
    marked = orjson.loads(mark_stale(stored.body))
    assert marked["stale"] is True and marked["targets"][1]["reason"] == "CrashLoopBackOff"
    kept = decode_listing(stored.body)
    assert kept is not None
    assert [t.path for t in kept.targets] == ["deployment/api", "pod/api-1"]
    assert kept.targets[1].available is False and kept.warnings == ["jobs hidden: forbidden"]
    mode = store_file(store).stat().st_mode & 0o777
    assert mode == 0o600


def test_the_file_names_the_context_but_holds_no_secret(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    store.save(KEY, RULES, listing_body())
    header = orjson.loads(store_file(store).read_bytes().split(b"\n", 1)[0])
    assert header["format"] == "mirrord-ide/targets" and header["version"] == 1
    assert (header["context"], header["server"], header["user"], header["scope"]) == (
        "prod",
        "https://10.0.0.1:6443",
        "alice",
        "shop",
    )
    assert set(header) == {
        "format",
        "version",
        "context",
        "server",
        "user",
        "scope",
        "rules",
        "savedAt",
        "length",
        "crc32",
    }


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # cut short
        lambda data: data[:-3] + b"xyz",  # body changed: the CRC does not match
        lambda data: b"",  # empty
        lambda data: b"\x00\xff" * 100,  # binary noise
        lambda data: b"not json\n" + data.split(b"\n", 1)[1],  # bad header
        lambda data: data.split(b"\n", 1)[1],  # no header at all
    ],
)
def test_a_damaged_file_is_ignored(tmp_path: Path, damage: object) -> None:
    store = SnapshotStore(tmp_path)
    store.save(KEY, RULES, listing_body())
    path = store_file(store)
    path.write_bytes(damage(path.read_bytes()))  # type: ignore[operator]
    assert store.load(KEY, RULES) is None
    # And the next save replaces it.
    assert store.save(KEY, RULES, listing_body())
    assert store.load(KEY, RULES) is not None


def rewrite_header(path: Path, **changes: object) -> None:
    header, body = path.read_bytes().split(b"\n", 1)
    fields = orjson.loads(header) | changes
    path.write_bytes(orjson.dumps(fields) + b"\n" + body)


@pytest.mark.parametrize(
    "changes",
    [
        {"version": 2},
        {"format": "someone-else/targets"},
        {"context": "staging"},
        {"server": "https://other:6443"},
        {"user": "bob"},
        {"scope": None},
        {"rules": "0" * 16},
    ],
)
def test_a_foreign_file_is_ignored(tmp_path: Path, changes: dict[str, object]) -> None:
    store = SnapshotStore(tmp_path)
    store.save(KEY, RULES, listing_body())
    rewrite_header(store_file(store), **changes)
    assert store.load(KEY, RULES) is None


def test_other_rules_and_scopes_do_not_match(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path)
    store.save(KEY, RULES, listing_body())
    operator_on = rules_fingerprint(TargetRules.from_config({"operator": True}))
    assert operator_on != RULES
    assert store.load(KEY, operator_on) is None
    assert store.load(SnapshotKey(IDENTITY, None), RULES) is None  # all namespaces
    other_user = SnapshotKey(ContextIdentity("prod", IDENTITY.server, "bob", "shop"), "shop")
    assert store.load(other_user, RULES) is None


def test_writes_are_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = SnapshotStore(tmp_path)
    store.save(KEY, RULES, listing_body())
    before = store_file(store).read_bytes()

    def crash(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    assert store.save(KEY, RULES, b'{"namespace":"shop","targets":[]}') is False
    monkeypatch.undo()
    # The old listing is intact and no temporary file is left behind.
    assert store_file(store).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [store_file(store).name]


def test_an_unwritable_folder_is_not_fatal(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    store = SnapshotStore(blocker / "targets")
    assert store.save(KEY, RULES, listing_body()) is False
    assert store.load(KEY, RULES) is None


def test_the_folder_keeps_a_bounded_number_of_files(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path, max_files=3)
    for i in range(6):
        key = SnapshotKey(IDENTITY, f"ns-{i}")
        store.save(key, RULES, listing_body())
        os.utime(store.path(key), (1000 + i, 1000 + i))
    assert len(list(tmp_path.iterdir())) == 3
    assert store.load(SnapshotKey(IDENTITY, "ns-5"), RULES) is not None
    assert store.load(SnapshotKey(IDENTITY, "ns-0"), RULES) is None


def test_decode_listing_refuses_what_is_not_a_listing() -> None:
    assert decode_listing(b'{"namespace": 1}') is None
    assert decode_listing(b"[]") is None


def test_context_identity_reads_names_only(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(
        "apiVersion: v1\n"
        "clusters: [{name: c, cluster: {server: 'https://k:6443'}}]\n"
        "users: [{name: u, user: {token: s3cr3t, exec: {command: /nonexistent}}}]\n"
        "contexts: [{name: ctx, context: {cluster: c, user: u, namespace: shop}},\n"
        "           {name: other, context: {cluster: c, user: u}}]\n"
        "current-context: ctx\n"
    )
    found = context_identity(KubeSettings(kubeconfig=str(kubeconfig)))
    assert found == ContextIdentity("ctx", "https://k:6443", "u", "shop")
    other = context_identity(KubeSettings(kubeconfig=str(kubeconfig), context="other"))
    assert other.namespace == "default"
    assert "s3cr3t" not in repr(found)


@pytest.mark.parametrize("count", [0, 5, 2048, 2049, 6000])
def test_listing_bytes_are_its_json(count: int) -> None:
    targets = [
        Target(f"pod/p-{i}", "pod", f"p-{i}", f"ns-{i % 3}", "app", i % 2 == 0, None)
        if i % 2 == 0
        else Target(f"pod/p-{i}", "pod", f"p-{i}", f"ns-{i % 3}", "app", False, "Pending")
        for i in range(count)
    ]
    listing = TargetListing("ns-0", targets, {"job": "forbidden"}, ["w"], all_namespaces=True)
    assert listing.encoded() == orjson.dumps(listing.to_json())
