"""Per-user authorization from the seed: bearer tokens and allow-rules.

A rule allows `verbs` × `resources` × `namespaces`; `*` matches anything. A rule without
`namespaces` (or with `*`) also covers cluster-scoped requests and lists across all
namespaces; a rule naming namespaces covers only requests inside those namespaces.
Resources may name subresources (`pods/portforward`, `pods/log`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Rule:
    verbs: frozenset[str]
    resources: frozenset[str]
    namespaces: frozenset[str] | None  # None: every namespace and the cluster scope

    def allows(self, verb: str, resource: str, namespace: str | None) -> bool:
        if "*" not in self.verbs and verb not in self.verbs:
            return False
        if "*" not in self.resources and resource not in self.resources:
            return False
        if self.namespaces is None or "*" in self.namespaces:
            return True
        return namespace is not None and namespace in self.namespaces


@dataclass(frozen=True)
class User:
    name: str
    token: str
    rules: tuple[Rule, ...] = ()
    expired: bool = False
    groups: tuple[str, ...] = field(default=())

    def can(self, verb: str, resource: str, namespace: str | None) -> bool:
        return any(rule.allows(verb, resource, namespace) for rule in self.rules)


ADMIN_RULE = Rule(frozenset({"*"}), frozenset({"*"}), None)


def _names(value: Any, what: str) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset({value})
    if isinstance(value, Iterable) and all(isinstance(v, str) for v in value):
        return frozenset(value)
    raise ValueError(f"{what} must be a string or a list of strings, got {value!r}")


def parse_rule(raw: Mapping[str, Any]) -> Rule:
    unknown = set(raw) - {"verbs", "resources", "namespaces"}
    if unknown:
        raise ValueError(f"unknown rule keys: {sorted(unknown)}")
    namespaces = raw.get("namespaces")
    return Rule(
        verbs=_names(raw.get("verbs", ["*"]), "verbs"),
        resources=_names(raw.get("resources", ["*"]), "resources"),
        namespaces=None if namespaces is None else _names(namespaces, "namespaces"),
    )


def parse_user(raw: Mapping[str, Any]) -> User:
    if "name" not in raw:
        raise ValueError(f"user without a name: {dict(raw)!r}")
    name = str(raw["name"])
    rules = raw.get("rules")
    parsed = (
        (ADMIN_RULE,)
        if rules == "admin" or raw.get("admin")
        else tuple(parse_rule(r) for r in rules or [])
    )
    return User(
        name=name,
        token=str(raw.get("token") or f"{name}-token"),
        rules=parsed,
        expired=bool(raw.get("expired", False)),
    )


class Authorizer:
    def __init__(self, users: Iterable[User]):
        self._by_token = {u.token: u for u in users}
        self._by_name = {u.name: u for u in self._by_token.values()}

    def authenticate(self, authorization: str | None) -> User | None:
        """The user behind an `Authorization: Bearer …` header, or None (401)."""
        if not authorization or not authorization.startswith("Bearer "):
            return None
        user = self._by_token.get(authorization[len("Bearer ") :].strip())
        if user is None or user.expired:
            return None
        return user

    def user(self, name: str) -> User | None:
        return self._by_name.get(name)

    @property
    def users(self) -> list[User]:
        return list(self._by_name.values())
