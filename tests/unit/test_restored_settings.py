"""A worker restored from a checkpoint runs each camera with the settings configured now, not those the
checkpoint was saved under, and keeps what the camera had learnt (tracks, confirmations, stays): in the detect
stage and in the rules stage."""

from __future__ import annotations

import pickle
from pathlib import Path
from types import SimpleNamespace
from typing import cast

from detectors.config import MotionConfig, TrackerConfig
from detectors.geometry import Box
from detectors.types import Detection, ObjectClass, TrackedObject, TrackFrame
from detectors.vision.backend import Detector
from detectors.vision.crops import CropConfig
from detectors.vision.detection_rate import DetectionRate, DetectionRateConfig
from detectors.vision.motion import MotionGate
from detectors.vision.people_pass import CameraDetectorConfig, PeoplePass
from detectors.vision.tracking import CameraTracker
from streams.config import SiteConfig, config_from_text
from streams.stages.detect import DetectStage, _CameraTrack
from streams.stages.rules import RuleStage, _CameraRules

OWN_SECTION = """
cameras:
  - id: west
    detector:
      motion: {enabled: false}
      rate: {enabled: false}
      tracker: {track_high_thresh: 0.3, new_track_thresh: 0.4, lost_buffer_s: 1.0}
      crops: {zoom: 3.0, max_crops: 2}
      confirm: {min_frames: 2}
"""
SITE_DEFAULTS = "cameras:\n  - id: west\n"


def person(score: float, x: float = 100.0) -> list[Detection]:
    return [Detection(cls=ObjectClass.PERSON, box=Box(x1=x, y1=100, x2=x + 30, y2=180), confidence=score)]


def restored(config: SiteConfig, saved: _CameraTrack) -> _CameraTrack:
    """`saved` as a worker under `config` gets it back from the checkpoint."""
    model = cast(Detector, SimpleNamespace(input_side=640, path=Path("model")))
    stage = DetectStage(config, model, store=None)
    try:
        stage.restore_state("west", pickle.loads(pickle.dumps(saved)))
        state = stage.export_state("west")
        assert isinstance(state, _CameraTrack)
        return state
    finally:
        stage.close()


def test_a_restored_tracker_takes_the_new_thresholds_and_keeps_its_tracks() -> None:
    strict = CameraTracker(TrackerConfig(track_high_thresh=0.6, new_track_thresh=0.7), fps=5.0)
    seen = strict.update(person(0.8, x=400))
    for _ in range(2):
        assert [o.track_id for o in strict.update(person(0.8, x=400) + person(0.5))] == [seen[0].track_id]
    again = pickle.loads(pickle.dumps(strict))
    again.reconfigure(TrackerConfig(track_high_thresh=0.3, new_track_thresh=0.4))
    out: list[TrackedObject] = []
    for _ in range(2):  # a track started after the first frame is output from its second match
        out = again.update(person(0.8, x=400) + person(0.5))
    assert seen[0].track_id in {o.track_id for o in out}  # the old track goes on
    assert any(o.box.x1 == 100 for o in out)  # the 0.5 person now starts a track


def test_a_restored_tracker_takes_the_new_lost_track_buffer() -> None:
    def returns_as_itself(tracker: CameraTracker) -> bool:
        """A person seen, unseen for 8 frames (1.6 s at 5 fps), then seen again where they were."""
        first = tracker.update(person(0.8))
        for _ in range(8):
            tracker.update([])
        tracker.update(person(0.8))
        return tracker.update(person(0.8))[0].track_id == first[0].track_id  # a new track shows from its 2nd

    assert returns_as_itself(CameraTracker(TrackerConfig(lost_buffer_s=3.0), fps=5.0))
    shorter = pickle.loads(pickle.dumps(CameraTracker(TrackerConfig(lost_buffer_s=3.0), fps=5.0)))
    shorter.reconfigure(TrackerConfig(lost_buffer_s=1.0))
    assert not returns_as_itself(shorter)


def test_a_camera_given_its_own_section_gets_its_gate_rate_crops_and_tracker_from_it() -> None:
    saved = _CameraTrack(
        "s-1", CameraTracker(TrackerConfig(), 5.0), MotionGate(MotionConfig()), DetectionRate(DetectionRateConfig())
    )
    state = restored(config_from_text(OWN_SECTION, "site.yaml"), saved)
    assert state.gate is None and state.rate is None  # the section turns both off
    assert state.people is not None and state.people.crop_config == CropConfig(zoom=3.0, max_crops=2)
    assert state.people.confirmation is not None and state.people.confirmation.config.min_frames == 2
    assert state.tracker is not None and state.tracker._tracker.args.new_track_thresh == 0.4
    assert state.tracker._tracker.max_frames_lost == 5  # 1 s at the stream's 5 fps


def test_a_camera_whose_section_is_gone_gets_the_sites_settings_back() -> None:
    section = config_from_text(OWN_SECTION, "site.yaml").cameras[0].detector
    assert section is not None
    people = PeoplePass(section, (640, 640))
    saved = _CameraTrack("s-1", CameraTracker(section.tracker or TrackerConfig(), 5.0), None, people=people)
    site = config_from_text(SITE_DEFAULTS, "site.yaml")
    state = restored(site, saved)
    assert state.people is None
    assert state.gate is not None and state.gate.config == site.detector.motion
    assert state.rate is not None and state.rate.config == site.detector.rate
    assert state.tracker is not None
    assert state.tracker._tracker.args.new_track_thresh == site.detector.tracker.new_track_thresh


def test_a_people_pass_keeps_its_live_tracks_under_new_crop_settings() -> None:
    config = config_from_text(OWN_SECTION, "site.yaml")
    old = CameraDetectorConfig(crops=CropConfig(), confirm=None)
    people = PeoplePass(old, (640, 640))
    people._live = [Box(x1=10, y1=10, x2=40, y2=90)]
    saved = _CameraTrack("s-1", CameraTracker(TrackerConfig(), 5.0), None, people=people)
    state = restored(config, saved)
    assert state.people is not None and state.people._live == [Box(x1=10, y1=10, x2=40, y2=90)]
    assert state.people.crop_config == CropConfig(zoom=3.0, max_crops=2) and state.people.confirmation is not None


def test_an_ended_stream_stays_ended() -> None:
    state = restored(config_from_text(OWN_SECTION, "site.yaml"), _CameraTrack("s-1", None, None, last_seq=42))
    assert (state.tracker, state.gate, state.people, state.rate, state.last_seq) == (None, None, None, None, 42)


def test_a_restored_cameras_rules_take_the_config_of_now() -> None:
    """A rules state saved at the site's defaults, restored into a config that gives the camera a far-field
    loitering gate (docs/people-detection.md, "What the rules get") and other casing and continuity settings."""
    saved = RuleStage(config_from_text(SITE_DEFAULTS, "site.yaml"))
    saved.process(TrackFrame(camera_id="west", stream_id="s-1", seq=0, ts=0.0, width=1280, height=720))
    state = pickle.loads(pickle.dumps(saved.export_state("west")))
    changed = config_from_text(
        SITE_DEFAULTS + "    loitering: {min_person_score: 0.1, dwell_s: 20}\n"
        "casing: {min_cars: 4}\ncontinuity: {max_gap_s: 8}\n",
        "site.yaml",
    )
    stage = RuleStage(changed)
    stage.restore_state("west", state)
    rules = stage.export_state("west")
    assert isinstance(rules, _CameraRules)
    assert rules.loitering.config == changed.loiter_for("west") and rules.loitering.config.min_person_score == 0.1
    assert rules.casing.config.min_cars == 4 and rules.casing.zones.dwell_s == 20
    assert rules.people.config.max_gap_s == 8 and rules.people._ids.max_gap_s == 8
    assert rules.last_seq == 0  # the state itself is kept
