"""Serve one gRPC service the way a Pulumi plugin does: on a free loopback port, printed on stdout, until stopped."""

from __future__ import annotations

from collections.abc import Callable
from concurrent import futures

import grpc

# The Pulumi wire format's sentinels (sdk/go/common/resource/plugin/rpc.go): an unknown value, and the signature key
# and value that mark a secret.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
SIG = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def serve(register: Callable[[grpc.Server], None], *, workers: int = 8) -> None:
    """`register` adds the servicer; the CLI reads the port from the first line and interrupts us when done."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=workers))
    register(server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    try:
        server.wait_for_termination()
    except KeyboardInterrupt:
        server.stop(0)
