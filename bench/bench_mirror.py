"""How fast the builtin engine replays mirrored traffic from one agent connection.

    python bench/bench_mirror.py [--bulk-mib N] [--small N] [--latency N] [--json]
                                 [--profile]

Two processes, as in a real session: this one runs the server's replay path
(`AgentConnection` decoding the agent's messages, `Mirror` writing them to a
local connection); a child process plays the agent (pre-encoded
`DaemonTcp::Data` messages written as fast as the socket takes them) and the
debuggee (a local listener timing what arrives).

Measured, each from one agent connection:
- bulk: 64 KiB `Data` messages → bytes/s delivered to the debuggee;
- small: 64-byte `Data` messages → messages/s;
- latency: one 16-byte message at a time (the agent waits for its arrival
  before sending the next) → p50/p95 from the agent's write to the
  debuggee's read.

The peer, measured in the same run on the same loopback and machine: a plain
asyncio socket relay (no decoding, no framing) forwarding the same payload
bytes. The difference of the p50s is the latency the replay adds per message.
`--profile` prints the replay loop's cProfile top entries.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import statistics
import struct
import subprocess
import sys
import time
from typing import Any

BULK_SIZE = 64 * 1024
SMALL_SIZE = 64
REMOTE_PORT = 80


# -- the child: agent and debuggee ----------------------------------------------------


class Sink:
    """The debuggee: accepts connections; each phase's connection reports its
    byte count and timings."""

    def __init__(self) -> None:
        self.expect = 0
        self.reached: asyncio.Future[float] | None = None
        self.latencies: list[int] = []
        self.record: asyncio.Event = asyncio.Event()
        self.latency_mode = False

    def arm(self, expect: int, latency: bool = False) -> asyncio.Future[float]:
        self.expect = expect
        self.latency_mode = latency
        self.latencies = []
        self.reached = asyncio.get_running_loop().create_future()
        return self.reached

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._read(reader)
        except asyncio.CancelledError:
            pass  # the run is over
        writer.close()

    async def _read(self, reader: asyncio.StreamReader) -> None:
        got = 0
        pending = b""
        while chunk := await reader.read(1 << 20):
            got += len(chunk)
            if self.latency_mode:
                now = time.perf_counter_ns()
                pending += chunk
                while len(pending) >= 16:
                    (sent,) = struct.unpack_from("<q", pending)
                    self.latencies.append(now - sent)
                    pending = pending[16:]
                    self.record.set()
            if got >= self.expect and self.reached is not None and not self.reached.done():
                self.reached.set_result(time.perf_counter())


async def _run_child(args: argparse.Namespace) -> None:
    from mirrord_ide.agent.protocol import codec
    from mirrord_ide.agent.protocol.messages import TcpClose, TcpData, TcpNewConnection

    sink = Sink()
    sink_server = await asyncio.start_server(sink.serve, "127.0.0.1", 0)
    agent_conn: asyncio.Future[tuple[asyncio.StreamReader, asyncio.StreamWriter]]
    agent_conn = asyncio.get_running_loop().create_future()
    finished = asyncio.Event()

    async def on_agent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        agent_conn.set_result((reader, writer))
        await finished.wait()  # keep the handler (and the socket) alive

    agent_server = await asyncio.start_server(on_agent, "127.0.0.1", 0)
    ports = (agent_server.sockets[0].getsockname()[1], sink_server.sockets[0].getsockname()[1])
    print(f"{ports[0]} {ports[1]}", flush=True)
    relay_port = int((await asyncio.to_thread(sys.stdin.readline)).strip())
    _, agent = await agent_conn
    relay_reader, relay = await asyncio.open_connection("127.0.0.1", relay_port)
    del relay_reader

    def framed(cid: int, payload: bytes) -> bytes:
        return codec.encode_daemon(TcpData(cid, payload))

    def opened(cid: int) -> bytes:
        message = TcpNewConnection(cid, "10.0.0.9", 40000 + cid, REMOTE_PORT, "10.0.0.5", v2=True)
        return codec.encode_daemon(message)

    async def pour(writer: asyncio.StreamWriter, chunk: bytes, count: int) -> None:
        batch = max(1, (1 << 20) // len(chunk))
        for i in range(count):
            writer.write(chunk)
            if i % batch == batch - 1:
                await writer.drain()
        await writer.drain()

    results: dict[str, Any] = {}
    bulk_count = max(1, args.bulk_mib * 1024 * 1024 // BULK_SIZE)
    bulk = bytes(range(256)) * (BULK_SIZE // 256)
    small = b"s" * SMALL_SIZE
    cid = 0
    for side in ("server", "relay"):
        framing = side == "server"
        writer = agent if framing else relay
        out: dict[str, Any] = {}
        # bulk throughput
        cid += 1
        if framing:
            writer.write(opened(cid))
        done = sink.arm(bulk_count * BULK_SIZE)
        start = time.perf_counter()
        await pour(writer, framed(cid, bulk) if framing else bulk, bulk_count)
        end = await done
        out["bulk_mb_s"] = bulk_count * BULK_SIZE / (end - start) / 1e6
        if framing:
            writer.write(codec.encode_daemon(TcpClose(cid)))
        else:
            relay.write_eof() if relay.can_write_eof() else None
        # small messages
        if not framing:
            _, relay = await asyncio.open_connection("127.0.0.1", relay_port)
            writer = relay
        cid += 1
        if framing:
            writer.write(opened(cid))
        done = sink.arm(args.small * SMALL_SIZE)
        start = time.perf_counter()
        await pour(writer, framed(cid, small) if framing else small, args.small)
        end = await done
        out["small_msg_s"] = args.small / (end - start)
        if framing:
            writer.write(codec.encode_daemon(TcpClose(cid)))
        else:
            relay.close()
            _, relay = await asyncio.open_connection("127.0.0.1", relay_port)
            writer = relay
        # latency, one message at a time
        cid += 1
        if framing:
            writer.write(opened(cid))
        sink.arm(args.latency * 16, latency=True)
        for i in range(args.latency):
            sink.record.clear()
            payload = struct.pack("<qq", time.perf_counter_ns(), i)
            writer.write(framed(cid, payload) if framing else payload)
            await writer.drain()
            await asyncio.wait_for(sink.record.wait(), 10)
        lat = sorted(sink.latencies)
        out["latency_p50_us"] = statistics.median(lat) / 1e3
        out["latency_p95_us"] = lat[int(len(lat) * 0.95) - 1] / 1e3 if lat else 0.0
        if framing:
            writer.write(codec.encode_daemon(TcpClose(cid)))
            await writer.drain()
        else:
            relay.close()
        results[side] = out
    finished.set()
    print(json.dumps(results), flush=True)


# -- this process: the server's replay path, and the relay peer ---------------------------


class _Relay(asyncio.Protocol):
    """The peer: forwards bytes to the sink as they come, nothing else."""

    def __init__(self, sink_port: int) -> None:
        self.sink_port = sink_port
        self.out: asyncio.Transport | None = None
        self.buffer: list[bytes] = []
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        asyncio.get_running_loop().create_task(self._connect())

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        out, _ = await loop.create_connection(asyncio.Protocol, "127.0.0.1", self.sink_port)
        self.out = out
        out.writelines(self.buffer)
        self.buffer = []

    def data_received(self, data: bytes) -> None:
        if self.out is None:
            self.buffer.append(data)
        else:
            self.out.write(data)

    def eof_received(self) -> bool | None:
        if self.out is not None:
            self.out.close()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.out is not None:
            self.out.close()


async def _run_server(args: argparse.Namespace) -> dict[str, Any]:
    from mirrord_ide.agent.client import connect_agent
    from mirrord_ide.agent.mirror import Mirror

    child = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--child",
        "--bulk-mib",
        str(args.bulk_mib),
        "--small",
        str(args.small),
        "--latency",
        str(args.latency),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert child.stdout is not None and child.stdin is not None
    agent_port, sink_port = (int(p) for p in (await child.stdout.readline()).split())
    connection = await connect_agent("127.0.0.1", agent_port, 10)
    mirror = Mirror(
        send=connection.send,
        local_port=lambda remote: sink_port,
        pause=connection.pause_reading,
        resume=connection.resume_reading,
    )
    connection.traffic = mirror.handle
    loop = asyncio.get_running_loop()
    relay = await loop.create_server(lambda: _Relay(sink_port), "127.0.0.1", 0)
    child.stdin.write(f"{relay.sockets[0].getsockname()[1]}\n".encode())
    await child.stdin.drain()
    profiler = cProfile.Profile() if args.profile else None
    if profiler is not None:
        profiler.enable()
    line = await asyncio.wait_for(child.stdout.readline(), 600)
    if profiler is not None:
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(15)
    await child.wait()
    # The agent's end of the connection closes after its last message.
    await asyncio.wait_for(asyncio.shield(connection.ended), 10)
    await connection.close()
    relay.close()
    results: dict[str, Any] = json.loads(line)
    results["messages_decoded"] = connection.messages_in
    results["added_latency_p50_us"] = (
        results["server"]["latency_p50_us"] - results["relay"]["latency_p50_us"]
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bulk-mib", type=int, default=256, help="MiB of 64 KiB messages")
    parser.add_argument("--small", type=int, default=200_000, help="64-byte messages")
    parser.add_argument("--latency", type=int, default=2000, help="latency samples")
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    parser.add_argument("--profile", action="store_true", help="profile the replay loop")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(_run_child(args))
        return
    results = asyncio.run(_run_server(args))
    server, relay = results["server"], results["relay"]
    rows = [
        ("64 KiB Data messages (MB/s)", server["bulk_mb_s"], relay["bulk_mb_s"], "≥ 50"),
        ("64-byte Data messages (msg/s)", server["small_msg_s"], relay["small_msg_s"], "≥ 20000"),
        ("latency p50 (µs)", server["latency_p50_us"], relay["latency_p50_us"], ""),
        ("latency p95 (µs)", server["latency_p95_us"], relay["latency_p95_us"], ""),
    ]
    print(f"{'':34} {'replay':>12} {'socket relay':>14} {'target':>9}")
    for label, ours, peer, target in rows:
        print(f"{label:34} {ours:12.1f} {peer:14.1f} {target:>9}")
    added = results["added_latency_p50_us"]
    print(f"{'added latency p50 (µs)':34} {added:12.1f} {'':14} {'≤ 1000':>9}")
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
