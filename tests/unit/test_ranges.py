"""Byte ranges of the evidence clip: what a video element (and Safari) asks for, and what is refused."""

from __future__ import annotations

import pytest

from alerts.console.ranges import parse_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", (0, 99)),
        ("bytes=0-1", (0, 1)),  # Safari's first probe
        ("bytes=900-", (900, 999)),
        ("bytes=-100", (900, 999)),
        ("bytes=950-5000", (950, 999)),  # past the end: up to the end
        ("bytes=-5000", (0, 999)),
        ("bytes=1000-", None),  # starts past the end: 416
        ("bytes=5-4", None),
        ("bytes=0-1,5-6", None),  # several ranges: not served as multipart
        ("items=0-1", None),
        ("bytes=a-b", None),
        ("bytes=-0", None),
    ],
)
def test_range_header(header: str, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, 1000) == expected
