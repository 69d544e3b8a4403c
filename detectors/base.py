"""The one strict base model every config section and value type builds on."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Unknown keys are an error, so a typo in site.yaml never silently falls back to a default; frozen, so a
    config or record can be shared between stages without copies."""

    model_config = ConfigDict(extra="forbid", frozen=True)
