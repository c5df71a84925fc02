"""The `mirrord` settings section: what the server understands and how each value is checked.

Clients send the section in `initializationOptions`, with
`workspace/didChangeConfiguration` or when the server pulls `workspace/configuration`.
The server keeps the accepted values as a `MirrordSettings` (`MirrordLanguageServer.settings`),
merged key by key (`merge_settings`): a value of the wrong shape is ignored and the last good
one stays; null or an empty string restores the default.

- `kubeconfig`: a kubeconfig path (or a `:`-separated list), instead of `KUBECONFIG`.
- `context`: the kube context, instead of the kubeconfig's current context.
- `engine`: how sessions are started: `auto` (the mirrord CLI when one is found, else the
  server's own agent launch), `mirrord-cli` or `builtin`.
- `cliPath`: the mirrord CLI to use, instead of looking on `PATH` and in the IDE
  extensions' download folders.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Engine = Literal["auto", "mirrord-cli", "builtin"]
ENGINES: tuple[str, ...] = ("auto", "mirrord-cli", "builtin")

# Keys of the section the server reads, as clients spell them.
SETTING_KEYS: tuple[str, ...] = ("kubeconfig", "context", "engine", "cliPath")


class MirrordSettings(BaseModel):
    """The typed `mirrord` settings; a missing or empty value means the default."""

    model_config = ConfigDict(populate_by_name=True, frozen=True, extra="ignore")

    kubeconfig: str | None = None
    context: str | None = None
    engine: Engine = "auto"
    cli_path: str | None = Field(default=None, alias="cliPath")

    @classmethod
    def of(cls, settings: Mapping[str, Any]) -> MirrordSettings:
        """The settings a section gives on its own (values of the wrong shape are dropped)."""
        return merge_settings(cls(), settings)[0]


def merge_settings(
    current: MirrordSettings, section: Mapping[str, Any]
) -> tuple[MirrordSettings, dict[str, str]]:
    """`current` with the keys `section` sets (others keep their value), and the
    keys refused, each with what was expected."""
    update: dict[str, Any] = {}
    refused: dict[str, str] = {}
    for key in SETTING_KEYS:
        if key not in section:
            continue
        try:
            value = check_setting(key, section[key])
        except ValueError as error:
            refused[key] = str(error)
            continue
        update[key] = value
    if not update:
        return current, refused
    merged = current.model_dump(by_alias=True)
    merged.update(update)
    return MirrordSettings.model_validate(
        {key: value for key, value in merged.items() if value is not None}
    ), refused


def check_setting(key: str, value: Any) -> Any:
    """The value to keep for `key`, None to clear it; ValueError (saying what was
    expected) for a value of the wrong shape."""
    if value is None or value == "":
        return None
    if key == "engine":
        if not isinstance(value, str) or value not in ENGINES:
            expected = ", ".join(f"`{name}`" for name in ENGINES)
            raise ValueError(f"expected one of {expected}")
        return value
    if key in SETTING_KEYS:
        if not isinstance(value, str):
            raise ValueError("expected a string")
        return value
    raise ValueError("unknown setting")
