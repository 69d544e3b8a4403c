"""The ISAPI notification sorter on mutated XML, wrapped JSON and heartbeats: a VendorEvent, a DeviceNotice or
an AccessFormatError with a reason, whatever the bytes (XML parser errors never escape)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.access.notices import DeviceNotice, parse_isapi
from streams.access.vendor import AccessFormatError, VendorEvent
from tests.fuzz.strategies import mutated_bytes

DATA = Path(__file__).resolve().parents[1] / "data" / "isapi"
CI = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FIXTURES = sorted(p.read_bytes() for p in DATA.iterdir())
BODIES = st.tuples(
    st.sampled_from(FIXTURES).flatmap(mutated_bytes),
    st.sampled_from(["application/xml", "text/xml", "application/json", ""]),
)


@CI
@given(BODIES)
def test_isapi_bodies(case: tuple[bytes, str]) -> None:
    try:
        parsed = parse_isapi(case[0], case[1], {}, 4096)
    except AccessFormatError as exc:
        assert str(exc)
        return
    assert isinstance(parsed, VendorEvent | DeviceNotice)
