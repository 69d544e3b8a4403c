"""`sentinel eval`: replays labelled scenarios through the behaviour rules and scores the alerts against the labels.

Each scenario runs through a fresh `RuleStage`, the code the rules agent runs, on the scenario's event times.
An alert start of rule R matches a label when the label expects R, the alert's person is one of the label's track
ids, and it starts between the label's start and end (+ `slack_s`). Alerts on the scene's own people (not in any
label) are background alerts: they are counted per hour of scene time as the false-alarm rate of normal activity.
A person who joins another's open alert at the same car (one incident, `group_track_ids`) is alerted from the
step that first lists them: it counts as their alert start, at that step's time.
"""

from __future__ import annotations

import json
import logging
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alerts.models import AlertEvent, AlertPhase
from streams.config import CameraConfig, SiteConfig
from streams.records import decode_track_frame
from streams.stages.rules import RuleStage

logger = logging.getLogger(__name__)

RULES = ("loitering", "casing")


@dataclass
class ScenarioResult:
    label: dict[str, Any]
    starts: list[AlertEvent]
    seconds: float


@dataclass
class RuleScore:
    labelled: int = 0
    detected: int = 0
    false_alerts: int = 0
    duplicates: int = 0
    delays: list[float] = field(default_factory=list)

    @property
    def recall(self) -> float | None:
        return self.detected / self.labelled if self.labelled else None

    @property
    def precision(self) -> float | None:
        alerts = self.detected + self.false_alerts
        return self.detected / alerts if alerts else None


def run_scenario(config: SiteConfig, tracks: Path, label: dict[str, Any]) -> ScenarioResult:
    camera = label.get("camera_id") or "scenario"
    if config.camera(camera) is None:
        config = config.with_camera(CameraConfig(id=camera))
    stage = RuleStage(config)
    starts: list[AlertEvent] = []
    listed: set[tuple[str, int]] = set()
    first = last = None
    with tracks.open("rb") as handle:
        for line in handle:
            frame = decode_track_frame(line)
            first = frame.ts if first is None else first
            last = frame.ts
            for out in stage.process(frame):
                if isinstance(out, AlertEvent) and out.phase is AlertPhase.START:
                    starts.append(out)
                if isinstance(out, AlertEvent):
                    starts += joined_starts(out, listed)
    return ScenarioResult(label, starts, (last or 0.0) - (first or 0.0))


def joined_starts(step: AlertEvent, listed: set[tuple[str, int]]) -> list[AlertEvent]:
    """The people this step is the first to list in its group, each as an alert start of theirs at its time."""
    out = []
    for pid in step.group_track_ids:
        if pid != step.person_track_id and (step.alert_id, pid) not in listed:
            listed.add((step.alert_id, pid))
            out.append(step.model_copy(update={"person_track_id": pid, "started_at": step.ts}))
    return out


def load(directory: Path) -> list[tuple[Path, dict[str, Any]]]:
    pairs = []
    for labels in sorted(directory.glob("*.labels.json")):
        tracks = labels.with_name(labels.name.replace(".labels.json", ".tracks.jsonl"))
        if not tracks.exists():
            raise FileNotFoundError(f"{labels}: no {tracks.name} beside it")
        pairs.append((tracks, json.loads(labels.read_text())))
    if not pairs:
        raise FileNotFoundError(f"{directory}: no *.labels.json scenarios")
    return pairs


def score(results: list[ScenarioResult], slack_s: float = 10.0) -> tuple[dict[str, RuleScore], dict[str, Any]]:
    rules: dict[str, RuleScore] = defaultdict(RuleScore)
    background: dict[str, Any] = {"alerts": 0, "hours": 0.0}
    negatives = {"alerts": 0, "scenarios": 0}
    false_alerts: list[str] = []
    reasons: list[str] = []
    for result in results:
        label = result.label
        persons = set(label.get("persons", []))
        if not label.get("synthetic", True):
            background["hours"] += result.seconds / 3600
        matched: dict[str, list[AlertEvent]] = defaultdict(list)
        for alert in result.starts:
            ours = alert.person_track_id in persons
            in_time = label["start"] - slack_s <= alert.started_at <= label["end"] + slack_s
            if ours and in_time and alert.rule in label["expect"]:
                matched[alert.rule].append(alert)
            elif ours:
                rules[alert.rule].false_alerts += 1
                false_alerts.append(f"{label['scenario']}: {alert.message}")
            elif not label.get("synthetic", True):
                background["alerts"] += 1  # the scene on its own; in synthetic scenarios it only repeats
                reasons.append(alert.message)
        if label.get("synthetic", True) and not label["expect"]:
            negatives["scenarios"] += 1
            negatives["alerts"] += sum(1 for a in result.starts if a.person_track_id in persons)
        for rule in label["expect"]:
            rules[rule].labelled += 1
            hits = matched.get(rule, [])
            if hits:
                rules[rule].detected += 1
                rules[rule].duplicates += len(hits) - 1
                rules[rule].delays.append(min(a.ts for a in hits) - label["start"])
    extra = {"background": background, "negatives": negatives, "false_alerts": false_alerts, "reasons": reasons}
    return dict(rules), extra


def report(rules: dict[str, RuleScore], extra: dict[str, Any], scenarios: int) -> str:
    def num(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    lines = [
        f"{scenarios} scenarios",
        "| rule | labelled | detected | recall | false alerts | precision | duplicates | delay p50 / max s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for rule in sorted(set(rules) | set(RULES)):
        s = rules.get(rule, RuleScore())
        delay = f"{statistics.median(s.delays):.1f} / {max(s.delays):.1f}" if s.delays else "-"
        row = [rule, s.labelled, s.detected, num(s.recall), s.false_alerts, num(s.precision), s.duplicates, delay]
        lines.append("| " + " | ".join(str(v) for v in row) + " |")
    total = RuleScore()
    for s in rules.values():
        total.detected, total.false_alerts = total.detected + s.detected, total.false_alerts + s.false_alerts
    lines.append(f"all rules: precision {num(total.precision)}")
    negatives, background = extra["negatives"], extra["background"]
    lines.append(
        f"normal behaviour (pass-by, glance, owner): {negatives['alerts']} alert(s) in "
        f"{negatives['scenarios']} scenarios"
    )
    lines += [f"  false: {why}" for why in extra["false_alerts"][:20]]
    if background["hours"]:
        lines.append(
            f"the scene's own activity: {background['alerts']} alert start(s) in {background['hours'] * 60:.1f} min,"
            f" {background['alerts'] / background['hours']:.1f} per hour"
        )
        lines += [f"  {why}" for why in extra["reasons"][:10]]
    return "\n".join(lines)
