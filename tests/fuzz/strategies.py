"""Hypothesis strategies for malformed inputs: random bytes, valid records with parts broken, random JSON/YAML.

Shared by the fuzz tests (bounded example counts, in CI) and `python -m bench.fuzz` (10,000 inputs per decoder).
"""

from __future__ import annotations

import json
from typing import Any

import cv2
import numpy as np
import yaml
from hypothesis import strategies as st

from detectors.geometry import Box
from detectors.types import ObjectClass, TrackedObject, TrackFrame
from streams.records import FrameHeader, encode_frame
from tests.access_builders import HikvisionEventBuilder, access_event

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=20,
)


def _valid_frame_header() -> dict[str, Any]:
    header = FrameHeader(camera_id="cam-1", stream_id="s-1", seq=3, ts=1_700_000_000.5, width=64, height=48, fps=5)
    return header.model_dump(mode="json")


def _valid_track_frame() -> dict[str, Any]:
    person = TrackedObject(track_id=1, cls=ObjectClass.PERSON, box=Box(x1=1, y1=2, x2=30, y2=60), confidence=0.9)
    frame = TrackFrame(camera_id="cam-1", stream_id="s-1", seq=3, ts=12.5, width=64, height=48, objects=[person])
    return frame.model_dump(mode="json")


def _dict_nodes(value: Any) -> list[dict[str, Any]]:
    """Every JSON object inside a value, the value itself first when it is one."""
    if isinstance(value, dict):
        return [value] + [node for child in value.values() for node in _dict_nodes(child)]
    if isinstance(value, list):
        return [node for child in value for node in _dict_nodes(child)]
    return []


@st.composite
def broken_dicts(draw: st.DrawFn, valid: dict[str, Any]) -> dict[str, Any]:
    """A valid record with fields replaced by random JSON, removed, or extra keys added, at any depth."""
    record = json.loads(json.dumps(valid))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        target = draw(st.sampled_from(_dict_nodes(record)))
        action = draw(st.sampled_from(["replace", "remove", "add"])) if target else "add"
        if action == "add":
            target[draw(st.text(min_size=1, max_size=12))] = draw(JSON_VALUES)
            continue
        key = draw(st.sampled_from(sorted(target)))
        if action == "replace":
            target[key] = draw(JSON_VALUES)
        else:
            del target[key]
    return record


@st.composite
def mutated_bytes(draw: st.DrawFn, valid: bytes) -> bytes:
    """Valid bytes truncated, with bytes flipped, or with random bytes spliced in."""
    data = bytearray(valid)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        action = draw(st.sampled_from(["truncate", "flip", "splice"]))
        position = draw(st.integers(min_value=0, max_value=max(len(data) - 1, 0)))
        if action == "truncate":
            del data[position:]
        elif action == "flip" and data:
            data[position] ^= draw(st.integers(min_value=1, max_value=255))
        else:
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
    return bytes(data)


def _frame_bytes(header: dict[str, Any], payload: bytes) -> bytes:
    head = json.dumps(header).encode()
    return b"SNF1" + len(head).to_bytes(4, "big") + head + payload


VALID_FRAME = encode_frame(FrameHeader(**_valid_frame_header()), b"\xff\xd8\xff\xe0jpeg")
FRAME_RECORDS = st.one_of(
    st.binary(max_size=200),
    mutated_bytes(VALID_FRAME),
    st.builds(_frame_bytes, broken_dicts(_valid_frame_header()), st.binary(max_size=32)),
    st.builds(_frame_bytes, st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=6), st.binary(max_size=8)),
)
TRACK_RECORDS = st.one_of(
    st.binary(max_size=200),
    mutated_bytes(json.dumps(_valid_track_frame()).encode()),
    broken_dicts(_valid_track_frame()).map(lambda d: json.dumps(d).encode()),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
)
ALERT_RECORDS = st.one_of(
    st.binary(max_size=200),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    broken_dicts({"record_type": "stream_end", "camera_id": "c", "stream_id": "s", "ts": 1.0}).map(
        lambda d: json.dumps(d).encode()
    ),
)
_CONFIG_SECTIONS = ["kafka", "redis", "cameras", "loitering", "detector", "alerts", "continuity", "site_id"]
CONFIG_TEXTS = st.one_of(
    st.text(max_size=200),
    st.dictionaries(st.sampled_from(_CONFIG_SECTIONS) | st.text(max_size=8), JSON_VALUES, max_size=4).map(
        lambda d: yaml.safe_dump(d, allow_unicode=True)
    ),
    st.dictionaries(st.integers() | st.booleans(), JSON_SCALARS, min_size=1, max_size=3).map(yaml.safe_dump),
)

VALID_JPEG = cv2.imencode(".jpg", np.random.default_rng(0).integers(0, 255, (48, 64, 3), dtype=np.uint8))[1].tobytes()
JPEG_BYTES = st.one_of(st.binary(max_size=300), mutated_bytes(VALID_JPEG))

# Door events: Hikvision JSON and multipart bodies, generic/ONVIF objects, and access-topic records.
_HIKVISION = HikvisionEventBuilder(card="0099123")
_GENERIC = {
    "format": "generic",
    "device_id": "lobby-panel",
    "door": "1",
    "time": "2026-11-24T00:50:03+08:00",
    "result": "stranger",
    "serial": "L-1",
    "person": {"card_no": "1", "name": "x"},
    "picture_b64": "AAAA",
}
_ONVIF = {
    "format": "onvif",
    "device_id": "lobby-panel",
    "access_point": "1",
    "time": 1_795_000_000,
    "topic": "tns1:AccessControl/AccessGranted/Credential",
    "credential_token": "c",
}
_MULTIPART_TYPE = "multipart/form-data; boundary=MIME_boundary"


def _multipart(payload: dict[str, Any], picture: bytes) -> tuple[bytes, str]:
    builder = HikvisionEventBuilder()
    builder.payload = lambda: payload  # type: ignore[method-assign]
    return builder.multipart(picture)


HIKVISION_BODIES = st.one_of(
    st.tuples(st.binary(max_size=300), st.sampled_from(["application/json", _MULTIPART_TYPE, "", "text/xml"])),
    st.tuples(mutated_bytes(_HIKVISION.json_body()), st.just("application/json")),
    st.tuples(broken_dicts(_HIKVISION.payload()).map(lambda d: json.dumps(d).encode()), st.just("application/json")),
    st.builds(_multipart, broken_dicts(_HIKVISION.payload()), st.binary(max_size=64)),
    st.tuples(mutated_bytes(_HIKVISION.multipart(b"\xff\xd8jpeg\xff\xd9")[0]), st.just(_MULTIPART_TYPE)),
)
DOOR_LOG_OBJECTS = st.one_of(
    JSON_VALUES,
    broken_dicts(_GENERIC),
    broken_dicts(_ONVIF),
    broken_dicts(_HIKVISION.payload()),
)
ACCESS_RECORDS = st.one_of(
    st.binary(max_size=200),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    broken_dicts(access_event().model_dump(mode="json")).map(lambda d: json.dumps(d).encode()),
)
