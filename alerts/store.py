"""Alerts in Redis: idempotent event log, latest state, time indexes, snapshots, evidence frames, live feed.

Keys (prefix `sentinel:` by default):
  alert:{id}            JSON of the latest event of the alert
  alert:{id}:events     list of every event JSON (the timeline)
  alerts:by-time        zset alert id -> started_at;  alerts:site:{site}, alerts:camera:{cam}, alerts:door:{door}
  event:{event_id}      idempotency marker of one step
  delivered:{event_id}  the step's snapshot, channels and clip are done (set with the delivery claim's release)
  claim:{event_id}, sent:{event_id}  the delivery claim on a step and the channels it went out on (delivery/claims.py)
  cooldown:{cam}:{p}:{v} the alert holding the cooldown of a person-car pair
  suppressed:{id}       marks an alert suppressed by the cooldown
  snapshot:{id}         annotated JPEG
  access-picture:{event} face picture a door terminal sent with an access event
  frame:{cam}:{stream}:{seq}  candidate evidence frame (short TTL); frame-boxes:... its tracked boxes (JSON)
  frames:{cam}:{stream}  zset seq -> capture time of the kept frames (what an evidence clip is made of)
  live:{cam}            hash: the camera's latest frame (jpeg, boxes, ts) for the live look-in (seconds TTL)
  clip:{id}             the evidence clip (video); clip-info:{id} its window, frame count and gaps (JSON)
  feed                  stream of stored events for `sentinel alerts tail`
  delivery:{id}         list of delivery attempts (the delivery log)
  pushed:{id}:{channel}  severity last pushed to a phone channel (the push rule)
  stream-done:{stream}  set when the delivery stage has handled a stream's end marker
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, cast

import redis.asyncio as aioredis
from pydantic import TypeAdapter
from redis.exceptions import WatchError

from alerts.models import Alert, AlertEvent, AlertPhase

logger = logging.getLogger(__name__)

_ALERT: TypeAdapter[Alert] = TypeAdapter(Alert)


def parse_alert(raw: bytes | str) -> Alert:
    return _ALERT.validate_json(raw)


@dataclass(frozen=True)
class StoreOutcome:
    """What storing one event meant: new or a repeat, and whether channels should hear of it."""

    is_new: bool
    suppressed: bool


class AlertStore:
    def __init__(
        self, client: aioredis.Redis, retention_s: int, cooldown_s: float, feed_maxlen: int, prefix: str = "sentinel:"
    ) -> None:
        self.redis = client
        self.retention_s = retention_s
        self.cooldown_s = cooldown_s
        self.feed_maxlen = feed_maxlen
        self.prefix = prefix

    def key(self, *parts: object) -> str:
        return self.prefix + ":".join(str(p) for p in parts)

    async def record(self, event: Alert) -> StoreOutcome:
        """Store one event exactly once; a repeated event_id (redelivery, second replay) changes nothing.

        The idempotency marker and every write go in one MULTI/EXEC under WATCH, so a failure part-way (Redis
        restarting) leaves nothing behind and the retry stores the event whole.
        """
        marker = self.key("event", event.event_id)
        while True:
            async with self.redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(marker)
                    if await pipe.exists(marker):
                        suppressed = bool(await pipe.exists(self.key("suppressed", event.alert_id)))
                        return StoreOutcome(is_new=False, suppressed=suppressed)
                    suppressed = await self._apply_cooldown(event)
                    pipe.multi()
                    pipe.set(marker, 1, ex=self.retention_s)
                    self._queue_writes(pipe, event, suppressed)
                    await pipe.execute()
                    return StoreOutcome(is_new=True, suppressed=suppressed)
                except WatchError:
                    continue  # another worker stored it meanwhile: the next pass reports the repeat

    def _queue_writes(self, pipe: Any, event: Alert, suppressed: bool) -> None:
        payload = event.model_dump_json()
        pipe.set(self.key("alert", event.alert_id), payload, ex=self.retention_s)
        pipe.rpush(self.key("alert", event.alert_id, "events"), payload)
        pipe.expire(self.key("alert", event.alert_id, "events"), self.retention_s)
        source = ("alerts", "camera", event.camera_id) if isinstance(event, AlertEvent) else ("alerts", event.source_id)
        for index in (("alerts", "by-time"), ("alerts", "site", event.site_id), source):
            pipe.zadd(self.key(*index), {event.alert_id: event.started_at})
        pipe.xadd(
            self.key("feed"),
            {"event": payload, "suppressed": int(suppressed)},
            maxlen=self.feed_maxlen,
            approximate=True,
        )

    async def is_delivered(self, event_id: str) -> bool:
        return bool(await self.redis.exists(self.key("delivered", event_id)))

    async def _apply_cooldown(self, event: Alert) -> bool:
        marker = self.key("suppressed", event.alert_id)
        if event.phase is not AlertPhase.START:
            return bool(await self.redis.exists(marker))
        if self.cooldown_s <= 0 or not isinstance(event, AlertEvent):  # entry alerts are one per access event
            return False
        pair = self.key("cooldown", event.camera_id, event.person_track_id, event.vehicle_track_id)
        won = await self.redis.set(pair, event.alert_id, nx=True, px=int(self.cooldown_s * 1000))
        if won:
            return False
        holder = await self.redis.get(pair)
        if holder is not None and cast(bytes, holder).decode() == event.alert_id:
            return False
        await self.redis.set(marker, 1, ex=self.retention_s)
        logger.info(
            "alert %s suppressed: pair already alerted as %s within cooldown",
            event.alert_id,
            holder,
            extra={"alert_id": event.alert_id, "camera_id": event.camera_id},
        )
        return True

    async def get(self, alert_id: str) -> Alert | None:
        raw = await self.redis.get(self.key("alert", alert_id))
        return parse_alert(raw) if raw else None

    async def timeline(self, alert_id: str) -> list[Alert]:
        raws = await self.redis.lrange(self.key("alert", alert_id, "events"), 0, -1)
        return [parse_alert(r) for r in raws]

    async def list_ids(
        self,
        *,
        site_id: str | None = None,
        camera_id: str | None = None,
        door_id: str | None = None,
        since: float = float("-inf"),
        until: float = float("inf"),
        limit: int = 100,
    ) -> list[str]:
        """Alert ids, newest first, from the site, camera or global time index."""
        if camera_id:
            index = self.key("alerts", "camera", camera_id)
        elif door_id:
            index = self.key("alerts", "door", door_id)
        elif site_id:
            index = self.key("alerts", "site", site_id)
        else:
            index = self.key("alerts", "by-time")
        ids = await self.redis.zrevrangebyscore(index, until, since, start=0, num=limit)
        return [cast(bytes, i).decode() for i in ids]

    async def put_access_picture(self, event_id: str, jpeg: bytes, ttl_s: int) -> str:
        """Keep a terminal's face picture; returns the key alert records cite (`picture_key`)."""
        name = f"access-picture:{event_id}"
        await self.redis.set(self.prefix + name, jpeg, ex=ttl_s)
        return name

    async def get_access_picture(self, picture_key: str) -> bytes | None:
        return cast(bytes | None, await self.redis.get(self.prefix + picture_key))

    async def pushed_severity(self, alert_id: str, channel: str) -> str | None:
        raw = await self.redis.get(self.key("pushed", alert_id, channel))
        return cast(bytes, raw).decode() if raw else None

    async def mark_pushed(self, alert_id: str, channel: str, severity: str) -> None:
        await self.redis.set(self.key("pushed", alert_id, channel), severity, ex=self.retention_s)

    async def put_snapshot(self, alert_id: str, jpeg: bytes) -> None:
        await self.redis.set(self.key("snapshot", alert_id), jpeg, ex=self.retention_s)

    async def get_snapshot(self, alert_id: str) -> bytes | None:
        return cast(bytes | None, await self.redis.get(self.key("snapshot", alert_id)))

    async def put_frame(
        self,
        camera_id: str,
        stream_id: str,
        seq: int,
        jpeg: bytes,
        ttl_s: int,
        ts: float | None = None,
        boxes: str = "",
    ) -> None:
        """Keep a candidate evidence frame; with its capture time (and boxes) it is indexed for evidence clips."""
        if ts is None:
            await self.redis.set(self.key("frame", camera_id, stream_id, seq), jpeg, ex=ttl_s)
            return
        index = self.key("frames", camera_id, stream_id)
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(self.key("frame", camera_id, stream_id, seq), jpeg, ex=ttl_s)
        pipe.set(self.key("frame-boxes", camera_id, stream_id, seq), boxes, ex=ttl_s)
        pipe.zadd(index, {str(seq): ts})
        pipe.zremrangebyscore(index, "-inf", f"({ts - ttl_s}")  # the index forgets what the frames' TTL dropped
        pipe.expire(index, ttl_s)
        await pipe.execute()

    async def frames_between(
        self, camera_id: str, stream_id: str, since: float, until: float
    ) -> list[tuple[int, float]]:
        """(seq, capture time) of the frames kept for a camera stream in [since, until], oldest first."""
        rows = await self.redis.zrangebyscore(self.key("frames", camera_id, stream_id), since, until, withscores=True)
        return [(int(member), float(score)) for member, score in cast(list[tuple[bytes, float]], rows)]

    async def get_frames(
        self, camera_id: str, stream_id: str, seqs: list[int], batch: int = 16
    ) -> list[tuple[bytes | None, bytes | None]]:
        """(JPEG, boxes JSON) of each frame; (None, None) for one whose TTL ran out since it was indexed.

        In batches: one MGET of a whole clip's frames (some 20 MB) holds Redis, and this connection, for long
        enough to stall other clients and time the read out on a loaded machine (seen in `bench/clip.py`)."""
        out: list[tuple[bytes | None, bytes | None]] = []
        for first in range(0, len(seqs), batch):
            keys = []
            for seq in seqs[first : first + batch]:
                keys += [
                    self.key("frame", camera_id, stream_id, seq),
                    self.key("frame-boxes", camera_id, stream_id, seq),
                ]
            values = cast(list[bytes | None], await self.redis.mget(keys))
            out += [(values[i], values[i + 1]) for i in range(0, len(values), 2)]
        return out

    async def put_live(self, camera_id: str, jpeg: bytes, ts: float, boxes: str, ttl_s: int = 15) -> None:
        """The camera's latest frame; it expires soon, so a camera that stops sending shows no stale view."""
        key = self.key("live", camera_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(key, mapping={"jpeg": jpeg, "boxes": boxes, "ts": repr(ts)})
        pipe.expire(key, ttl_s)
        await pipe.execute()

    async def get_live(self, camera_id: str) -> tuple[bytes, bytes, float] | None:
        """(JPEG, boxes JSON, capture time) of the camera's latest frame, or None."""
        raw = cast(dict[bytes, bytes], await self.redis.hgetall(self.key("live", camera_id)))
        if not raw or b"jpeg" not in raw:
            return None
        return raw[b"jpeg"], raw.get(b"boxes", b""), float(raw.get(b"ts", b"0"))

    async def put_clip(self, alert_id: str, video: bytes, info: dict[str, object]) -> None:
        """The clip lives as long as the alert and its snapshot (`retention_s`)."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(self.key("clip", alert_id), video, ex=self.retention_s)
        pipe.set(self.key("clip-info", alert_id), json.dumps(info, sort_keys=True), ex=self.retention_s)
        await pipe.execute()

    async def get_clip(self, alert_id: str) -> bytes | None:
        return cast(bytes | None, await self.redis.get(self.key("clip", alert_id)))

    async def clip_info(self, alert_id: str) -> dict[str, Any] | None:
        raw = await self.redis.get(self.key("clip-info", alert_id))
        return cast(dict[str, Any], json.loads(raw)) if raw else None

    async def get_frame(self, camera_id: str, stream_id: str, seq: int) -> bytes | None:
        return cast(bytes | None, await self.redis.get(self.key("frame", camera_id, stream_id, seq)))

    async def log_delivery(self, alert_id: str, entry: dict[str, object]) -> None:
        key = self.key("delivery", alert_id)
        pipe = self.redis.pipeline(transaction=False)
        pipe.rpush(key, json.dumps(entry, sort_keys=True))
        pipe.expire(key, self.retention_s)
        await pipe.execute()

    async def delivery_log(self, alert_id: str) -> list[dict[str, object]]:
        return [json.loads(r) for r in await self.redis.lrange(self.key("delivery", alert_id), 0, -1)]

    async def mark_stream_done(self, stream_id: str) -> None:
        await self.redis.set(self.key("stream-done", stream_id), 1, ex=self.retention_s)

    async def is_stream_done(self, stream_id: str) -> bool:
        return bool(await self.redis.exists(self.key("stream-done", stream_id)))

    async def read_feed(
        self, last_id: str = "$", block_ms: int = 1000, count: int = 100
    ) -> list[tuple[str, Alert, bool]]:
        """Events stored after `last_id` ('$' = only new ones, '0' = from the start of the feed)."""
        reply: Any = await self.redis.xread({self.key("feed"): last_id}, block=block_ms, count=count)
        out = []
        for _stream, entries in reply or []:
            for entry_id, fields in entries:
                event = parse_alert(fields[b"event"])
                out.append((entry_id.decode(), event, fields.get(b"suppressed") == b"1"))
        return out
