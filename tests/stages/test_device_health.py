"""The device-health stage on real frames of the shared clips: made dark, covered by a uniform patch, and shifted
(the camera's crop window moved by 15 % of the width); each raises its alert once and ends it when the picture
comes back. The clips as they are raise nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import cv2
import numpy as np
import pytest

from alerts.models import AlertPhase, DeviceAlertEvent
from streams.config import SiteConfig
from streams.ingest import encode_jpeg, file_frames
from streams.records import FrameHeader
from streams.stages.devices import DeviceHealthStage
from tests.integration.conftest import CLIPS

FPS = 4.0
CLIP_NAMES = ("residential_street_parked_cars.mp4", "street_people_1080p.mp4", "virat_plaza_people_seated.avi")
Edit = Callable[[np.ndarray], np.ndarray]


def clip_images(name: str) -> list[np.ndarray]:
    """The clip sampled at FPS, at most 1280 px wide as live ingest sends it."""
    images = []
    for frame in file_frames(str(CLIPS / name), FPS, 0.0):
        image = frame.image
        if image.shape[1] > 1280:
            image = cv2.resize(image, (1280, round(image.shape[0] * 1280 / image.shape[1])))
        images.append(image)
    return images


def looped(images: list[np.ndarray], seconds: float) -> Iterator[np.ndarray]:
    """The clip played forward, then backward, and so on: real frames for longer than the clip lasts."""
    cycle = images + images[::-1]
    for i in range(int(seconds * FPS)):
        yield cycle[i % len(cycle)]


DAY_TS = 1_800_000_000.0  # 16:00 in the default site time zone: no night hours


def run(
    stage: DeviceHealthStage, images: Iterator[np.ndarray], start_seq: int = 0, base_ts: float = DAY_TS
) -> list[DeviceAlertEvent]:
    """Frames through the stage as a replayed camera `cam-1` sends them, FPS a second from `base_ts`."""

    async def go() -> list[DeviceAlertEvent]:
        out: list[DeviceAlertEvent] = []
        for seq, image in enumerate(images, start=start_seq):
            jpeg, width, height = encode_jpeg(image, 85, None)
            ts = base_ts + seq / FPS
            header = FrameHeader(camera_id="cam-1", stream_id="s1", seq=seq, ts=ts, width=width, height=height, fps=FPS)
            out += await stage.observe(header, jpeg)
        return out

    return asyncio.run(go())


def dark(image: np.ndarray) -> np.ndarray:
    return (image * 0.03).astype(np.uint8)


def covered(image: np.ndarray) -> np.ndarray:
    """A uniform patch (a bag, tape) over all but a thin strip at the top."""
    out = image.copy()
    out[int(image.shape[0] * 0.08) :, :] = (70, 72, 75)
    return out


def window(image: np.ndarray, moved: bool) -> np.ndarray:
    """The camera's view: 85 % of the width; turned, the window sits 15 % of the width further right."""
    width = image.shape[1]
    keep = int(width * 0.85)
    return image[:, width - keep :] if moved else image[:, :keep]


@pytest.mark.parametrize(
    ("edit", "rule"),
    [(dark, "camera_covered"), (covered, "camera_covered"), (None, "camera_moved")],
    ids=["dark", "covered", "shifted"],
)
@pytest.mark.parametrize("clip", CLIP_NAMES)
def test_tampering_raises_once_and_ends_when_the_picture_returns(clip: str, edit: Edit | None, rule: str) -> None:
    images = clip_images(clip)
    stage = DeviceHealthStage(SiteConfig())
    settings = stage.settings
    if edit is None:
        normal = [window(i, moved=False) for i in images]
        bad = [window(i, moved=True) for i in images]
        bad_for = settings.moved_after_s + 5
    else:
        normal, bad = images, [edit(i) for i in images]
        bad_for = settings.tamper_after_s + 5
    before = run(stage, looped(normal, 15))
    during = run(stage, looped(bad, bad_for), start_seq=1000)
    after = run(stage, looped(normal, settings.recover_s + 5), start_seq=2000)
    assert before == []
    assert [(a.rule, a.phase) for a in during] == [(rule, AlertPhase.START)]
    assert [(a.rule, a.phase) for a in after] == [(rule, AlertPhase.END)]
    start, end = during[0], after[0]
    assert start.alert_id == end.alert_id and start.device_id == "cam-1" and start.frame_seq is not None
    took = start.ts - start.started_at
    after_s = settings.moved_after_s if edit is None else settings.tamper_after_s
    assert after_s <= took < after_s + 2 / settings.sample_every_s


@pytest.mark.parametrize("clip", CLIP_NAMES)
def test_no_device_alert_on_the_clips_as_they_are(clip: str) -> None:
    stage = DeviceHealthStage(SiteConfig())
    assert run(stage, looped(clip_images(clip), 90)) == []


def test_short_covering_is_not_tampering() -> None:
    images = clip_images(CLIP_NAMES[0])
    stage = DeviceHealthStage(SiteConfig())
    run(stage, looped(images, 15))
    brief = run(stage, looped([covered(i) for i in images], stage.settings.tamper_after_s - 3), start_seq=1000)
    assert brief + run(stage, looped(images, 10), start_seq=2000) == []


def test_offline_after_silence_but_not_for_a_camera_released_to_another_worker() -> None:
    image = clip_images(CLIP_NAMES[0])[0]
    jpeg, width, height = encode_jpeg(image, 85, None)

    async def go(release: bool) -> list[DeviceAlertEvent]:
        stage = DeviceHealthStage(SiteConfig())
        header = FrameHeader(
            camera_id="cam-1", stream_id="live-1", seq=0, ts=DAY_TS, width=width, height=height, fps=FPS, live=True
        )
        await stage.observe(header, jpeg)
        if release:
            stage.release(["cam-1"])
        after = DAY_TS + stage.settings.offline_after_s
        return await stage.tick(after - 0.1) + await stage.tick(after) + await stage.tick(after + 60)

    (offline,) = asyncio.run(go(release=False))
    assert (offline.rule, offline.phase, offline.started_at) == ("camera_offline", AlertPhase.START, DAY_TS)
    assert asyncio.run(go(release=True)) == []
