"""VIRAT's own event labels beside an objects file: which objects take part in which event, and when.

events file:  event_id type duration start_frame end_frame frame x y w h   (one line per event box per frame)
mapping file: event_id type duration start_frame end_frame n_objects flag_0 flag_1 ...  (flag_k = 1: object k
              takes part; object id k is "column number - 7" in the release note's 1-based columns)
Event types 1-6 are a person with a vehicle: loading, unloading, opening / closing a trunk, getting in / out.
Lines outside the format are skipped with a warning naming file:line and counted, as in the objects importer.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

EVENT_NAMES = {
    1: "loading",
    2: "unloading",
    3: "opening trunk",
    4: "closing trunk",
    5: "getting in",
    6: "getting out",
    7: "gesturing",
    8: "digging",
    9: "carrying",
    10: "running",
    11: "entering facility",
    12: "exiting facility",
}
VEHICLE_EVENTS = frozenset({1, 2, 3, 4, 5, 6})


@dataclass(frozen=True)
class ViratEvent:
    event_id: int
    kind: int
    start_frame: int
    end_frame: int
    objects: tuple[int, ...]

    @property
    def name(self) -> str:
        return EVENT_NAMES.get(self.kind, f"type {self.kind}")


def sibling(objects_path: Path, kind: str) -> Path:
    """CLIP.viratdata.objects.txt -> CLIP.viratdata.<kind>.txt"""
    return objects_path.with_name(objects_path.name.replace(".objects.txt", f".{kind}.txt"))


def _ints(path: Path, number: int, parts: list[str], skipped: Counter[str]) -> list[int] | None:
    try:
        return [int(float(p)) for p in parts]
    except ValueError as exc:
        logger.warning("%s:%s: malformed line skipped (%s)", path, number, str(exc)[:80])
        skipped["malformed"] += 1
        return None


def read_virat_events(objects_path: Path) -> tuple[list[ViratEvent], Counter[str]]:
    """The events of a clip from its mapping file (objects) and events file (frames); missing files: none."""
    skipped: Counter[str] = Counter()
    spans: dict[int, tuple[int, int]] = {}
    events_path = sibling(objects_path, "events")
    if events_path.exists():
        for number, line in enumerate(events_path.open(), start=1):
            parts = line.split()
            if not parts:
                continue
            values = _ints(events_path, number, parts, skipped) if len(parts) == 10 else None
            if values is None:
                if len(parts) != 10:
                    logger.warning("%s:%s: expected 10 fields, got %s; skipped", events_path, number, len(parts))
                    skipped["malformed"] += 1
                continue
            low, high = spans.get(values[0], (values[3], values[4]))
            spans[values[0]] = (min(low, values[3]), max(high, values[4]))
    events: list[ViratEvent] = []
    mapping_path = sibling(objects_path, "mapping")
    if mapping_path.exists():
        for number, line in enumerate(mapping_path.open(), start=1):
            parts = line.split()
            if not parts:
                continue
            values = _ints(mapping_path, number, parts, skipped) if len(parts) >= 6 else None
            if values is None:
                if len(parts) < 6:
                    logger.warning("%s:%s: expected 6+ fields, got %s; skipped", mapping_path, number, len(parts))
                    skipped["malformed"] += 1
                continue
            event_id, kind, _duration, start, end = values[:5]
            objects = tuple(k for k, flag in enumerate(values[6:]) if flag == 1)
            start, end = spans.get(event_id, (start, end))
            events.append(ViratEvent(event_id, kind, start, end, objects))
    return events, skipped


def write_labels(path: Path, events: list[ViratEvent]) -> None:
    """The events as JSON, one object per event: what `sentinel import virat --labels-out` writes."""
    path.write_text(json.dumps([{**asdict(e), "name": e.name} for e in events], indent=1) + "\n")
