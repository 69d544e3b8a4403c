"""Risky door entries by site and door on event time, so car-park alerts can be linked to what came before.

Keys: entries:{site}:{door} zset of LinkedEntry JSON scored by event time, trimmed to the retention;
residents:{site}:{door} zset of residents' entry event ids (no identity) by event time.
"""

from __future__ import annotations

import logging
from typing import cast

import redis.asyncio as aioredis

from detectors.access.types import LinkedEntry

logger = logging.getLogger(__name__)


class EntryLedger:
    def __init__(self, client: aioredis.Redis, retention_s: int, prefix: str = "sentinel:") -> None:
        self.redis = client
        self.retention_s = retention_s
        self.prefix = prefix

    def _key(self, site_id: str, door_id: str) -> str:
        return f"{self.prefix}entries:{site_id}:{door_id}"

    async def add(self, site_id: str, entry: LinkedEntry) -> None:
        """Idempotent: the same entry twice is one member."""
        key = self._key(site_id, entry.door_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.zadd(key, {entry.model_dump_json(): entry.ts})
        pipe.zremrangebyscore(key, "-inf", entry.ts - self.retention_s)
        pipe.expire(key, self.retention_s)
        await pipe.execute()

    async def between(self, site_id: str, door_ids: tuple[str, ...], since: float, until: float) -> list[LinkedEntry]:
        """Entries at these doors with event time in [since, until], oldest first."""
        found: list[LinkedEntry] = []
        for door_id in door_ids:
            for raw in await self.redis.zrangebyscore(self._key(site_id, door_id), since, until):
                found.append(LinkedEntry.model_validate_json(cast(bytes, raw)))
        return sorted(found, key=lambda e: (e.ts, e.event_id))

    async def add_resident(self, site_id: str, door_id: str, event_id: str, ts: float) -> None:
        """A resident came in: kept (by event id only) so car-park activity right after counts as less risky."""
        key = f"{self.prefix}residents:{site_id}:{door_id}"
        pipe = self.redis.pipeline(transaction=True)
        pipe.zadd(key, {event_id: ts})
        pipe.zremrangebyscore(key, "-inf", ts - self.retention_s)
        pipe.expire(key, self.retention_s)
        await pipe.execute()

    async def residents_between(self, site_id: str, door_ids: tuple[str, ...], since: float, until: float) -> int:
        counts = [await self.redis.zcount(f"{self.prefix}residents:{site_id}:{d}", since, until) for d in door_ids]
        return sum(counts)
