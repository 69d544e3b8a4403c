"""Camera covered/blinded or moved, from its own picture compared with the picture it usually has.

Per camera, the first good samples make the reference: the usual edge density and the static edges (edges that
stay put across samples). Afterwards each sample is
- covered when the picture is near-uniform (a hand, tape, a bag, a torch into the lens) or keeps under
  `edge_loss_ratio` of the usual edges, for `tamper_after_s`;
- moved when the whole picture slid by `moved_shift` of its width against the reference (phase correlation) and
  under `moved_match` of the static edges are still where they were, or under `turned_match` of them are
  (turned or zoomed so far nothing lines up), for `moved_after_s`. Both signs are needed for a slide: a crowd
  walking through can fool the phase correlation, but leaves the static edges in place.
A covered picture is not also reported as moved. An incident ends after `recover_s` of good picture. While the
picture is good, the usual edge density follows it slowly, so dusk and lighting changes are not tampering.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from detectors.behaviour.incidents import IncidentPhase
from detectors.devices.config import DeviceHealthConfig
from detectors.devices.findings import DeviceFinding, DeviceRule
from detectors.devices.picture import PictureStats, edge_match, static_edges, view_shift

logger = logging.getLogger(__name__)

_FOLLOW = 0.05  # weight of a good sample in the usual edge density


@dataclass
class _Condition:
    """One rule's state on one camera: since when the bad picture lasts, and the open incident."""

    bad_since: float | None = None
    good_since: float | None = None
    open_since: float | None = None


@dataclass
class _Camera:
    samples: list[np.ndarray] = field(default_factory=list)
    greys: list[np.ndarray] = field(default_factory=list)
    usual_density: float = 0.0
    reference: np.ndarray | None = None
    reference_grey: np.ndarray | None = None
    covered: _Condition = field(default_factory=_Condition)
    moved: _Condition = field(default_factory=_Condition)


class CameraPictureWatch:
    def __init__(self, config: DeviceHealthConfig) -> None:
        self.config = config
        self._cameras: dict[str, _Camera] = {}

    def observe(self, camera_id: str, ts: float, stats: PictureStats) -> list[DeviceFinding]:
        """One sampled picture of a camera at event time `ts`; the incident steps it causes."""
        camera = self._cameras.setdefault(camera_id, _Camera())
        uniform = stats.spread < self.config.uniform_std
        if camera.reference is None or camera.reference_grey is None:
            if not uniform:
                camera.samples.append(stats.edges)
                camera.greys.append(stats.grey)
                camera.usual_density += stats.edge_density / self.config.learn_samples
                if len(camera.samples) >= self.config.learn_samples:
                    camera.reference = static_edges(camera.samples)
                    camera.reference_grey = np.mean(np.stack(camera.greys), axis=0).astype(np.float32)
                    camera.samples, camera.greys = [], []
                    logger.info("camera %s: picture reference learned", camera_id)
            return []
        edge_ratio = stats.edge_density / camera.usual_density if camera.usual_density > 0 else 1.0
        covered = uniform or edge_ratio < self.config.edge_loss_ratio
        match = edge_match(camera.reference, stats.edges)
        shift = view_shift(camera.reference_grey, stats.grey) if not covered else 0.0
        slid = shift >= self.config.moved_shift and match < self.config.moved_match
        moved = not covered and (slid or match < self.config.turned_match)
        measures = {
            "spread": round(stats.spread, 1),
            "edge_ratio": round(edge_ratio, 2),
            "match": round(match, 2),
            "shift": round(shift, 3),
        }
        out = self._step(camera_id, camera.covered, covered, ts, DeviceRule.CAMERA_COVERED, measures)
        if not covered:  # a covered picture says nothing about where the camera points
            out += self._step(camera_id, camera.moved, moved, ts, DeviceRule.CAMERA_MOVED, measures)
        if not covered and not moved:
            camera.usual_density += _FOLLOW * (stats.edge_density - camera.usual_density)
        return out

    def state(self, camera_id: str) -> str:
        """learning, ok, covered or moved: what the devices page shows."""
        camera = self._cameras.get(camera_id)
        if camera is None or camera.reference is None:
            return "learning"
        if camera.covered.open_since is not None:
            return "covered"
        return "moved" if camera.moved.open_since is not None else "ok"

    def forget(self, camera_id: str) -> None:
        self._cameras.pop(camera_id, None)

    def _step(
        self, camera_id: str, state: _Condition, bad: bool, ts: float, rule: DeviceRule, measures: dict[str, float]
    ) -> list[DeviceFinding]:
        after = self.config.tamper_after_s if rule is DeviceRule.CAMERA_COVERED else self.config.moved_after_s
        if bad:
            state.good_since = None
            state.bad_since = ts if state.bad_since is None else state.bad_since
            if state.open_since is None and ts - state.bad_since >= after:
                state.open_since = state.bad_since
                return [self._finding(rule, IncidentPhase.START, camera_id, state.open_since, ts, measures)]
            return []
        state.bad_since = None
        if state.open_since is None:
            return []
        state.good_since = ts if state.good_since is None else state.good_since
        if ts - state.good_since < self.config.recover_s:
            return []
        started, state.open_since, state.good_since = state.open_since, None, None
        return [self._finding(rule, IncidentPhase.END, camera_id, started, ts, measures)]

    def _finding(
        self, rule: DeviceRule, phase: IncidentPhase, camera_id: str, started: float, ts: float, m: dict[str, float]
    ) -> DeviceFinding:
        if phase is IncidentPhase.END:
            reason = f"camera {camera_id}: picture back to normal after {ts - started:.0f} s"
        elif rule is DeviceRule.CAMERA_COVERED:
            reason = (
                f"camera {camera_id} covered or blinded for {ts - started:.0f} s "
                f"(spread {m['spread']:.0f}, {m['edge_ratio']:.0%} of its usual edges)"
            )
        else:
            reason = (
                f"camera {camera_id} moved for {ts - started:.0f} s (view slid {m['shift']:.0%} of its width, "
                f"{m['match']:.0%} of its background edges where they were)"
            )
        return DeviceFinding(rule, phase, "camera", camera_id, started, ts, reason, dict(m))
