"""Which config files the server validates, and in which format.

mirrord picks the parser by extension: `.json` (also a file without one),
`.toml`, `.yaml`/`.yml`, matched case-sensitively. The editor validates only the
conventional names: `mirrord.json`, `*.mirrord.json` and `.mirrord/*.json`, in each
format. Both rules come from the client contract (`contract.json`).
"""

from __future__ import annotations

import posixpath
from typing import Literal, cast
from urllib.parse import unquote, urlparse

from mirrord_ide.contract import config_extensions, config_file_pattern

ConfigFormat = Literal["json", "toml", "yaml"]

# Extension → format, exactly as written (mirrord matches extensions case-sensitively).
_BY_EXTENSION: dict[str, ConfigFormat] = {
    ext: cast(ConfigFormat, fmt) for ext, fmt in config_extensions().items()
}


def _path_of(path_or_uri: str) -> str:
    """A slash-separated path from a file path or a URI (any scheme)."""
    text = path_or_uri.replace("\\", "/")
    if "://" in text or text.startswith("untitled:"):
        text = unquote(urlparse(text).path)
    return text


def config_format(path_or_uri: str, *, allow_no_extension: bool = False) -> ConfigFormat | None:
    """The format mirrord would parse this file as, or None when it would refuse it.

    A file with no extension is JSON for mirrord; only a caller that was handed
    the file explicitly (e.g. `verify-config FILE`) should accept that.
    """
    name = posixpath.basename(_path_of(path_or_uri))
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        return "json" if allow_no_extension and name else None
    return _BY_EXTENSION.get(ext)


def is_config_file(path_or_uri: str) -> bool:
    """True when the path matches the contract's config file globs (`mirrord.<ext>`,
    `*.mirrord.<ext>`, `.mirrord/*.<ext>`)."""
    return config_file_pattern().fullmatch(_path_of(path_or_uri)) is not None
