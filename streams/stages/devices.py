"""The device-health stage: camera frames and terminal liveness -> `device` alerts. Free of Faust and Kafka.

Cameras: every frame says the camera is alive (live frames only: a replay that ends is not a camera going dark);
one frame per `sample_every_s` is decoded small and grey and checked for covering and moving against the
camera's own reference. `tick(now)` starts offline incidents; `terminals(seen, now)` does the same for door
terminals from the liveness the receiver records. A replayed recording gets a fresh picture reference per stream
(each is its own recording); a live camera keeps its reference across ingest restarts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from alerts.device_liveness import DeviceLiveness, DeviceSeen
from alerts.models import DeviceAlertEvent
from alerts.store import AlertStore
from detectors.behaviour.incidents import IncidentPhase
from detectors.devices.camera_picture import CameraPictureWatch
from detectors.devices.findings import DeviceFinding, DeviceRule
from detectors.devices.picture import picture_stats
from detectors.devices.silence import SilenceWatch
from streams.config import SiteConfig
from streams.records import FrameHeader
from streams.stages.device_alerts import DeviceLinker, device_alert

logger = logging.getLogger(__name__)

EVIDENCE_TTL_S = 3600  # the frame a covered/moved alert was judged on, for its snapshot


@dataclass
class _Stream:
    stream_id: str
    last_sample_ts: float = float("-inf")
    frames_since_sample: int = 0


class DeviceHealthStage:
    def __init__(
        self,
        config: SiteConfig,
        store: AlertStore | None = None,
        linker: DeviceLinker | None = None,
        clock: Callable[[], float] = time.time,
        liveness: DeviceLiveness | None = None,
    ) -> None:
        self.config = config
        self.settings = config.devices
        self.store = store
        self.linker = linker
        self.liveness = liveness
        self.started_at = clock()
        self.pictures = CameraPictureWatch(self.settings)
        self.offline = SilenceWatch(DeviceRule.CAMERA_OFFLINE, "camera", self.settings.offline_after_s)
        self.silent = SilenceWatch(DeviceRule.TERMINAL_SILENT, "terminal", self.settings.silent_after_s)
        self._streams: dict[str, _Stream] = {}

    async def observe(self, header: FrameHeader, jpeg: bytes) -> list[DeviceAlertEvent]:
        """One frame record; the device alert steps it causes (offline ended, covered or moved started/ended)."""
        camera_id = header.camera_id
        stream = self._streams.get(camera_id)
        if stream is None or stream.stream_id != header.stream_id:
            if stream is not None and not header.live:
                self.pictures.forget(camera_id)
            stream = self._streams[camera_id] = _Stream(header.stream_id)
        stream.frames_since_sample += 1
        findings: list[DeviceFinding] = []
        if header.live:
            findings += self.offline.seen(camera_id, header.ts)
        if header.end_of_stream:
            findings += self.offline.forget(camera_id)
        elif jpeg and header.ts - stream.last_sample_ts >= self.settings.sample_every_s:
            fps = stream.frames_since_sample / (header.ts - stream.last_sample_ts)
            stream.last_sample_ts, stream.frames_since_sample = header.ts, 0
            image = decode_small(jpeg, header.width)
            if image is None:
                logger.warning("camera %s frame %s undecodable; picture not checked", camera_id, header.seq)
            else:
                picture = self.pictures.observe(camera_id, header.ts, picture_stats(image))
                if picture and self.store is not None:
                    await self._keep_evidence(header, jpeg)
                await self._record(camera_id, header, fps)
                return await self._alerts(findings, header.stream_id, header.seq) + await self._alerts(
                    picture, header.stream_id, header.seq
                )
        return await self._alerts(findings, header.stream_id, None)

    def release(self, camera_ids: list[str]) -> None:
        """These cameras' frames go to another worker now: their silence is not an outage seen from here."""
        for camera_id in camera_ids:
            self.offline.drop(camera_id)
            self._streams.pop(camera_id, None)

    async def tick(self, now: float) -> list[DeviceAlertEvent]:
        """Offline cameras at wall-clock `now` (live frames carry capture times on the same clock)."""
        findings = self.offline.check(now)
        out = []
        for finding in findings:
            await self._set_state(finding.device_id, "offline")
            stream = self._streams.get(finding.device_id)
            out += await self._alerts([finding], stream.stream_id if stream else "live", None)
        return out

    @property
    def terminal_ids(self) -> tuple[str, ...]:
        watched = self.settings.terminals
        return watched if watched is not None else tuple(d.id for d in self.config.access.devices)

    @property
    def watches_terminals(self) -> bool:
        return bool(self.terminal_ids)

    async def terminals(self, seen: Mapping[str, DeviceSeen], now: float) -> list[DeviceAlertEvent]:
        """Silent terminals, from when each was last heard (never heard: since this stage started)."""
        findings: list[DeviceFinding] = []
        for device_id in self.terminal_ids:
            heard = seen.get(device_id)
            if heard is not None:
                findings += self.silent.seen(device_id, heard.at)
            elif self.silent.open_since(device_id) is None:
                findings += self.silent.seen(device_id, self.started_at)
        silent = self.silent.check(now)
        for finding in silent:
            if finding.device_id in seen:
                await self._set_state(finding.device_id, "silent")
            elif self.liveness is not None:  # listed on the devices page although never heard
                never = DeviceSeen(
                    finding.device_id, finding.started_at, "never heard", None, "terminal", None, "silent"
                )
                await self.liveness.put(never)
        return await self._alerts(findings + silent, "terminals", None)

    async def _alerts(self, findings: list[DeviceFinding], stream_id: str, seq: int | None) -> list[DeviceAlertEvent]:
        out = []
        for finding in findings:
            linked = None
            if self.linker is not None and finding.phase is IncidentPhase.START:
                linked = await self.linker.correlation(finding)
            alert = device_alert(self.config, finding, stream_id, seq, linked)
            logger.info("device alert %s %s: %s", alert.rule, alert.phase.value, alert.message)
            out.append(alert)
        return out

    async def _record(self, camera_id: str, header: FrameHeader, fps: float) -> None:
        if self.liveness is None:
            return
        state = self.pictures.state(camera_id)
        rate = round(fps, 2) if fps > 0 else None
        seen = DeviceSeen(camera_id, header.ts, "frame", header.ts, "camera", rate, state)
        try:
            await self.liveness.put(seen)
        except Exception as exc:  # the page shows stale data; the rules go on
            logger.warning("liveness of camera %s not recorded: %s", camera_id, exc)

    async def _set_state(self, device_id: str, state: str) -> None:
        if self.liveness is None:
            return
        try:
            await self.liveness.set_state(device_id, state)
        except Exception as exc:
            logger.warning("state of %s not recorded: %s", device_id, exc)

    async def _keep_evidence(self, header: FrameHeader, jpeg: bytes) -> None:
        assert self.store is not None
        try:
            await self.store.put_frame(header.camera_id, header.stream_id, header.seq, jpeg, EVIDENCE_TTL_S)
        except Exception as exc:  # the alert matters more than its picture
            logger.warning("evidence frame of camera %s not kept: %s", header.camera_id, exc)


def decode_small(jpeg: bytes, width: int) -> np.ndarray | None:
    """Grey and reduced at decode time (libjpeg scales while decoding: far cheaper than a full decode)."""
    flag = cv2.IMREAD_GRAYSCALE
    if width >= 1280:
        flag = cv2.IMREAD_REDUCED_GRAYSCALE_4
    elif width >= 640:
        flag = cv2.IMREAD_REDUCED_GRAYSCALE_2
    image = cv2.imdecode(np.frombuffer(jpeg, dtype=np.uint8), flag)
    return image if image is not None and image.size else None
