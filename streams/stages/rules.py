"""The rules stage: track frames -> identities across tracker ID switches -> behaviour rules -> alert events.

Free of Faust, like the detect stage, so the agents, the evaluation harness and the tests all run this code.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

from alerts.models import AlertEvent, StreamEnd
from detectors.behaviour.casing import CasingRule
from detectors.behaviour.continuity import PersonContinuity, VehicleContinuity
from detectors.behaviour.loitering import LoiterRule
from detectors.behaviour.owners import OwnerEvidence, with_owner_evidence
from detectors.types import TrackFrame
from streams.config import SiteConfig
from streams.stages.assembly import DoorLinks, alert_from_incident, assemble, risk_scored
from streams.stages.confirm import PushHold
from streams.stages.detect import DuplicateRecord, check_camera

logger = logging.getLogger(__name__)


class EntryLinks(Protocol):
    """Where the stage learns which door entries an alert step follows (`streams.stages.linking.AlertLinker`)."""

    async def links_for(self, alert: AlertEvent) -> DoorLinks | None: ...


@dataclass
class _CameraRules:
    """Per camera: identities across tracker ID changes, then the behaviour rules."""

    vehicles: VehicleContinuity
    people: PersonContinuity
    loitering: LoiterRule
    casing: CasingRule
    owners: OwnerEvidence
    hold: PushHold = field(default_factory=PushHold)
    stream_id: str = ""
    last_seq: int = -1


class RuleStage:
    """TrackFrame -> behaviour rules per camera -> alert events (and an end marker for finite streams).

    Each alert step is assembled once: door links (when a linker is given), message and risk score together.
    """

    def __init__(self, config: SiteConfig, linker: EntryLinks | None = None) -> None:
        self.config = config
        self.linker = linker
        self._cameras: dict[str, _CameraRules] = {}
        self._restored: set[str] = set()  # cameras whose state was just restored: their next frame is logged

    def process(self, frame: TrackFrame) -> list[AlertEvent | StreamEnd]:
        """The steps this frame raises, without door links (evaluation, tests, sites without doors)."""
        return self._confirmed(frame, [self._finish(out, None) for out in self._drafts(frame)])

    async def process_linked(self, frame: TrackFrame) -> list[AlertEvent | StreamEnd]:
        """The steps this frame raises, each linked to the door entries before it: what the rules agent sends."""
        return self._confirmed(frame, [self._finish(out, await self._links(out)) for out in self._drafts(frame)])

    def _confirmed(self, frame: TrackFrame, steps: list[AlertEvent | StreamEnd]) -> list[AlertEvent | StreamEnd]:
        """The steps to send now: yellow starts wait `push_confirm_s` for a got-in-and-left ending (confirm.py)."""
        hold_s = self.config.loiter_for(frame.camera_id).push_confirm_s
        camera = self._cameras[frame.camera_id]
        if not hold_s and not len(camera.hold):
            return steps
        return camera.hold.pass_through(steps, frame.ts, hold_s, lambda a: risk_scored(a, self.config))

    def _drafts(self, frame: TrackFrame) -> list[AlertEvent | StreamEnd]:
        check_camera(self.config, frame.camera_id)
        camera = self._cameras.get(frame.camera_id)
        if camera is None:
            loiter = self.config.loiter_for(frame.camera_id)
            owners = OwnerEvidence(self.config.owners)
            camera = self._cameras[frame.camera_id] = _CameraRules(
                VehicleContinuity(self.config.continuity),
                PersonContinuity(self.config.continuity),
                LoiterRule(loiter, frame.camera_id, owners.owns),
                CasingRule(self.config.casing, loiter, frame.camera_id, owners.owns),
                owners,
            )
        if frame.stream_id == camera.stream_id and frame.seq <= camera.last_seq:
            raise DuplicateRecord(f"{frame.camera_id}/{frame.stream_id} track frame {frame.seq} seen")
        if frame.camera_id in self._restored:
            self._restored.discard(frame.camera_id)
            logger.info(
                "camera %s: frame %d of %s taken in first after a restore (the state had frame %d of %s)",
                frame.camera_id,
                frame.seq,
                frame.stream_id,
                camera.last_seq,
                camera.stream_id or "none",
            )
        camera.stream_id, camera.last_seq = frame.stream_id, frame.seq
        resolved = camera.people.resolve(camera.vehicles.resolve(frame))
        camera.owners.update(resolved)
        incidents = [
            with_owner_evidence(incident, camera.owners)
            for incident in camera.loitering.process(resolved) + camera.casing.process(resolved)
        ]
        out: list[AlertEvent | StreamEnd] = [alert_from_incident(self.config.site_id, i) for i in incidents]
        if frame.end_of_stream:
            out.append(StreamEnd(camera_id=frame.camera_id, stream_id=frame.stream_id, ts=frame.ts))
        return out

    async def _links(self, out: AlertEvent | StreamEnd) -> DoorLinks | None:
        if self.linker is None or not isinstance(out, AlertEvent):
            return None
        try:
            return await self.linker.links_for(out)
        except Exception as exc:  # an unlinked alert beats a lost one
            logger.warning("alert %s sent unlinked: entry ledger unavailable (%s)", out.alert_id, exc)
            return None

    def _finish(self, out: AlertEvent | StreamEnd, links: DoorLinks | None) -> AlertEvent | StreamEnd:
        return assemble(out, self.config, links) if isinstance(out, AlertEvent) else out

    def _refit(self, camera_id: str, camera: _CameraRules) -> None:
        """A restored camera's rules take the config of now (the camera's loitering overrides included) and keep
        their state: a checkpoint saved under other settings would otherwise keep them for as long as it lives."""
        loiter = self.config.loiter_for(camera_id)
        camera.vehicles.reconfigure(self.config.continuity)
        camera.people.reconfigure(self.config.continuity)
        camera.loitering.reconfigure(loiter)
        camera.casing.reconfigure(self.config.casing, loiter)
        camera.owners.config = self.config.owners

    def export_state(self, camera_id: str) -> object:
        return self._cameras.get(camera_id)

    def restore_state(self, camera_id: str, state: object) -> None:
        self._restored.add(camera_id)
        if isinstance(state, _CameraRules):
            self._refit(camera_id, state)
            self._cameras[camera_id] = state
        else:
            self._cameras.pop(camera_id, None)
