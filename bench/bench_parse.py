"""Parse and analyze times of the config document layer, per format.

    python bench/bench_parse.py [--repeat N] [--lines N] [--profile json|toml|yaml]
                                [--best] [--json]

The input is a realistic mirrord config (target, agent, env overrides, an HTTP
filter with many entries, long port lists, queue filters) grown to about the
requested number of lines in each format, with a few mistakes in it so the
findings path is exercised. `parse` is `parse_document`, `analyze` is the whole
pass the editor runs (parse, validate, place problems), `validate` is
`validate_config` alone on the parsed value.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import statistics
import time
from collections.abc import Callable
from typing import Any

import yaml

from mirrord_ide.config.validate import validate_config
from mirrord_ide.document.analysis import analyze
from mirrord_ide.document.formats import ConfigFormat
from mirrord_ide.document.parse import parse_document

FORMATS: tuple[ConfigFormat, ...] = ("json", "toml", "yaml")


def config_value(scale: int) -> dict[str, Any]:
    """A mirrord config whose size grows with `scale` (about 5 JSON lines per unit)."""
    return {
        "target": {"path": "deployment/checkout/container/app", "namespace": "shop"},
        "agent": {"namespace": "mirrord", "ttl": 30, "startup_timeout": 120, "log_level": "info"},
        "feature": {
            "env": {
                "include": "DATABASE_*;REDIS_URL",
                "override": {f"SERVICE_{i}_URL": f"http://svc-{i}.shop:8080" for i in range(scale)},
            },
            "fs": {
                "mode": "read",
                "read_write": ["/tmp/.+"],
                "read_only": [f"/etc/app/conf-{i}/.+" for i in range(scale // 4)],
            },
            "network": {
                "incoming": {
                    "mode": "steal",
                    "http_filter": {
                        "any_of": [
                            {"header": f"x-tenant-{i}: .+"}
                            if i % 2
                            else {"path": f"/api/v1/tenant/{i}/.*"}
                            for i in range(scale // 4)
                        ],
                        "ports": [80, 8080],
                    },
                    "port_mapping": [[7000 + i, 17000 + i] for i in range(scale // 8)],
                    "ignore_ports": [9000 + i for i in range(scale // 4)],
                    # Mistakes: a port out of range and a misspelt key.
                    "listen_ports": [[80, 70000]],
                    "on_concurent_steal": "continue",
                },
                "outgoing": {
                    "filter": {
                        "remote": [
                            f"tcp://10.{i // 250}.{i % 250}.0/24:5432" for i in range(scale // 4)
                        ]
                    },
                },
                "dns": True,
            },
            "split_queues": {
                f"queue-{i}": {
                    "queue_type": "SQS",
                    "message_filter": {"tenant": f"t-{i}", "kind": "order|refund"},
                }
                for i in range(scale // 10)
            },
        },
    }


def _toml_key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else json.dumps(key)


def _toml_value(value: Any, indent: str = "") -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        inner = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }"
    if isinstance(value, list):
        if len(value) <= 3:
            return "[" + ", ".join(_toml_value(v) for v in value) + "]"
        items = "".join(f"{indent}  {_toml_value(v)},\n" for v in value)
        return "[\n" + items + indent + "]"
    raise TypeError(type(value))


def to_toml(value: dict[str, Any], prefix: str = "") -> str:
    """Tables for nested objects, one array item per line: how people write TOML."""
    scalars = [(k, v) for k, v in value.items() if not isinstance(v, dict)]
    tables = [(k, v) for k, v in value.items() if isinstance(v, dict)]
    out = "".join(f"{_toml_key(k)} = {_toml_value(v)}\n" for k, v in scalars)
    for key, sub in tables:
        name = f"{prefix}.{_toml_key(key)}" if prefix else _toml_key(key)
        out += f"\n[{name}]\n" + to_toml(sub, name)
    return out


def render(value: dict[str, Any], fmt: ConfigFormat) -> str:
    if fmt == "json":
        return json.dumps(value, indent=2) + "\n"
    if fmt == "toml":
        return to_toml(value)
    return yaml.safe_dump(value, sort_keys=False, default_flow_style=False)


def sized_config(lines: int, fmt: ConfigFormat) -> str:
    """A config of about `lines` lines in `fmt`."""
    scale = 8
    text = render(config_value(scale), fmt)
    while text.count("\n") < lines:
        scale = max(scale + 1, int(scale * lines / max(1, text.count("\n"))))
        text = render(config_value(scale), fmt)
    return text


def timed(fn: Callable[..., object], args: tuple[Any, ...], repeat: int, best: bool) -> float:
    """Median (or best) milliseconds of `repeat` calls, after one warm-up call.
    The best run is the steadier figure on a machine shared with other work."""
    fn(*args)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args)
        samples.append((time.perf_counter() - start) * 1000)
    return min(samples) if best else statistics.median(samples)


def measure(sizes: list[int], repeat: int, best: bool) -> list[dict[str, Any]]:
    rows = []
    for fmt in FORMATS:
        for size in sizes:
            text = sized_config(size, fmt)
            value = parse_document(text, fmt).value
            rows.append(
                {
                    "format": fmt,
                    "lines": text.count("\n"),
                    "parse_ms": timed(parse_document, (text, fmt), repeat, best),
                    "analyze_ms": timed(analyze, (text, fmt), repeat, best),
                    "validate_ms": timed(validate_config, (value,), repeat, best),
                }
            )
    return rows


def profile(fmt: ConfigFormat, lines: int) -> None:
    text = sized_config(lines, fmt)
    analyze(text, fmt)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(5):
        analyze(text, fmt)
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=9, help="timed runs per figure")
    parser.add_argument("--lines", type=int, default=5000, help="size of the large config")
    parser.add_argument("--profile", choices=FORMATS, help="print a cProfile of analyze")
    parser.add_argument("--best", action="store_true", help="the fastest run, not the median")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.profile:
        profile(args.profile, args.lines)
        return
    rows = measure([50, args.lines], args.repeat, args.best)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{'format':<6} {'lines':>6} {'parse ms':>9} {'analyze ms':>11} {'validate ms':>12}")
    for row in rows:
        print(
            f"{row['format']:<6} {row['lines']:>6} {row['parse_ms']:>9.2f}"
            f" {row['analyze_ms']:>11.2f} {row['validate_ms']:>12.2f}"
        )


if __name__ == "__main__":
    main()
