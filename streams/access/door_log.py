"""A recorded door log (JSONL of vendor events) as access records for replay, on the events' own times.

Lines may be Hikvision AccessControllerEvent objects, generic or ONVIF-style objects (streams.access_generic).
Lines that cannot be read are kept with their reason in `problems`, for the caller to dead-letter.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from detectors.access.types import AccessStreamEnd
from streams.access.config import AccessConfig
from streams.access.generic import parse_access_object
from streams.access.vendor import AccessFormatError, AccessNormaliser
from streams.records import encode_model

logger = logging.getLogger(__name__)

Record = tuple[bytes, bytes, int]


@dataclass
class DoorLog:
    path: Path
    config: AccessConfig
    site_id: str
    stream_id: str
    problems: list[tuple[int, str, bytes]] = field(default_factory=list)  # (line number, reason, the line)
    events: int = 0

    def records(self) -> Iterator[Record]:
        """Access records in file order, then the end-of-stream marker (door logs are short: read whole)."""
        normaliser = AccessNormaliser(self.config, self.site_id)
        key = self.stream_id.encode()  # one partition: the log's order holds, and its end marker comes last
        last_ts = 0.0
        with self.path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    payload = json.loads(line)
                    vendor = parse_access_object(
                        payload, self.config.hikvision_codes, self.config.receiver.max_picture_bytes
                    )
                    event = normaliser.normalise(vendor, stream_id=self.stream_id)
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    self._problem(number, f"not valid JSON: {exc}", line)
                    continue
                except AccessFormatError as exc:
                    self._problem(number, str(exc), line)
                    continue
                last_ts = max(last_ts, event.ts)
                self.events += 1
                yield key, encode_model(event), self.events
        end = AccessStreamEnd(stream_id=self.stream_id, site_id=self.site_id, ts=last_ts)
        yield key, encode_model(end), self.events + 1

    def _problem(self, number: int, reason: str, line: bytes) -> None:
        logger.warning("%s:%s: %s (dead-lettered)", self.path, number, reason)
        self.problems.append((number, reason, line.rstrip(b"\n")))
