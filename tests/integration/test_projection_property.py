"""Property: for random valid histories, the incrementally caught-up projection, the rebuilt one
and a brute-force recomputation straight from the events give exactly the same report."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reentry_ledger.application import Ledger
from reentry_ledger.domain.errors import InvalidInput, RuleViolated
from reentry_ledger.domain.events import (
    Assessed,
    ClientEvent,
    Corrected,
    Discharged,
    Enrolled,
    ViolationRecorded,
    ViolationResponded,
)
from reentry_ledger.projections.base import moment
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.reports.dimensions import DIMENSIONS
from reentry_ledger.reports.facts import (
    Assessment,
    ClientFacts,
    FactReader,
    ResponseFact,
    Violation,
)
from reentry_ledger.reports.violations import ReportRequest, report
from tests.builders import TODAY, projection_contents
from tests.reference_report import compute

START = date(2025, 1, 10)
CLIENTS = [("GA-1", "GA", "o-1", "parole"), ("GA-2", "GA", "o-2", "probation"),
           ("GB-1", "GB", "o-3", "reentry"), ("GB-2", "GB", "o-3", "parole")]  # fmt: skip

days = st.integers(min_value=0, max_value=370)
steps = st.tuples(
    st.integers(min_value=0, max_value=len(CLIENTS) - 1),
    st.sampled_from(
        [
            "assess",
            "violation",
            "violation",
            "respond",
            "respond",
            "correct",
            "correct",
            "catch_up",
            "discharge",
        ]
    ),
    days,
    st.integers(min_value=0, max_value=6),
)


def apply(ledger: Ledger, runner: ProjectionRunner, step: tuple[int, str, int, int]) -> None:
    index, action, offset, pick = step
    ref = CLIENTS[index][0]
    on = START + timedelta(days=offset)
    if action == "catch_up":
        runner.catch_up()
    elif action == "assess":
        level = ["low", "moderate", "high", "very_high"][pick % 4]
        ledger.assess(ref, actor="t", on=on, instrument="ORAS", risk_level=level)
    elif action == "violation":
        ledger.record_violation(
            ref,
            actor="t",
            on=on,
            technical=("curfew",) if pick % 2 == 0 else (),
            absconding=pick in (1, 2),
            new_offence="felony" if pick >= 5 else ("misdemeanor" if pick == 3 else None),
        )
    elif action == "respond":
        response = ["warning", "sanction", "revocation"][pick % 3]
        ledger.respond_to_violation(
            ref, f"V{pick % 3 + 1}", response, actor="t", on=on, custody_days=pick
        )
    elif action == "discharge":
        ledger.discharge(ref, actor="t", on=on, outcome="successful")
    elif action == "correct":
        events = len(ledger.get_client(ref).history)
        target = 2 + pick % max(events - 1, 1)
        ledger.correct(ref, target, actor="t", reason="mistake", on=TODAY)


def facts_from_events(history: list[ClientEvent], known_at: datetime | None) -> ClientFacts | None:
    """Straight from the events, with none of the projection code."""
    known = [e for e in history if known_at is None or e.timestamp <= known_at]
    if not known:
        return None
    retracted = {e.corrects for e in known if isinstance(e, Corrected)}
    effective = [e for e in known if e.number not in retracted]
    enrolled = effective[0]
    assert isinstance(enrolled, Enrolled)
    facts = ClientFacts(
        str(enrolled.originator_id), enrolled.agency, enrolled.officer,
        enrolled.supervision.code.value, enrolled.juvenile, enrolled.occurred_on,
    )  # fmt: skip
    for event in effective:
        if isinstance(event, Discharged):
            facts.discharged_on, facts.outcome = event.occurred_on, event.outcome.code.value
        elif isinstance(event, Assessed):
            facts.assessments.append(
                Assessment(event.occurred_on, event.number, event.risk_level.code.value)
            )
        elif isinstance(event, ViolationRecorded):
            facts.violations.append(
                Violation(event.occurred_on, event.number, event.violation_id, event.category.value)
            )
    live = {v.violation_id for v in facts.violations}
    for event in effective:
        if isinstance(event, ViolationResponded) and event.violation_id in live:
            facts.responses.append(
                ResponseFact(
                    event.occurred_on,
                    event.number,
                    event.violation_id,
                    event.response.code.value,
                    event.custody_days,
                )
            )
    return facts


requests = st.builds(
    ReportRequest,
    today=st.just(TODAY),
    by=st.lists(st.sampled_from(DIMENSIONS), unique=True, max_size=3).map(tuple),
    period=st.sampled_from([None, "month", "quarter", "year"]),
    first=st.sampled_from([None, date(2025, 3, 1)]),
    last=st.sampled_from([None, date(2025, 10, 31)]),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(steps, min_size=10, max_size=60), requests, st.floats(min_value=0, max_value=1))
def test_incremental_rebuilt_and_brute_force_reports_agree(
    sequence: list[tuple[int, str, int, int]], request: ReportRequest, cut: float
) -> None:
    folder = tempfile.mkdtemp()
    ledger = Ledger(f"sqlite:///{folder}/ledger.db", clock=lambda: TODAY)
    try:
        runner = ProjectionRunner(ledger, page_size=7)
        for ref, agency, officer, supervision in CLIENTS:
            ledger.enroll(
                ref, actor="t", start=START, agency=agency, officer=officer, supervision=supervision
            )
        for step in sequence:
            with contextlib.suppress(RuleViolated, InvalidInput):
                apply(ledger, runner, step)
        histories = [ledger.get_client(ref).history for ref, *_ in CLIENTS]
        stamps = sorted(e.timestamp for history in histories for e in history)
        known_at = stamps[int(cut * (len(stamps) - 1))] if cut < 1 else None

        def from_projection() -> list[dict[str, Any]]:
            reader = FactReader(runner.store, moment(known_at) if known_at else None)
            return report(runner.store, request, reader.known_at, reader.earliest_start())

        runner.catch_up()
        incremental = from_projection()
        runner.rebuild()
        rebuilt, rows_paged_in = from_projection(), projection_contents(ledger)
        ProjectionRunner(ledger, page_size=7, workers=0, stage_from=1).rebuild()
        assert from_projection() == rebuilt
        assert projection_contents(ledger) == rows_paged_in
        facts = [f for h in histories if (f := facts_from_events(h, known_at)) is not None]
        earliest = min((f.start_on for f in facts), default=None)
        brute_force = compute(facts, request, earliest)
        assert incremental == rebuilt == brute_force
    finally:
        ledger.close()
        shutil.rmtree(folder)
