"""A worker woken after its camera moved to another worker cannot overwrite the newer saved state (real Redis).

Two `StageCheckpoints` on one key stand for the frozen worker and the one that took its partition: the frozen
one wakes holding records it fetched before, takes them in and saves, behind what the other has saved.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, replace

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


def two_workers(
    stage_name: str, first: Stage, second: Stage
) -> tuple[aioredis.Redis, str, StageCheckpoints, StageCheckpoints]:
    """Two workers' checkpoints of one stage on the same keys of a fresh prefix in the real Redis."""
    client = aioredis.Redis.from_url(REDIS_URL)
    prefix = f"sentinel-test-{stage_name}-{uuid.uuid4().hex[:8]}:"
    return (
        client,
        prefix,
        StageCheckpoints(client, prefix, "group", stage_name, first, ttl_s=60),
        StageCheckpoints(client, prefix, "group", stage_name, second, ttl_s=60),
    )


async def _scenario() -> dict[str, object]:
    woken, taker = Stage(), Stage()
    client, prefix, woken_cp, taker_cp = two_workers("rules", woken, taker)
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


@dataclass
class TrackerState(CameraState):
    tracks: tuple[int, ...] = ()  # stands for the heavy part: ByteTrack, the gate's reference frame


class VersionedStage(Stage):
    """As the detect stage: `state_version` changes only when more than the progress changes (a model look)."""

    def __init__(self) -> None:
        super().__init__()
        self.versions: dict[str, int] = {}

    def look(self, camera_id: str, stream_id: str, seq: int, tracks: tuple[int, ...]) -> None:
        self.cameras[camera_id] = TrackerState(stream_id, seq, tracks)
        self.versions[camera_id] = self.versions.get(camera_id, 0) + 1

    def still(self, camera_id: str, seq: int) -> None:
        self.cameras[camera_id].last_seq = seq

    def state_version(self, camera_id: str) -> int | None:
        return self.versions.get(camera_id)


async def _progress_only() -> dict[str, object]:
    stage, other = VersionedStage(), VersionedStage()
    client, prefix, checkpoints, taker = two_workers("detect", stage, other)
    key = f"{prefix}checkpoint:group:detect:cam"
    try:
        stage.look("cam", "s1", 10, (1, 2))
        await checkpoints.save("cam", AT)
        whole = await client.get(key)
        for seq in (11, 12, 13):  # still frames: only the progress moves
            stage.still("cam", seq)
            await checkpoints.save("cam", AT)
        kept = await client.get(key)
        await taker.prepare("cam", AT)  # another worker takes the camera: it loads the state at frame 13
        loaded = replace(other.cameras["cam"])  # a copy: the test moves this worker on below
        other.look("cam", "s1", 20, (1, 2, 3))
        await taker.save("cam", AT)
        rewritten = await client.get(key) != kept
        stage.still("cam", 14)  # the first worker, woken, takes in a still frame it had fetched: behind frame 20
        stale = await checkpoints.save("cam", AT)
        return {"same_blob": whole == kept, "loaded": loaded, "rewritten": rewritten, "stale": stale}
    finally:
        await checkpoints.clear("cam")
        await client.aclose()


def test_still_frames_save_only_their_progress_and_a_load_puts_it_on_the_state() -> None:
    result = asyncio.run(_progress_only())
    assert result["same_blob"], "three still frames wrote no state"
    assert result["loaded"] == TrackerState("s1", 13, (1, 2)), "the state of the last look at the last frame's progress"
    assert result["rewritten"], "a look (here the new owner's) writes the whole state again"
    assert result["stale"] is False, "progress-only saves are fenced like whole ones"


class Unrestorable(Stage):
    """A stage that cannot take a saved state back (e.g. fitting it to the config of now fails)."""

    def restore_state(self, camera_id: str, state: object) -> None:
        if state is not None:
            raise ValueError("cannot fit this state to the config")
        super().restore_state(camera_id, state)


async def _unrestorable() -> dict[str, object]:
    saver, loader = Stage(), Unrestorable()
    client, _prefix, saver_cp, loader_cp = two_workers("detect", saver, loader)
    try:
        saver.take("cam", "s1", 10)
        await saver_cp.save("cam", AT)
        loader.take("cam", "s0", 3)  # whatever it held before
        await loader_cp.prepare("cam", AT)  # must not raise on the camera's record
        return {"state": loader.export_state("cam")}
    finally:
        await saver_cp.clear("cam")
        await client.aclose()


def test_a_state_the_stage_cannot_restore_starts_the_camera_afresh() -> None:
    assert asyncio.run(_unrestorable())["state"] is None
