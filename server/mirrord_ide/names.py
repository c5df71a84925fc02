"""Kubernetes object names, checked the way the API server checks them (pure).

Every name that reaches an API URL passes through here first, from whatever entry it
came: request params, config values, command-line flags, the environment. The rules
are Kubernetes' own (apimachinery `validation.IsDNS1123Label`, `IsDNS1123Subdomain`,
`IsDNS1035Label`):

- namespaces and container names: DNS-1123 labels (at most 63 characters of `a-z`,
  `0-9` and `-`, starting and ending with a letter or digit);
- services: DNS-1035 labels (the same, but starting with a letter);
- every other object (pods, deployments, rollouts, jobs, nodes...): DNS-1123
  subdomains (at most 253 characters: labels joined by `.`).

A rejected name is an `InvalidConfig` error whose message quotes the name and says
what is wrong with it in words a user can act on.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final, Literal

from mirrord_ide.errors import InvalidConfig

NameRule = Literal["label", "subdomain", "dns1035"]

LABEL_MAX: Final = 63
SUBDOMAIN_MAX: Final = 253
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1035 = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")

# The rule of each name a target path or a request can carry. Kinds not listed are
# DNS-1123 subdomains, as most Kubernetes objects are.
RULES: Final[dict[str, NameRule]] = {
    "namespace": "label",
    "container": "label",
    "service": "dns1035",
}

RULE_HINTS: Final[dict[NameRule, str]] = {
    "label": "use at most 63 lower-case letters, digits and '-', starting and ending with a "
    "letter or digit",
    "dns1035": "use at most 63 lower-case letters, digits and '-', starting with a letter and "
    "ending with a letter or digit",
    "subdomain": "use at most 253 lower-case letters, digits, '-' and '.', each '.'-separated "
    "part starting and ending with a letter or digit",
}

SHOWN_MAX: Final = 80


def rule_for(kind: str) -> NameRule:
    return RULES.get(kind, "subdomain")


def show(value: str) -> str:
    """The name as it can be quoted in a message: control characters escaped, long
    names cut (the message must stay readable whatever the input)."""
    out = []
    for ch in value[:SHOWN_MAX]:
        if ch.isprintable():
            out.append(ch)
        else:
            out.append(ch.encode("unicode_escape").decode("ascii"))
    text = "".join(out)
    return text + "…" if len(value) > SHOWN_MAX else text


def _char_name(ch: str) -> str:
    code = f"U+{ord(ch):04X}"
    try:
        return f"{code} {unicodedata.name(ch)}"
    except ValueError:
        return code


def _first_bad_char(value: str, allowed: str) -> str | None:
    for ch in value:
        if ch not in allowed:
            return ch
    return None


_LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _why_part(part: str, *, first_letter: bool, subject: str = "it") -> str | None:
    """What breaks a label-shaped part (the characters are already known to be fine)."""
    if part.startswith("-"):
        return f"{subject} starts with '-'"
    if part.endswith("-"):
        return f"{subject} ends with '-'"
    if first_letter and part[:1].isdigit():
        return f"{subject} starts with a digit"
    return None


def name_problem(value: object, rule: NameRule) -> str | None:
    """Why `value` is not a valid name under `rule`, or None when it is."""
    if not isinstance(value, str):
        return f"it is a {type(value).__name__}, not a string"
    if value == "":
        return "it is empty"
    limit = SUBDOMAIN_MAX if rule == "subdomain" else LABEL_MAX
    for ch in value:
        if ch.isspace():
            return "it contains whitespace"
        if not ch.isprintable():
            return f"it contains the control character {_char_name(ch)}"
        if not ch.isascii():
            return f"it contains the non-ASCII character '{ch}' ({_char_name(ch)})"
    if len(value) > limit:
        return f"it is {len(value)} characters long; at most {limit} are allowed"
    allowed = _LOWER_ALNUM + _UPPER + ("-." if rule == "subdomain" else "-")
    bad = _first_bad_char(value, allowed)
    if bad is not None:
        return f"it contains '{bad}'"
    if _first_bad_char(value, allowed.replace(_UPPER, "")) is not None:
        return "it contains upper-case letters; Kubernetes names are lower case"
    if rule == "subdomain":
        pattern = _SUBDOMAIN
        subject = "a '.'-separated part" if "." in value else "it"
        for part in value.split("."):
            if part == "":
                return "it has an empty part between dots (or starts or ends with '.')"
            why = _why_part(part, first_letter=False, subject=subject)
            if why is not None:
                return why
    else:
        pattern = _DNS1035 if rule == "dns1035" else _LABEL
        why = _why_part(value, first_letter=rule == "dns1035")
        if why is not None:
            return why
    if pattern.fullmatch(value) is None:  # pragma: no cover - the checks above are complete
        return "it is not a valid name"
    return None


def check_name(kind: str, value: object, source: str | None = None) -> str:
    """`value` if it is a valid name for a `kind` object (or `namespace`, `container`);
    else `InvalidConfig` quoting it. `source` says where the name came from (a config
    key, a flag, an environment variable) and is named in the message."""
    rule = rule_for(kind)
    why = name_problem(value, rule)
    if why is None:
        assert isinstance(value, str)
        return value
    quoted = f"`{show(value)}`" if isinstance(value, str) else repr(value)
    where = f" (from {source})" if source else ""
    raise InvalidConfig(f"{quoted}{where} is not a valid {kind} name: {why}", hint=RULE_HINTS[rule])


def check_namespace(value: object, source: str | None = None) -> str:
    return check_name("namespace", value, source)


def is_valid(kind: str, value: object) -> bool:
    return name_problem(value, rule_for(kind)) is None


def check_chosen_namespace(*candidates: tuple[str | None, str]) -> str | None:
    """The first given namespace of `(value, source)` pairs in precedence order, checked
    (naming its source when it is rejected); None when none is given. Values that lose
    to an earlier one are not used, so they are not checked either."""
    for value, source in candidates:
        if value:
            return check_namespace(value, source)
    return None
