"""The detector model section (`detector.model`, `cameras[].detector.model`): one config per backend type,
chosen by `type` (detectors/vision/model.py registers the backends)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from detectors.base import StrictModel
from detectors.types import ObjectClass


class ModelBase(StrictModel):
    """What every detector backend needs: the weights, the input size, thresholds and the classes kept."""

    path: Path | None = Field(
        default=None,
        description="YOLO weights. Unset: ../shared/models/yolo11n_int8_openvino_model if present, else yolo11n.pt",
    )
    imgsz: int = Field(
        default=640,
        ge=32,
        le=4096,
        description="Model input size in pixels (multiple of 32); a static model's own wins",
    )
    confidence: float = Field(default=0.25, ge=0.01, le=1.0, description="Minimum detection confidence")
    iou: float = Field(default=0.7, ge=0.05, le=1.0, description="NMS IoU threshold")
    classes: tuple[ObjectClass, ...] = Field(
        default=(
            ObjectClass.PERSON,
            ObjectClass.CAR,
            ObjectClass.TRUCK,
            ObjectClass.BUS,
            ObjectClass.MOTORCYCLE,
            ObjectClass.BAG,
        ),
        min_length=1,
        description="Object classes kept from the model output (bag: carried objects, owner evidence)",
    )


class OpenVinoModelConfig(ModelBase):
    """OpenVINO runtime directly: frames of a batch run as parallel infer requests (the async API)."""

    type: Literal["openvino"] = "openvino"
    device: str = Field(default="CPU", min_length=1, description="OpenVINO device: CPU, GPU, NPU, AUTO, ...")
    performance_hint: Literal["THROUGHPUT", "LATENCY"] = Field(
        default="THROUGHPUT",
        description="THROUGHPUT runs one single-threaded stream per core pair so busy cores never stall a barrier; "
        "LATENCY spreads one frame over all cores",
    )
    infer_requests: int = Field(
        default=0, ge=0, le=64, description="Parallel infer requests; 0 takes OpenVINO's optimal number for the hint"
    )


class UltralyticsModelConfig(ModelBase):
    """ultralytics' predictor: any weights it loads (.pt, .onnx, exports), one frame at a time."""

    type: Literal["ultralytics"]
    device: str = Field(default="cpu", min_length=1, description="Device passed to ultralytics (cpu, 0, intel:gpu)")


class OmzModelBase(ModelBase):
    """An Intel Open Model Zoo detector on the OpenVINO runtime: a reshapable BGR 0-255 input of `imgsz` x
    `input_height` (plain resize, no letterbox) and parallel infer requests."""

    input_height: int = Field(default=480, ge=64, le=4096, description="Input height the model is reshaped to")
    confidence: float = Field(default=0.4, ge=0.01, le=1.0, description="Minimum detection confidence")
    device: str = Field(default="CPU", min_length=1, description="OpenVINO device: CPU, GPU, NPU, AUTO, ...")
    performance_hint: Literal["THROUGHPUT", "LATENCY"] = Field(
        default="THROUGHPUT", description="As for the openvino backend"
    )
    infer_requests: int = Field(
        default=0, ge=0, le=64, description="Parallel infer requests; 0 takes OpenVINO's optimal number for the hint"
    )


class PersonVehicleBikeModelConfig(OmzModelBase):
    """Intel OMZ person-vehicle-bike-detection-2003 (ATSS, Apache-2.0) on the OpenVINO runtime: finds people
    a few dozen pixels tall that the 640 px YOLO export misses (docs/people-detection.md)."""

    type: Literal["person_vehicle_bike"]
    imgsz: int = Field(
        default=864, ge=64, le=4096, description="Input width the model is reshaped to (native 864; 1280 for 720p)"
    )
    input_height: int = Field(
        default=480, ge=64, le=4096, description="Input height the model is reshaped to (native 480; 720 for 720p)"
    )


class PedestrianAdasModelConfig(OmzModelBase):
    """Intel OMZ pedestrian-detection-adas-0002 (SSD on MobileNet, Apache-2.0): people only, so a camera that
    uses it alone has no cars; combine it with a vehicle model (`type: combined`, docs/people-detection.md)."""

    type: Literal["pedestrian_adas"]
    imgsz: int = Field(
        default=672, ge=64, le=4096, description="Input width the model is reshaped to (native 672; 1344 for 2x)"
    )
    input_height: int = Field(
        default=384, ge=64, le=4096, description="Input height the model is reshaped to (native 384; 768 for 2x)"
    )
    classes: tuple[ObjectClass, ...] = Field(
        default=(ObjectClass.PERSON,), min_length=1, description="The model finds people only"
    )


MemberModelConfig = Annotated[
    OpenVinoModelConfig | UltralyticsModelConfig | PersonVehicleBikeModelConfig | PedestrianAdasModelConfig,
    Field(discriminator="type"),
]


class CombinedModelConfig(StrictModel):
    """Several models on every image, boxes of one class merged strongest first (as slicing merges tiles):
    e.g. a people-only model with a vehicle model (each member's `classes` says what it contributes). The first
    member is the people model: its input size sets the crops' size."""

    type: Literal["combined"]
    members: tuple[MemberModelConfig, ...] = Field(min_length=2, max_length=4, description="The models run")
    iou: float = Field(
        default=0.5,
        ge=0.05,
        le=1.0,
        description="Boxes of one class from different members overlapping this much are one object (stronger kept)",
    )
    others_min_width: int = Field(
        default=0,
        ge=0,
        le=8192,
        description="Members after the first skip images narrower than this: 640 keeps a vehicle model on the whole "
        "frame (cars are large) and off the zoomed crops (336 px wide for adas); 0 runs every member on every image",
    )

    @property
    def imgsz(self) -> int:
        """The first member's input width (what a reduced JPEG decode must keep)."""
        return self.members[0].imgsz


ModelConfig = Annotated[
    OpenVinoModelConfig
    | UltralyticsModelConfig
    | PersonVehicleBikeModelConfig
    | PedestrianAdasModelConfig
    | CombinedModelConfig,
    Field(discriminator="type"),
]
