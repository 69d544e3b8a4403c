"""Waiting out infrastructure outages: retry transient Redis/network errors with capped exponential backoff.

Used where giving up would lose or reorder work (storing and delivering alerts). Bad input is never retried:
it goes to the dead-letter topic instead.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

T = TypeVar("T")
TRANSIENT = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)


async def retry_transient(
    action: Callable[[], Awaitable[T]], what: str, first_delay_s: float = 0.5, max_delay_s: float = 30.0
) -> T:
    """Run `action` until it succeeds or fails with a non-transient error; never gives up on an outage."""
    delay = first_delay_s
    attempt = 1
    while True:
        try:
            return await action()
        except TRANSIENT as exc:
            logger.warning(
                "%s failed (attempt %s, %s: %s); retrying in %.1f s", what, attempt, type(exc).__name__, exc, delay
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay_s)
            attempt += 1
