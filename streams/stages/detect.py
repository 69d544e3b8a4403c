"""The detect stage and what the stages share, free of Faust so it can be tested and reused by any runner
(the rules stage is in `streams/rule_stage.py`)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from detectors.types import Detection, TrackedObject, TrackFrame
from detectors.vision.backend import Detector
from detectors.vision.detection_rate import DECISION_LAG_S, DetectionRate
from detectors.vision.mosaic import TILES, Placement, fit_window, pack, unpack, window_side, with_carried
from detectors.vision.motion import MotionGate, Region
from detectors.vision.people_pass import PeoplePass, merge_looks
from detectors.vision.slicing import SlicingConfig, parts
from detectors.vision.tracking import CameraTracker, preload
from streams.config import SiteConfig
from streams.records import FrameHeader, RecordError
from streams.stages.camera_detectors import CameraDetectors
from streams.stages.decoding import full_size
from streams.stages.frame_decoder import FrameDecoder
from streams.stages.kept_frames import EvidenceFrames, FrameKeeper
from streams.stages.pose import WristPass


def check_camera(config: SiteConfig, camera_id: str) -> None:
    if not config.accept_unknown_cameras and config.camera(camera_id) is None:
        raise RecordError(f"unknown camera id {camera_id!r}: not listed in the site config")


class DetectStage:
    """JPEG -> detections -> per-camera ByteTrack -> TrackFrame, a micro-batch of frames at a time.

    Two threads: JPEG decoding runs ahead in one while the other hands each decoded frame to the detector as it
    arrives (the OpenVINO backend keeps several in flight), then tracks them in frame order. A frame of a camera
    its motion gate found still is decoded in grey for the gate alone; the few of those the gate passes are
    decoded again in colour, in the second thread.
    """

    def __init__(
        self,
        config: SiteConfig,
        detector: Detector,
        store: EvidenceFrames | None,
        observe_inference: Callable[[float], None] | None = None,
        count_still: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.detector = detector
        self.detectors = CameraDetectors(config, detector)  # a camera's own `detector` section, if it has one
        self._kept = FrameKeeper(config, store)
        self._observe_inference = observe_inference
        self._count_still = count_still
        self._clock = clock
        self._cameras: dict[str, _CameraTrack] = {}
        self._versions = itertools.count()
        self._wrists = WristPass(config.detector.pose) if config.detector.pose.enabled else None
        preload()
        self._decoder = FrameDecoder()
        self._inference = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inference")

    async def process(self, header: FrameHeader, jpeg: bytes) -> TrackFrame:
        (result,) = await self.process_many([(header, jpeg)])
        if isinstance(result, Exception):
            raise result
        return result

    async def process_many(self, frames: list[tuple[FrameHeader, bytes]]) -> list[TrackFrame | Exception]:
        """Frames in order; each result is the TrackFrame or the error (RecordError for bad input) of that frame."""
        results: list[TrackFrame | Exception] = []
        for part in self._passes(frames):
            results += await self._process_pass(part)
        return results

    def _passes(self, frames: list[tuple[FrameHeader, bytes]]) -> list[list[tuple[FrameHeader, bytes]]]:
        """The batch cut so that no camera with an adaptive rate or a motion gate has frames spanning
        `DECISION_LAG_S` of event time in one model pass: its looks (and the gate's decisions, which choose how
        a frame is decoded) then steer later frames the same way however records were batched."""
        passes: list[list[tuple[FrameHeader, bytes]]] = [[]]
        first: dict[str, float] = {}  # camera -> capture time of its first frame in the current pass
        for header, jpeg in frames:
            start = first.get(header.camera_id)
            long = start is not None and header.ts - start >= DECISION_LAG_S
            camera_id = header.camera_id
            if long and (self.detectors.rate(camera_id).enabled or self.detectors.motion(camera_id).enabled):
                passes.append([])
                first = {}
            first.setdefault(header.camera_id, header.ts)
            passes[-1].append((header, jpeg))
        return passes

    async def _process_pass(self, frames: list[tuple[FrameHeader, bytes]]) -> list[TrackFrame | Exception]:
        results: list[TrackFrame | Exception | None] = [None] * len(frames)
        work: list[_Work] = []
        for index, (header, jpeg) in enumerate(frames):
            try:
                check_camera(self.config, header.camera_id)
            except RecordError as exc:
                results[index] = exc
                continue
            if self._stale(header):
                results[index] = FrameShed(f"{header.camera_id} frame {header.seq} is {self._age(header):.1f} s old")
                continue
            camera = self._camera_for(header)
            if header.seq <= camera.last_seq:
                results[index] = DuplicateRecord(f"{header.camera_id}/{header.stream_id} frame {header.seq} seen")
                continue
            camera.last_seq = header.seq
            if header.end_of_stream:
                camera.tracker = camera.gate = camera.people = camera.rate = None  # ended: sequence kept, repeats skip
                camera.version = next(self._versions)
                results[index] = _end_of_stream(header)
                continue
            tracker = camera.tracker
            if tracker is None:  # the stream's first frame (or one after its end, if a source resumes)
                tracker = self.detectors.start(header.camera_id, header.fps, camera)
                camera.version = next(self._versions)
            slicing = self._slicing(header.camera_id)
            reduction = self.detectors.reduction(header, sliced=slicing is not None)
            # people walking far from vehicles, looked at a moment ago: not even decoded (the adaptive rate)
            resting = camera.rate is not None and not camera.rate.wants_look(header.ts)
            # a camera the gate found still a moment ago: grey at the gate's width, colour only if it must look
            decode, grey = self._decoder.start(header, jpeg, reduction, camera.gate, camera.rate, resting)
            work.append(
                _Work(index, header, jpeg, reduction, camera, tracker, camera.gate, decode, slicing, camera.people)
            )
            work[-1].still, work[-1].grey = resting, grey
        if work:
            loop = asyncio.get_running_loop()
            tracked = await loop.run_in_executor(self._inference, self._infer_by_detector, work)
            for item, objects in zip(work, tracked, strict=True):
                results[item.index] = objects if isinstance(objects, Exception) else await self._frame(item, objects)
        return [r if r is not None else RuntimeError("frame not processed") for r in results]

    def _infer_by_detector(self, work: list[_Work]) -> list[list[TrackedObject] | Exception]:
        """Frames of cameras with their own detector go to it (each camera's frames stay in order)."""
        groups: dict[int, tuple[Detector, list[int]]] = {}
        for index, item in enumerate(work):
            detector = self.detectors.detector(item.header.camera_id)
            groups.setdefault(id(detector), (detector, []))[1].append(index)
        if len(groups) == 1:
            return self._infer(next(iter(groups.values()))[0], work)
        out: list[list[TrackedObject] | Exception] = [RuntimeError("frame not processed")] * len(work)
        for detector, indexes in groups.values():
            for index, result in zip(indexes, self._infer(detector, [work[i] for i in indexes]), strict=True):
                out[index] = result
        return out

    def _infer(self, detector: Detector, work: list[_Work]) -> list[list[TrackedObject] | Exception]:
        """Inference thread: decoded frames stream into the detector, then each camera's tracker in order.

        A frame the camera's motion gate finds still skips the model and repeats the camera's last tracks; with
        `detector.motion.mosaic`, frames whose motion fits a tile share a model run (`detectors/mosaic.py`).
        """
        started = time.perf_counter()
        mosaics: dict[int, list[Placement]] = {}  # model input index -> where each frame's window went
        out: list[list[TrackedObject] | Exception] = []

        def images() -> Iterator[np.ndarray]:
            inputs = 0
            pending: list[tuple[_Work, np.ndarray, Region]] = []

            def mosaic() -> np.ndarray:
                canvas, mosaics[inputs] = pack([(img, window) for _, img, window in pending], detector.input_side)
                for tile, (it, _, _) in enumerate(pending):
                    it.mosaic = (inputs, tile)
                pending.clear()
                return canvas

            for item in work:
                if item.still:  # resting (the adaptive rate): the last look's tracks stand
                    continue
                decoded = item.decode.result()
                if decoded is None:
                    continue
                if not item.grey:
                    item.size = (decoded.shape[1] * item.reduction, decoded.shape[0] * item.reduction)
                rate, ts = item.camera.rate, item.header.ts
                if rate is not None and not rate.wants_look(ts):  # an earlier frame of this pass was looked at
                    item.still = True
                    continue
                interval = rate.gate_interval_s(ts) if rate is not None else None
                decision, image = self._decoder.through_gate(
                    item.gate, decoded, item.grey, item.header, item.jpeg, item.reduction, interval
                )
                item.still, item.moved = not decision.run, decision.moved
                if item.still or image is None:
                    continue
                item.size = (image.shape[1] * item.reduction, image.shape[0] * item.reduction)
                if rate is not None:
                    rate.will_look(ts)
                item.image = image if self._wrists is not None else None
                item.window = self._window(item, image, decision.region)
                if item.window is not None:
                    pending.append((item, image, item.window))
                    if len(pending) == TILES:
                        yield mosaic()
                        inputs += 1
                    continue
                yield from self._whole(item, image, inputs)
                inputs += len(item.inputs)
            if len(pending) == 1:  # a mosaic of one costs a whole run: look at the whole frame instead
                item, image, _ = pending.pop()
                item.window = None
                yield from self._whole(item, image, inputs)
            elif pending:
                yield mosaic()

        found_by_input = detector.detect_many(images())
        tiles = {index: unpack(found_by_input[index], placements) for index, placements in mosaics.items()}
        for item in work:
            camera = item.camera
            if item.still:
                out.append(list(camera.last_objects))
                if self._count_still is not None:
                    self._count_still(item.header.camera_id)
            elif item.mosaic is not None or item.inputs:
                if item.mosaic is not None and item.window is not None:
                    x1, y1, x2, y2 = (v * item.reduction for v in item.window)
                    fresh = full_size(tiles[item.mosaic[0]][item.mosaic[1]], item.reduction)
                    found = with_carried(camera.last_detections, (x1, y1, x2, y2), fresh)
                else:
                    parts_found = [found_by_input[i] for i in item.inputs]
                    found = full_size(merge_looks(item.offsets, parts_found, item.slicing), item.reduction)
                    if item.people is not None:  # weak person boxes kept only where something moved
                        found = item.people.candidates(found)
                camera.last_detections = found = self.detectors.filtered(item.header, item.size, found)
                camera.last_objects = item.tracker.update(found)
                camera.version = next(self._versions)
                if item.people is not None:  # the camera's low-score candidates, held back until confirmed
                    camera.last_objects = item.people.confirm(camera.last_objects, item.tracker.coasting)
                if camera.rate is not None:
                    camera.rate.looked(item.header.ts, camera.last_objects, item.moved)
                objects = camera.last_objects
                if self._wrists is not None and item.image is not None:
                    objects = self._wrists.attach(
                        item.header.camera_id, item.header.ts, item.image, item.reduction, objects
                    )
                    item.image = None
                out.append(objects)
            else:
                out.append(RecordError(f"undecodable JPEG ({len(item.jpeg)} bytes)"))
        if self._observe_inference is not None:
            per_frame = (time.perf_counter() - started) / len(work)
            for _ in work:
                self._observe_inference(per_frame)
        return out

    def _window(self, item: _Work, image: np.ndarray, region: Region | None) -> Region | None:
        """The part of the frame to put in a mosaic, or None to look at the whole frame (the gate gives a region
        only with `detector.motion.mosaic`)."""
        if region is None or item.slicing is not None or self.detectors.section(item.header.camera_id) is not None:
            return None  # sliced frames and cameras with their own detection settings are looked at whole
        height, width = image.shape[:2]
        known = [d.box.scaled(1 / item.reduction) for d in item.camera.last_detections]
        return fit_window(region, known, width, height, window_side(width, height, self.detector.input_side))

    @staticmethod
    def _whole(item: _Work, image: np.ndarray, first_input: int) -> Iterator[np.ndarray]:
        """What the model sees of a frame it looks at whole: the frame, or its tiles (and the frame) if sliced."""
        if item.gate is not None:
            item.gate.looked_at_whole(item.header.ts)
        cut = parts(image, item.slicing)
        if item.people is not None:
            cut += item.people.crops(image)
        item.offsets = [offset for offset, _ in cut]
        item.inputs = list(range(first_input, first_input + len(cut)))
        for _, part in cut:
            yield part

    def _slicing(self, camera_id: str) -> SlicingConfig | None:
        camera = self.config.camera(camera_id)
        return camera.slicing if camera is not None else None

    async def _frame(self, item: _Work, objects: list[TrackedObject]) -> TrackFrame:
        header = item.header
        frame = TrackFrame(
            camera_id=header.camera_id,
            stream_id=header.stream_id,
            seq=header.seq,
            ts=header.ts,
            width=item.size[0] if item.size else header.width,
            height=item.size[1] if item.size else header.height,
            objects=objects,
        )
        await self._kept.evidence(header, item.jpeg, objects)
        if self._kept.live_due(header.ts, item.camera.last_live):
            item.camera.last_live = header.ts
            await self._kept.live(header, item.jpeg, objects)
        return frame

    def _camera_for(self, header: FrameHeader) -> _CameraTrack:
        """The camera's state for this stream; a new stream (a camera or replay restart) starts afresh."""
        current = self._cameras.get(header.camera_id)
        if current is None or current.stream_id != header.stream_id:
            current = self._cameras[header.camera_id] = _CameraTrack(header.stream_id, None, None)
        return current

    def _age(self, header: FrameHeader) -> float:
        return self._clock() - header.ts

    def _stale(self, header: FrameHeader) -> bool:
        limit = self.config.detector.shed_after_s
        return header.live and not header.end_of_stream and limit > 0 and self._age(header) > limit

    def export_state(self, camera_id: str) -> object:
        return self._cameras.get(camera_id)

    def state_version(self, camera_id: str) -> int | None:
        """Changes whenever the camera's state changes beyond its progress: a still frame (no look) leaves the
        tracker, gate and rate as they were (`StageCheckpoints` then saves the progress only)."""
        camera = self._cameras.get(camera_id)
        return camera.version if camera is not None else None

    def restore_state(self, camera_id: str, state: object) -> None:
        if isinstance(state, _CameraTrack):
            vars(state).update({"last_detections": [], "people": None, **vars(state)})  # saved before these existed
            self.detectors.refit(camera_id, state)  # the config's settings, not the checkpoint's
            state.version = next(self._versions)  # this process's numbering: a saved number could recur
            self._cameras[camera_id] = state
        else:
            self._cameras.pop(camera_id, None)

    def close(self) -> None:
        self._decoder.close()
        self._inference.shutdown(wait=False)


class FrameShed(Exception):
    """A live frame too old to be worth the model: dropped and counted (load shedding), not dead-lettered."""


class DuplicateRecord(Exception):
    """A record already processed (a producer retry, or a re-read after a restart); skipped, not dead-lettered."""


@dataclass
class _CameraTrack:
    """Per camera: its current stream, tracker and the last frame seen, so repeats are recognised."""

    stream_id: str
    tracker: CameraTracker | None
    gate: MotionGate | None
    rate: DetectionRate | None = None  # adaptive detection rate (detector.rate), None when off
    last_seq: int = -1
    last_objects: list[TrackedObject] = field(default_factory=list)
    last_detections: list[Detection] = field(default_factory=list)  # of the model's last look, in frame pixels
    last_live: float = float("-inf")  # capture time of the last frame kept for the live look-in
    people: PeoplePass | None = None  # crops and confirmation of a camera that has them
    version: int = -1  # changes whenever more than last_seq / last_live changes (a look, a stream's start or end)


@dataclass
class _Work:
    """One frame on its way through the detector; `size` is its decoded size in full-frame pixels."""

    index: int
    header: FrameHeader
    jpeg: bytes
    reduction: int
    camera: _CameraTrack
    tracker: CameraTracker  # as at planning: a stream end later in the batch must not take it away
    gate: MotionGate | None
    decode: Future[np.ndarray | None]
    slicing: SlicingConfig | None = None
    people: PeoplePass | None = None  # the camera's crops and confirmation, as at planning
    image: np.ndarray | None = None  # kept for the pose pass only
    size: tuple[int, int] | None = None
    still: bool = False
    grey: int = 0  # decoded in grey at 1/grey for the gate (expected still); 0: in colour at 1/reduction
    moved: bool = False  # motion woke the model for this frame (not the first frame or the gate's interval)
    offsets: list[tuple[int, int]] = field(default_factory=list)  # one per image sent to the model
    inputs: list[int] = field(default_factory=list)  # which of the model's inputs are this frame's parts
    window: Region | None = None  # the moving part, when the frame goes in a mosaic (decoded pixels)
    mosaic: tuple[int, int] | None = None  # (model input, tile) of that mosaic


def _end_of_stream(header: FrameHeader) -> TrackFrame:
    return TrackFrame(
        camera_id=header.camera_id,
        stream_id=header.stream_id,
        seq=header.seq,
        ts=header.ts,
        width=max(header.width, 1),
        height=max(header.height, 1),
        end_of_stream=True,
    )
