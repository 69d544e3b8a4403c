"""Serving an aiohttp application on a host and port, and telling which port it got (0 asks for a free one)."""

from __future__ import annotations

from aiohttp import web


async def start_site(
    app: web.Application, host: str, port: int, shutdown_timeout: float = 60.0
) -> tuple[web.AppRunner, int]:
    """The started runner (call its `cleanup()` to stop) and the bound port."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    sockets = getattr(site._server, "sockets", None) or []  # noqa: SLF001 - aiohttp exposes the port only here
    return runner, (sockets[0].getsockname()[1] if sockets else port)
