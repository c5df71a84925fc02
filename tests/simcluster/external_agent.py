"""A minimal external agent for `demo-cluster --agent-exec`: speaks the protocol with the
server's codec. Arguments as mirrord's agent gets them (`-l PORT -t SECONDS ...`); answers
the version handshake, `Ping` and `GetEnvVarsRequest` (from `MIRRORD_SIM_PROCESS_ENV`), and
exits 0 when its one client leaves, 1 when none comes in time."""

from __future__ import annotations

import json
import os
import socket
import sys

from mirrord_ide.agent.protocol import (
    ClientClose,
    ClientStream,
    GetEnvVarsRequest,
    GetEnvVarsResponse,
    Ping,
    Pong,
    SwitchProtocolVersion,
    SwitchProtocolVersionResponse,
    encode_daemon,
)


def main(argv: list[str]) -> int:
    port = int(argv[argv.index("-l") + 1])
    timeout = float(argv[argv.index("-t") + 1])
    env = json.loads(os.environ["MIRRORD_SIM_PROCESS_ENV"])
    server = socket.create_server(("127.0.0.1", port))
    server.settimeout(timeout)
    print(f"agent ready - version 9.9.9 args={' '.join(argv)}", flush=True)
    try:
        conn, _ = server.accept()
    except TimeoutError:
        print("no client", flush=True)
        return 1
    stream = ClientStream()
    with conn:
        while data := conn.recv(65536):
            for msg in stream.feed(data):
                if isinstance(msg, SwitchProtocolVersion):
                    conn.sendall(encode_daemon(SwitchProtocolVersionResponse("1.29.0")))
                elif isinstance(msg, Ping):
                    conn.sendall(encode_daemon(Pong()))
                elif isinstance(msg, GetEnvVarsRequest):
                    conn.sendall(encode_daemon(GetEnvVarsResponse(env)))
                elif isinstance(msg, ClientClose):
                    print("client left", flush=True)
                    return 0
    print("client left", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
