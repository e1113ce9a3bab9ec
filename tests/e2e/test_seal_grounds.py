"""A seal names its legal ground as a code and an audit reference, both readable for good;
`--reason` is still taken, as the ground `other`, and seals stored with a reason read that way."""

from __future__ import annotations

import json

import orjson
import pytest
from click.testing import Result
from eventsourcing.persistence import StoredEvent

from reentry_ledger.application import Ledger
from reentry_ledger.domain.codes import SealGround
from reentry_ledger.domain.events import ClientSealed
from reentry_ledger.domain.integrity import content_hash
from reentry_ledger.domain.references import client_id
from tests.builders import enroll_parolee


@pytest.fixture
def sup(run):  # type: ignore[no-untyped-def]
    """The conftest's CLI as `sup`, on a ledger with client S-1 enrolled."""

    def invoke(*args: str) -> Result:
        return run(*args, actor="sup")  # type: ignore[no-any-return]

    enrolled = invoke(
        "enroll", "S-1", "--agency", "GA", "--officer", "o", "--supervision", "parole"
    )
    assert enrolled.exit_code == 0, enrolled.output
    return invoke


def sealed_event(sup) -> dict[str, object]:  # type: ignore[no-untyped-def]
    events = json.loads(sup("timeline", "S-1", "--json").stdout)
    assert events[-1]["type"] == "ClientSealed"
    return dict(events[-1]["data"])


def test_the_seal_records_a_coded_ground_and_a_reference(sup) -> None:  # type: ignore[no-untyped-def]
    sealed = sup("seal", "S-1", "--ground", "expungement", "--reference", "CO-2026/114")
    assert sealed.exit_code == 0, sealed.output
    assert sealed_event(sup) == {
        "ground": {"code": "expungement", "raw_text": None},
        "reference": "CO-2026/114",
    }


def test_a_reason_is_taken_as_the_ground_other(sup) -> None:  # type: ignore[no-untyped-def]
    assert sup("seal", "S-1", "--reason", "expungement order").exit_code == 0
    assert sealed_event(sup) == {
        "ground": {"code": "other", "raw_text": None},
        "reference": "expungement order",
    }


@pytest.mark.parametrize(
    "args",
    [
        ("--ground", "forgotten", "--reference", "x"),  # not a ground
        ("--ground", "court_order"),  # no reference
        ("--reference", "x"),  # no ground
        (),
        ("--reason", "x", "--ground", "court_order", "--reference", "y"),  # both ways at once
    ],
)
def test_a_seal_without_a_ground_and_a_reference_is_refused(sup, args: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    refused = sup("seal", "S-1", *args)
    assert refused.exit_code == 2, refused.output
    assert json.loads(sup("show", "S-1", "--json").stdout)["sealed"] is False


def test_the_grounds_are_the_domain_briefs() -> None:
    assert [ground.value for ground in SealGround] == [
        "expungement", "court_order", "retention_expired", "data_subject_request", "other",
    ]  # fmt: skip


def test_a_seal_stored_with_a_reason_reads_as_ground_other_and_still_verifies(
    ledger: Ledger,
) -> None:
    enroll_parolee(ledger, "GA-1")
    enrolled = ledger.get_client("GA-1").history[0]
    old_shape = {
        "recorded_at": "2025-02-01T10:00:00Z",
        "occurred_on": "2025-02-01",
        "recorded_by": "sup",
        "reason": "expungement order 2025/7",
        "previous_hash": enrolled.event_hash,
    }
    ident = str(client_id("GA-1"))
    old_shape["event_hash"] = content_hash(ident, 2, ClientSealed.TOPIC, old_shape)
    ledger.recorder.insert_events(
        [StoredEvent(client_id("GA-1"), 2, ClientSealed.TOPIC, orjson.dumps(old_shape))]
    )
    sealed = ledger.get_client("GA-1").history[-1]
    assert isinstance(sealed, ClientSealed)
    assert (sealed.ground.code, sealed.reference) == (SealGround.OTHER, "expungement order 2025/7")
    assert ledger.get_client("GA-1").state.sealed
    assert ledger.verify(actor="sup").ok
    # reading upgrades nothing in place
    stored = ledger.recorder.select_events(client_id("GA-1"))[1]
    assert "ground" not in orjson.loads(stored.state)
