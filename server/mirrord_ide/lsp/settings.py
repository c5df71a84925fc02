"""The `mirrord` settings section: what the server understands and how each value is checked.

Clients send the section in `initializationOptions`, with
`workspace/didChangeConfiguration` or when the server pulls `workspace/configuration`.
The server keeps the accepted values as a plain dict (`MirrordLanguageServer.settings`);
`MirrordSettings.of` gives the typed view features read.

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
        """The typed view of values `check_setting` accepted (anything else is dropped)."""
        clean: dict[str, Any] = {}
        for key in SETTING_KEYS:
            if key in settings:
                try:
                    value = check_setting(key, settings[key])
                except ValueError:
                    continue
                if value is not None:
                    clean[key] = value
        return cls.model_validate(clean)


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
