"""Tera rendering of a config before it is parsed, as mirrord does.

mirrord renders every config file with Tera before parsing it
(`mirrord/config/src/lib.rs`, `LayerFileConfig::from_path`): the template context has
`key` (the session key: `MIRRORD_KEY`, else the file's `key` field, else a generated
one) and `git_branch` (`MIRRORD_BRANCH_NAME`, else the checked-out branch; absent when
unknown), and Tera's built-ins such as `get_env(name=..., default=...)` read the
environment of the process that loads the config. The editor renders with the
environment the server runs with, which is the environment it launches mirrord with.

The subset evaluated here is what configs use: `{{ ... }}` expressions with literals,
variables, `get_env`, `~` and arithmetic, comparisons, filters (`default(value=...)`,
`lower`, `upper`, `trim`, `replace`, ...), `{# comments #}`, `{% raw %}`, `{% set %}`
and `{% if %}`/`{% elif %}`/`{% else %}`. A construct Tera has but the editor does not
evaluate (a `for` loop, `now()`, `| date`) renders as an opaque placeholder: problems
inside it are not reported, rather than guessed. What Tera would refuse (an unclosed
tag, an unknown function or filter, a missing variable or environment variable
without a default) is a `TemplateProblem` on the tag, as mirrord would fail.

`Rendered` keeps a source map from offsets in the rendered text to offsets in the
file as written: a position inside the output of a tag maps to the tag's whole range.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# The session key the editor renders `{{ key }}` with when `MIRRORD_KEY` is not set:
# mirrord then uses the file's `key` or a generated one, so any string stands in for it.
EDITOR_KEY = "mirrord-session-key"
PLACEHOLDER = "0"  # valid in a string and as a bare value in JSON, TOML and YAML

_MARKERS = ("{{", "{%", "{#")

# Tera 1.x built-ins (tera `src/tera.rs` registers them); names outside these fail there.
_FUNCTIONS = frozenset({"range", "now", "throw", "get_random", "get_env"})
_FILTERS = frozenset(
    """upper lower trim trim_start trim_end trim_start_matches trim_end_matches truncate
    wordcount replace capitalize title linebreaksbr indent striptags spaceless urlencode
    urlencode_strict escape escape_xml slugify addslashes split int float first last nth
    join sort unique slice group_by filter map concat abs pluralize round filesizeformat
    length reverse date json_encode as_str get default safe""".split()
)
_TESTERS = frozenset(
    """defined undefined odd even string number divisibleby iterable object starting_with
    ending_with containing matching""".split()
)
# Block statements the editor does not evaluate, with their end tags.
_BLOCK_STATEMENTS = {
    "for": "endfor",
    "macro": "endmacro",
    "block": "endblock",
    "filter": "endfilter",
}


def has_template(text: str) -> bool:
    """Whether Tera would see any tag in `text` (cheap: three substring searches)."""
    return any(m in text for m in _MARKERS)


@dataclass(frozen=True)
class TemplateContext:
    """What a template can read: the environment and mirrord's two variables."""

    env: Mapping[str, str]
    key: str = EDITOR_KEY
    git_branch: str | None = None  # None: unknown to the editor, so `{{ git_branch }}` is opaque

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> TemplateContext:
        """The context mirrord would render with when launched with `env`
        (default: this process's environment)."""
        env = os.environ if env is None else env
        branch = env.get("MIRRORD_BRANCH_NAME") or None
        return cls(env=env, key=env.get("MIRRORD_KEY") or EDITOR_KEY, git_branch=branch)


@dataclass(frozen=True)
class TemplateProblem:
    start: int  # offsets in the file as written
    end: int
    message: str


@dataclass
class _Segment:
    r_start: int
    r_end: int
    s_start: int
    s_end: int
    literal: bool  # copied text (offsets map one to one) or the output of a tag


@dataclass
class Rendered:
    """The rendered text, where its parts came from, and what could not be rendered."""

    text: str
    source: str
    segments: list[_Segment]
    problems: list[TemplateProblem] = field(default_factory=list)
    opaque: list[tuple[int, int]] = field(default_factory=list)  # rendered ranges
    tags: list[tuple[int, int]] = field(default_factory=list)  # source ranges of every tag
    expressions: set[int] = field(default_factory=set)  # source starts of `{{ }}` tags

    def __post_init__(self) -> None:
        self._starts = [s.r_start for s in self.segments]
        merged: list[list[int]] = []
        for o_start, o_end in sorted(self.opaque):
            if merged and o_start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], o_end)
            else:
                merged.append([o_start, o_end])
        self._opaque_starts = [m[0] for m in merged]
        self._opaque_ends = [m[1] for m in merged]

    def to_source(self, offset: int, *, end: bool = False) -> int:
        """The offset in the file as written for a rendered offset. Inside a tag's
        output, the tag's start (or its end, for the end of a range)."""
        if not self.segments:
            return 0
        i = bisect_right(self._starts, offset) - 1
        if end:
            # An end offset belongs to the segment that ends there, not the next one.
            while i > 0 and self.segments[i].r_start == offset:
                i -= 1
        seg = self.segments[max(0, i)]
        if seg.literal:
            return seg.s_start + max(0, min(offset - seg.r_start, seg.r_end - seg.r_start))
        return seg.s_end if end else seg.s_start

    def source_range(self, start: int, end: int) -> tuple[int, int]:
        if start == end:
            # A point (e.g. "expected a value") just before a tag that rendered nothing:
            # the tag.
            at = start
            while at < len(self.text) and self.text[at] in " \t":
                at += 1
            i = bisect_right(self._starts, at) - 1
            while i >= 0 and self.segments[i].r_start == at:
                seg = self.segments[i]
                if not seg.literal and seg.r_end == at:
                    return seg.s_start, seg.s_end
                i -= 1
        s = self.to_source(start)
        e = self.to_source(end, end=True)
        return s, max(s, e)

    def is_opaque(self, start: int, end: int) -> bool:
        """Whether a rendered range covers output the editor could not evaluate."""
        # The merged opaque ranges are disjoint and sorted: only the last one starting
        # at or before `end` can overlap.
        i = bisect_right(self._opaque_starts, end) - 1
        if i < 0:
            return False
        o_start, o_end = self._opaque_starts[i], self._opaque_ends[i]
        if start == end:
            return o_start <= start <= o_end
        if start < o_end and o_start < end:
            return True
        # A range ending exactly where an opaque range starts does not overlap it.
        if i > 0 and o_start == end:
            return start < self._opaque_ends[i - 1]
        return False


def masked(text: str, tags: list[tuple[int, int]], expressions: set[int]) -> str:
    """`text` with every tag blanked out, offsets, lines and non-ASCII characters kept:
    an expression becomes a `0` and spaces, a statement or comment only spaces. The
    file as written then parses for completion, hover and the outline."""
    if not tags:
        return text
    out: list[str] = []
    last = 0
    for start, end in tags:
        out.append(text[last:start])
        chunk = re.sub(r"[^\n\x80-\U0010ffff]", " ", text[start:end])
        if start in expressions and chunk:
            chunk = PLACEHOLDER + chunk[1:]
        out.append(chunk)
        last = end
    out.append(text[last:])
    return "".join(out)


# ------------------------------------------------------------------------- lexing


@dataclass
class _Tag:
    kind: str  # "expr", "stmt", "comment", "text", "raw"
    start: int  # source range of the whole tag (or text)
    end: int
    body: str = ""  # inside the delimiters, or the text itself
    body_start: int = 0
    trim_before: bool = False
    trim_after: bool = False


class TemplateError(Exception):
    def __init__(self, message: str, start: int | None = None, end: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end


_CLOSERS = {"{{": "}}", "{%": "%}", "{#": "#}"}
_KINDS = {"{{": "expr", "{%": "stmt", "{#": "comment"}
_RAW_END = re.compile(r"\{%-?\s*endraw\s*-?%\}")
_RAW_START = re.compile(r"-?\s*raw\s*-?$")


def _tag_end(text: str, pos: int, closer: str, in_comment: bool) -> int:
    """Index just past `closer`, skipping string literals; -1 when unclosed."""
    if in_comment:
        found = text.find(closer, pos)
        return -1 if found < 0 else found + 2
    i, n = pos, len(text)
    while i < n:
        c = text[i]
        if c in "\"'`":
            j = text.find(c, i + 1)
            if j < 0:
                return -1
            i = j + 1
            continue
        if text.startswith(closer, i):
            return i + 2
        i += 1
    return -1


def _lex(text: str) -> tuple[list[_Tag], list[TemplateProblem]]:
    tags: list[_Tag] = []
    problems: list[TemplateProblem] = []
    pos, n = 0, len(text)
    pattern = re.compile(r"\{[{%#]")
    while pos < n:
        m = pattern.search(text, pos)
        if m is None:
            tags.append(_Tag("text", pos, n, text[pos:]))
            break
        start = m.start()
        if start > pos:
            tags.append(_Tag("text", pos, start, text[pos:start]))
        opener = m.group()
        closer = _CLOSERS[opener]
        inner_start = start + 2
        end = _tag_end(text, inner_start, closer, opener == "{#")
        if end < 0:
            # Tera stops here; so does the editor: the rest is kept as written, unchecked.
            line_end = text.find("\n", start)
            line_end = n if line_end < 0 else line_end
            message = _failure(f"unclosed `{opener}`: the tag needs `{closer}`")
            problems.append(TemplateProblem(start, line_end, message))
            tags.append(_Tag("broken", start, line_end))
            if line_end < n:
                tags.append(_Tag("rest", line_end, n, text[line_end:]))
            break
        body = text[inner_start : end - 2]
        tag = _Tag(_KINDS[opener], start, end, body, inner_start)
        if body.startswith("-"):
            tag.trim_before, tag.body, tag.body_start = True, body[1:], inner_start + 1
        if tag.body.endswith("-"):
            tag.trim_after, tag.body = True, tag.body[:-1]
        if tag.kind == "stmt" and _RAW_START.match(body.strip()):
            raw_end = _RAW_END.search(text, end)
            if raw_end is None:
                message = _failure("`{% raw %}` is never closed by `{% endraw %}`")
                problems.append(TemplateProblem(start, end, message))
                tags.append(_Tag("broken", start, end))
                tags.append(_Tag("rest", end, n, text[end:]))
                break
            closing = raw_end.group()
            tags.append(_Tag("raw", start, raw_end.end(), text[end : raw_end.start()], end))
            tags[-1].trim_before = tag.trim_before
            tags[-1].trim_after = closing.endswith("-%}")
            pos = raw_end.end()
            continue
        tags.append(tag)
        pos = end
    return tags, problems


# ----------------------------------------------------------------- expressions

_TOKEN = re.compile(
    r"""\s*(?:
    (?P<str>"[^"]*"|'[^']*'|`[^`]*`)
    |(?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<op>==|!=|<=|>=|\*\*|//|[-+*/%~<>()\[\],=|.:{}])
    )""",
    re.VERBOSE,
)


def _tokens(body: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    body = body.rstrip()
    while pos < len(body):
        m = _TOKEN.match(body, pos)
        if m is None or m.end() == pos:
            raise TemplateError(f"unexpected `{body[pos:].strip()[:20]}` in the template tag")
        kind = m.lastgroup or "op"
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


_UNDEFINED = object()


class _Parser:
    """A Pratt parser that evaluates as it goes (Tera expressions have no side effects)."""

    _BINARY = {
        "or": 1,
        "and": 2,
        "==": 4,
        "!=": 4,
        "<": 4,
        ">": 4,
        "<=": 4,
        ">=": 4,
        "in": 4,
        "~": 5,
        "+": 6,
        "-": 6,
        "*": 7,
        "/": 7,
        "%": 7,
    }

    def __init__(self, tokens: list[tuple[str, str]], scope: _Scope) -> None:
        self.tokens = tokens
        self.i = 0
        self.scope = scope

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (value is not None and tok[1] != value):
            got = "the end of the tag" if tok is None else f"`{tok[1]}`"
            raise TemplateError(f"expected `{value}` but found {got}" if value else "incomplete")
        self.i += 1
        return tok

    def done(self) -> None:
        if self.peek() is not None:
            raise TemplateError(f"unexpected `{self.peek()[1]}` in the template tag")  # type: ignore[index]

    def expression(self, min_prec: int = 0) -> Any:
        left = self.unary()
        while True:
            tok = self.peek()
            if tok is None:
                return left
            op = tok[1]
            if op == "not" and self._next_is("in"):
                if min_prec > 4:
                    return left
                self.i += 2
                right = self.expression(5)
                left = _apply("in", left, right)
                left = _opaque_map(left, lambda v: not v)
                continue
            if op == "is":
                self.i += 1
                negate = self.peek() == ("name", "not")
                if negate:
                    self.i += 1
                name = self.take()[1]
                args = self.call_args() if self.peek() == ("op", "(") else {}
                left = _test(name, left, args, negate)
                continue
            prec = self._BINARY.get(op)
            if (
                prec is None
                or prec < min_prec
                or (tok[0] == "name" and op not in ("and", "or", "in"))
            ):
                return left
            self.i += 1
            right = self.expression(prec + 1)
            left = _apply(op, left, right)

    def _next_is(self, word: str) -> bool:
        nxt = self.tokens[self.i + 1] if self.i + 1 < len(self.tokens) else None
        return nxt == ("name", word)

    def unary(self) -> Any:
        tok = self.peek()
        if tok == ("name", "not"):
            self.i += 1
            return _opaque_map(self.expression(3), lambda v: not _truthy(v))
        if tok == ("op", "-"):
            self.i += 1
            value = self.unary()
            return _opaque_map(value, lambda v: -_number(v))
        return self.filtered()

    def filtered(self) -> Any:
        value = self.primary()
        first = True
        while self.peek() == ("op", "|"):
            self.i += 1
            name = self.take()[1]
            args = self.call_args() if self.peek() == ("op", "(") else {}
            value = _filter(name, value, args, first)
            first = False
        return value

    def call_args(self) -> dict[str, Any]:
        self.take("(")
        args: dict[str, Any] = {}
        while self.peek() != ("op", ")"):
            name = self.take()
            if name[0] != "name":
                raise TemplateError(f"expected an argument name, found `{name[1]}`")
            self.take("=")
            args[name[1]] = self.expression()
            if args[name[1]] is _UNDEFINED:
                raise TemplateError(self.scope.missing or "a variable is not defined")
            if self.peek() == ("op", ","):
                self.i += 1
            elif self.peek() != ("op", ")"):
                self.take(")")
        self.take(")")
        return args

    def primary(self) -> Any:
        kind, value = self.take()
        if kind == "str":
            return value[1:-1]
        if kind == "num":
            return float(value) if any(c in value for c in ".eE") else int(value)
        if kind == "op" and value == "(":
            inner = self.expression()
            self.take(")")
            return inner
        if kind == "op" and value == "[":
            items: list[Any] = []
            while self.peek() != ("op", "]"):
                items.append(self.expression())
                if self.peek() == ("op", ","):
                    self.i += 1
                elif self.peek() != ("op", "]"):
                    self.take("]")
            self.take("]")
            return _opaque_all(items)
        if kind != "name":
            raise TemplateError(f"unexpected `{value}` in the template tag")
        if value in ("true", "True"):
            return True
        if value in ("false", "False"):
            return False
        if self.peek() == ("op", "("):
            return _call(value, self.call_args(), self.scope)
        result = self.scope.lookup(value)
        while self.peek() in (("op", "."), ("op", "[")):
            if self.take()[1] == ".":
                self.take()
            else:
                self.expression()
                self.take("]")
            result = _OPAQUE if result is not _UNDEFINED else result
        return result


class _Opaque:
    """A value the editor does not know (e.g. `now()`): anything built from it is opaque."""

    def __repr__(self) -> str:
        return "<opaque>"


_OPAQUE: Any = _Opaque()


def _opaque_map(value: Any, fn: Callable[[Any], Any]) -> Any:
    """`fn(value)`, unless the value is opaque or undefined."""
    if value is _OPAQUE or value is _UNDEFINED:
        return value
    return fn(value)


def _opaque_all(values: list[Any]) -> Any:
    return _OPAQUE if any(v is _OPAQUE for v in values) else values


def _truthy(value: Any) -> bool:
    return bool(value)


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TemplateError(f"{_show(value)} is not a number")
    return value


def _apply(op: str, left: Any, right: Any) -> Any:
    if left is _UNDEFINED or right is _UNDEFINED:
        return _UNDEFINED
    if op in ("and", "or"):
        if left is _OPAQUE or right is _OPAQUE:
            return _OPAQUE
        return (
            (_truthy(left) and _truthy(right)) if op == "and" else (_truthy(left) or _truthy(right))
        )
    if left is _OPAQUE or right is _OPAQUE:
        return _OPAQUE
    if op == "~":
        return render_value(left) + render_value(right)
    if op in ("==", "!="):
        return (left == right) == (op == "==")
    if op == "in":
        if isinstance(right, str | list):
            return left in right
        raise TemplateError("the right side of `in` must be a string or an array")
    a, b = _number(left), _number(right)
    if op == "<":
        return a < b
    if op == ">":
        return a > b
    if op == "<=":
        return a <= b
    if op == ">=":
        return a >= b
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        raise TemplateError("division by zero in the template")
    if op == "/":
        return a / b
    return a % b


def _test(name: str, value: Any, args: dict[str, Any], negate: bool) -> Any:
    if name not in _TESTERS:
        raise TemplateError(f"there is no test named `{name}`")
    if name in ("defined", "undefined"):
        if value is _OPAQUE:
            return value
        result = (value is not _UNDEFINED) != (name == "undefined")
        return result != negate
    if value is _OPAQUE or value is _UNDEFINED:
        return _OPAQUE if value is _OPAQUE else value
    if name == "string":
        result = isinstance(value, str)
    elif name == "number":
        result = isinstance(value, int | float) and not isinstance(value, bool)
    elif name in ("starting_with", "ending_with", "containing") and isinstance(value, str):
        arg = args.get("pat")
        if not isinstance(arg, str):
            return _OPAQUE
        fn = {"starting_with": value.startswith, "ending_with": value.endswith}
        result = fn[name](arg) if name in fn else arg in value
    else:
        return _OPAQUE
    return result != negate


def _call(name: str, args: dict[str, Any], scope: _Scope) -> Any:
    if name not in _FUNCTIONS:
        raise TemplateError(f"there is no function named `{name}` in mirrord's templates")
    if any(v is _OPAQUE for v in args.values()):
        return _OPAQUE
    if name == "get_env":
        # tera `src/builtins/functions.rs` `get_env`: a string `name`, then the
        # variable's value, else `default` (kept as it is typed), else an error.
        if "name" not in args:
            raise TemplateError("`get_env` needs a `name` argument")
        env_name = args["name"]
        if not isinstance(env_name, str):
            raise TemplateError(f"`get_env` got name={_show(env_name)}; `name` must be a string")
        found = scope.context.env.get(env_name)
        if found is not None:
            return found
        if "default" in args:
            return args["default"]
        raise TemplateError(
            f"environment variable `{env_name}` is not set and `get_env` has no `default`; "
            "mirrord would fail to load this config (the editor renders with the "
            "environment the server runs with)"
        )
    if name == "throw":
        raise TemplateError(str(args.get("message", "the template called `throw`")))
    return _OPAQUE  # range, now, get_random: not evaluated by the editor


def _filter(name: str, value: Any, args: dict[str, Any], first: bool) -> Any:
    if name not in _FILTERS:
        raise TemplateError(f"there is no filter named `{name}` in mirrord's templates")
    if name == "default":
        if "value" not in args:
            raise TemplateError("the `default` filter needs a `value` argument")
        # Tera applies `default` only as the first filter, to a missing or null value.
        if first and (value is _UNDEFINED or value is None):
            return args["value"]
        return value
    if value is _UNDEFINED:
        return value
    if value is _OPAQUE or any(v is _OPAQUE for v in args.values()):
        return _OPAQUE
    if name == "safe":
        return value
    if isinstance(value, str):
        simple: dict[str, Callable[[str], Any]] = {
            "upper": str.upper,
            "lower": str.lower,
            "trim": str.strip,
            "trim_start": str.lstrip,
            "trim_end": str.rstrip,
            "capitalize": lambda s: s[:1].upper() + s[1:].lower(),
            "length": len,
            "as_str": str,
        }
        if name in simple:
            return simple[name](value)
        if name == "replace":
            old, new = args.get("from"), args.get("to")
            if not isinstance(old, str) or not isinstance(new, str):
                raise TemplateError("`replace` needs string `from` and `to` arguments")
            return value.replace(old, new)
        if name == "int":
            try:
                return int(value.strip())
            except ValueError:
                if "default" in args:
                    return args["default"]
                raise TemplateError(f"{_show(value)} cannot be turned into an integer") from None
    if name == "as_str":
        return render_value(value)
    if name == "length" and isinstance(value, list):
        return len(value)
    return _OPAQUE


def _show(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else render_value(value)


def render_value(value: Any) -> str:
    """A value as Tera writes it (tera `src/context.rs` `ValueRender`)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(render_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "[object]"
    return str(value)


@dataclass
class _Scope:
    context: TemplateContext
    variables: dict[str, Any] = field(default_factory=dict)
    missing: str | None = None

    def lookup(self, name: str) -> Any:
        if name in self.variables:
            return self.variables[name]
        if name == "key":
            return self.context.key
        if name == "git_branch":
            return self.context.git_branch if self.context.git_branch else _OPAQUE
        self.missing = f"variable `{name}` is not defined in mirrord's template context"
        return _UNDEFINED


def _evaluate(body: str, scope: _Scope) -> Any:
    scope.missing = None
    parser = _Parser(_tokens(body), scope)
    try:
        value = parser.expression()
    except RecursionError:
        raise TemplateError("the expression nests too deeply") from None
    parser.done()
    if value is _UNDEFINED:
        raise TemplateError(scope.missing or "a variable is not defined")
    return value


# ---------------------------------------------------------------------- rendering


class _Writer:
    def __init__(self, source: str) -> None:
        self.source = source
        self.parts: list[str] = []
        self.size = 0
        self.segments: list[_Segment] = []
        self.opaque: list[tuple[int, int]] = []
        self.problems: list[TemplateProblem] = []
        self.ends: dict[int, int] = {}  # block statement index -> its end tag's index
        self.branches: dict[int, list[int]] = {}  # `if` index -> its `elif`/`else` indices

    def text(self, s_start: int, s_end: int) -> None:
        if s_end <= s_start:
            return
        piece = self.source[s_start:s_end]
        self.segments.append(_Segment(self.size, self.size + len(piece), s_start, s_end, True))
        self.parts.append(piece)
        self.size += len(piece)

    def output(self, piece: str, s_start: int, s_end: int, opaque: bool = False) -> None:
        start = self.size
        self.segments.append(_Segment(start, start + len(piece), s_start, s_end, False))
        self.parts.append(piece)
        self.size += len(piece)
        if opaque:
            self.opaque.append((start, self.size))


def _trimmed_text(tags: list[_Tag], i: int) -> tuple[int, int]:
    tag = tags[i]
    start, end = tag.start, tag.end
    source_text = tag.body
    if i > 0 and tags[i - 1].trim_after:
        stripped = source_text.lstrip()
        start += len(source_text) - len(stripped)
        source_text = stripped
    if i + 1 < len(tags) and tags[i + 1].trim_before:
        end = start + len(source_text.rstrip())
    return start, end


MAX_BLOCK_DEPTH = 64  # far beyond any real config; keeps the renderer's recursion bounded
# Tera stops at the first failure; the editor shows more, but not without end.
MAX_PROBLEMS = 50


def render(text: str, context: TemplateContext) -> Rendered | None:
    """Render `text` as mirrord would, or None when it has no template tag at all."""
    if not has_template(text):
        return None
    tags, problems = _lex(text)
    tag_ranges = [(t.start, t.end) for t in tags if t.kind != "text"]
    expressions = {t.start for t in tags if t.kind in ("expr", "broken")}
    writer = _Writer(text)
    writer.problems.extend(problems)
    too_deep = _match_blocks(tags, writer)
    if too_deep is not None:
        # Not rendered at all: one problem, and nothing else is reported.
        whole = [_Segment(0, len(text), 0, len(text), True)]
        problem = TemplateProblem(
            too_deep.start,
            too_deep.end,
            _failure(f"template blocks nest deeper than {MAX_BLOCK_DEPTH} levels"),
        )
        masked_text = masked(text, tag_ranges, expressions)
        return Rendered(
            masked_text, text, whole, [problem], [(0, len(text))], tag_ranges, expressions
        )
    _render_block(tags, 0, len(tags), writer, _Scope(context), opaque=False)
    return Rendered(
        "".join(writer.parts),
        text,
        writer.segments,
        writer.problems[:MAX_PROBLEMS],
        writer.opaque,
        tag_ranges,
        expressions,
    )


_CLOSING = {"endif": "if", **{end: start for start, end in _BLOCK_STATEMENTS.items()}}


def _match_blocks(tags: list[_Tag], w: _Writer) -> _Tag | None:
    """Pair every block statement with its end (and each `if` with its `elif`/`else`)
    in one pass; the tag that nests too deep, if any."""
    stack: list[tuple[int, str]] = []
    for j, tag in enumerate(tags):
        if tag.kind != "stmt":
            continue
        word = _statement(tag)[0]
        if word == "if" or word in _BLOCK_STATEMENTS:
            stack.append((j, word))
            if len(stack) > MAX_BLOCK_DEPTH:
                return tag
            if word == "if":
                w.branches[j] = []
        elif word in ("elif", "else"):
            if stack and stack[-1][1] == "if":
                w.branches[stack[-1][0]].append(j)
        elif word in _CLOSING and stack and stack[-1][1] == _CLOSING[word]:
            w.ends[stack.pop()[0]] = j
    return None


def _statement(tag: _Tag) -> tuple[str, str]:
    body = tag.body.strip()
    word, _, rest = body.partition(" ")
    return word, rest.strip()


def _render_block(
    tags: list[_Tag], i: int, stop: int, w: _Writer, scope: _Scope, *, opaque: bool
) -> None:
    while i < stop:
        tag = tags[i]
        if tag.kind == "text":
            w.text(*_trimmed_text(tags, i))
        elif tag.kind == "raw":
            w.text(tag.body_start, tag.body_start + len(tag.body))
        elif tag.kind == "comment":
            pass
        elif tag.kind == "broken":
            w.output(PLACEHOLDER, tag.start, tag.end, opaque=True)
        elif tag.kind == "rest":
            start = w.size
            w.text(tag.start, tag.end)
            w.opaque.append((start, w.size))
        elif tag.kind == "expr":
            _render_expression(tag, w, scope, opaque)
        else:
            i = _render_statement(tags, i, stop, w, scope, opaque)
        i += 1


def _render_expression(tag: _Tag, w: _Writer, scope: _Scope, opaque: bool) -> None:
    if opaque:
        w.output(PLACEHOLDER, tag.start, tag.end, opaque=True)
        return
    try:
        value = _evaluate(tag.body, scope)
    except TemplateError as exc:
        w.problems.append(TemplateProblem(tag.start, tag.end, _failure(exc.message)))
        w.output(PLACEHOLDER, tag.start, tag.end, opaque=True)
        return
    if value is _OPAQUE:
        w.output(PLACEHOLDER, tag.start, tag.end, opaque=True)
    else:
        w.output(render_value(value), tag.start, tag.end)


def _failure(message: str) -> str:
    return f"template error: {message}"


def _render_statement(
    tags: list[_Tag], i: int, stop: int, w: _Writer, scope: _Scope, opaque: bool
) -> int:
    """Render the statement at `i`; the index of the last tag it used."""
    tag = tags[i]
    word, rest = _statement(tag)

    def fail(message: str, at: _Tag = tag) -> None:
        w.problems.append(TemplateProblem(at.start, at.end, _failure(message)))

    if word in ("set", "set_global"):
        name, eq, expr = rest.partition("=")
        name = name.strip()
        if not eq or not re.fullmatch(r"[A-Za-z_]\w*", name):
            fail("`set` needs `name = value`")
            return i
        if opaque:
            scope.variables[name] = _OPAQUE
            return i
        try:
            scope.variables[name] = _evaluate(expr, scope)
        except TemplateError as exc:
            fail(exc.message)
            scope.variables[name] = _OPAQUE
        return i
    if word == "if":
        end = w.ends.get(i, -1)
        if not i < end < stop:
            fail("`{% if %}` is never closed by `{% endif %}`")
            return stop - 1
        _render_if(tags, i, end, w, scope, opaque)
        return end
    if word in _BLOCK_STATEMENTS:
        end = w.ends.get(i, -1)
        if not i < end < stop:
            fail(f"`{{% {word} %}}` is never closed by `{{% {_BLOCK_STATEMENTS[word]} %}}`")
            return stop - 1
        # Not evaluated: the body is rendered once, and nothing in it is reported.
        start = w.size
        w.output("", tag.start, tag.end)
        _render_block(tags, i + 1, end, w, scope, opaque=True)
        w.output("", tags[end].start, tags[end].end)
        w.opaque.append((start, w.size))
        return end
    if word in ("include", "import", "extends"):
        fail(f"`{word}` needs another template, and mirrord renders the config file alone")
        return i
    if word in ("break", "continue"):
        return i
    fail(f"`{{% {word} %}}` is not a statement Tera knows here")
    return i


def _render_if(tags: list[_Tag], i: int, end: int, w: _Writer, scope: _Scope, opaque: bool) -> None:
    # The branches: (condition tag index, or None for `else`; first tag of the body).
    branches: list[tuple[int | None, int]] = [(i, i + 1)]
    for j in w.branches.get(i, []):
        word = _statement(tags[j])[0]
        branches.append((j if word == "elif" else None, j + 1))
    bounds = [b[1] for b in branches[1:]]
    w.output("", tags[i].start, tags[i].end)
    start = w.size
    chosen: int | None = None
    unknown = opaque
    for n, (cond_at, _body) in enumerate(branches):
        if cond_at is None:
            chosen = n
            break
        if unknown:
            chosen = 0
            break
        try:
            value = _evaluate(_statement(tags[cond_at])[1], scope)
        except TemplateError as exc:
            w.problems.append(
                TemplateProblem(tags[cond_at].start, tags[cond_at].end, _failure(exc.message))
            )
            unknown, chosen = True, 0
            break
        if value is _OPAQUE:
            unknown, chosen = True, 0
            break
        if _truthy(value):
            chosen = n
            break
    if chosen is not None:
        body = branches[chosen][1]
        body_end = (bounds[chosen] - 1) if chosen < len(bounds) else end
        _render_block(tags, body, body_end, w, scope, opaque=opaque)
    w.output("", tags[end].start, tags[end].end)
    if unknown:
        w.opaque.append((start, w.size))
