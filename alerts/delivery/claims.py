"""Delivery claims: one worker at a time sends an alert step, and a worker that lost its claim sends nothing.

Why: a worker frozen (GC pause, SIGSTOP, a VM stalled) past its consumer-group session loses its partition; the
worker that takes the partition over re-reads the step and sends it. Without a claim the frozen worker, when it
wakes, carries on and sends the same step a second time.

How (Redis, keys under the store's prefix):
  claim:{event_id}   the holder's token, with a TTL (`ttl_s`) the holder renews while it works
  sent:{event_id}    set of the channels this step already went out on (a takeover skips them)
  delivered:{event_id}  the step is done (written with the claim's release, atomically)

`acquire` takes the claim with SET NX (or, for a later attempt of the same process, takes over its own token). A
claim held by another process makes it wait: the step is then skipped once it is marked delivered, or taken over
once the claim expires (its holder died or froze). The holder checks its claim right before each channel attempt
(`check`, a Lua compare-and-renew) and sends only while it still holds it. Residual window: a holder frozen between
that check and the request reaching the receiver, or between the receiver taking it and `mark_sent`, sends (or
has sent) a copy the next holder sends again, both with the same Idempotency-Key.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator
from enum import StrEnum
from typing import cast

from alerts.config import delivery_claim_ttl_s
from alerts.store import AlertStore

logger = logging.getLogger(__name__)

DEFAULT_TTL_S = delivery_claim_ttl_s(30.0, 10.0)  # the Kafka defaults; the runtime passes the site's


class Verdict(StrEnum):
    HELD = "held"  # still ours (renewed): send
    SENT = "sent"  # still ours, but this channel already has it (an earlier holder sent it): skip the channel
    LOST = "lost"  # another worker took the claim over: send nothing more
    DELIVERED = "delivered"  # the step is done: send nothing more


# KEYS: claim, delivered; ARGV: token, ttl ms, this process's token prefix
_ACQUIRE = """
if redis.call('EXISTS', KEYS[2]) == 1 then return {'delivered', ''} end
local holder = redis.call('GET', KEYS[1])
if (not holder) or string.sub(holder, 1, string.len(ARGV[3])) == ARGV[3] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {'held', holder or ''}
end
return {'waiting', holder}
"""

# KEYS: claim, delivered, sent; ARGV: token, ttl ms, channel ('' for the claim alone)
_CHECK = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 'delivered' end
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 'lost' end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if ARGV[3] ~= '' and redis.call('SISMEMBER', KEYS[3], ARGV[3]) == 1 then return 'sent' end
return 'held'
"""

# KEYS: claim, delivered, sent; ARGV: token, retention s
_FINISH = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], 1, 'EX', ARGV[2])
redis.call('DEL', KEYS[1], KEYS[3])
return 1
"""

# KEYS: claim; ARGV: token
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class DeliveryClaims:
    """Hands out claims on alert steps; one instance per worker process (its token prefix is the process's)."""

    def __init__(self, store: AlertStore, ttl_s: float = DEFAULT_TTL_S, poll_s: float = 0.2) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self.poll_s = poll_s
        self.process = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}:"
        self._attempts = itertools.count(1)
        redis = store.redis
        self._acquire = redis.register_script(_ACQUIRE)
        self._check = redis.register_script(_CHECK)
        self._finish = redis.register_script(_FINISH)
        self._release = redis.register_script(_RELEASE)

    @property
    def ttl_ms(self) -> int:
        return int(self.ttl_s * 1000)

    async def acquire(self, event_id: str) -> Claim | None:
        """The claim on this step, once nobody else holds it; None when the step is (or gets) delivered."""
        token = f"{self.process}{next(self._attempts)}"
        keys = [self.store.key("claim", event_id), self.store.key("delivered", event_id)]
        waited_for = ""
        while True:
            raw = cast(list[bytes], await self._acquire(keys=keys, args=[token, self.ttl_ms, self.process]))
            state, holder = raw[0].decode(), raw[1].decode()
            if state == "delivered":
                if waited_for:
                    logger.info("step %s was delivered by %s; skipped", event_id, waited_for)
                return None
            if state == "held":
                if waited_for:
                    logger.warning("step %s: the claim of %s expired; taking the step over", event_id, waited_for)
                return Claim(self, event_id, token)
            if holder != waited_for:
                logger.info("step %s is being delivered by %s; waiting", event_id, holder)
                waited_for = holder
            await asyncio.sleep(self.poll_s)


class Claim:
    """One attempt's hold on one step; renewed in the background while `held()` is open."""

    def __init__(self, claims: DeliveryClaims, event_id: str, token: str) -> None:
        self.claims = claims
        self.event_id = event_id
        self.token = token
        self._gone: Verdict | None = None  # LOST or DELIVERED once seen: a claim never comes back
        self._finished = False
        key = claims.store.key
        self._keys = [key("claim", event_id), key("delivered", event_id), key("sent", event_id)]

    @property
    def lost(self) -> bool:
        return self._gone is not None

    async def check(self, channel: str = "") -> Verdict:
        """Renew the claim if it is still ours and say whether to send (to `channel`, if given)."""
        if self._gone is not None:
            return self._gone
        raw = await self.claims._check(keys=self._keys, args=[self.token, self.claims.ttl_ms, channel])
        verdict = Verdict(cast(bytes, raw).decode())
        if verdict in (Verdict.LOST, Verdict.DELIVERED):
            self._gone = verdict
            logger.warning("step %s: claim %s, this worker sends nothing more of it", self.event_id, verdict.value)
        return verdict

    async def may_send(self, channel: str) -> bool:
        return await self.check(channel) is Verdict.HELD

    async def mark_sent(self, channel: str) -> None:
        """Record that `channel` has the step (whoever holds the claim now): a takeover will not send it again."""
        pipe = self.claims.store.redis.pipeline(transaction=True)
        pipe.sadd(self._keys[2], channel)
        pipe.expire(self._keys[2], self.claims.store.retention_s)
        await pipe.execute()

    async def finish(self) -> bool:
        """Mark the step delivered and release the claim, if it is still ours; False if another worker has it (or
        has delivered it already)."""
        done = await self.claims._finish(keys=self._keys, args=[self.token, self.claims.store.retention_s])
        self._finished = bool(done)
        return self._finished

    async def release(self) -> None:
        await self.claims._release(keys=self._keys[:1], args=[self.token])

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[Claim]:
        """Keep renewing the claim while the body runs (a slow but live holder keeps it); release it if the body
        ends without `finish` (an error: the retry, or another worker, takes the step up again at once)."""
        renewing = asyncio.create_task(self._renew())
        try:
            yield self
        finally:
            renewing.cancel()
            await asyncio.gather(renewing, return_exceptions=True)
            if not self._finished and not self.lost:
                try:
                    await self.release()
                except Exception as exc:  # Redis gone: the claim expires by itself
                    logger.warning(
                        "step %s: claim not released (%s); it expires in %.0f s", self.event_id, exc, self.claims.ttl_s
                    )

    async def _renew(self) -> None:
        while self._gone is None:
            await asyncio.sleep(self.claims.ttl_s / 3)
            try:
                await self.check()
            except Exception as exc:  # the sends' own checks fail the same way and are retried
                logger.warning("step %s: claim not renewed: %s", self.event_id, exc)
