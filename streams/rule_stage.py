"""The rules stage: track frames -> identities across tracker ID switches -> behaviour rules -> alert events.

Free of Faust, like the detect stage, so the agents, the evaluation harness and the tests all run this code.
"""

from __future__ import annotations

from dataclasses import dataclass

from alerts.models import AlertEvent, StreamEnd
from detectors.casing import CasingRule
from detectors.continuity import PersonContinuity, VehicleContinuity
from detectors.loitering import LoiterRule
from detectors.types import TrackFrame
from streams.alerting import alert_from_incident, risk_scored
from streams.config import SiteConfig
from streams.stages import DuplicateRecord, check_camera


@dataclass
class _CameraRules:
    """Per camera: identities across tracker ID changes, then the behaviour rules."""

    vehicles: VehicleContinuity
    people: PersonContinuity
    loitering: LoiterRule
    casing: CasingRule
    stream_id: str = ""
    last_seq: int = -1


class RuleStage:
    """TrackFrame -> behaviour rules per camera -> alert events (and an end marker for finite streams)."""

    def __init__(self, config: SiteConfig) -> None:
        self.config = config
        self._cameras: dict[str, _CameraRules] = {}

    def process(self, frame: TrackFrame) -> list[AlertEvent | StreamEnd]:
        check_camera(self.config, frame.camera_id)
        camera = self._cameras.get(frame.camera_id)
        if camera is None:
            loiter = self.config.loiter_for(frame.camera_id)
            camera = self._cameras[frame.camera_id] = _CameraRules(
                VehicleContinuity(self.config.continuity),
                PersonContinuity(self.config.continuity),
                LoiterRule(loiter, frame.camera_id),
                CasingRule(self.config.casing, loiter, frame.camera_id),
            )
        if frame.stream_id == camera.stream_id and frame.seq <= camera.last_seq:
            raise DuplicateRecord(f"{frame.camera_id}/{frame.stream_id} track frame {frame.seq} seen")
        camera.stream_id, camera.last_seq = frame.stream_id, frame.seq
        resolved = camera.people.resolve(camera.vehicles.resolve(frame))
        incidents = camera.loitering.process(resolved) + camera.casing.process(resolved)
        out: list[AlertEvent | StreamEnd] = [
            risk_scored(alert_from_incident(self.config.site_id, incident), self.config) for incident in incidents
        ]
        if frame.end_of_stream:
            out.append(StreamEnd(camera_id=frame.camera_id, stream_id=frame.stream_id, ts=frame.ts))
        return out

    def export_state(self, camera_id: str) -> object:
        return self._cameras.get(camera_id)

    def restore_state(self, camera_id: str, state: object) -> None:
        if isinstance(state, _CameraRules):
            self._cameras[camera_id] = state
        else:
            self._cameras.pop(camera_id, None)
