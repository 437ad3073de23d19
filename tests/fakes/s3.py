"""An S3 server on loopback (moto's server mode) that stops when the test session ends."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator


@contextmanager
def s3_server() -> Iterator[str]:
    """Run moto's S3 on 127.0.0.1 and yield its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server._server.server_address
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
