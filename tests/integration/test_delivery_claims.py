"""Delivery claims on the real Redis: one worker at a time sends a step; a worker that lost its claim sends nothing.

Two DeliveryClaims instances are two worker processes (each has its own token prefix). A worker frozen past its
claim is a thread whose event loop is blocked (time.sleep): like SIGSTOP, nothing of it runs, not even the renewal.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis

from alerts.config import PushPolicy
from alerts.delivery.channels import Channel, check_may_send
from alerts.delivery.claims import Claim, DeliveryClaims, Verdict
from alerts.models import Alert
from alerts.service import AlertService
from alerts.store import AlertStore
from tests.integration.test_alert_store import REDIS_URL, event

TTL_S = 1.0


def _store(prefix: str) -> AlertStore:
    return AlertStore(
        aioredis.Redis.from_url(REDIS_URL), retention_s=600, cooldown_s=0.0, feed_maxlen=100, prefix=prefix
    )


async def _delete(prefix: str) -> None:
    client = aioredis.Redis.from_url(REDIS_URL)
    keys = [k async for k in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


def run(body: Callable[[str], Awaitable[Any]]) -> Any:
    """Run `body(prefix)` on a fresh key prefix and delete its keys afterwards."""
    prefix = f"sentinel-test-{uuid.uuid4().hex[:8]}:"

    async def main() -> Any:
        try:
            return await body(prefix)
        finally:
            await _delete(prefix)

    return asyncio.run(main())


class Recorder:
    """A channel that asks its claim before sending, like the real ones, and can freeze its whole process first."""

    push_policy: PushPolicy | None = None

    def __init__(self, name: str, sent: list[tuple[str, str]], worker: str, freeze_s: float = 0.0) -> None:
        self.name, self.sent, self.worker, self.freeze_s = name, sent, worker, freeze_s
        self.entered = threading.Event()

    def wants(self, event: Alert) -> bool:
        return True

    async def send(self, event: Alert) -> int:
        self.entered.set()
        if self.freeze_s:
            time.sleep(self.freeze_s)  # the process stops: its loop (and the claim's renewal) with it
        await check_may_send(f"{self.name} {event.event_id}")
        self.sent.append((self.worker, self.name))
        return 1

    async def close(self) -> None:
        return None


def test_a_second_claimant_waits_for_the_holder_and_skips_the_delivered_step() -> None:
    async def body(prefix: str) -> tuple[bool, bool]:
        a, b = DeliveryClaims(_store(prefix), TTL_S), DeliveryClaims(_store(prefix), TTL_S)
        claim = await a.acquire("e1")
        assert claim is not None
        async with claim.held():
            second = asyncio.create_task(b.acquire("e1"))
            await asyncio.sleep(3 * TTL_S)  # a slow but live holder: its renewals keep the claim
            waiting = not second.done()
            assert await claim.check("webhook") is Verdict.HELD
            assert await claim.finish()
        taken = await second
        return waiting, taken is None

    waiting, skipped = run(body)
    assert waiting, "the second worker waits while the holder lives"
    assert skipped, "once the holder marks the step delivered, the second worker skips it"


def test_an_expired_claim_is_taken_over_and_its_old_holder_may_not_send() -> None:
    async def body(prefix: str) -> tuple[Verdict, bool, Verdict]:
        a, b = DeliveryClaims(_store(prefix), TTL_S), DeliveryClaims(_store(prefix), TTL_S)
        dead = await a.acquire("e1")  # a holder killed at once: it never renews nor releases
        assert dead is not None
        started = time.monotonic()
        taken = await b.acquire("e1")
        assert taken is not None and time.monotonic() - started >= TTL_S * 0.9, "taken over once the claim expired"
        old = await dead.check("webhook")
        assert await taken.check("webhook") is Verdict.HELD
        finished_by_old = await dead.finish()
        assert await taken.finish()
        return old, finished_by_old, await dead.check("webhook")

    old, finished_by_old, after = run(body)
    assert old is Verdict.LOST
    assert not finished_by_old, "the old holder cannot mark the step delivered"
    assert after is Verdict.LOST


def test_delivered_short_circuits_every_claimant() -> None:
    async def body(prefix: str) -> tuple[Verdict, bool, Claim | None, bool]:
        a, b = DeliveryClaims(_store(prefix), TTL_S), DeliveryClaims(_store(prefix), TTL_S)
        frozen = await a.acquire("e1")
        assert frozen is not None
        await asyncio.sleep(TTL_S * 1.2)
        taken = await b.acquire("e1")
        assert taken is not None and await taken.finish()
        again = await DeliveryClaims(_store(prefix), TTL_S).acquire("e1")
        return await frozen.check("webhook"), await frozen.finish(), again, await a.store.is_delivered("e1")

    verdict, finished, again, delivered = run(body)
    assert verdict is Verdict.DELIVERED, "a holder waking after the step was delivered sends nothing"
    assert not finished and again is None and delivered


def test_a_later_attempt_of_the_same_process_takes_its_own_claim_over_at_once() -> None:
    async def body(prefix: str) -> tuple[float, Verdict]:
        claims = DeliveryClaims(_store(prefix), 30.0)
        first = await claims.acquire("e1")  # an attempt that failed on a Redis error without releasing
        started = time.monotonic()
        retry = await claims.acquire("e1")
        assert first is not None and retry is not None
        return time.monotonic() - started, await first.check("webhook")

    waited, old = run(body)
    assert waited < 5.0, "a retry in the same process does not wait out its own claim"
    assert old is Verdict.LOST, "the earlier attempt, if still running, sends nothing more"


def test_a_worker_frozen_before_its_send_does_not_send_after_the_takeover() -> None:
    """The issue-14 defect on Redis alone: worker A freezes inside the delivery of a step (after its claim check
    in the stage, before the channel's attempt); worker B takes the step over after the claim's TTL and sends it;
    A wakes and sends nothing. A channel A had already sent before freezing is not sent again by B."""
    sent: list[tuple[str, str]] = []
    prefix = f"sentinel-test-{uuid.uuid4().hex[:8]}:"
    alert = event("f" * 16)
    frozen = Recorder("slow", sent, "A", freeze_s=3 * TTL_S)
    results: dict[str, bool] = {}

    async def worker_a() -> None:
        store = _store(prefix)
        early = Recorder("early", sent, "A")
        service = AlertService(store, [early, frozen], claims=DeliveryClaims(store, TTL_S))
        results["A"] = await service.handle(alert)
        await store.redis.aclose()

    async def worker_b() -> None:
        store = _store(prefix)
        channels: list[Channel] = [Recorder("early", sent, "B"), Recorder("slow", sent, "B")]
        service = AlertService(store, channels, claims=DeliveryClaims(store, TTL_S))
        results["B"] = await service.handle(alert)
        await store.redis.aclose()

    a = threading.Thread(target=asyncio.run, args=(worker_a(),))
    a.start()
    assert frozen.entered.wait(30), "worker A reached its send"
    try:
        asyncio.run(worker_b())  # the takeover, while A is frozen
        a.join(60)
    finally:
        run_cleanup(prefix)
    assert results == {"A": False, "B": True}
    assert sorted(sent) == [("A", "early"), ("B", "slow")], "every channel got the step once"


def test_a_worker_frozen_past_the_claim_with_nobody_taking_over_finishes_its_step() -> None:
    """Frozen longer than the TTL but no other worker came for the step: on waking the claim is free, it takes
    it back and sends (the step is not lost, and nobody else sends it)."""
    sent: list[tuple[str, str]] = []
    prefix = f"sentinel-test-{uuid.uuid4().hex[:8]}:"

    async def body() -> bool:
        store = _store(prefix)
        service = AlertService(
            store, [Recorder("slow", sent, "A", freeze_s=2 * TTL_S)], claims=DeliveryClaims(store, TTL_S)
        )
        try:
            return await service.handle(event("g" * 16))
        finally:
            await store.redis.aclose()

    try:
        handled = asyncio.run(body())
    finally:
        run_cleanup(prefix)
    assert handled and sent == [("A", "slow")]


def run_cleanup(prefix: str) -> None:
    asyncio.run(_delete(prefix))
