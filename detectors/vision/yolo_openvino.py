"""OpenVINO backend: a YOLO IR run by the OpenVINO runtime itself, several frames in flight at once.

Why not ultralytics' predictor here: it runs a batch-1 static export one frame at a time in LATENCY mode, one
frame spread over every core. On a small box that shares its cores with JPEG decoding and Kafka, a busy core
stalls the others at each layer's barrier. THROUGHPUT mode gives each core its own single-threaded stream and
keeps one infer request per stream busy (the async API), so other work only delays one frame. Colour
conversion, layout and scaling run inside the compiled model (PrePostProcessor); letterboxing and NMS match
ultralytics' (tests compare the two backends on real frames).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from detectors.config import OpenVinoModelConfig
from detectors.types import Detection
from detectors.vision.backend import (
    LETTERBOX_GREY,
    ModelLoadError,
    coco_ids_of,
    detections_from_arrays,
    resolve_model_path,
)

logger = logging.getLogger(__name__)

MAX_CANDIDATES = 30_000  # boxes considered by NMS, as ultralytics caps them
MAX_DETECTIONS = 300


@dataclass(frozen=True)
class Letterbox:
    """How an image was fitted into the model input, to map boxes back to the image's pixels."""

    gain_x: float
    gain_y: float
    pad_x: int
    pad_y: int
    width: int
    height: int


def letterbox(image: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, Letterbox]:
    """Resize keeping the aspect ratio and pad centred to `size` (height, width), as ultralytics' LetterBox."""
    height, width = image.shape[:2]
    out_h, out_w = size
    ratio = min(out_h / height, out_w / width)
    new_w, new_h = max(round(width * ratio), 1), max(round(height * ratio), 1)
    if (new_w, new_h) != (width, height):
        image = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    pad_x, pad_y = round((out_w - new_w) / 2 - 0.1), round((out_h - new_h) / 2 - 0.1)
    canvas = np.full((out_h, out_w, 3), LETTERBOX_GREY, dtype=np.uint8)
    canvas[pad_y : pad_y + new_h, pad_x : pad_x + new_w] = image
    return canvas, Letterbox(new_w / width, new_h / height, pad_x, pad_y, width, height)


def decode_output(
    output: np.ndarray, fit: Letterbox, confidence: float, iou: float, keep: np.ndarray
) -> list[Detection]:
    """(4 + classes, anchors) YOLO head output -> class-aware NMS -> boxes in image pixels.

    As ultralytics: each anchor takes its best class over all classes, then only the kept classes survive.
    """
    scores = output[4:]  # (classes, anchors): reductions along axis 0 stay vectorised over contiguous rows
    best_all = scores.max(axis=0)
    candidates = np.flatnonzero(best_all > confidence)
    if not len(candidates):
        return []
    class_ids = scores[:, candidates].argmax(axis=0)
    mask = np.isin(class_ids, keep)
    candidates, class_ids = candidates[mask], class_ids[mask]
    best = best_all[candidates]
    if len(candidates) > MAX_CANDIDATES:
        top = np.argsort(-best)[:MAX_CANDIDATES]
        candidates, best, class_ids = candidates[top], best[top], class_ids[top]
    rows = output[:4, candidates].T
    cx, cy, w, h = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]
    xywh = np.stack([cx - w / 2, cy - h / 2, w, h], axis=1)
    kept = cv2.dnn.NMSBoxesBatched(xywh.tolist(), best.tolist(), class_ids.tolist(), confidence, iou)
    picked = np.asarray(kept, dtype=np.int64).reshape(-1)[:MAX_DETECTIONS]
    xyxy = np.stack([xywh[:, 0], xywh[:, 1], xywh[:, 0] + xywh[:, 2], xywh[:, 1] + xywh[:, 3]], axis=1)[picked]
    xyxy[:, [0, 2]] = ((xyxy[:, [0, 2]] - fit.pad_x) / fit.gain_x).clip(0, fit.width)
    xyxy[:, [1, 3]] = ((xyxy[:, [1, 3]] - fit.pad_y) / fit.gain_y).clip(0, fit.height)
    return detections_from_arrays(xyxy, best[picked], class_ids[picked])


def _ir_file(path: Path) -> Path:
    if path.suffix == ".xml":
        return path
    found = sorted(path.glob("*.xml")) if path.is_dir() else []
    if not found:
        raise ModelLoadError(
            f"{path} is not an OpenVINO IR (a folder with a .xml or the .xml itself); "
            "use detector.model.type: ultralytics for .pt or .onnx weights"
        )
    return found[0]


class OpenVinoDetector:
    """Not thread-safe: one caller thread; the parallelism is OpenVINO's own infer requests."""

    def __init__(self, config: OpenVinoModelConfig) -> None:
        import openvino as ov  # heavy import kept out of module import time
        from openvino.preprocess import ColorFormat, PrePostProcessor

        self.config = config
        self.path = resolve_model_path(config)
        try:
            model = ov.Core().read_model(_ir_file(self.path))
            shape = model.inputs[0].partial_shape
            if shape.is_static:
                self.input_size = (shape[2].get_length(), shape[3].get_length())
            else:
                self.input_size = (config.imgsz, config.imgsz)
                model.reshape([1, 3, config.imgsz, config.imgsz])
            self.input_side = max(self.input_size)
            ppp = PrePostProcessor(model)
            ppp.input().tensor().set_element_type(ov.Type.u8).set_layout(ov.Layout("NHWC")).set_color_format(
                ColorFormat.BGR
            )
            ppp.input().model().set_layout(ov.Layout("NCHW"))
            ppp.input().preprocess().convert_element_type(ov.Type.f32).convert_color(ColorFormat.RGB).scale(255.0)
            core = ov.Core()
            compiled = core.compile_model(ppp.build(), config.device, {"PERFORMANCE_HINT": config.performance_hint})
            requests = config.infer_requests or int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
            self._queue = ov.AsyncInferQueue(compiled, requests)
        except ModelLoadError:
            raise
        except Exception as exc:  # OpenVINO raises RuntimeError for most problems; report them as one clear error
            raise ModelLoadError(f"cannot load OpenVINO model {self.path}: {exc}") from exc
        self._outputs: dict[int, np.ndarray] = {}
        self._queue.set_callback(self._done)
        self._keep = np.array(coco_ids_of(config.classes))
        logger.info(
            "model %s on OpenVINO %s (%s, %s infer requests, input %s) for classes %s",
            self.path,
            config.device,
            config.performance_hint,
            requests,
            self.input_size,
            [c.value for c in config.classes],
        )

    def _done(self, request: Any, index: int) -> None:
        self._outputs[index] = request.get_output_tensor(0).data[0].copy()

    def detect(self, image: np.ndarray) -> list[Detection]:
        return self.detect_many([image])[0]

    def detect_many(self, images: Iterable[np.ndarray]) -> list[list[Detection]]:
        """Each image is letterboxed and started as soon as it arrives, so decoding overlaps inference."""
        fits: list[Letterbox] = []
        self._outputs = {}
        try:
            for index, image in enumerate(images):
                tensor, fit = letterbox(image, self.input_size)
                fits.append(fit)
                self._queue.start_async({0: tensor[np.newaxis]}, userdata=index)
        finally:
            self._queue.wait_all()  # never leave requests writing into a later call's results
        return [
            decode_output(self._outputs[i], fit, self.config.confidence, self.config.iou, self._keep)
            for i, fit in enumerate(fits)
        ]
