"""The watch list in Redis: persons of interest by pseudonymised employee number, card number or name.

Entries are stored under person refs (keyed hashes), never the clear identifier, so the list can be matched
against access events without the service keeping a register of card numbers. Every change is audited.

Keys: watch:{kind}:{ref} JSON entry (expires with the entry) | watch:index set of kind:ref | watch:audit stream
"""

from __future__ import annotations

import logging
import time
from typing import Any, Literal, cast

import redis.asyncio as aioredis
from pydantic import BaseModel, ConfigDict, Field

from detectors.access.types import RiskTier

logger = logging.getLogger(__name__)

WatchKind = Literal["employee", "card", "name"]
_TIER_ORDER = {"red": 0, "yellow": 1}


class WatchEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: WatchKind
    ref: str = Field(min_length=8, max_length=64, description="Keyed hash of the identifier")
    label: str = Field(min_length=1, max_length=200, description="What officers see, e.g. 'Suspect A (case 113)'")
    reason: str = Field(default="", max_length=500)
    tier: RiskTier
    expires_at: float | None = Field(default=None, description="Event time after which the entry no longer matches")
    added_by: str = Field(min_length=1, max_length=100)
    added_at: float


class WatchList:
    def __init__(self, client: aioredis.Redis, prefix: str = "sentinel:") -> None:
        self.redis = client
        self.prefix = prefix

    def _key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    async def add(self, entry: WatchEntry) -> None:
        """Add or replace; the key expires a day after the entry does (lookups check the time themselves)."""
        key = self._key("watch", entry.kind, entry.ref)
        ttl = None
        if entry.expires_at is not None:
            ttl = max(60, int(entry.expires_at - time.time()) + 86400)
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(key, entry.model_dump_json(), ex=ttl)
        pipe.sadd(self._key("watch", "index"), f"{entry.kind}:{entry.ref}")
        self._audit(pipe, "add", entry.added_by, entry)
        await pipe.execute()

    async def remove(self, kind: WatchKind, ref: str, by: str) -> bool:
        entry = await self.get(kind, ref)
        if entry is None:
            return False
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self._key("watch", kind, ref))
        pipe.srem(self._key("watch", "index"), f"{kind}:{ref}")
        self._audit(pipe, "remove", by, entry)
        await pipe.execute()
        return True

    async def get(self, kind: str, ref: str) -> WatchEntry | None:
        raw = await self.redis.get(self._key("watch", kind, ref))
        return WatchEntry.model_validate_json(raw) if raw else None

    async def entries(self) -> list[WatchEntry]:
        members = sorted(cast(bytes, m).decode() for m in await self.redis.smembers(self._key("watch", "index")))
        found = []
        for member in members:
            kind, _, ref = member.partition(":")
            entry = await self.get(kind, ref)
            if entry is None:
                await self.redis.srem(self._key("watch", "index"), member)  # expired
            else:
                found.append(entry)
        return found

    async def lookup(self, refs: tuple[tuple[str, str], ...], at: float) -> WatchEntry | None:
        """The highest-tier entry matching any of the refs that has not expired by event time `at`."""
        if not refs:
            return None
        raws = await self.redis.mget([self._key("watch", kind, ref) for kind, ref in refs])
        live = [
            entry
            for entry in (WatchEntry.model_validate_json(r) for r in raws if r)
            if entry.expires_at is None or entry.expires_at >= at
        ]
        return min(live, key=lambda e: _TIER_ORDER[e.tier]) if live else None

    async def audit(self, count: int = 100) -> list[dict[str, str]]:
        reply: Any = await self.redis.xrevrange(self._key("watch", "audit"), count=count)
        return [{k.decode(): v.decode() for k, v in cast(dict[bytes, bytes], fields).items()} for _, fields in reply]

    def _audit(self, pipe: Any, action: str, by: str, entry: WatchEntry) -> None:
        record = {"action": action, "by": by, "at": f"{time.time():.3f}", "kind": entry.kind, "ref": entry.ref}
        record.update({"label": entry.label, "tier": entry.tier, "reason": entry.reason})
        pipe.xadd(self._key("watch", "audit"), record, maxlen=100_000, approximate=True)
        logger.info("watch list %s of a %s entry (tier %s) by %s", action, entry.kind, entry.tier, by)
