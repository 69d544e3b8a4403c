"""Wire formats: every malformed record is a RecordError with a reason, never a crash."""

from __future__ import annotations

import pytest

from alerts.models import StreamEnd
from streams.records import (
    DeadLetter,
    FrameHeader,
    RecordError,
    decode_alert_record,
    decode_frame,
    decode_track_frame,
    encode_frame,
    encode_model,
)
from tests.builders import SceneBuilder, car

HEADER = FrameHeader(camera_id="cam-1", stream_id="s", seq=3, ts=10.5, width=640, height=360, fps=5)


def test_frame_round_trip() -> None:
    header, jpeg = decode_frame(encode_frame(HEADER, b"\xff\xd8jpeg"))
    assert header == HEADER and jpeg == b"\xff\xd8jpeg"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (None, "empty"),
        (b"JUNKJUNKJUNK", "not a frame record"),
        (b"SNF1\x00", "truncated"),
        (b"SNF1\x00\x00\x10\x00{}", "truncated or corrupt"),
        (b"SNF1\x00\x00\x00\x02{}jpeg", "invalid frame header"),
        (b"SNF1\x00\x00\x00\x05nope!jpeg", "invalid frame header"),
        (encode_frame(HEADER, b""), "no image bytes"),
    ],
)
def test_bad_frames_are_record_errors(data: bytes | None, reason: str) -> None:
    with pytest.raises(RecordError, match=reason):
        decode_frame(data)


def test_track_frame_round_trip_and_errors() -> None:
    frame = SceneBuilder().frames(1, lambda t: [car()]).frames_out[0]
    assert decode_track_frame(encode_model(frame)) == frame
    for bad, reason in [(b"{", "invalid TrackFrame"), (b'{"camera_id": 5}', "invalid TrackFrame"), (b"", "empty")]:
        with pytest.raises(RecordError, match=reason):
            decode_track_frame(bad)


def test_alert_topic_accepts_stream_end_and_rejects_tracks() -> None:
    end = StreamEnd(camera_id="c", stream_id="s", ts=1.0)
    assert decode_alert_record(encode_model(end)) == end
    frame = SceneBuilder().frames(1, lambda t: []).frames_out[0]
    with pytest.raises(RecordError):
        decode_alert_record(encode_model(frame))


def test_dead_letter_keeps_original_bytes() -> None:
    letter = DeadLetter.of("detect", "undecodable JPEG", "t", b"\x00\x01raw", b"cam-1", 2, 40)
    assert letter.value() == b"\x00\x01raw" and letter.key == "cam-1" and letter.offset == 40
