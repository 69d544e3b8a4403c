"""The normalised door-access record: one typed event, whatever controller or format reported it.

`AccessEvent` is the public JSON format of the access topic and of `sentinel replay-access` files' output.
Personal identifiers never appear in it in the clear: card and employee numbers and names are keyed hashes
(`person refs`), so the topic, the logs and the alerts can be read without exposing residents.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class AccessResult(StrEnum):
    GRANTED = "granted"
    DENIED = "denied"
    STRANGER = "stranger"  # a face the terminal does not know
    FACE_MISMATCH = "face_mismatch"  # a face that did not match the presented credential
    OTHER = "other"  # door status and device events: kept for audit, ignored by the rules


REFUSED = frozenset({AccessResult.DENIED, AccessResult.STRANGER, AccessResult.FACE_MISMATCH})


class PersonRefs(BaseModel):
    """Keyed hashes (HMAC-SHA256, site key) of the identifiers an event carried; equal people, equal refs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    employee: str | None = None
    card: str | None = None
    name: str | None = None

    def all(self) -> tuple[tuple[str, str], ...]:
        """(kind, ref) pairs present, in the order the watch list is searched."""
        pairs = (("employee", self.employee), ("card", self.card), ("name", self.name))
        return tuple((kind, ref) for kind, ref in pairs if ref)

    @property
    def known(self) -> bool:
        """The terminal identified someone (an enrolled card or person), as opposed to an anonymous event."""
        return bool(self.employee or self.card)


class AccessEvent(BaseModel):
    """One door-access event, normalised; `event_id` is stable for the same device event, so repeats dedupe."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    record_type: Literal["access_event"] = "access_event"
    schema_version: Literal[1] = 1
    event_id: str = Field(min_length=8, max_length=64, description="Hash of site, device and the device's serial")
    stream_id: str = Field(min_length=1, max_length=128, description="'live' or the replayed door log's stream")
    site_id: str
    door_id: str = Field(min_length=1, max_length=128)
    door_name: str
    device_id: str = Field(min_length=1, max_length=128)
    ts: float = Field(description="Event time: the device's time corrected by its configured clock offset")
    device_ts: float = Field(description="The time the device reported")
    received_at: float | None = Field(default=None, description="Wall-clock time the receiver got it (live only)")
    result: AccessResult
    verify_mode: str | None = Field(default=None, max_length=64, description="card, face, cardOrFace, ...")
    user_type: str | None = Field(default=None, max_length=32, description="normal, visitor, blackList, ...")
    person: PersonRefs = Field(default_factory=PersonRefs)
    vendor: str = Field(description="hikvision, generic, onvif")
    vendor_event: str = Field(default="", max_length=64, description="The vendor's own code, e.g. '5/75'")
    picture_key: str | None = Field(default=None, description="Alert-store key of the picture sent with it")
    raw: dict[str, Any] = Field(
        default_factory=dict,
        description="The vendor payload minus pictures and clear identifiers, kept for audit",
    )


RiskTier = Literal["red", "yellow"]  # watch-list tier of a person; risk of an entry linked to an alert


class LinkedEntry(BaseModel):
    """A risky door-access entry, as alerts carry it, with the reason it counted as risky (never a raw card number)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: str
    door_id: str
    door_name: str
    ts: float = Field(description="Event time of the entry (device clock corrected)")
    result: str = Field(description="granted, denied, stranger, face_mismatch, other")
    risk_tier: RiskTier
    reason: str = Field(description="Why this entry was risky, e.g. 'watch list (red): case 2026-113'")
    person_label: str | None = Field(default=None, description="Watch-list label of the person, when listed")


class AccessStreamEnd(BaseModel):
    """After the last event of a replayed door log: the access stage passes it on so the replay knows it is done."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    record_type: Literal["access_end"] = "access_end"
    schema_version: Literal[1] = 1
    stream_id: str = Field(min_length=1, max_length=128)
    site_id: str
    ts: float
