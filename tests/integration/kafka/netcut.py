"""A TCP proxy on loopback that can cut one client off from the brokers, silently, and heal the cut.

A network cut sends nothing: no RST, no FIN. Both ends keep their connections open and what they send goes
nowhere until the path heals (TCP retransmits for minutes, so a 30 s cut closes no connection by itself); a
connection attempted during the cut is not answered until it heals. The proxy does the same: while cut it
reads and forwards nothing in either direction and holds new connections without opening the broker side;
when healed, whatever was held flows on. Whatever is not behind the proxy (Redis, the webhook receiver) stays
reachable, as when one machine's path to the brokers is lost.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from types import TracebackType

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
CHUNK = 65536


class NetCut:
    """Forwards each (listen port, target port) route on loopback from its own event loop thread."""

    def __init__(self, routes: list[tuple[int, int]]) -> None:
        self.routes = routes
        self.connections = 0  # accepted so far, for the test's printout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="netcut", daemon=True)
        self._open: asyncio.Event | None = None
        self._servers: list[asyncio.Server] = []

    def __enter__(self) -> NetCut:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    @property
    def is_cut(self) -> bool:
        return self._open is not None and not self._open.is_set()

    def cut(self) -> None:
        """From its return nothing passes either way, and new connections get no broker behind them."""
        self._in_loop(self._gate().clear)
        logger.info("netcut: cut (%d connections so far)", self.connections)

    def heal(self) -> None:
        self._in_loop(self._gate().set)
        logger.info("netcut: healed")

    def _in_loop(self, action: Callable[[], None]) -> None:
        """Done on the proxy's loop, and done when this returns."""

        async def run() -> None:
            action()

        asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=10)

    def _gate(self) -> asyncio.Event:
        assert self._open is not None, "the proxy is not started"
        return self._open

    async def _start(self) -> None:
        self._open = asyncio.Event()
        self._open.set()
        for listen, target in self.routes:
            server = await asyncio.start_server(
                lambda r, w, t=target: self._serve(r, w, t), HOST, listen, reuse_address=True
            )
            self._servers.append(server)

    async def _shutdown(self) -> None:
        for server in self._servers:
            server.close()
        tasks = [t for t in asyncio.all_tasks(self._loop) if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter, target: int) -> None:
        self.connections += 1
        gate = self._gate()
        try:
            await gate.wait()  # a connection made during the cut reaches no broker until it heals
            broker_r, broker_w = await asyncio.open_connection(HOST, target)
        except (OSError, asyncio.CancelledError):
            client_w.close()
            return
        try:
            await asyncio.gather(self._pump(client_r, broker_w, gate), self._pump(broker_r, client_w, gate))
        except (OSError, asyncio.CancelledError):
            pass  # a peer reset the connection, or the proxy is shutting down
        finally:
            for writer in (client_w, broker_w):
                writer.close()

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, gate: asyncio.Event) -> None:
        """One direction; while cut it neither reads (the sender's buffers fill) nor writes what it holds."""
        while True:
            await gate.wait()
            data = await reader.read(CHUNK)
            if not data:
                writer.close()  # the peer closed: pass the close on (this is no cut)
                return
            await gate.wait()
            writer.write(data)
            await writer.drain()
