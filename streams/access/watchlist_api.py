"""HTTP API of the watch list, served beside the access receiver for the community platform or a duty desk.

GET /api/watchlist | POST /api/watchlist | DELETE /api/watchlist | GET /api/watchlist/audit
Bearer `access.receiver.admin_token` (never a device token). Bodies name the identifier in the clear
({"kind": "employee", "value": "E-7731", ...}); it is hashed on arrival and never stored or logged.
"""

from __future__ import annotations

import hmac
import logging
import time

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from alerts.access.watchlist import WatchEntry, WatchKind, WatchList
from detectors.access.types import RiskTier
from streams.access.vendor import describe_validation, pseudonymise

logger = logging.getLogger(__name__)


class _Change(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: WatchKind
    value: str = Field(min_length=1, max_length=128, description="The identifier in the clear; hashed on arrival")
    by: str = Field(min_length=1, max_length=100)


class _Addition(_Change):
    label: str = Field(min_length=1, max_length=200)
    tier: RiskTier
    reason: str = Field(default="", max_length=500)
    expires_at: float | None = None


class WatchListApi:
    def __init__(self, watchlist: WatchList, key: bytes, admin_token: str) -> None:
        self.watchlist = watchlist
        self.key = key
        self.admin_token = admin_token

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/api/watchlist", self._list)
        app.router.add_post("/api/watchlist", self._add)
        app.router.add_delete("/api/watchlist", self._remove)
        app.router.add_get("/api/watchlist/audit", self._audit)

    def _authorised(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        return header.lower().startswith("bearer ") and hmac.compare_digest(header[7:].strip(), self.admin_token)

    async def _body(self, request: web.Request, model: type[_Change]) -> _Change | web.Response:
        if not self._authorised(request):
            return _error(401, "missing or wrong admin token")
        try:
            return model.model_validate_json(await request.read())
        except ValidationError as exc:
            return _error(400, describe_validation(exc))

    async def _list(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401, "missing or wrong admin token")
        return web.json_response([e.model_dump(mode="json") for e in await self.watchlist.entries()])

    async def _add(self, request: web.Request) -> web.Response:
        change = await self._body(request, _Addition)
        if isinstance(change, web.Response):
            return change
        assert isinstance(change, _Addition)
        entry = WatchEntry(
            kind=change.kind,
            ref=pseudonymise(self.key, change.kind, change.value),
            label=change.label,
            reason=change.reason,
            tier=change.tier,
            expires_at=change.expires_at,
            added_by=change.by,
            added_at=time.time(),
        )
        await self.watchlist.add(entry)
        return web.json_response(entry.model_dump(mode="json"), status=201)

    async def _remove(self, request: web.Request) -> web.Response:
        change = await self._body(request, _Change)
        if isinstance(change, web.Response):
            return change
        removed = await self.watchlist.remove(change.kind, pseudonymise(self.key, change.kind, change.value), change.by)
        return web.json_response({"removed": removed}, status=200 if removed else 404)

    async def _audit(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            return _error(401, "missing or wrong admin token")
        return web.json_response(await self.watchlist.audit(int(request.query.get("count", "100"))))


def _error(status: int, reason: str) -> web.Response:
    return web.json_response({"status": "refused", "reason": reason}, status=status)
