"""`sentinel eval --virat DIR`: real car-park clips through a fresh rules stage, scored against VIRAT's own events.

Nobody in these clips cases a car, so every alert is either on an owner (a person VIRAT links to a loading,
unloading, trunk, getting-in or getting-out event) or on someone who stands at a car with no such event. Stays
are labelled by `streams.virat_stays` (code that shares nothing with the rules); an alert explains a stay when it
is on one of that person's annotation ids and starts during the stay (or within `slack_s` after it).
A group alert (people at one car at overlapping times, one incident) is on every person it lists: each of them
counts as alerted, so one alert for a group neither hides a stay nor counts twice as an alert.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from alerts.models import AlertEvent, AlertPhase, Severity, StreamEnd
from detectors.geometry import Box
from detectors.types import TrackFrame
from streams.config import CameraConfig, SiteConfig
from streams.evaluation.virat import frame_size_of, read_virat_objects, virat_track_frames
from streams.evaluation.virat_labels import VEHICLE_EVENTS, read_virat_events
from streams.evaluation.virat_stays import Person, Stay, label_stays
from streams.stages.rules import RuleStage

logger = logging.getLogger(__name__)

RANK = {Severity.GREEN: 0, Severity.YELLOW: 1, Severity.RED: 2}


@dataclass
class ClipScore:
    clip: str
    minutes: float
    alerts: int = 0  # pushed to the officer: yellow or red at some step
    green: int = 0  # kept in the log only (green is never pushed)
    red: int = 0
    casing: int = 0
    on_owners: int = 0
    on_unexplained: int = 0
    owner_stays: int = 0
    owner_alerted: int = 0
    other_stays: int = 0
    other_alerted: int = 0
    skipped_lines: int = 0
    messages: list[str] = field(default_factory=list)

    @property
    def per_hour(self) -> float:
        return self.alerts / (self.minutes / 60) if self.minutes else 0.0


@dataclass
class _Alert:
    start: AlertEvent
    worst: Severity
    reasons: tuple[str, ...]
    last_ts: float = 0.0  # event time of its latest step
    members: set[int] = field(default_factory=set)  # track ids of everyone in its group (group_track_ids)


def run_rules(config: SiteConfig, frames: Iterable[TrackFrame]) -> list[_Alert]:
    """Every alert the rules raise over the frames (a fresh stage), with the worst severity it reached."""
    stage: RuleStage | None = None
    alerts: dict[str, _Alert] = {}
    last: TrackFrame | None = None
    for frame in frames:
        if stage is None:
            if config.camera(frame.camera_id) is None:
                config = config.with_camera(CameraConfig(id=frame.camera_id))
            stage = RuleStage(config)
        last = frame
        _take(stage.process(frame), alerts)
    if stage is not None and last is not None:
        end = last.model_copy(update={"seq": last.seq + 1, "objects": [], "end_of_stream": True})
        _take(stage.process(end), alerts)  # the steps the stream's end releases count too
    return list(alerts.values())


def _take(steps: list[AlertEvent | StreamEnd], alerts: dict[str, _Alert]) -> None:
    """Record each alert at its start; keep its worst severity, its latest time and everyone its group lists."""
    for out in steps:
        if not isinstance(out, AlertEvent):
            continue
        seen = alerts.get(out.alert_id)
        if seen is None and out.phase is AlertPhase.START:
            seen = alerts[out.alert_id] = _Alert(out, out.severity, out.risk_reasons)
        elif seen is not None and RANK[out.severity] > RANK[seen.worst]:
            seen.worst, seen.reasons = out.severity, out.risk_reasons
        if seen is not None:
            seen.last_ts = max(seen.last_ts, out.ts)
            seen.members |= set(out.group_track_ids)


def score_clip(config: SiteConfig, objects_path: Path, fps: float = 30.0, slack_s: float = 10.0) -> ClipScore:
    clip = objects_path.name.split(".")[0]
    objects = read_virat_objects(objects_path)
    events, _ = read_virat_events(objects_path)
    frames = objects.frames
    width, height = frame_size_of(objects)
    track_frames = virat_track_frames(objects_path, f"virat-{clip}", fps, 0.0, width, height, objects=objects)
    alerts = run_rules(config, track_frames)
    people, stays = label_stays(frames, fps)
    linked = {oid for e in events if e.kind in VEHICLE_EVENTS for oid in e.objects}
    owners = [p for p in people if p.ids & linked]
    result = ClipScore(clip, (max(frames) - min(frames)) / fps / 60, skipped_lines=sum(objects.skipped.values()))
    by_id: dict[int, Person] = {oid: p for p in people for oid in p.ids}
    for alert in alerts:
        event = alert.start
        group = [by_id.get(pid) for pid in sorted(alert.members - {event.person_track_id})]
        all_owners = _owner(event, people, by_id, owners) and all(any(p is o for o in owners) for p in group)
        who = "owner" if all_owners else "other"
        names = f" group {sorted(alert.members)}" if alert.members else ""
        result.messages.append(
            f"{clip}: [{alert.worst.value}, {who}{names}] {event.message} | {'; '.join(alert.reasons)}"
        )
        if alert.worst is Severity.GREEN:
            result.green += 1
            continue
        result.alerts += 1
        result.red += alert.worst is Severity.RED
        result.casing += event.rule == "casing"
        result.on_owners += all_owners
        result.on_unexplained += not all_owners and any(_explains(alert, s, people, by_id, fps, slack_s) for s in stays)
    for stay in stays:
        person = by_id[stay.person]
        hit = any(_explains(a, stay, people, by_id, fps, slack_s) for a in alerts if a.worst is not Severity.GREEN)
        if any(person is o for o in owners):
            result.owner_stays += 1
            result.owner_alerted += hit
        else:
            result.other_stays += 1
            result.other_alerted += hit
    return result


def _owner(alert: AlertEvent, people: list[Person], by_id: dict[int, Person], owners: list[Person]) -> bool:
    person = _person_of(alert, people) or by_id.get(alert.person_track_id)
    return person is not None and any(person is o for o in owners)


def _person_of(alert: AlertEvent, people: list[Person]) -> Person | None:
    """The labelled person the alert shows: the one whose box at the alert's frame overlaps its person box most
    (IoU >= 0.5), whatever track ids the rules' continuity gave them."""
    shown = Box(x1=alert.person_box[0], y1=alert.person_box[1], x2=alert.person_box[2], y2=alert.person_box[3])
    scored = [(p.boxes[alert.frame_seq].iou(shown), i) for i, p in enumerate(people) if alert.frame_seq in p.boxes]
    best = max(scored, default=(0.0, -1))
    return people[best[1]] if best[0] >= 0.5 else None


def _explains(
    alert: _Alert, stay: Stay, people: list[Person], by_id: dict[int, Person], fps: float, slack_s: float
) -> bool:
    """The alert is on the stay's person (the one it shows, or one of its group) and its time at the car overlaps
    the stay."""
    mine = by_id.get(stay.person)
    shown = [_person_of(alert.start, people) or by_id.get(alert.start.person_track_id)]
    shown += [by_id.get(pid) for pid in alert.members]
    if mine is None or not any(p is mine for p in shown):
        return False
    start, end = alert.start.started_at, max(alert.last_ts, alert.start.ts)
    return start <= stay.end_frame / fps + slack_s and end >= stay.start_frame / fps - slack_s


def evaluate_dir(config: SiteConfig, directory: Path, fps: float = 30.0, slack_s: float = 10.0) -> list[ClipScore]:
    paths = sorted(directory.glob("*.viratdata.objects.txt"))
    if not paths:
        raise FileNotFoundError(f"{directory}: no *.viratdata.objects.txt")
    scores = []
    for path in paths:
        scores.append(score_clip(config, path, fps, slack_s))
        logger.info("%s scored", path.name)
    return scores


def total(scores: list[ClipScore]) -> ClipScore:
    out = ClipScore("all", sum(s.minutes for s in scores))
    for s in scores:
        for name in ("alerts", "green", "red", "casing", "on_owners", "on_unexplained", "owner_stays", "owner_alerted"):
            setattr(out, name, getattr(out, name) + getattr(s, name))
        for name in ("other_stays", "other_alerted", "skipped_lines"):
            setattr(out, name, getattr(out, name) + getattr(s, name))
        out.messages += s.messages
    return out


def report(scores: list[ClipScore], verbose: bool = False) -> str:
    lines = [
        "| clip | min | alerts | per cam-hour | red | casing | on owners | on unexplained stays "
        "| owner stays alerted | unexplained stays alerted | green, log only | lines skipped |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for s in [*scores, total(scores)]:
        row = [
            s.clip if s.clip != "all" else "**all**",
            f"{s.minutes:.1f}",
            s.alerts,
            f"{s.per_hour:.1f}",
            s.red,
            s.casing,
            s.on_owners,
            s.on_unexplained,
            f"{s.owner_alerted}/{s.owner_stays}",
            f"{s.other_alerted}/{s.other_stays}",
            s.green,
            s.skipped_lines,
        ]
        lines.append("| " + " | ".join(str(v) for v in row) + " |")
    if verbose:
        lines += ["", *total(scores).messages]
    return "\n".join(lines)
