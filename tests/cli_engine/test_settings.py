"""The typed `mirrord` settings section."""

from __future__ import annotations

import pytest

from mirrord_ide.lsp.settings import MirrordSettings, check_setting


def test_defaults_and_values() -> None:
    assert MirrordSettings.of({}) == MirrordSettings(engine="auto")
    settings = MirrordSettings.of(
        {"engine": "mirrord-cli", "cliPath": "/opt/mirrord", "context": "kind", "other": 1}
    )
    assert settings.engine == "mirrord-cli"
    assert settings.cli_path == "/opt/mirrord"
    assert settings.context == "kind" and settings.kubeconfig is None


def test_bad_values_are_refused_with_what_was_expected() -> None:
    with pytest.raises(ValueError, match="expected one of `auto`, `mirrord-cli`, `builtin`"):
        check_setting("engine", "cli")
    with pytest.raises(ValueError, match="expected a string"):
        check_setting("cliPath", 42)
    assert check_setting("cliPath", "") is None  # empty clears
    # The typed view skips what the server would not have kept.
    assert MirrordSettings.of({"engine": "fast", "cliPath": 3}) == MirrordSettings()
