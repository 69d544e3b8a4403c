"""Local wall-clock questions on event time: which time zone, and whether a moment falls in daily hours."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def checked_timezone(value: str) -> str:
    """The IANA zone name, or a ValueError a config validator can show."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


def in_daily_window(ts: float, start: time, end: time, timezone: str) -> bool:
    """Whether event time `ts` is within [start, end) local time; a window may cross midnight (23:00-05:00)."""
    local = datetime.fromtimestamp(ts, ZoneInfo(timezone)).time()
    if start <= end:
        return start <= local < end
    return local >= start or local < end
