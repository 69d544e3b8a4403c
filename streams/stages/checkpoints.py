"""Stage state checkpoints: a worker killed mid-stream resumes with the state it had, so no alert is lost.

Kafka gives at-least-once delivery: after a crash, records since the last committed offset are read again.
The detect (ByteTrack) and rules (dwell, continuity) stages keep per-camera state in memory, which a restart
would lose, and re-reading a few records with empty state would change track ids and dwell times, so alerts
would differ. After each record (rules) or micro-batch (detect), once its outputs are acknowledged by the
broker, the camera's state is saved to Redis. On the first record of a camera after a start, or after a gap
in the partition (another worker owned it meanwhile), the state is loaded. The state knows the stream and
the last frame number it has taken in, so records read again are recognised by the stage and skipped
(`DuplicateRecord`): no offsets are compared, so this holds across partition moves and broker resets.
A replay clears its camera's checkpoints first (`clear`): replaying a recording again starts afresh.

Faust commits an offset only after the agent has moved past the record, which is after its checkpoint, so the
committed offset never runs ahead of the saved state. Downstream repeats (outputs sent again before a
checkpoint) are absorbed the same way by the next stage, and by idempotent alert ids in the store.

Saves never go backwards. A worker frozen past its group session (or cut off from the brokers) wakes still
holding records it fetched before; it processes them before it hears that its partitions moved, and its saves
would overwrite the newer state of the worker that took over, which a later owner would then restore, missing
every record in between (seen on Apache Kafka: a frozen worker's camera raised other alerts after it got its
partition back). Each save carries the state's own progress (stream id, last frame number), and a save behind
the progress already stored for the same stream is refused, atomically in Redis; that worker then drops its copy
of the camera's state and loads the newer one if it is handed the camera again.

State is pickled: it is our own objects, written and read only by the service, in the service's own Redis.
"""

from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, Protocol

from redis.asyncio import Redis

from streams.ops.retry import retry_transient

logger = logging.getLogger(__name__)

# KEYS[1] the state, KEYS[2] its progress "seq stream"; ARGV state, seq, stream, ttl. 0: refused (behind).
_SAVE_FORWARD = """
local stored = redis.call('GET', KEYS[2])
if stored then
  local space = string.find(stored, ' ', 1, true)
  if string.sub(stored, space + 1) == ARGV[3] and tonumber(string.sub(stored, 1, space - 1)) > tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[4])
redis.call('SET', KEYS[2], ARGV[2] .. ' ' .. ARGV[3], 'EX', ARGV[4])
return 1
"""


@dataclass(frozen=True)
class Position:
    topic: str
    partition: int
    offset: int


def position_of(event: Any) -> Position:
    """Where a Faust event's record sits in its topic."""
    message = event.message
    return Position(message.topic, message.partition, message.offset)


class Stateful(Protocol):
    def export_state(self, camera_id: str) -> object:
        """The camera's state, None when it has none (its stream ended)."""
        ...

    def restore_state(self, camera_id: str, state: object) -> None:
        """Replace the camera's state; None clears it."""
        ...


class StageCheckpoints:
    """Per-camera checkpoints of one stage in one consumer group."""

    def __init__(self, redis: Redis, key_prefix: str, group_id: str, stage_name: str, stage: Stateful, ttl_s: int):
        self.redis = redis
        self.stage = stage
        self.ttl_s = ttl_s
        self._key = f"{key_prefix}checkpoint:{group_id}:{stage_name}:"
        self._current: set[str] = set()  # cameras whose state in memory matches Redis
        self._next_offset: dict[tuple[str, int], int] = {}
        self._cameras_of: dict[tuple[str, int], set[str]] = {}
        self._save_forward = redis.register_script(_SAVE_FORWARD)

    async def prepare(self, camera_id: str, position: Position) -> None:
        """Before the stage takes the record at `position`: make sure it holds the camera's latest saved state."""
        partition = (position.topic, position.partition)
        expected = self._next_offset.get(partition)
        if expected is not None and position.offset != expected:
            self._current -= self._cameras_of.pop(partition, set())  # a gap: someone else may have moved on
        self._next_offset[partition] = position.offset + 1
        self._cameras_of.setdefault(partition, set()).add(camera_id)
        if camera_id not in self._current:
            await self._load(camera_id)
            self._current.add(camera_id)

    async def save(self, camera_id: str, position: Position) -> bool:
        """Saves the camera's state; False when the stored state is further on in the same stream (another
        worker owns the camera now): then this worker's copy is dropped from memory."""
        state = self.stage.export_state(camera_id)
        blob = pickle.dumps((position, state), protocol=pickle.HIGHEST_PROTOCOL)
        key = self._key + camera_id
        progress = progress_of(state)
        if progress is None:  # no frame taken in yet, or a stage without progress: nothing to be behind of
            await retry_transient(lambda: self.redis.set(key, blob, ex=self.ttl_s), "checkpoint")
            return True
        stream_id, seq = progress
        args: list[bytes | int | str] = [blob, seq, stream_id, self.ttl_s]
        saved = await retry_transient(lambda: self._save_forward(keys=[key, key + ":at"], args=args), "checkpoint")
        if not saved:
            logger.warning(
                "camera %s: checkpoint at frame %d of %s refused, the saved state is further on: another worker "
                "has the camera; this worker drops its copy",
                camera_id,
                seq,
                stream_id,
                extra={"camera_id": camera_id},
            )
            self._current.discard(camera_id)
            self.stage.restore_state(camera_id, None)
        return bool(saved)

    async def clear(self, camera_id: str) -> None:
        """Forget the camera's saved state: a replay of a recording starts it anew."""
        key = self._key + camera_id
        await retry_transient(lambda: self.redis.delete(key, key + ":at"), "checkpoint clear")
        self._current.discard(camera_id)

    async def _load(self, camera_id: str) -> None:
        blob = await retry_transient(lambda: self.redis.get(self._key + camera_id), "checkpoint load")
        if blob is None:
            return
        try:
            position, state = pickle.loads(blob if isinstance(blob, bytes) else blob.encode())
        except Exception as exc:  # written by another version of the service: start this camera afresh
            logger.warning("camera %s: checkpoint unreadable (%s); starting from empty state", camera_id, exc)
            return
        missing = missing_fields(state)
        if missing:  # saved by an older version: restoring it would fail on every record of the camera
            logger.warning(
                "camera %s: checkpoint from an older version (no %s); starting from empty state",
                camera_id,
                ", ".join(missing),
            )
            return
        self.stage.restore_state(camera_id, state)
        if state is not None:
            logger.info("camera %s: state restored from %s", camera_id, position, extra={"camera_id": camera_id})


def progress_of(state: object) -> tuple[str, int] | None:
    """(stream id, last frame number taken in) of a stage's camera state, None before its first frame."""
    stream_id, seq = getattr(state, "stream_id", None), getattr(state, "last_seq", None)
    if not isinstance(stream_id, str) or not isinstance(seq, int) or seq < 0:
        return None
    return stream_id, seq


def missing_fields(state: object) -> list[str]:
    """Fields of a dataclass state that the pickled object lacks (added to the class since it was saved, with no
    class-level default to fall back on)."""
    if not is_dataclass(state) or isinstance(state, type):
        return []
    return [f.name for f in fields(state) if f.name not in vars(state) and not hasattr(type(state), f.name)]
