"""OpenVINO backend for Intel Open Model Zoo's person-vehicle-bike-detection-2003 (ATSS, Apache-2.0).

Why a second model: the shared YOLO11n export is fixed at 640x640, so a 720p frame reaches it at half size and
people 40-90 px tall become 20-45 px, below what it finds (recall 0.02 on the VIRAT 0100 clip). This model
takes a reshapable BGR 0-255 input (native 480x864, plain resize, no letterbox) and was trained on
surveillance views. Its outputs (`boxes` [N, 5]: x1, y1, x2, y2 in input pixels and score; `labels` [N]:
0 vehicle, 1 person, 2 bike, NMS already applied) are converted here, at the boundary, into our `Detection`:
vehicle -> car, bikes dropped (a bicycle is never a parked car), boxes scaled back to the image's pixels.
`OmzDetector` is the OpenVINO plumbing every OMZ backend shares (omz_pedestrian.py is the other).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from detectors.config import OmzModelBase, PersonVehicleBikeModelConfig
from detectors.geometry import Box
from detectors.types import Detection, ObjectClass
from detectors.vision.backend import ModelLoadError

logger = logging.getLogger(__name__)

CLASS_BY_LABEL = {0: ObjectClass.CAR, 1: ObjectClass.PERSON}
MODEL_DIR = Path("models") / "person-vehicle-bike-detection-2003" / "FP16-INT8"
SHARED_DIR = Path(__file__).resolve().parent.parent.parent / "shared"


def default_path(env_var: str = "SENTINEL_PVB_MODEL_PATH", model_dir: Path = MODEL_DIR) -> Path:
    """The env var, else the shared INT8 IR beside the checkout (as the YOLO default is found)."""
    env = os.environ.get(env_var)
    if env:
        return Path(env)
    for shared in (Path.cwd().parent / "shared", SHARED_DIR):
        if (shared / model_dir).exists():
            return shared / model_dir
    return SHARED_DIR / model_dir


def _ir_file(path: Path, kind: str, env_var: str) -> Path:
    if path.suffix == ".xml" and path.exists():
        return path
    found = sorted(path.glob("*.xml")) if path.is_dir() else []
    if not found:
        raise ModelLoadError(
            f"{kind} model not found at {path} (a folder with the .xml or the .xml itself); "
            f"set detector.model.path or {env_var}"
        )
    return found[0]


def clipped_box(x1: float, y1: float, x2: float, y2: float, width: int, height: int) -> Box | None:
    """A box in image pixels clipped to the image; None where nothing of it is left."""
    bx1, bx2 = min(max(x1, 0.0), width), min(max(x2, 0.0), width)
    by1, by2 = min(max(y1, 0.0), height), min(max(y2, 0.0), height)
    if bx2 <= bx1 or by2 <= by1:
        return None
    return Box(x1=bx1, y1=by1, x2=bx2, y2=by2)


def convert(
    boxes: np.ndarray, labels: np.ndarray, scale_x: float, scale_y: float, width: int, height: int, confidence: float
) -> list[Detection]:
    """The model's raw outputs -> our validated detections in image pixels (unknown labels and weak or empty
    boxes dropped)."""
    out = []
    for (x1, y1, x2, y2, score), label in zip(boxes.tolist(), labels.tolist(), strict=True):
        cls = CLASS_BY_LABEL.get(int(label))
        if cls is None or score < confidence:
            continue
        box = clipped_box(x1 * scale_x, y1 * scale_y, x2 * scale_x, y2 * scale_y, width, height)
        if box is not None:
            out.append(Detection(cls=cls, box=box, confidence=min(float(score), 1.0)))
    return out


class OmzDetector:
    """The OpenVINO plumbing every OMZ backend shares: the IR reshaped to the configured input, u8 NHWC BGR
    in, parallel infer requests. A subclass names its model and reads and converts its outputs.
    Not thread-safe: one caller thread; the parallelism is OpenVINO's own infer requests."""

    kind = "omz"
    env_var = "SENTINEL_PVB_MODEL_PATH"
    model_dir = MODEL_DIR

    def __init__(self, config: OmzModelBase) -> None:
        import openvino as ov  # heavy import kept out of module import time
        from openvino.preprocess import PrePostProcessor

        self.config = config
        self.path = config.path or default_path(self.env_var, self.model_dir)
        self.input_size = (config.input_height, config.imgsz)  # (height, width)
        self.input_side = config.imgsz
        try:
            core = ov.Core()
            model = core.read_model(_ir_file(self.path, self.kind, self.env_var))
            model.reshape({model.inputs[0].get_any_name(): [1, 3, config.input_height, config.imgsz]})
            ppp = PrePostProcessor(model)
            ppp.input().tensor().set_element_type(ov.Type.u8).set_layout(ov.Layout("NHWC"))
            ppp.input().model().set_layout(ov.Layout("NCHW"))
            ppp.input().preprocess().convert_element_type(ov.Type.f32)
            compiled = core.compile_model(ppp.build(), config.device, {"PERFORMANCE_HINT": config.performance_hint})
            requests = config.infer_requests or int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
            self._queue = ov.AsyncInferQueue(compiled, requests)
            self._bind_outputs([o.get_any_name() for o in compiled.outputs])
        except ModelLoadError:
            raise
        except Exception as exc:  # OpenVINO raises RuntimeError for most problems; report them as one clear error
            raise ModelLoadError(f"cannot load {self.kind} model {self.path}: {exc}") from exc
        self._outputs: dict[int, tuple[np.ndarray, ...]] = {}
        self._queue.set_callback(self._done)
        logger.info(
            "model %s on OpenVINO %s (%s, %s infer requests, input %s)",
            self.path,
            config.device,
            config.performance_hint,
            requests,
            self.input_size,
        )

    def _bind_outputs(self, names: list[str]) -> None:
        """Find the model's outputs by name (a ValueError names a model that is not this backend's)."""
        raise NotImplementedError

    def _read(self, request: Any) -> tuple[np.ndarray, ...]:
        """Copies of one finished request's outputs."""
        raise NotImplementedError

    def _convert(self, outputs: tuple[np.ndarray, ...], width: int, height: int) -> list[Detection]:
        """One image's outputs -> our detections in its pixels, from the configured confidence."""
        raise NotImplementedError

    def _done(self, request: Any, index: int) -> None:
        self._outputs[index] = self._read(request)

    def detect(self, image: np.ndarray) -> list[Detection]:
        return self.detect_many([image])[0]

    def detect_many(self, images: Iterable[np.ndarray]) -> list[list[Detection]]:
        """Each image is resized (plainly, as the model was trained) and started as soon as it arrives."""
        sizes: list[tuple[int, int]] = []
        self._outputs = {}
        in_h, in_w = self.input_size
        keep = set(self.config.classes)
        try:
            for index, image in enumerate(images):
                height, width = image.shape[:2]
                sizes.append((width, height))
                tensor = image if (height, width) == (in_h, in_w) else cv2.resize(image, (in_w, in_h))
                self._queue.start_async({0: np.ascontiguousarray(tensor)[np.newaxis]}, userdata=index)
        finally:
            self._queue.wait_all()  # never leave requests writing into a later call's results
        results = []
        for index, (width, height) in enumerate(sizes):
            found = self._convert(self._outputs[index], width, height)
            results.append([d for d in found if d.cls in keep])
        return results


class PersonVehicleBikeDetector(OmzDetector):
    """person-vehicle-bike-detection-2003: `boxes` in input pixels with score, `labels` 0 vehicle, 1 person, 2 bike."""

    kind = "person_vehicle_bike"
    config: PersonVehicleBikeModelConfig

    def _bind_outputs(self, names: list[str]) -> None:
        self._boxes, self._labels = names.index("boxes"), names.index("labels")

    def _read(self, request: Any) -> tuple[np.ndarray, ...]:
        boxes = request.get_output_tensor(self._boxes).data.reshape(-1, 5).copy()
        labels = request.get_output_tensor(self._labels).data.reshape(-1).copy()
        return boxes, labels

    def _convert(self, outputs: tuple[np.ndarray, ...], width: int, height: int) -> list[Detection]:
        boxes, labels = outputs
        in_h, in_w = self.input_size
        return convert(boxes, labels, width / in_w, height / in_h, width, height, self.config.confidence)
