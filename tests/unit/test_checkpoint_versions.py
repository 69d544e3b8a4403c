"""A checkpoint pickled by an older version of a stage's state class is not restored (it would fail on every
record of the camera); one that only lacks fields with class-level defaults is."""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field

import pytest

from streams.stages.checkpoints import missing_fields


@dataclass
class Old:
    a: int


@dataclass
class New:
    a: int
    b: int = 0  # a plain default: a class attribute an old pickle falls back on
    c: list[int] = field(default_factory=list)  # no class attribute: an old pickle lacks it


def _as_new(old: Old) -> object:
    """An Old pickle read after the class grew into New (same module path, new fields)."""
    blob = pickle.dumps(old).replace(b"Old", b"New")
    return pickle.loads(blob)


@pytest.mark.parametrize(
    ("state", "missing"),
    [
        (New(1), []),
        (None, []),
        ({"not": "a dataclass"}, []),
        ("_as_new", ["c"]),
    ],
)
def test_missing_fields(state: object, missing: list[str]) -> None:
    if state == "_as_new":
        state = _as_new(Old(1))
        assert isinstance(state, New) and state.b == 0  # the plain default still reads
    assert missing_fields(state) == missing
