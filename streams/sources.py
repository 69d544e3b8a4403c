"""Record generators for replay: a video file as frame records, a tracks JSONL file as track records."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

from detectors.types import TrackFrame
from streams.ingest import encode_jpeg, file_frames
from streams.records import FrameHeader, RecordError, decode_track_frame, encode_frame, encode_model

logger = logging.getLogger(__name__)

Record = tuple[bytes, bytes, int]


def video_records(
    path: Path, camera_id: str, stream_id: str, fps: float, start_ts: float, jpeg_quality: int, max_width: int | None
) -> Iterator[Record]:
    """Frame records of a recording, then its end-of-stream marker."""
    key = camera_id.encode()
    seq, last_ts, width, height = 0, start_ts, 1, 1
    for captured in file_frames(str(path), fps, start_ts):
        jpeg, width, height = encode_jpeg(captured.image, jpeg_quality, max_width)
        header = FrameHeader(
            camera_id=camera_id, stream_id=stream_id, seq=seq, ts=captured.ts, width=width, height=height, fps=fps
        )
        yield key, encode_frame(header, jpeg), seq
        last_ts = captured.ts
        seq += 1
    end = FrameHeader(
        camera_id=camera_id,
        stream_id=stream_id,
        seq=seq,
        ts=last_ts,
        width=width,
        height=height,
        fps=fps,
        end_of_stream=True,
    )
    yield key, encode_frame(end, b""), seq


def track_records(path: Path, stream_id: str) -> Iterator[Record]:
    """Track records of a JSONL recording, restamped with the replay's stream id, then an end marker.

    Lines that do not parse are passed on unchanged, so the rules stage dead-letters them with the reason
    and the replay shows exactly what a live worker would do with them.
    """
    camera_id: str | None = None
    last: TrackFrame | None = None
    seq = 0
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                frame = decode_track_frame(line)
            except RecordError as exc:
                logger.warning("%s:%s: %s (sent on to be dead-lettered)", path, number, exc)
                yield (camera_id or "unknown").encode(), line.rstrip(b"\n"), -number
                continue
            if frame.end_of_stream:
                continue
            if camera_id is None:
                camera_id = frame.camera_id
            elif frame.camera_id != camera_id:
                raise RecordError(
                    f"{path}:{number}: camera {frame.camera_id!r} differs from {camera_id!r}; "
                    "replay one camera per file"
                )
            last = frame.model_copy(update={"stream_id": stream_id})
            yield camera_id.encode(), encode_model(last), frame.seq
            seq = frame.seq + 1
    if last is None or camera_id is None:
        raise RecordError(f"{path}: no valid track record")
    end = last.model_copy(update={"seq": seq, "objects": [], "end_of_stream": True})
    yield camera_id.encode(), encode_model(end), seq


def first_camera_id(path: Path) -> str | None:
    with path.open("rb") as handle:
        for line in handle:
            try:
                return str(json.loads(line)["camera_id"])
            except (ValueError, KeyError, TypeError):
                continue
    return None
