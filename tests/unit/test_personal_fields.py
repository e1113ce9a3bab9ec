"""Every text field of every client event is either personal (under the client's key, erased
by a seal) or listed as plain with its reason: a text field added later fails here until it is
put in one list or the other."""

from __future__ import annotations

import types
import typing
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from reentry_ledger.domain.client import coded
from reentry_ledger.domain.codes import Need, ReferralStatus
from reentry_ledger.domain.events import (
    EVENT_CLASSES,
    PLAIN_TEXT,
    CasePlanRevised,
    ClientEvent,
    Coded,
)
from reentry_ledger.domain.personal import protect_paths
from reentry_ledger.domain.recording import Stamp
from reentry_ledger.domain.volunteer import VOLUNTEER_EVENT_CLASSES, VOLUNTEER_PLAIN_TEXT
from tests.builders import TODAY, new_client


def text_paths(annotation: Any, prefix: str) -> list[str]:
    """The dotted paths of every str reached from a type: through options, tuples, the values
    of mappings and nested models (codes, dates, ids and numbers are not text)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return text_paths(typing.get_args(annotation)[0], prefix)
    if origin in (typing.Union, types.UnionType, tuple, list):
        args = [arg for arg in typing.get_args(annotation) if arg not in (type(None), Ellipsis)]
        return sorted({path for arg in args for path in text_paths(arg, prefix)})
    if origin is dict:
        return text_paths(typing.get_args(annotation)[1], prefix)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [
            path
            for name, info in annotation.model_fields.items()
            for path in text_paths(info.annotation, f"{prefix}.{name}" if prefix else name)
        ]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return []
    if annotation is str:
        return [prefix]
    assert annotation in (int, float, bool, date, datetime, UUID), (prefix, annotation)
    return []


def undeclared(event_class: type[ClientEvent]) -> list[str]:
    name = event_class.__name__
    return [
        path
        for path in text_paths(event_class, "")
        if path not in event_class.PERSONAL
        and path not in PLAIN_TEXT
        and f"{name}.{path}" not in PLAIN_TEXT
    ]


def test_every_text_field_is_personal_or_plain_for_a_stated_reason() -> None:
    assert {cls.__name__: undeclared(cls) for cls in EVENT_CLASSES} == {
        cls.__name__: [] for cls in EVENT_CLASSES
    }


def test_the_walk_reaches_nested_text() -> None:
    paths = {path for cls in EVENT_CLASSES for path in text_paths(cls, "")}
    assert {"goals.description", "goals.need.raw_text", "new_offence.severity.raw_text",
            "details", "responsivity", "provider"} <= paths  # fmt: skip


def test_every_personal_path_names_text_and_nothing_plain_is_also_personal() -> None:
    for cls in EVENT_CLASSES:
        paths = set(text_paths(cls, ""))
        assert set(cls.PERSONAL) <= paths, cls.__name__
        plain = {key.removeprefix(f"{cls.__name__}.") for key in PLAIN_TEXT}
        assert not set(cls.PERSONAL) & plain, cls.__name__


def test_every_text_field_of_a_volunteers_events_is_personal_or_plain() -> None:
    plain = {**PLAIN_TEXT, **VOLUNTEER_PLAIN_TEXT}
    found = {
        cls.__name__: [
            path
            for path in text_paths(cls, "")
            if path not in cls.PERSONAL
            and path not in plain
            and f"{cls.__name__}.{path}" not in plain
        ]
        for cls in VOLUNTEER_EVENT_CLASSES
    }
    assert found == {cls.__name__: [] for cls in VOLUNTEER_EVENT_CLASSES}
    assert all(set(cls.PERSONAL) <= set(text_paths(cls, "")) for cls in VOLUNTEER_EVENT_CLASSES)


def test_every_plain_field_says_why() -> None:
    assert all(len(reason) > 20 for reason in PLAIN_TEXT.values())


def test_protecting_a_nested_path_leaves_the_codes_beside_it_plain() -> None:
    client = new_client()
    client.revise_plan(
        Stamp(on=date(2025, 2, 1), by="jdoe", today=TODAY, protect=lambda text: f"pd1:{text}"),
        goals=[
            (coded("substance_use", "drugs"), "finish treatment"),
            (coded("school_work"), "a job"),
        ],
        model=None,
    )
    plan = client.history[-1]
    assert isinstance(plan, CasePlanRevised)
    assert [(goal.need.code, goal.need.raw_text, goal.description) for goal in plan.goals] == [
        (Need.SUBSTANCE_USE, "pd1:drugs", "pd1:finish treatment"),
        (Need.SCHOOL_WORK, None, "pd1:a job"),
    ]
    assert plan.model is None


def test_a_value_with_nothing_to_protect_is_not_copied() -> None:
    status = Coded[ReferralStatus](code=ReferralStatus.ACCEPTED)
    assert protect_paths(status, ("raw_text",), lambda text: f"pd1:{text}") is status
