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

A stage whose state says when it last changed beyond its progress (`state_version`: the detect stage's
tracker, gate and rate change only when the model looks) saves only the progress while the version stands:
a still camera's batches write a few bytes instead of its 80 kB state, and a load puts the stored progress
on the stored state, which is then exactly the state at that frame.

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

# The fence both saves share: KEYS[2] holds the stored progress "seq stream"; behind it in the same stream: refused.
_BEHIND = """
local function behind(seq, stream)
  local stored = redis.call('GET', KEYS[2])
  if not stored then
    return false
  end
  local space = string.find(stored, ' ', 1, true)
  return string.sub(stored, space + 1) == stream and tonumber(string.sub(stored, 1, space - 1)) > tonumber(seq)
end
"""

# KEYS[1] the state, KEYS[2] its progress; ARGV state, seq, stream, ttl. 0: refused (behind).
_SAVE_FORWARD = (
    _BEHIND
    + """
if behind(ARGV[2], ARGV[3]) then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[4])
redis.call('SET', KEYS[2], ARGV[2] .. ' ' .. ARGV[3], 'EX', ARGV[4])
return 1
"""
)

# KEYS[1] the state (its time to live refreshed), KEYS[2] its progress; ARGV seq, stream, ttl. 0: refused
# (behind); -1: the state itself has expired, so the progress alone would describe nothing.
_SAVE_PROGRESS = (
    _BEHIND
    + """
if behind(ARGV[1], ARGV[2]) then
  return 0
end
if redis.call('EXPIRE', KEYS[1], ARGV[3]) == 0 then
  return -1
end
redis.call('SET', KEYS[2], ARGV[1] .. ' ' .. ARGV[2], 'EX', ARGV[3])
return 1
"""
)


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
        self._save_progress = redis.register_script(_SAVE_PROGRESS)
        self._saved_version: dict[str, object] = {}  # camera -> state version whose full state is in Redis

    async def prepare(self, camera_id: str, position: Position) -> None:
        """Before the stage takes the record at `position`: make sure it holds the camera's latest saved state."""
        partition = (position.topic, position.partition)
        expected = self._next_offset.get(partition)
        if expected is not None and position.offset != expected:
            dropped = self._cameras_of.pop(partition, set())
            self._current -= dropped  # a gap: someone else may have moved on
            logger.info(
                "%s/%s: record at offset %d after %d: reloading the state of %s",
                position.topic,
                position.partition,
                position.offset,
                expected - 1,
                ", ".join(sorted(dropped)) or "no camera",
            )
        self._next_offset[partition] = position.offset + 1
        self._cameras_of.setdefault(partition, set()).add(camera_id)
        if camera_id not in self._current:
            await self._load(camera_id, position)
            self._current.add(camera_id)

    async def save(self, camera_id: str, position: Position) -> bool:
        """Saves the camera's state; False when the stored state is further on in the same stream (another
        worker owns the camera now): then this worker's copy is dropped from memory."""
        state = self.stage.export_state(camera_id)
        key = self._key + camera_id
        progress = progress_of(state)
        versioned = getattr(self.stage, "state_version", None)
        version = versioned(camera_id) if versioned is not None else None
        if progress is not None and version is not None and self._saved_version.get(camera_id) == version:
            stream_id, seq = progress
            keys = [key, key + ":at"]
            args: list[bytes | int | str] = [seq, stream_id, self.ttl_s]
            saved = await retry_transient(lambda: self._save_progress(keys=keys, args=args), "checkpoint")
            if saved != -1:  # -1: the full state expired meanwhile; save it whole below
                return self._saved(camera_id, saved, seq, stream_id)
        blob = pickle.dumps((position, state), protocol=pickle.HIGHEST_PROTOCOL)
        if progress is None:  # no frame taken in yet, or a stage without progress: nothing to be behind of
            await retry_transient(lambda: self.redis.set(key, blob, ex=self.ttl_s), "checkpoint")
            self._saved_version.pop(camera_id, None)
            return True
        stream_id, seq = progress
        full: list[bytes | int | str] = [blob, seq, stream_id, self.ttl_s]
        saved = await retry_transient(lambda: self._save_forward(keys=[key, key + ":at"], args=full), "checkpoint")
        if saved and version is not None:
            self._saved_version[camera_id] = version
        return self._saved(camera_id, saved, seq, stream_id)

    def _saved(self, camera_id: str, saved: object, seq: int, stream_id: str) -> bool:
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
            self._saved_version.pop(camera_id, None)
            self.stage.restore_state(camera_id, None)
        return bool(saved)

    async def clear(self, camera_id: str) -> None:
        """Forget the camera's saved state: a replay of a recording starts it anew."""
        key = self._key + camera_id
        await retry_transient(lambda: self.redis.delete(key, key + ":at"), "checkpoint clear")
        self._current.discard(camera_id)
        self._saved_version.pop(camera_id, None)

    async def _load(self, camera_id: str, before: Position) -> None:
        self._saved_version.pop(camera_id, None)  # the next save writes the whole state
        key = self._key + camera_id
        blob, at = await retry_transient(lambda: self.redis.mget(key, key + ":at"), "checkpoint load")
        if blob is None:
            logger.info("camera %s: no saved state (record at %s)", camera_id, before, extra={"camera_id": camera_id})
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
        _advance(state, at)
        try:
            self.stage.restore_state(camera_id, state)
        except Exception as exc:  # a state this version cannot take back (e.g. fitting it to the config of now)
            logger.warning("camera %s: checkpoint not restorable (%r); starting from empty state", camera_id, exc)
            self.stage.restore_state(camera_id, None)
            return
        logger.info(
            "camera %s: state restored at %s, saved after %s, for the record at offset %d",
            camera_id,
            progress_of(state),
            position,
            before.offset,
            extra={"camera_id": camera_id},
        )
        if (position.topic, position.partition) == (
            before.topic,
            before.partition,
        ) and before.offset > position.offset + 1:
            logger.info(  # other cameras' records on the partition, or records this camera's state never took in
                "camera %s: the saved state took in records up to offset %d of %s/%d; the next record is at %d",
                camera_id,
                position.offset,
                position.topic,
                position.partition,
                before.offset,
                extra={"camera_id": camera_id},
            )


def progress_of(state: object) -> tuple[str, int] | None:
    """(stream id, last frame number taken in) of a stage's camera state, None before its first frame."""
    stream_id, seq = getattr(state, "stream_id", None), getattr(state, "last_seq", None)
    if not isinstance(stream_id, str) or not isinstance(seq, int) or seq < 0:
        return None
    return stream_id, seq


def _advance(state: object, at: bytes | str | None) -> None:
    """Put the stored progress ("seq stream", saved after the state by a progress-only save) on the state."""
    progress = progress_of(state)
    if progress is None or at is None:
        return
    seq, _, stream_id = (at.decode() if isinstance(at, bytes) else at).partition(" ")
    if stream_id == progress[0] and int(seq) > progress[1]:
        state.last_seq = int(seq)  # type: ignore[attr-defined]


def missing_fields(state: object) -> list[str]:
    """Fields of a dataclass state that the pickled object lacks (added to the class since it was saved, with no
    class-level default to fall back on)."""
    if not is_dataclass(state) or isinstance(state, type):
        return []
    return [f.name for f in fields(state) if f.name not in vars(state) and not hasattr(type(state), f.name)]
