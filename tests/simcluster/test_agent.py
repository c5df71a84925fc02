"""The simulated agent over a real port-forward: handshake, process env, keep-alive,
mirrored traffic and its lifecycle."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from mirrord_ide.agent.protocol import (
    ClientClose,
    GetEnvVarsRequest,
    GetEnvVarsResponse,
    HttpRequestBody,
    HttpRequestStart,
    LogMessage,
    Ping,
    Pong,
    ReadyForLogs,
    SwitchProtocolVersion,
    SwitchProtocolVersionResponse,
    TcpClose,
    TcpData,
    TcpNewConnection,
    TcpPortSubscribe,
    TcpSubscribeResult,
)
from mirrord_simcluster.agent import parse_agent_args, parse_http_requests, select_env
from mirrord_simcluster.testing import SimCluster
from simcluster.agent_client import ProtocolSocket
from simcluster.helpers import (
    first_pod,
    pod_log,
    pod_phase,
    start_agent,
    start_targeted_agent,
    wait_for,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]


@pytest.fixture
def greeter(sim_cluster: SimCluster) -> str:
    return first_pod(sim_cluster, "default", "greeter")


@pytest.fixture
def agent(sim_cluster: SimCluster, greeter: str) -> Iterator[ProtocolSocket]:
    pod = start_targeted_agent(sim_cluster, 40201, greeter)
    conn = ProtocolSocket(sim_cluster, "default", pod, 40201)
    try:
        conn.send(SwitchProtocolVersion("1.29.0"))
        assert conn.recv() == SwitchProtocolVersionResponse("1.29.0")
        yield conn
    finally:
        conn.close()


def subscribe(conn: ProtocolSocket, port: int = 8080) -> None:
    conn.send(TcpPortSubscribe(port))
    assert conn.recv() == TcpSubscribeResult(port)


@pytest.mark.parametrize(
    ("client", "settled"),
    [
        ("1.29.0", "1.29.0"),
        ("1.19.4", "1.19.4"),
        ("2.0.0", "1.29.0"),
        ("1.29.0-rc.1", "1.29.0-rc.1"),
    ],
)
def test_version_negotiation(sim_cluster: SimCluster, client: str, settled: str) -> None:
    pod = start_agent(sim_cluster, 40202)
    conn = ProtocolSocket(sim_cluster, "shop", pod, 40202)
    try:
        conn.send(SwitchProtocolVersion(client), Ping(), Ping())
        assert [conn.recv(), conn.recv(), conn.recv()] == [
            SwitchProtocolVersionResponse(settled),
            Pong(),
            Pong(),
        ]
    finally:
        conn.close()


def test_process_env_includes_the_image_env(sim_cluster: SimCluster, agent: ProtocolSocket) -> None:
    agent.send(GetEnvVarsRequest(frozenset(), frozenset()))
    reply = agent.recv()
    assert isinstance(reply, GetEnvVarsResponse) and reply.env is not None
    env = reply.env
    # The image's variable, invisible through the API, is in the process env.
    assert env["IMAGE_ONLY_GREETING"] == "hello from the greeter image"
    assert env["GREETING"] == "hello"  # envFrom config map
    assert env["PORT"] == "8080"  # spec env
    assert env["HOSTNAME"].startswith("greeter-")
    # The agent never returns these.
    assert "PATH" not in env and "HOME" not in env
    pods = [
        p
        for p in sim_cluster.store.list("pods", "default")
        if p["metadata"]["name"] == env["HOSTNAME"]
    ]
    assert "IMAGE_ONLY_GREETING" not in json.dumps(pods)


def test_env_filter_and_select(agent: ProtocolSocket) -> None:
    agent.send(GetEnvVarsRequest(frozenset(), frozenset({"GREET*", "PORT"})))
    reply = agent.recv()
    assert isinstance(reply, GetEnvVarsResponse)
    assert reply.env == {"GREETING": "hello", "GREETER_BUILD": "0.9.1+8c2f1e7", "PORT": "8080"}
    agent.send(GetEnvVarsRequest(frozenset({"*GREETING", "KUBERNETES_*"}), frozenset()))
    reply = agent.recv()
    assert isinstance(reply, GetEnvVarsResponse) and reply.env is not None
    assert "GREETING" not in reply.env and "IMAGE_ONLY_GREETING" not in reply.env
    assert not any(k.startswith("KUBERNETES_") for k in reply.env)
    assert reply.env["GREETER_BUILD"] == "0.9.1+8c2f1e7"


def test_select_env_semantics() -> None:
    env = {"FOO": "1", "FOOBAR": "2", "BAR": "3", "BAR_STOOL": "4", "PATH": "/bin", "A.B": "5"}
    assert select_env(env, [], []) == {k: v for k, v in env.items() if k != "PATH"}
    assert select_env(env, [], ["FOO", "BAR_*"]) == {"FOO": "1", "BAR_STOOL": "4"}
    assert select_env(env, ["FOO*"], ["F?O*", "PATH"]) == {}
    assert select_env(env, [], ["A?B"]) == {"A.B": "5"}  # `?` is one character, `.` literal


def test_http_request_is_mirrored_as_chunked_start(
    sim_cluster: SimCluster, agent: ProtocolSocket, greeter: str
) -> None:
    subscribe(agent)
    request = (
        b"POST /greet?x=1 HTTP/1.1\r\nHost: greeter\r\nX-Tag: a\r\nX-Tag: b\r\n"
        b"Content-Length: 5\r\n\r\nhello"
    )
    assert sim_cluster.send_traffic("default", greeter, 8080, request) == 1
    start = agent.recv()
    assert isinstance(start, HttpRequestStart)
    assert (start.method, start.uri, start.version, start.port) == (
        "POST",
        "/greet?x=1",
        "HTTP/1.1",
        8080,
    )
    assert start.headers == [
        ("host", b"greeter"),
        ("x-tag", b"a"),
        ("x-tag", b"b"),
        ("content-length", b"5"),
    ]
    assert start.body == [b"hello"] and start.is_last
    pod = sim_cluster.store.get_ref("pods", "default", greeter)
    assert pod is not None and start.destination_address == pod["status"]["podIP"]
    assert agent.recv() == TcpClose(start.connection_id)
    # Traffic to a port nobody subscribed is not mirrored.
    assert sim_cluster.send_traffic("default", greeter, 9999, request) == 0


def test_streamed_body_arrives_in_body_frames(
    sim_cluster: SimCluster, agent: ProtocolSocket, greeter: str
) -> None:
    subscribe(agent)
    request = (
        b"PUT /upload HTTP/1.1\r\nhost: g\r\ntransfer-encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    )
    sim_cluster.send_traffic("default", greeter, 8080, request)
    start = agent.recv()
    assert isinstance(start, HttpRequestStart) and not start.is_last and start.body == []
    cid = start.connection_id
    assert [agent.recv() for _ in range(4)] == [
        HttpRequestBody(cid, 0, [b"abc"], False),
        HttpRequestBody(cid, 0, [b"de"], False),
        HttpRequestBody(cid, 0, [], True),
        TcpClose(cid),
    ]


def test_raw_tcp_is_mirrored_as_a_connection(
    sim_cluster: SimCluster, agent: ProtocolSocket, greeter: str
) -> None:
    subscribe(agent)
    sim_cluster.send_traffic("default", greeter, 8080, b"\x00\x01binary")
    new = agent.recv()
    assert isinstance(new, TcpNewConnection) and new.v2 and new.transport is None
    assert new.destination_port == 8080
    cid = new.connection_id
    assert [agent.recv() for _ in range(3)] == [
        TcpData(cid, b"\x00\x01binary"),
        TcpData(cid, b""),  # the sender finished writing
        TcpClose(cid),
    ]


def test_old_clients_get_v1_connections_and_no_http(sim_cluster: SimCluster, greeter: str) -> None:
    pod = start_targeted_agent(sim_cluster, 40203, greeter)
    conn = ProtocolSocket(sim_cluster, "default", pod, 40203)
    try:
        conn.send(SwitchProtocolVersion("1.19.3"), ReadyForLogs())
        assert conn.recv() == SwitchProtocolVersionResponse("1.19.3")
        subscribe(conn)
        sim_cluster.send_traffic("default", greeter, 8080, b"GET / HTTP/1.1\r\nhost: g\r\n\r\n")
        log = conn.recv()
        assert isinstance(log, LogMessage) and log.level == "error" and ">=1.19.4" in log.message
        sim_cluster.send_traffic("default", greeter, 8080, b"raw")
        new = conn.recv()
        assert isinstance(new, TcpNewConnection) and not new.v2
        assert conn.recv() == TcpData(new.connection_id, b"raw")
    finally:
        conn.close()


def test_periodic_traffic_reaches_subscribers(
    sim_cluster: SimCluster, agent: ProtocolSocket
) -> None:
    sim_cluster.options.traffic_interval = 0.2
    subscribe(agent)
    start = agent.recv(timeout=5)
    assert isinstance(start, HttpRequestStart)
    assert start.method in ("GET", "POST") and "visitor-" in (
        start.uri + b"".join(start.body).decode()
    )
    assert dict(start.headers)["x-request-id"].isdigit()


def test_traffic_endpoint(sim_cluster: SimCluster, agent: ProtocolSocket, greeter: str) -> None:
    subscribe(agent)

    def post(user: str, query: str) -> tuple[int, Any]:
        import ssl

        ctx = ssl.create_default_context(cadata=(sim_cluster.ca_pem or b"").decode())
        req = urllib.request.Request(
            f"{sim_cluster.url}/sim/traffic?{query}",
            data=b"GET /from-endpoint HTTP/1.1\r\nhost: g\r\n\r\n",
            method="POST",
            headers={"Authorization": f"Bearer {sim_cluster.token_for(user)}"},
        )
        try:
            with urllib.request.urlopen(req, context=ctx, timeout=5) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    assert post("admin", f"namespace=default&pod={greeter}&port=8080") == (200, {"mirrored": 1})
    start = agent.recv()
    assert isinstance(start, HttpRequestStart) and start.uri == "/from-endpoint"
    assert post("viewer", f"namespace=default&pod={greeter}&port=8080")[0] == 403
    assert post("admin", "namespace=default&pod=nope&port=8080")[0] == 404
    assert post("admin", "namespace=default&pod=x")[0] == 400


def test_no_client_within_timeout_fails_the_pod(sim_cluster: SimCluster, greeter: str) -> None:
    pod = start_targeted_agent(sim_cluster, 40204, greeter, timeout=1)
    wait_for(lambda: pod_phase(sim_cluster, "default", pod) == "Failed", 5, "agent exit")
    status = sim_cluster.store.get_ref("pods", "default", pod)
    assert status is not None
    terminated = status["status"]["containerStatuses"][0]["state"]["terminated"]
    assert terminated["exitCode"] == 1


def test_last_client_leaving_ends_the_agent(sim_cluster: SimCluster, greeter: str) -> None:
    pod = start_targeted_agent(sim_cluster, 40205, greeter, timeout=1)
    conn = ProtocolSocket(sim_cluster, "default", pod, 40205)
    conn.send(Ping())
    assert conn.recv() == Pong()
    time.sleep(1.5)  # past the first-connection timeout: a connected agent keeps running
    assert pod_phase(sim_cluster, "default", pod) == "Running"
    conn.send(ClientClose())
    assert conn.recv_until_eof() == []
    conn.close()
    wait_for(lambda: pod_phase(sim_cluster, "default", pod) == "Succeeded", 5, "agent exit")
    job = sim_cluster.store.get_ref("jobs", "default", "mirrord-agent-tgt")
    wait_for(
        lambda: (
            (job := sim_cluster.store.get_ref("jobs", "default", "mirrord-agent-tgt")) is None
            or job["status"].get("succeeded") == 1
        ),
        5,
        "job completion",
    )
    assert job is not None


def test_target_pod_going_away_ends_the_agent(
    sim_cluster: SimCluster, agent: ProtocolSocket, greeter: str
) -> None:
    subscribe(agent)
    sim_cluster.store.delete("pods", "default", greeter)
    with pytest.raises(EOFError):
        agent.recv(timeout=5)
    wait_for(lambda: pod_phase(sim_cluster, "default", agent.pod) == "Succeeded", 5, "agent exit")


def test_deleting_the_agent_pod_closes_its_connections(
    sim_cluster: SimCluster, agent: ProtocolSocket
) -> None:
    sim_cluster.store.delete("pods", "default", agent.pod)
    with pytest.raises(EOFError):
        agent.recv(timeout=5)


def test_garbage_gets_a_close_with_the_reason(sim_cluster: SimCluster) -> None:
    pod = start_agent(sim_cluster, 40206)
    conn = ProtocolSocket(sim_cluster, "shop", pod, 40206)
    try:
        conn.sock.sendall(b"\x07\xfe")
        assert conn.recv() == Pong()
        close = conn.recv()
        assert type(close).__name__ == "DaemonClose" and "decode" in close.message  # type: ignore[union-attr]
        assert conn.recv_until_eof() == []
    finally:
        conn.close()


def test_targetless_agent_refuses_mirroring(sim_cluster: SimCluster) -> None:
    pod = start_agent(sim_cluster, 40207)
    conn = ProtocolSocket(sim_cluster, "shop", pod, 40207)
    try:
        conn.send(TcpPortSubscribe(80))
        close = conn.recv()
        assert type(close).__name__ == "DaemonClose" and "target" in close.message  # type: ignore[union-attr]
    finally:
        conn.close()


def test_parse_agent_args() -> None:
    args = parse_agent_args(
        [
            "-l",
            "4000",
            "--communication-timeout=5",
            "targeted",
            "--container-id",
            "abc",
            "-r",
            "cri",
        ]
    )
    assert (args.port, args.communication_timeout, args.mode) == (4000, 5, "targeted")
    assert (args.container_id, args.container_runtime) == ("abc", "cri")
    assert parse_agent_args(["targetless"]).port == 61337
    assert parse_agent_args(["-l"]).port == 61337


def test_parse_http_requests() -> None:
    two = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.0\r\nhost: x\r\n\r\n"
    parsed = parse_http_requests(two)
    assert parsed is not None and [(r.uri, r.version) for r in parsed] == [
        ("/a", "HTTP/1.1"),
        ("/b", "HTTP/1.0"),
    ]
    assert parse_http_requests(b"SSH-2.0-OpenSSH\r\n") is None
    assert parse_http_requests(b"GET / HTTP/1.1\r\nbroken header\r\n\r\n") is None
    assert parse_http_requests(b"") is None


def test_missing_target_container_fails_at_start(sim_cluster: SimCluster) -> None:
    from simcluster.helpers import AGENT_IMAGE, api_client, job_manifest

    sim_cluster.options.schedule_delay = 0.05
    api = api_client(sim_cluster)
    try:
        from kubernetes import client

        manifest = job_manifest(
            "mirrord-agent-lost",
            image=AGENT_IMAGE,
            args=["-l", "40208", "-t", "30", "targeted", "--container-id", "0" * 64],
        )
        client.BatchV1Api(api).create_namespaced_job("default", manifest)
    finally:
        api.close()

    def failed_pod() -> str | None:
        for pod in sim_cluster.store.list("pods", "default"):
            name = pod["metadata"]["name"]
            if name.startswith("mirrord-agent-lost") and pod["status"].get("phase") == "Failed":
                return str(name)
        return None

    pod = wait_for(failed_pod, 5, "the agent to fail")
    assert "not found" in pod_log(sim_cluster, "default", pod)


def test_large_tcp_data_arrives_in_reads(
    sim_cluster: SimCluster, agent: ProtocolSocket, greeter: str
) -> None:
    subscribe(agent)
    payload = bytes(range(256)) * 600  # 153,600 bytes: reads of 64 KiB, 64 KiB, 22,528
    sim_cluster.send_traffic("default", greeter, 8080, payload)
    new = agent.recv()
    assert isinstance(new, TcpNewConnection)
    chunks = [agent.recv() for _ in range(3)]
    assert [len(c.data) for c in chunks if isinstance(c, TcpData)] == [65536, 65536, 22528]
    assert b"".join(c.data for c in chunks if isinstance(c, TcpData)) == payload
    assert agent.recv() == TcpData(new.connection_id, b"")
