"""Serving an aiohttp application on a host and port until stopped, and telling which port it got (0 asks for a
free one). The console, the door-event receiver and the health endpoints each hold one."""

from __future__ import annotations

from aiohttp import web


class WebSite:
    def __init__(self, shutdown_timeout: float = 60.0) -> None:
        self.shutdown_timeout = shutdown_timeout
        self.port: int | None = None
        self._runner: web.AppRunner | None = None

    async def start(self, app: web.Application, host: str, port: int) -> int:
        """Serve `app`; returns the bound port."""
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=self.shutdown_timeout)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        sockets = getattr(site._server, "sockets", None) or []  # noqa: SLF001 - aiohttp exposes the port only here
        self._runner, self.port = runner, (sockets[0].getsockname()[1] if sockets else port)
        return self.port

    async def stop(self) -> None:
        """Stop serving; a second call, or one before `start`, does nothing."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
