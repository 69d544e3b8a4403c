"""Fuzz run: 10,000 malformed inputs per decoder; prints how many were accepted, rejected cleanly, or crashed.

    .venv/bin/python bench/fuzz.py [--examples 10000]

Uses the same strategies as tests/fuzz (which run a bounded count in CI). A crash is any exception other than
the decoder's own error type (RecordError -> dead letter, ConfigError -> message to the operator).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.access.vendor import AccessFormatError
from streams.config import ConfigError, config_from_text
from streams.records import (
    RecordError,
    decode_access_record,
    decode_alert_record,
    decode_frame,
    decode_track_frame,
)
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
from tests.fuzz.test_decoders_fuzz import door_log_object, hikvision_body

ROOT = Path(__file__).resolve().parents[1]

TARGETS: dict[str, tuple[st.SearchStrategy[Any], Callable[[Any], Any], type[Exception]]] = {
    "frame records": (FRAME_RECORDS, decode_frame, RecordError),
    "track records": (TRACK_RECORDS, decode_track_frame, RecordError),
    "alert records": (ALERT_RECORDS, decode_alert_record, RecordError),
    "JPEG payloads": (JPEG_BYTES, lambda data: decode_jpeg(data, 2), RecordError),
    "config files": (CONFIG_TEXTS, lambda text: config_from_text(text, "fuzz.yaml"), ConfigError),
    "Hikvision door events (JSON, multipart)": (
        HIKVISION_BODIES,
        lambda case: hikvision_body(*case),
        AccessFormatError,
    ),
    "door-log objects (generic, ONVIF, Hikvision)": (DOOR_LOG_OBJECTS, door_log_object, AccessFormatError),
    "access records": (ACCESS_RECORDS, decode_access_record, RecordError),
}


def run(name: str, examples: int) -> Counter[str]:
    strategy, decoder, clean = TARGETS[name]
    outcomes: Counter[str] = Counter()

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def check(data: Any) -> None:
        try:
            result = decoder(data)
            outcomes["accepted" if result is not None else "rejected"] += 1
        except clean:
            outcomes["rejected"] += 1
        except Exception as exc:  # noqa: BLE001 - counting crashes is the point
            outcomes[f"crashed: {type(exc).__name__}: {str(exc)[:80]}"] += 1

    check()
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=10_000)
    args = parser.parse_args()
    print("| decoder | inputs | accepted | rejected with a clear error | crashed | seconds |")
    print("| --- | --- | --- | --- | --- | --- |")
    crashed_any = False
    for name in TARGETS:
        started = time.perf_counter()
        outcomes = run(name, args.examples)
        crashes = {k: v for k, v in outcomes.items() if k.startswith("crashed")}
        crashed_any |= bool(crashes)
        total = sum(outcomes.values())
        print(
            f"| {name} | {total} | {outcomes['accepted']} | {outcomes['rejected']} | {sum(crashes.values())} | "
            f"{time.perf_counter() - started:.0f} |"
        )
        for reason, count in crashes.items():
            print(f"    {count} x {reason}")
    sys.exit(1 if crashed_any else 0)


if __name__ == "__main__":
    main()
