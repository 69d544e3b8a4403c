"""The detect stage's JPEG decoding: which way each frame is decoded, in the decode thread, and the motion gate's
decision on it.

Why a choice: most frames of a still camera are never looked at, and their colour decode was most of what they
cost (docs/speed.md, "Still frames decoded in grey"). So a frame of a camera whose gate found it still a moment ago
is decoded straight to grey at about the gate's width (libjpeg's scaled decode, no colour); only the few the gate
passes are decoded again, in colour, to be looked at. Any other frame is decoded once, in colour, at the model's
reduction. A frame the adaptive rate rests is not decoded at all.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from detectors.vision.detection_rate import DECISION_LAG_S, DetectionRate
from detectors.vision.motion import GateDecision, MotionGate
from streams.records import FrameHeader
from streams.stages.decoding import decode_jpeg, decoded_size, grey_reduction

_RESTING: Future[np.ndarray | None] = Future()  # the decode of a frame the adaptive rate skips: none
_RESTING.set_result(None)


class FrameDecoder:
    """One decode thread running ahead of inference; the colour decode after a passed grey one is the caller's
    thread (the stage's inference thread)."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jpeg-decode")

    def start(
        self,
        header: FrameHeader,
        jpeg: bytes,
        reduction: int,
        gate: MotionGate | None,
        rate: DetectionRate | None,
        resting: bool,
    ) -> tuple[Future[np.ndarray | None], int]:
        """The frame's decode under way, and its grey scale: decoded in grey at 1/grey for the gate, or 0 for
        colour at 1/`reduction`. A `resting` frame (the adaptive rate) gets a decode of nothing."""
        if resting:
            return _RESTING, 0
        grey = grey_scale(header, gate, rate)
        return self._pool.submit(decode_jpeg, jpeg, grey or reduction, grey > 0), grey

    @staticmethod
    def through_gate(
        gate: MotionGate | None,
        decoded: np.ndarray,
        grey: int,
        header: FrameHeader,
        jpeg: bytes,
        reduction: int,
        interval: float | None,
    ) -> tuple[GateDecision, np.ndarray | None]:
        """The gate's decision on a decoded frame, and the colour image to look at if it runs (None if still, or
        if the colour decode after a grey one fails). A grey decode is decoded again, in colour, only to be looked
        at; the gate's region is in that colour image's pixels."""
        if gate is None:
            return GateDecision(True, moved=True), decoded
        if not grey:
            return gate.decide(decoded, header.ts, interval), decoded
        size = decoded_size(header.width, header.height, reduction)
        decision = gate.decide(decoded, header.ts, interval, size)
        if not decision.run:
            return decision, None
        image = decode_jpeg(jpeg, reduction)
        if image is not None and decision.region is not None and (image.shape[1], image.shape[0]) != size:
            decision = GateDecision(True, None, moved=True)  # a header that lies about the size: look at it whole
        return decision, image

    def close(self) -> None:
        self._pool.shutdown(wait=False)


def grey_scale(header: FrameHeader, gate: MotionGate | None, rate: DetectionRate | None) -> int:
    """1/scale of a grey decode for the gate alone when the gate's decisions old enough to be known
    (`DECISION_LAG_S`, so batching does not change them) found the camera still and, with the adaptive rate, the
    camera is idle; 0: decode in colour. Colour too when the header gives no size to pick the scale from.

    Why idle only: in its other states the rate lets the gate decide only on the frames it wants looked at (a far
    camera's burst after its calm gap, a hot one's every frame), and most of those the gate passes; a grey decode
    there is followed by a colour one in the inference thread (measured: the sparse scene of bench.cameras kept
    up with 20 cameras before grey decoding and not with it, 146-365 frames shed)."""
    if gate is None or header.width <= 0 or header.height <= 0 or gate.expects_motion(header.ts, DECISION_LAG_S):
        return 0
    if rate is not None and not rate.idle_at(header.ts):
        return 0
    return grey_reduction(header.width, gate.config.width)
