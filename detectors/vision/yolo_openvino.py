"""OpenVINO backend: a YOLO IR run by the OpenVINO runtime itself, several frames in flight at once.

Why not ultralytics' predictor here: it runs a batch-1 static export one frame at a time in LATENCY mode, one
frame spread over every core. On a small box that shares its cores with JPEG decoding and Kafka, a busy core
stalls the others at each layer's barrier. THROUGHPUT mode gives each core its own single-threaded stream and
keeps one infer request per stream busy (the async API), so other work only delays one frame. Colour
conversion, layout and scaling run inside the compiled model (PrePostProcessor); letterboxing and NMS match
ultralytics' (tests compare the two backends on real frames).

Less Python per frame (issue 17): the letterbox is one cv2.resize written straight into the idle infer request's
own input tensor (no canvas, no copy into the request; the grey bands are only rewritten when the geometry
changes), and the graph ends with each anchor's best class and score (TopK over the classes), so the output
copied out of a request is (6, anchors) instead of (4 + 80, anchors) and NMS is one batched cv2 call. The old
path (`in_graph=False`) stays for bench/per_frame.py's before/after table.
"""

from __future__ import annotations

import logging
import time
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


def fit_of(height: int, width: int, size: tuple[int, int]) -> Letterbox:
    """The letterbox geometry of `letterbox` without touching pixels."""
    out_h, out_w = size
    ratio = min(out_h / height, out_w / width)
    new_w, new_h = max(round(width * ratio), 1), max(round(height * ratio), 1)
    pad_x, pad_y = round((out_w - new_w) / 2 - 0.1), round((out_h - new_h) / 2 - 0.1)
    return Letterbox(new_w / width, new_h / height, pad_x, pad_y, width, height)


def letterbox_into(image: np.ndarray, canvas: np.ndarray, fit: Letterbox, pad: bool) -> None:
    """`letterbox` written into `canvas` (height, width, 3) in place: one resize (or copy) into the inner region,
    the grey bands painted only when `pad` (the canvas last held another geometry)."""
    out_h, out_w = canvas.shape[:2]
    new_w, new_h = round(fit.width * fit.gain_x), round(fit.height * fit.gain_y)
    region = canvas[fit.pad_y : fit.pad_y + new_h, fit.pad_x : fit.pad_x + new_w]
    if (new_w, new_h) == (fit.width, fit.height):
        np.copyto(region, image)
    else:
        cv2.resize(image, (new_w, new_h), dst=region, interpolation=cv2.INTER_LINEAR)
    if pad:
        canvas[: fit.pad_y] = LETTERBOX_GREY
        canvas[fit.pad_y + new_h :] = LETTERBOX_GREY
        canvas[:, : fit.pad_x] = LETTERBOX_GREY
        canvas[:, fit.pad_x + new_w :] = LETTERBOX_GREY


def decode_best(output: np.ndarray, fit: Letterbox, confidence: float, iou: float, keep: np.ndarray) -> list[Detection]:
    """`decode_output` on the in-graph reduction: rows cx, cy, w, h, best score, best class (over all classes)."""
    candidates = np.flatnonzero(output[4] > confidence)
    if not len(candidates):
        return []
    class_ids = output[5, candidates].astype(np.int64)
    mask = np.isin(class_ids, keep)
    candidates, class_ids = candidates[mask], class_ids[mask]
    best = output[4, candidates]
    if len(candidates) > MAX_CANDIDATES:
        top = np.argsort(-best)[:MAX_CANDIDATES]
        candidates, best, class_ids = candidates[top], best[top], class_ids[top]
    cx, cy, w, h = output[:4, candidates]
    xywh = np.stack([cx - w / 2, cy - h / 2, w, h], axis=1)
    # OpenCV takes the arrays as they are (its stubs name sequences of rects)
    kept = cv2.dnn.NMSBoxesBatched(xywh, best, class_ids.astype(np.int32), confidence, iou)  # type: ignore[arg-type]
    picked = np.asarray(kept, dtype=np.int64).reshape(-1)[:MAX_DETECTIONS]
    xywh, best, class_ids = xywh[picked], best[picked], class_ids[picked]
    x1 = ((xywh[:, 0] - fit.pad_x) / fit.gain_x).clip(0, fit.width)
    y1 = ((xywh[:, 1] - fit.pad_y) / fit.gain_y).clip(0, fit.height)
    x2 = ((xywh[:, 0] + xywh[:, 2] - fit.pad_x) / fit.gain_x).clip(0, fit.width)
    y2 = ((xywh[:, 1] + xywh[:, 3] - fit.pad_y) / fit.gain_y).clip(0, fit.height)
    return detections_from_arrays(np.stack([x1, y1, x2, y2], axis=1), best, class_ids)


def _best_class(output: Any) -> Any:
    """Graph tail: (1, 4 + classes, anchors) -> (1, 6, anchors) = box, best score, best class as float."""
    import openvino.opset13 as ops

    boxes, scores = ops.variadic_split(output, 1, [4, -1]).outputs()
    top = ops.topk(scores, 1, 1, "max", "none", "i32")
    return ops.concat([boxes, top.output(0), ops.convert(top.output(1), "f32")], 1).output(0)


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

    def __init__(self, config: OpenVinoModelConfig, in_graph: bool = True) -> None:
        import openvino as ov  # heavy import kept out of module import time
        from openvino.preprocess import ColorFormat, PrePostProcessor

        self.config = config
        self.in_graph = in_graph
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
            if in_graph:
                ppp.output().postprocess().custom(_best_class)
            core = ov.Core()
            compiled = core.compile_model(ppp.build(), config.device, {"PERFORMANCE_HINT": config.performance_hint})
            requests = config.infer_requests or int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
            self._queue = ov.AsyncInferQueue(compiled, requests)
        except ModelLoadError:
            raise
        except Exception as exc:  # OpenVINO raises RuntimeError for most problems; report them as one clear error
            raise ModelLoadError(f"cannot load OpenVINO model {self.path}: {exc}") from exc
        self._outputs: dict[int, np.ndarray] = {}
        self._geometry: dict[int, Letterbox] = {}  # per infer request: the letterbox its input tensor holds
        # thread CPU seconds spent in our code around the model (caller: pre, post; OpenVINO threads: callback),
        # read by bench/per_frame.py; approximate for the callback, which several OpenVINO threads run
        self.cpu_s = {"pre": 0.0, "post": 0.0, "callback": 0.0}
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
        start = time.thread_time()
        self._outputs[index] = request.get_output_tensor(0).data[0].copy()
        self.cpu_s["callback"] += time.thread_time() - start

    def detect(self, image: np.ndarray) -> list[Detection]:
        return self.detect_many([image])[0]

    def detect_many(self, images: Iterable[np.ndarray]) -> list[list[Detection]]:
        """Each image is letterboxed and started as soon as it arrives, so decoding overlaps inference."""
        fits: list[Letterbox] = []
        self._outputs = {}
        try:
            for index, image in enumerate(images):
                start = time.thread_time()
                fits.append(self._start(image, index) if self.in_graph else self._start_legacy(image, index))
                self.cpu_s["pre"] += time.thread_time() - start
        finally:
            self._queue.wait_all()  # never leave requests writing into a later call's results
        start = time.thread_time()
        decode = decode_best if self.in_graph else decode_output
        found = [
            decode(self._outputs[i], fit, self.config.confidence, self.config.iou, self._keep)
            for i, fit in enumerate(fits)
        ]
        self.cpu_s["post"] += time.thread_time() - start
        return found

    def _start(self, image: np.ndarray, index: int) -> Letterbox:
        """Letterbox straight into the next idle request's input tensor; start_async takes that same request."""
        request_id = self._queue.get_idle_request_id()
        fit = fit_of(image.shape[0], image.shape[1], self.input_size)
        canvas = self._queue[request_id].get_input_tensor().data[0]
        letterbox_into(image, canvas, fit, pad=self._geometry.get(request_id) != fit)
        self._geometry[request_id] = fit
        self._queue.start_async(userdata=index)
        return fit

    def _start_legacy(self, image: np.ndarray, index: int) -> Letterbox:
        tensor, fit = letterbox(image, self.input_size)
        self._queue.start_async({0: tensor[np.newaxis]}, userdata=index)
        return fit
