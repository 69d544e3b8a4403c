"""Every decoder either returns a validated record or raises its one clear error type, whatever the input.

RecordError is what the agents turn into a dead letter; ConfigError is what the CLI prints. Any other exception
would crash a worker or print a traceback, so it fails these tests. Example counts are bounded for CI;
`python -m bench.fuzz` runs 10,000 inputs per decoder.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detectors.access.types import AccessEvent
from detectors.types import TrackFrame
from streams.access.config import AccessConfig
from streams.access.generic import parse_access_object
from streams.access.hikvision import parse_hikvision
from streams.access.vendor import AccessFormatError, AccessNormaliser
from streams.config import ConfigError, SiteConfig, config_from_text
from streams.records import RecordError, decode_access_record, decode_alert_record, decode_frame, decode_track_frame
from streams.stages.decoding import decode_jpeg
from tests.fuzz.strategies import (
    ACCESS_RECORDS,
    ALERT_RECORDS,
    CONFIG_TEXTS,
    DOOR_LOG_OBJECTS,
    FRAME_RECORDS,
    HIKVISION_BODIES,
    JPEG_BYTES,
    TRACK_RECORDS,
)

CI = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _decodes_or_rejects(decoder, data: bytes):  # type: ignore[no-untyped-def]
    try:
        return decoder(data)
    except RecordError as exc:
        assert str(exc), "a dead-letter reason must say something"
        return None


@CI
@given(FRAME_RECORDS)
def test_frame_records(data: bytes) -> None:
    decoded = _decodes_or_rejects(decode_frame, data)
    if decoded is not None:
        header, jpeg = decoded
        assert np.isfinite(header.ts) and (jpeg or header.end_of_stream)


@CI
@given(TRACK_RECORDS)
def test_track_records(data: bytes) -> None:
    frame = _decodes_or_rejects(decode_track_frame, data)
    if frame is not None:
        assert isinstance(frame, TrackFrame) and np.isfinite(frame.ts)
        assert all(np.isfinite([o.box.x1, o.box.y1, o.box.x2, o.box.y2]).all() for o in frame.objects)


@CI
@given(ALERT_RECORDS)
def test_alert_records(data: bytes) -> None:
    _decodes_or_rejects(decode_alert_record, data)


@CI
@given(JPEG_BYTES, st.sampled_from([1, 2, 4]))
def test_jpeg_decode_gives_an_image_or_none(data: bytes, reduction: int) -> None:
    image = decode_jpeg(data, reduction)
    assert image is None or (image.ndim == 3 and image.shape[2] == 3)


@CI
@given(CONFIG_TEXTS)
def test_config_texts(text: str) -> None:
    try:
        assert isinstance(config_from_text(text, "fuzz.yaml"), SiteConfig)
    except ConfigError as exc:
        assert str(exc).startswith("fuzz.yaml")


FUZZ_ACCESS = AccessConfig.model_validate(
    {
        "doors": [{"id": "gate-2"}, {"id": "lobby"}],
        "devices": [
            {"id": "gate2-term", "ip_address": "192.168.10.21", "doors": {"1": "gate-2"}},
            {"id": "lobby-panel", "doors": {"1": "lobby"}},
        ],
    }
)


def hikvision_body(body: bytes, content_type: str) -> AccessEvent:
    """What the receiver does with a posted body: parse, then normalise (device, door, refs, ids)."""
    return AccessNormaliser(FUZZ_ACCESS, "s").normalise(parse_hikvision(body, content_type, {}, 4096))


def door_log_object(payload: object) -> AccessEvent:
    return AccessNormaliser(FUZZ_ACCESS, "s").normalise(parse_access_object(payload, {}, 4096))


@CI
@given(HIKVISION_BODIES)
def test_hikvision_bodies(case: tuple[bytes, str]) -> None:
    try:
        event = hikvision_body(*case)
    except AccessFormatError as exc:
        assert str(exc), "the device must be told why"
        return
    assert np.isfinite(event.ts) and event.door_id in ("gate-2", "lobby")


@CI
@given(DOOR_LOG_OBJECTS)
def test_door_log_objects(payload: object) -> None:
    try:
        door_log_object(payload)
    except AccessFormatError as exc:
        assert str(exc)


@CI
@given(ACCESS_RECORDS)
def test_access_records(data: bytes) -> None:
    _decodes_or_rejects(decode_access_record, data)
