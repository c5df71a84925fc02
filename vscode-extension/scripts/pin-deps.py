"""Writes the exact versions the server wheel's dependencies have in this environment.

The extension's first start installs the bundled wheel into a private environment with
`pip install -c constraints.txt`, so users get the dependency versions the extension was
built and tested with, not whatever is newest that day.

    python pin-deps.py WHEEL OUT
"""

from __future__ import annotations

import sys
import zipfile
from email.parser import Parser
from importlib import metadata

try:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name
except ImportError:  # an environment without `packaging` still has pip's copy
    from pip._vendor.packaging.requirements import (  # type: ignore[no-redef]
        InvalidRequirement,
        Requirement,
    )
    from pip._vendor.packaging.utils import canonicalize_name  # type: ignore[no-redef]


def wheel_requirements(wheel: str) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(zf.read(name).decode("utf-8"))
    return meta.get_all("Requires-Dist") or []


def is_runtime(req: Requirement) -> bool:
    # Requirements of an extra (`; extra == "test"`) are not installed by a plain install.
    return req.marker is None or "extra" not in str(req.marker)


def pins(wheel: str) -> dict[str, str]:
    found: dict[str, str] = {}
    missing: list[str] = []
    queue = [Requirement(r) for r in wheel_requirements(wheel)]
    while queue:
        req = queue.pop()
        if not is_runtime(req):
            continue
        key = canonicalize_name(req.name)
        if key in found:
            continue
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            if req.marker is None or req.marker.evaluate():
                missing.append(str(req))
            continue  # a platform-specific dependency this machine does not need
        found[key] = dist.version
        for raw in dist.requires or []:
            try:
                queue.append(Requirement(raw))
            except InvalidRequirement:
                continue
    if missing:
        sys.exit(f"not installed in {sys.executable}: {', '.join(sorted(missing))}")
    return found


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    wheel, out = sys.argv[1], sys.argv[2]
    lines = [f"{name}=={version}" for name, version in sorted(pins(wheel).items())]
    with open(out, "w", encoding="utf-8") as f:
        f.write("# Dependency versions of the bundled server, pinned at build time.\n")
        f.write("\n".join(lines) + "\n")
    print(f"pinned {len(lines)} dependencies in {out}")


if __name__ == "__main__":
    main()
