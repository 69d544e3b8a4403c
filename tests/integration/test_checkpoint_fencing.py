"""A worker woken after its camera moved to another worker cannot overwrite the newer saved state (real Redis).

Two `StageCheckpoints` on one key stand for the frozen worker and the one that took its partition: the frozen
one wakes holding records it fetched before, takes them in and saves, behind what the other has saved.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import redis.asyncio as aioredis

from streams.stages.checkpoints import Position, StageCheckpoints
from tests.integration.conftest import REDIS_URL


@dataclass
class CameraState:
    stream_id: str
    last_seq: int


class Stage:
    """A stage holding one state per camera, as the detect and rules stages do."""

    def __init__(self) -> None:
        self.cameras: dict[str, CameraState] = {}

    def take(self, camera_id: str, stream_id: str, seq: int) -> None:
        self.cameras[camera_id] = CameraState(stream_id, seq)

    def export_state(self, camera_id: str) -> object:
        return self.cameras.get(camera_id)

    def restore_state(self, camera_id: str, state: object) -> None:
        if isinstance(state, CameraState):
            self.cameras[camera_id] = state
        else:
            self.cameras.pop(camera_id, None)


AT = Position("tracks", 0, 0)


async def _scenario() -> dict[str, object]:
    client = aioredis.Redis.from_url(REDIS_URL)
    prefix = f"sentinel-test-fence-{uuid.uuid4().hex[:8]}:"
    woken, taker = Stage(), Stage()
    woken_cp = StageCheckpoints(client, prefix, "group", "rules", woken, ttl_s=60)
    taker_cp = StageCheckpoints(client, prefix, "group", "rules", taker, ttl_s=60)
    try:
        woken.take("cam", "s1", 10)
        first = await woken_cp.save("cam", AT)  # before the freeze
        await taker_cp.prepare("cam", AT)  # the partition moves: the taker loads frame 10
        loaded = taker.export_state("cam")
        taker.take("cam", "s1", 40)
        await taker_cp.save("cam", AT)
        woken.take("cam", "s1", 12)  # wakes with records it had fetched
        stale = await woken_cp.save("cam", AT)
        after_stale = woken.export_state("cam")
        await woken_cp.prepare("cam", Position("tracks", 0, 99))  # handed the camera back later
        reloaded = woken.export_state("cam")
        woken.take("cam", "s2", 0)  # a new stream of the camera (a restarted ingest) starts afresh
        new_stream = await woken_cp.save("cam", AT)
        same = await woken_cp.save("cam", AT)  # the same progress again (a retried save) is fine
        return {
            "first": first,
            "loaded": loaded,
            "stale": stale,
            "after_stale": after_stale,
            "reloaded": reloaded,
            "new_stream": new_stream,
            "same": same,
        }
    finally:
        await woken_cp.clear("cam")
        assert not [k async for k in client.scan_iter(match=prefix + "*")], "clear removes the state and its progress"
        await client.aclose()


def test_a_save_behind_the_stored_progress_is_refused_and_the_stale_copy_dropped() -> None:
    result = asyncio.run(_scenario())
    assert result["first"] is True
    assert result["loaded"] == CameraState("s1", 10)
    assert result["stale"] is False, "frame 12 must not overwrite the taker's frame 40"
    assert result["after_stale"] is None, "the woken worker drops its stale copy"
    assert result["reloaded"] == CameraState("s1", 40), "and restores the newer state when handed the camera"
    assert result["new_stream"] is True
    assert result["same"] is True
