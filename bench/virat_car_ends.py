"""Where people stand at a car in VIRAT, by VIRAT's own labels: at an end of the car's box, or along it.

Measures whether "the person at the boot" could be owner evidence from what the camera sees (issue 13). For
every person-vehicle event (loading, unloading, opening / closing a trunk, getting in / out) and every labelled
stay (`streams/evaluation/virat_stays.py`: an owner's, or an unexplained one, a person at a car with no vehicle
event), each sampled frame says whether the person's foot point is at an end of the car's image box: beyond, or
within `margin` of the box's width from, one of its short sides (every car box in these clips is wider than it
is tall, 1.1-2.1, so the short sides are left and right). A stay with several cars counts the nearest car of
each frame. For a car seen arriving (moving before the event, then at rest), the heading of its last seconds of
motion says which end trailed (the boot, when it parked forward; a turn-back from the approach may be a reverse
in). Prints a table per label kind: how many, how many mostly (>= half their frames) at an end, the share of
frames at an end; then each row.

    .venv/bin/python -m bench.virat_car_ends [DIR] [--margin 0.1]
"""

from __future__ import annotations

import argparse
import logging
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from detectors.geometry import Box
from streams.evaluation.virat import read_virat_objects
from streams.evaluation.virat_labels import EVENT_NAMES, VEHICLE_EVENTS, read_virat_events
from streams.evaluation.virat_stays import CAR, OTHER_VEHICLE, PERSON, label_stays

FPS = 30.0
STEP = 3  # frames between samples


@dataclass
class Row:
    clip: str
    label: str
    person: int
    ends: int  # sampled frames at an end
    frames: int
    side: str  # the end most often stood at: "left", "right" or "-"
    trailing: str  # the car's trailing end on arrival: "left", "right", "?" (parked before it was seen)


def at_end(person: Box, car: Box, margin: float) -> str | None:
    """'left' / 'right' when the foot is at that short side of a wide car box (None: along it)."""
    u = (person.foot_point()[0] - car.x1) / max(car.width, 1.0)
    if u < margin:
        return "left"
    if u > 1.0 - margin:
        return "right"
    return None


def trailing_end(track: dict[int, Box], before: int) -> str:
    """The end of a car that trailed as it came to rest (last 3 s of motion before `before`); '?' when it was
    never seen moving. A car reversed into its bay trails its bonnet instead: not knowable from its track alone
    (`~` marks a last motion against the approach, a turn into the bay or a reverse)."""
    frames = [f for f in sorted(track) if f < before]
    centre = {f: track[f].center() for f in frames}
    moving = [f for f in frames if f - 30 in centre and math.dist(centre[f], centre[f - 30]) > 0.1 * track[f].width]
    if not moving:
        return "?"
    last, first = max(moving), min(moving)
    start = next(f for f in frames if f >= last - 90)
    dx = centre[last][0] - centre[start][0]
    approach = centre[last][0] - centre[first - 30][0]
    end = "left" if dx > 0 else "right"
    return end if dx * approach >= 0 else f"{end}~"


def measure(directory: Path, margin: float) -> list[Row]:
    rows: list[Row] = []
    for path in sorted(directory.glob("*.viratdata.objects.txt")):
        clip = path.name.split(".")[0]
        frames = read_virat_objects(path).frames
        events, _ = read_virat_events(path)
        tracks: dict[int, dict[int, Box]] = defaultdict(dict)
        kind: dict[int, int] = {}
        for frame, objects in frames.items():
            for oid, k, box in objects:
                tracks[oid][frame] = box
                kind[oid] = k
        people, stays = label_stays(frames, FPS)
        by_id = {oid: p for p in people for oid in p.ids}
        linked = {oid for e in events if e.kind in VEHICLE_EVENTS for oid in e.objects}
        for event in (e for e in events if e.kind in VEHICLE_EVENTS):
            cars = [o for o in event.objects if kind.get(o) in (CAR, OTHER_VEHICLE)]
            for pid in (o for o in event.objects if kind.get(o) == PERSON):
                boxes = by_id[pid].boxes if pid in by_id else tracks[pid]
                for car in cars:
                    span = range(event.start_frame, event.end_frame + 1, STEP)
                    pairs = [(boxes[f], tracks[car][f]) for f in span if f in boxes and f in tracks[car]]
                    trail = trailing_end(tracks[car], event.start_frame)
                    rows.append(_row(clip, event.name, pid, pairs, margin, trail))
        for stay in stays:
            person = by_id[stay.person]
            label = "owner stay" if person.ids & linked else "unexplained stay"
            pairs = []
            for f in range(stay.start_frame, stay.end_frame + 1, STEP):
                box = person.boxes.get(f)
                near = [tracks[c][f] for c in stay.cars if f in tracks[c]]
                if box is not None and near:
                    pairs.append((box, min(near, key=lambda car: car.gap_to(box.foot_point()))))
            rows.append(_row(clip, label, stay.person, pairs, margin, "?"))
    return [r for r in rows if r.frames]


def _row(clip: str, label: str, pid: int, pairs: list[tuple[Box, Box]], margin: float, trail: str) -> Row:
    sides = [at_end(person, car, margin) for person, car in pairs]
    ends = [s for s in sides if s is not None]
    side = max(set(ends), key=ends.count) if ends else "-"
    return Row(clip, label, pid, len(ends), len(sides), side, trail)


def table(rows: list[Row]) -> str:
    order = [EVENT_NAMES[k] for k in sorted(VEHICLE_EVENTS)] + ["owner stay", "unexplained stay"]
    lines = [
        "| label | n | mostly at an end | frames at an end |",
        "| --- | --- | --- | --- |",
    ]
    for label in order:
        mine = [r for r in rows if r.label == label]
        if not mine:
            continue
        mostly = sum(r.ends * 2 >= r.frames for r in mine)
        share = sum(r.ends for r in mine) / sum(r.frames for r in mine)
        lines.append(f"| {label} | {len(mine)} | {mostly} | {share:.0%} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", type=Path, default=Path(__file__).parents[1].parent / "shared/virat")
    parser.add_argument("--margin", type=float, default=0.1, help="'at an end': within this share of the width")
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the importer's skipped-line warnings are counted elsewhere
    rows = measure(args.directory, args.margin)
    print(table(rows))
    print()
    for r in rows:
        print(
            f"{r.clip} {r.label} #{r.person}: {r.ends}/{r.frames} frames at an end (mostly {r.side}); "
            f"car's trailing end on arrival: {r.trailing}"
        )


if __name__ == "__main__":
    main()
