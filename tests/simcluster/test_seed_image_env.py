"""Seed extensions read by the simulated agent: containers' image env and traffic sources."""

from __future__ import annotations

import json

import pytest

from mirrord_simcluster.agent import parse_http_requests
from mirrord_simcluster.seed import SeedError, TrafficSource, expand_seed, load_seed


def seed_with(container: dict[str, object], **workload: object) -> dict[str, object]:
    return {
        "namespaces": [
            {
                "name": "ns",
                "deployments": [
                    {"name": "web", "containers": [container], **workload},
                ],
            }
        ]
    }


def test_image_env_is_kept_out_of_the_api_objects() -> None:
    seed = load_seed(
        seed_with({"name": "app", "image": "img:1", "imageEnv": {"ONLY_IMAGE": "x", "N": 3}})
    )
    assert seed.image_env == {"img:1": {"ONLY_IMAGE": "x", "N": "3"}}
    assert "ONLY_IMAGE" not in json.dumps(expand_seed(seed))


def test_demo_seed_has_image_env_and_traffic() -> None:
    seed = load_seed(None)
    assert "IMAGE_ONLY_GREETING" in seed.image_env["ghcr.io/acme/greeter:0.9.1"]
    assert any(s.app == "greeter" and s.namespace == "default" for s in seed.traffic)


@pytest.mark.parametrize(
    ("container", "workload", "needle"),
    [
        ({"name": "a", "image": "i", "imageEnv": ["X=1"]}, {}, "imageEnv must map"),
        ({"name": "a", "image": "i"}, {"traffic": "often"}, "traffic must be a mapping"),
        ({"name": "a", "image": "i"}, {"traffic": {"interval": "soon"}}, "must be numbers"),
        ({"name": "a", "image": "i"}, {"traffic": {"port": 70000}}, "out of range"),
        ({"name": "a", "image": "i"}, {"traffic": {"requests": "GET /"}}, "list of mappings"),
    ],
)
def test_bad_seeds_are_clear_errors(
    container: dict[str, object], workload: dict[str, object], needle: str
) -> None:
    with pytest.raises(SeedError, match=needle):
        load_seed(seed_with(container, **workload))


def test_conflicting_image_env_is_an_error() -> None:
    raw = seed_with({"name": "a", "image": "i:1", "imageEnv": {"A": "1"}})
    raw["namespaces"][0]["pods"] = [  # type: ignore[index]
        {"name": "p", "containers": [{"name": "b", "image": "i:1", "imageEnv": {"A": "2"}}]}
    ]
    with pytest.raises(SeedError, match="another imageEnv"):
        load_seed(raw)


def test_traffic_requests_render_as_http_or_tcp() -> None:
    source = TrafficSource(
        "ns",
        "web",
        1.0,
        None,
        (
            {"method": "post", "path": "/o/{n}", "body": '{"n": {n}}', "headers": {"X-A": "b"}},
            {"tcp": "PING {n}\r\n"},
        ),
    )
    first = source.render(7, 8080)
    parsed = parse_http_requests(first)
    assert parsed is not None and len(parsed) == 1
    request = parsed[0]
    assert (request.method, request.uri, request.body) == ("POST", "/o/7", [b'{"n": 7}'])
    assert ("x-a", b"b") in request.headers and ("x-request-id", b"7") in request.headers
    assert ("host", b"web.ns.svc.cluster.local:8080") in request.headers
    assert source.render(8, 8080) == b"PING 8\r\n"


def test_a_seed_cannot_name_a_command_to_run() -> None:
    with pytest.raises(SeedError, match="agent_exec"):
        load_seed({"options": {"agent_exec": "rm -rf /"}})
