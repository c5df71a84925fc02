"""Which config files the server validates, and in which format.

mirrord picks the parser by extension: `.json` (also a file without one),
`.toml`, `.yaml`/`.yml`. The editor validates only the conventional names:
`mirrord.json`, `*.mirrord.json` and `.mirrord/*.json`, in each format.
"""

from __future__ import annotations

import posixpath
from typing import Literal
from urllib.parse import unquote, urlparse

ConfigFormat = Literal["json", "toml", "yaml"]

_BY_EXTENSION: dict[str, ConfigFormat] = {
    "json": "json",
    "toml": "toml",
    "yaml": "yaml",
    "yml": "yaml",
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
    return _BY_EXTENSION.get(ext.lower())


def is_config_file(path_or_uri: str) -> bool:
    """True for `mirrord.<ext>`, `*.mirrord.<ext>` and `.mirrord/*.<ext>`."""
    path = _path_of(path_or_uri)
    if config_format(path) is None:
        return False
    name = posixpath.basename(path)
    stem = name.rsplit(".", 1)[0]
    if stem == "mirrord" or stem.endswith(".mirrord"):
        return True
    return posixpath.basename(posixpath.dirname(path)) == ".mirrord"
