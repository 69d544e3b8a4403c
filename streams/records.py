"""Wire formats of the topics and the one error type for records that cannot be decoded.

frames:  b"SNF1" | uint32 big-endian header length | FrameHeader JSON | JPEG bytes
tracks:  TrackFrame JSON            alerts: AlertEvent, EntryAlertEvent, DeviceAlertEvent or StreamEnd JSON
access:  AccessEvent or AccessStreamEnd JSON
deadletter: DeadLetter JSON
"""

from __future__ import annotations

import base64
import struct
import time
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from alerts.models import AlertEvent, DeviceAlertEvent, EntryAlertEvent, StreamEnd
from detectors.access.types import AccessEvent, AccessStreamEnd
from detectors.types import TrackFrame

FRAME_MAGIC = b"SNF1"
MAX_HEADER_BYTES = 64 * 1024
_HEADER_LEN = struct.Struct(">I")

M = TypeVar("M", bound=BaseModel)


class RecordError(ValueError):
    """A record that cannot be decoded or validated; the message is the dead-letter reason."""


class FrameHeader(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    camera_id: str = Field(min_length=1, max_length=128)
    stream_id: str = Field(min_length=1, max_length=128)
    seq: int = Field(ge=0)
    ts: float = Field(description="Capture time, seconds since the Unix epoch")
    width: int = Field(ge=0, le=16384)
    height: int = Field(ge=0, le=16384)
    fps: float = Field(gt=0.0, le=120.0, description="Sampling rate of this stream")
    encoding: Literal["jpeg"] = "jpeg"
    end_of_stream: bool = False
    live: bool = Field(
        default=False, description="Sent by live ingest: may be shed when stale; replayed frames never are"
    )


def encode_frame(header: FrameHeader, jpeg: bytes) -> bytes:
    head = header.model_dump_json().encode()
    return FRAME_MAGIC + _HEADER_LEN.pack(len(head)) + head + jpeg


def decode_frame(data: bytes | None) -> tuple[FrameHeader, bytes]:
    if not data:
        raise RecordError("empty frame record")
    if data[:4] != FRAME_MAGIC:
        raise RecordError(f"not a frame record: magic {data[:4]!r}, expected {FRAME_MAGIC!r}")
    if len(data) < 8:
        raise RecordError("truncated frame record: no header length")
    (length,) = _HEADER_LEN.unpack_from(data, 4)
    if length > MAX_HEADER_BYTES or 8 + length > len(data):
        raise RecordError(f"truncated or corrupt frame record: header length {length}, record {len(data)} bytes")
    try:
        header = FrameHeader.model_validate_json(data[8 : 8 + length])
    except ValidationError as exc:
        raise RecordError(f"invalid frame header: {_describe(exc)}") from None
    jpeg = data[8 + length :]
    if not header.end_of_stream and not jpeg:
        raise RecordError(f"frame {header.camera_id}/{header.seq} has no image bytes")
    return header, jpeg


def encode_model(record: BaseModel) -> bytes:
    return record.model_dump_json().encode()


def decode_model(data: bytes | None, model: type[M]) -> M:
    if not data:
        raise RecordError(f"empty {model.__name__} record")
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        raise RecordError(f"invalid {model.__name__}: {_describe(exc)}") from None


AlertRecord = Annotated[AlertEvent | EntryAlertEvent | DeviceAlertEvent | StreamEnd, Field(discriminator="record_type")]
AccessRecord = Annotated[AccessEvent | AccessStreamEnd, Field(discriminator="record_type")]
_ALERT_TOPIC_RECORD: TypeAdapter[AlertEvent | EntryAlertEvent | DeviceAlertEvent | StreamEnd] = TypeAdapter(AlertRecord)
_ACCESS_TOPIC_RECORD: TypeAdapter[AccessEvent | AccessStreamEnd] = TypeAdapter(AccessRecord)


def decode_alert_record(data: bytes | None) -> AlertEvent | EntryAlertEvent | DeviceAlertEvent | StreamEnd:
    return _decode_with(_ALERT_TOPIC_RECORD, data, "alert record")


def decode_access_record(data: bytes | None) -> AccessEvent | AccessStreamEnd:
    return _decode_with(_ACCESS_TOPIC_RECORD, data, "access record")


T = TypeVar("T")


def _decode_with(adapter: TypeAdapter[T], data: bytes | None, what: str) -> T:
    if not data:
        raise RecordError(f"empty {what}")
    try:
        return adapter.validate_json(data)
    except ValidationError as exc:
        raise RecordError(f"invalid {what}: {_describe(exc)}") from None


def decode_track_frame(data: bytes | None) -> TrackFrame:
    return decode_model(data, TrackFrame)


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err["loc"]) or "(record)"
        parts.append(f"{where}: {err['msg']}")
    more = exc.error_count() - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


class DeadLetter(BaseModel):
    """A record that a stage could not process, kept whole so it can be inspected and re-driven."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    record_type: Literal["dead_letter"] = "dead_letter"
    schema_version: Literal[1] = 1
    stage: str
    reason: str
    topic: str
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    value_b64: str = Field(description="The original record value, base64")
    at: float = Field(description="Wall-clock time the record was dead-lettered")

    @classmethod
    def of(
        cls,
        stage: str,
        reason: str,
        topic: str,
        value: bytes | None,
        key: bytes | None = None,
        partition: int | None = None,
        offset: int | None = None,
    ) -> DeadLetter:
        return cls(
            stage=stage,
            reason=reason[:2000],
            topic=topic,
            partition=partition,
            offset=offset,
            key=key.decode("utf-8", "replace") if key else None,
            value_b64=base64.b64encode(value or b"").decode(),
            at=time.time(),
        )

    def value(self) -> bytes:
        return base64.b64decode(self.value_b64)
