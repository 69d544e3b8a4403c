"""HTTP byte ranges (RFC 9110 section 14) for media held in memory: a video element seeks with them."""

from __future__ import annotations

import logging

from aiohttp import web

logger = logging.getLogger(__name__)

_CACHE = {"Cache-Control": "private, max-age=60", "Accept-Ranges": "bytes"}


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The one range `bytes=a-b` / `bytes=a-` / `bytes=-n` asks for, as inclusive (first, last); None if unusable."""
    unit, _, spec = header.partition("=")
    if unit.strip() != "bytes" or "," in spec or "-" not in spec:
        return None
    first_text, _, last_text = spec.strip().partition("-")
    try:
        if not first_text:
            suffix = int(last_text)
            return (max(0, size - suffix), size - 1) if suffix > 0 and size > 0 else None
        first = int(first_text)
        last = int(last_text) if last_text else size - 1
    except ValueError:
        return None
    if first < 0 or first >= size or last < first:
        return None
    return first, min(last, size - 1)


def byte_range_response(request: web.Request, body: bytes, content_type: str) -> web.Response:
    """The whole body, or the part a Range header asks for (206), or 416 for a range outside it."""
    header = request.headers.get("Range")
    if not header:
        return web.Response(body=body, content_type=content_type, headers=_CACHE)
    wanted = parse_range(header, len(body))
    if wanted is None:
        logger.debug("unsatisfiable range %r of %d bytes", header, len(body))
        return web.Response(status=416, headers={**_CACHE, "Content-Range": f"bytes */{len(body)}"})
    first, last = wanted
    return web.Response(
        status=206,
        body=body[first : last + 1],
        content_type=content_type,
        headers={**_CACHE, "Content-Range": f"bytes {first}-{last}/{len(body)}"},
    )
