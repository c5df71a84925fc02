"""Building blocks for the config model: strict scalars and unions chosen by JSON kind.

mirrord reads its config with serde, which never coerces (`"5"` is not a number and
`1` is not a boolean), so scalars are strict. Unions pick their branch from the JSON
kind of the value (boolean, string, object, ...), which keeps validation errors to
one per location instead of one per branch.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Strict, Tag

# Tags naming a union branch by the JSON kind it accepts. The angle brackets keep them
# apart from config keys when they appear in validation error locations.
BOOLEAN = "<boolean>"
STRING = "<string>"
OBJECT = "<object>"
ARRAY = "<array>"
INTEGER = "<integer>"
NUMBER = "<number>"

KIND_TAGS = frozenset({BOOLEAN, STRING, OBJECT, ARRAY, INTEGER, NUMBER})

WRONG_KIND_ERROR = "wrong_kind"


def json_kind(value: Any) -> str | None:
    """The tag for the JSON kind of a parsed value (bool before int: bool is an int)."""
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, float):
        return NUMBER
    if isinstance(value, str):
        return STRING
    if isinstance(value, dict):
        return OBJECT
    if isinstance(value, list | tuple):
        return ARRAY
    if isinstance(value, BaseModel):
        return OBJECT
    return None


def by_kind(*tags: str) -> Discriminator:
    """A discriminator choosing the union branch tagged with the value's JSON kind."""
    allowed = frozenset(tags)

    def choose(value: Any) -> str | None:
        kind = json_kind(value)
        return kind if kind in allowed else None

    return Discriminator(
        choose,
        custom_error_type=WRONG_KIND_ERROR,
        custom_error_message="value has the wrong type",
    )


class Section(BaseModel):
    """Base of every config object: unknown keys are errors, as in mirrord."""

    # Building validators is deferred to first use, which keeps server start-up fast.
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


Bool = Annotated[bool, Strict()]
Str = Annotated[str, Strict()]
Int = Annotated[int, Strict()]
U16 = Annotated[int, Strict(), Field(ge=0, le=65535)]
U32 = Annotated[int, Strict(), Field(ge=0, le=4294967295)]
U64 = Annotated[int, Strict(), Field(ge=0, le=18446744073709551615)]
I32 = Annotated[int, Strict(), Field(ge=-2147483648, le=2147483647)]
Port = U16
StrMap = dict[str, Str]

# A single string or an array of strings (mirrord's VecOrSingle).
StrOrList = Annotated[
    Annotated[Str, Tag(STRING)] | Annotated[list[Str], Tag(ARRAY)],
    by_kind(STRING, ARRAY),
]

# A single port or an array of ports.
PortOrList = Annotated[
    Annotated[Port, Tag(INTEGER)] | Annotated[list[Port], Tag(ARRAY)],
    by_kind(INTEGER, ARRAY),
]
