"""Keep an outage from flooding the log: repeated identical lines from a library are let through once a while."""

from __future__ import annotations

import logging
import time


class RepeatFilter(logging.Filter):
    """Passes a given message template at most once per `interval_s`, noting how many were held back."""

    def __init__(self, prefixes: tuple[str, ...], interval_s: float = 30.0) -> None:
        super().__init__()
        self.prefixes = prefixes
        self.interval_s = interval_s
        self._last: dict[tuple[str, str], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self.prefixes):
            return True  # our own messages are never held back
        key = (record.name, str(record.msg))
        now = time.monotonic()
        last, held = self._last.get(key, (float("-inf"), 0))
        if now - last < self.interval_s:
            self._last[key] = (last, held + 1)
            return False
        if held:
            record.msg = f"{record.msg} (and {held} more like it in the last {self.interval_s:.0f} s)"
        self._last[key] = (now, 0)
        return True
