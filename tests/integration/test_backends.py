"""The OpenVINO backend (parallel infer requests) must find what ultralytics' predictor finds, frame by frame."""

from __future__ import annotations

import pytest

from detectors.config import OpenVinoModelConfig, UltralyticsModelConfig
from detectors.types import Detection
from detectors.vision.backend import ModelLoadError
from detectors.vision.model import load_detector
from detectors.vision.yolo_openvino import OpenVinoDetector
from streams.ingest import file_frames
from tests.integration.conftest import CLIPS, MODEL


def _same(ours: list[Detection], theirs: list[Detection]) -> bool:
    """Same count, and every reference box has a same-class twin (IoU >= 0.98) with a score within 0.01."""
    return len(ours) == len(theirs) and all(
        any(o.cls == t.cls and o.box.iou(t.box) >= 0.98 and abs(o.confidence - t.confidence) <= 0.01 for o in ours)
        for t in theirs
    )


@pytest.mark.parametrize(
    "clip", ["street_people_1080p.mp4", "residential_street_parked_cars.mp4", "virat_plaza_people_seated.avi"]
)
def test_openvino_batch_matches_ultralytics_frame_by_frame(shared_data, clip: str) -> None:
    images = [f.image for _, f in zip(range(12), file_frames(str(CLIPS / clip), 2.0, 0.0), strict=False)]
    openvino = load_detector(OpenVinoModelConfig(path=MODEL))
    reference = load_detector(UltralyticsModelConfig(type="ultralytics", path=MODEL))
    batched = openvino.detect_many(images)
    expected = [reference.detect(image) for image in images]
    assert sum(map(len, expected)) > 0, "the clip must show something for the comparison to mean anything"
    assert [_same(o, e) for o, e in zip(batched, expected, strict=True)] == [True] * len(images)
    assert openvino.detect(images[-1]) == batched[-1], "a batch of one gives the same as a batch of many"


def test_openvino_backend_refuses_pytorch_weights(tmp_path) -> None:
    weights = tmp_path / "yolo.pt"
    weights.write_bytes(b"not an IR")
    with pytest.raises(ModelLoadError, match="type: ultralytics"):
        load_detector(OpenVinoModelConfig(path=weights))


def test_in_graph_path_finds_exactly_what_the_python_path_finds_on_mixed_sizes(shared_data) -> None:
    """Letterbox into the request's tensor, best class in the graph: the same boxes as the old path, also when
    frames of other sizes and shapes pass through the same infer requests (the grey bands must be repainted)."""
    frames = [
        f.image for _, f in zip(range(6), file_frames(str(CLIPS / "street_people_1080p.mp4"), 2.0, 0.0), strict=False)
    ]
    images = []
    for i, frame in enumerate(frames):
        images += [frame, frame[::2, ::2].copy(), frame[:, 420:1500].copy()] if i % 2 else [frame]
    old = OpenVinoDetector(OpenVinoModelConfig(path=MODEL), in_graph=False)
    new = OpenVinoDetector(OpenVinoModelConfig(path=MODEL), in_graph=True)
    expected = old.detect_many(images)
    assert sum(map(len, expected)) > 0
    assert new.detect_many(images) == expected
    assert [new.detect(image) for image in images] == expected
