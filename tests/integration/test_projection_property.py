"""Property: for random valid histories, the incrementally caught-up projection, the rebuilt one
and a brute-force recomputation straight from the events give exactly the same report.

The histories hold violations (technical, absconding, new offences with a basis), their
recommendations and decisions (warnings, custody sanctions, revocations decided by a court or a
board that end the term, revocations stored before decisions ended terms and the discharges
that cite them), dispositions (also after the term's end), incentives, corrections (a retracted
decision reopens its term), and every status change; the reports asked for vary the window of
attribution and set dismissed new offences aside or not. Casework runs through them too (goals
and their progress, referrals for needs and goals with their reasons, typed contacts, programme
places and sessions, volunteer matches), and the casework reports (needs, programmes, contacts)
caught up event by event equal them rebuilt."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reentry_ledger.application import Ledger
from reentry_ledger.domain.client import Stamp, coded
from reentry_ledger.domain.codes import (
    AgeBand,
    CustodyReason,
    Ethnicity,
    Race,
    Sex,
    SupervisionLevel,
    values,
)
from reentry_ledger.domain.errors import InvalidInput, RuleViolated
from reentry_ledger.domain.events import (
    Absconded,
    Assessed,
    ClientEvent,
    CodedText,
    Corrected,
    CustodyEnded,
    CustodyStarted,
    Discharged,
    DispositionRecorded,
    Enrolled,
    LevelChanged,
    Reassigned,
    Returned,
    TermStarted,
    ViolationRecorded,
    ViolationResponded,
)
from reentry_ledger.domain.recording import checked_event, finished, keep
from reentry_ledger.projections.base import moment
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.reports import tallies as tallies_module
from reentry_ledger.reports import violations
from reentry_ledger.reports.contacts import report as contacts_report
from reentry_ledger.reports.dimensions import DIMENSIONS
from reentry_ledger.reports.facts import (
    Assessment,
    ClientFacts,
    Discharge,
    FactReader,
    ResponseFact,
    StatusFact,
    TermFact,
    Violation,
)
from reentry_ledger.reports.kept import kept_segments
from reentry_ledger.reports.needs import NeedsRequest
from reentry_ledger.reports.needs import report as needs_report
from reentry_ledger.reports.programmes import report as programmes_report
from reentry_ledger.reports.tallies import tallies
from reentry_ledger.reports.violations import ReportRequest, report
from tests.builders import TODAY, projection_contents
from tests.conftest import POSTGRES_URL, drop_schema, require_postgres
from tests.reference_report import compute, day_by_day, helpers_day_by_day

START = date(2025, 1, 10)
CLIENTS = [("GA-1", "GA", "o-1", "parole"), ("GA-2", "GA", "o-2", "probation"),
           ("GB-1", "GB", "o-3", "reentry"), ("GB-2", "GB", "o-3", "parole")]  # fmt: skip
OFFICERS = [("GA", "o-1"), ("GA", "o-2"), ("GA", "o-4"), ("GB", "o-3"), ("GB", "o-5")]
SUPERVISIONS = ["parole", "probation", "reentry"]
LEVELS = values(SupervisionLevel)
CUSTODY = values(CustodyReason)
RESPONSES = ["warning", "custody_sanction", "revocation", "curfew", "revocation"]
BODIES = ["court", "officer", "parole_board"]
BASES = [None, "arrest", "charge", "conviction"]
DISPOSITIONS = ["pending", "convicted", "dismissed", "acquitted"]

days = st.integers(min_value=0, max_value=370)
steps = st.tuples(
    st.integers(min_value=0, max_value=len(CLIENTS) - 1),
    st.sampled_from(
        [
            "assess",
            "violation",
            "violation",
            "violation",
            "violation",
            "respond",
            "respond",
            "respond",
            "legacy_revocation",
            "disposition",
            "disposition",
            "incentive",
            "correct",
            "correct",
            "catch_up",
            "discharge",
            "discharge",
            "new_term",
            "new_term",
            "reassign",
            "reassign",
            "level",
            "custody",
            "custody",
            "custody_end",
            "custody_end",
            "abscond",
            "abscond",
            "return",
            "seal",  # done on one pick in seven only: a seal is rare, and final
            "goal",
            "goal",
            "refer",
            "refer",
            "contact",
            "contact",
            "programme",
            "programme",
            "match",
        ]
    ),
    days,
    st.integers(min_value=0, max_value=6),
)
# who each client is: sex, race, ethnicity, birth year (None: not given) or a given age band
people = st.tuples(
    st.sampled_from([None, *values(Sex)]),
    st.sampled_from([None, "black", "white", "asian", "unknown"]),
    st.sampled_from([None, *values(Ethnicity)]),
    st.one_of(st.none(), st.integers(min_value=1940, max_value=2008)),
    st.sampled_from([None, None, "35_44", "unknown"]),
)


def apply(ledger: Ledger, runner: ProjectionRunner, step: tuple[int, str, int, int]) -> None:
    index, action, offset, pick = step
    ref = CLIENTS[index][0]
    on = dated(ledger, ref, offset)
    if action == "catch_up":
        runner.catch_up()
    elif action == "assess":
        level = ["low", "moderate", "high", "very_high"][pick % 4]
        ledger.assess(ref, actor="t", on=on, instrument="ORAS", risk_level=level)
    elif action == "violation":
        new_offence = "felony" if pick >= 5 else ("misdemeanor" if pick == 3 else None)
        ledger.record_violation(
            ref,
            actor="t",
            on=on,
            technical=("curfew",) if pick % 2 == 0 else (),
            absconding=pick in (1, 2),
            new_offence=new_offence,
            basis=BASES[offset % 4] if new_offence else None,
        )
    elif action == "respond":
        # a recommendation one time in five; a decision by the officer, a court or a board
        response = RESPONSES[pick % 5]
        ledger.respond_to_violation(
            ref,
            violation_of(ledger, ref, offset, undecided=True),
            response,
            actor="t",
            on=on,
            custody_days=pick * 3 if response in ("custody_sanction", "revocation") else None,
            decided_by=BODIES[(offset // 4) % 3],
            recommendation=offset % 5 == 0,
        )
    elif action == "legacy_revocation":
        violation_id = violation_of(ledger, ref, offset, undecided=True)
        legacy_revocation(ledger, ref, violation_id, on, discharged=pick % 2 == 0)
    elif action == "disposition":
        violation_id = violation_of(ledger, ref, offset, new_offence=True)
        ledger.record_disposition(ref, violation_id, DISPOSITIONS[pick % 4], actor="t", on=on)
    elif action == "incentive":
        ledger.grant_incentive(ref, actor="t", on=on, kind="commendation")
    elif action == "discharge":
        ledger.discharge(ref, actor="t", on=on, outcome="successful")
    elif action == "new_term":
        agency, officer = OFFICERS[pick % len(OFFICERS)]
        if not ledger.get_client(ref).state.is_discharged:
            ledger.discharge(ref, actor="t", on=on, outcome="successful")
            on = min(on + timedelta(days=pick * 5), TODAY)
        ledger.enroll(
            ref,
            actor="t",
            start=on,
            agency=agency,
            officer=officer,
            supervision=SUPERVISIONS[pick % 3],
            age_band="55_and_older" if pick == 6 else None,
        )
    elif action == "reassign":
        agency, officer = OFFICERS[pick % len(OFFICERS)]
        ledger.reassign(ref, actor="t", on=on, officer=officer, agency=agency)
    elif action == "level":
        ledger.change_level(ref, actor="t", on=on, level=LEVELS[pick % len(LEVELS)])
    elif action == "custody":
        ledger.start_custody(ref, actor="t", on=on, reason=CUSTODY[pick % len(CUSTODY)])
        if pick % 3 != 2:  # ended (the same day when pick is 0), or left open
            ledger.end_custody(ref, actor="t", on=min(on + timedelta(days=pick * 4), TODAY))
    elif action == "custody_end":
        ledger.end_custody(ref, actor="t", on=on)
    elif action == "abscond":
        ledger.abscond(ref, actor="t", on=on)
        if pick % 3 != 2:
            ledger.record_return(ref, actor="t", on=min(on + timedelta(days=pick * 6), TODAY))
    elif action == "return":
        ledger.record_return(ref, actor="t", on=on)
    elif action in CASEWORK:
        CASEWORK[action](ledger, ref, on, offset, pick)
    elif action == "seal" and pick == 0:
        ledger.seal(ref, actor="t", reason="court order")
    elif action == "correct":
        events = len(ledger.get_client(ref).history)
        target = 2 + pick % max(events - 1, 1)
        ledger.correct(ref, target, actor="t", reason="mistake", on=TODAY)


NEEDS = ["school_work", "substance_use", "family_marital"]
SERVICES = ["employment", "substance_use", "family", "housing"]
CONTACT_KINDS = ["casework", "office", "home", "field", "phone_video", "collateral", "group"]
GOAL_STATUSES = ["in_progress", "achieved", "abandoned", "in_progress"]
REFERRAL_STEPS = {"made": ["accepted", "declined"], "accepted": ["started", "dropped"],
                  "started": ["completed", "dropped"]}  # fmt: skip


def goal(ledger: Ledger, ref: str, on: date, offset: int, pick: int) -> None:
    """A goal added (with a target) or one of the plan's goals progressed or reordered."""
    plan = ledger.get_client(ref).state.open_plan
    if not plan or pick >= 4:
        ledger.add_goal(ref, actor="t", on=on, need=NEEDS[pick % 3], description="aim",
                        target=on + timedelta(days=30 * pick))  # fmt: skip
    elif pick == 3 and len(plan) > 1:
        ledger.reorder_goal(ref, plan[-1], actor="t", on=on, priority=1)
    else:
        ledger.progress_goal(ref, plan[offset % len(plan)], actor="t", on=on,
                             status=GOAL_STATUSES[pick % 4])  # fmt: skip
    if offset % 7 == 0:
        ledger.assess(ref, actor="t", on=on, instrument="ORAS", risk_level="high",
                      needs=tuple(NEEDS[: 1 + pick % 3]))  # fmt: skip


def refer(ledger: Ledger, ref: str, on: date, offset: int, pick: int) -> None:
    """A referral for a need or a goal, or the next status of an open one (with a reason)."""
    state = ledger.get_client(ref).state
    open_ = [r for r in state.referrals.values() if r.is_open]
    if open_ and pick < 4:
        referral = open_[offset % len(open_)]
        status = REFERRAL_STEPS[referral.status][pick % 2]
        reason = "no_show" if status in ("declined", "dropped") else None
        ledger.update_referral(ref, referral.referral_id, status, actor="t", on=on, reason=reason)
        return
    plan = state.open_plan
    serves = {"goal": plan[0]} if plan and pick == 5 else {"need": NEEDS[pick % 3]}
    ledger.refer(ref, actor="t", on=on, service=SERVICES[offset % 4], **serves)


def contact(ledger: Ledger, ref: str, on: date, offset: int, pick: int) -> None:
    ledger.log_contact(ref, actor="t", on=on, kind=CONTACT_KINDS[(offset + pick) % 7])


def programme(ledger: Ledger, ref: str, on: date, offset: int, pick: int) -> None:
    """A place in the agency's programme, a session of it, or the place's end."""
    state = ledger.get_client(ref).state
    place = state.programmes.get("Group")
    if place is None or not place.is_open:
        ledger.enrol_in_programme("Group", [ref], actor="t", on=on)
    elif pick == 6:
        ledger.end_programme_place(ref, "Group", actor="t", on=on,
                                   outcome=["completed", "dropped_out"][offset % 2])  # fmt: skip
    else:
        attended, missed = ([ref], []) if pick % 3 else ([], [ref])
        ledger.record_programme_session("Group", actor="t", on=on, attended=attended,
                                        missed=missed, agency=state.agency)  # fmt: skip


def match(ledger: Ledger, ref: str, on: date, offset: int, pick: int) -> None:
    if ledger.get_client(ref).state.active_match is None:
        ledger.match_volunteer(ref, actor="t", on=on, volunteer=f"v-{pick}")
    else:
        ledger.end_volunteer_match(ref, actor="t", on=on,
                                   ending=["completed", "taken_back", "failed"][offset % 3])  # fmt: skip


CASEWORK = {"goal": goal, "refer": refer, "contact": contact, "programme": programme,
            "match": match}  # fmt: skip


def casework_reports(ledger: Ledger, runner: ProjectionRunner, known_at: datetime | None) -> Any:
    """The casework reports over the whole story, as the projections hold it."""
    reader = FactReader(runner.store, moment(known_at) if known_at else None)
    request = NeedsRequest(START, TODAY, TODAY, ("risk", "agency"))
    return (
        needs_report(runner.store, request, reader.known_at),
        programmes_report(reader, START, TODAY),
        contacts_report(reader, START, TODAY, ("officer", "level")),
    )


def violation_of(
    ledger: Ledger, ref: str, offset: int, undecided: bool = False, new_offence: bool = False
) -> str:
    """One of the client's violations, picked by `offset`: of its current term and not yet
    decided (if there is one) for a response; any new offence for a disposition."""
    state = ledger.get_client(ref).state
    found = list(state.violations.values())
    if new_offence:
        found = [v for v in found if v.new_offence is not None]
    if undecided:
        own = [v for v in found if v.occurred_on >= state.start]
        found = [v for v in own if v.decision is None] or own
    if not found:  # none yet: one is recorded first, a week before (a new offence on odd days)
        on = dated(ledger, ref, offset) - timedelta(days=7)
        offence = "felony" if new_offence or offset % 2 else None
        ledger.record_violation(
            ref,
            actor="t",
            on=max(on, state.start),
            technical=() if offence else ("missed_drug_test",),
            new_offence=offence,
            basis=BASES[offset % 4] if offence else None,
        )
        return violation_of(ledger, ref, offset, undecided, new_offence)
    return found[offset % len(found)].violation_id


def legacy_revocation(
    ledger: Ledger, ref: str, violation_id: str, on: date, discharged: bool
) -> None:
    """A revocation by the officer as the first round stored it (a decision that ends nothing:
    what its version 1 event reads as), then, on `discharged`, the discharge that cites it."""
    client = ledger.get_client(ref)
    state = client.state
    violation = state.violations.get(violation_id)
    latest = state.last_effective_on or START
    if (
        violation is None
        or violation.decision is not None
        or state.is_discharged
        or violation.occurred_on < state.start
        or on < max(latest, violation.occurred_on)
    ):
        return
    stamp = Stamp(on=on, by="t", today=TODAY)
    event = checked_event(
        client,
        ViolationResponded,
        stamp,
        violation_id=violation_id,
        response=coded("revocation"),
        decided_by=coded("officer"),
    )
    keep(client, finished(client, event, stamp))
    ledger.save_with_keys(client, {})
    if discharged:
        outcome = "revoked_new_offence" if violation.new_offence else "revoked_technical"
        later = min(on + timedelta(days=7), TODAY)
        ledger.discharge(ref, actor="t", on=later, outcome=outcome, decision=violation_id)


def dated(ledger: Ledger, ref: str, offset: int) -> date:
    """Mostly a few weeks after the client's latest event (so that status changes, discharges
    and later terms are not refused as backdated); one step in eight anywhere in the year."""
    if offset >= 325:
        return START + timedelta(days=(offset - 325) * 8)
    latest = ledger.get_client(ref).state.last_effective_on or START
    return min(latest + timedelta(days=offset % 40), TODAY)


def facts_from_events(
    history: list[ClientEvent], known_at: datetime | None, reveal: Callable[[str], str]
) -> ClientFacts | None:
    """Straight from the events, with none of the projection code. `reveal` decrypts a
    personal field under the client's key ([sealed] once the key is gone)."""
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

    def code(value: CodedText | None, known: list[str]) -> str:
        text = None if value is None else reveal(value.code)
        return text if text in known else "unknown"

    person = enrolled.person
    facts.sex = code(person.sex, values(Sex))
    facts.race = code(person.race, values(Race))
    facts.ethnicity = code(person.ethnicity, values(Ethnicity))
    year = None if person.birth_year is None else reveal(person.birth_year)
    facts.birth_year = int(year) if year and year.isdigit() else None
    for event in effective:
        if isinstance(event, Enrolled | TermStarted):
            facts.terms.append(
                TermFact(
                    1 if isinstance(event, Enrolled) else event.term,
                    event.number,
                    event.occurred_on,
                    event.agency,
                    event.officer,
                    event.supervision.code.value,
                    event.start_reason.code.value if event.start_reason else None,
                    code(event.age_band, values(AgeBand)),
                )
            )
        elif isinstance(event, Discharged):
            facts.discharged_on, facts.outcome = event.occurred_on, event.outcome.code.value
            facts.discharges.append(Discharge(event.occurred_on, event.number, facts.outcome))
        elif isinstance(event, Reassigned):
            facts.status.append(
                StatusFact(event.occurred_on, event.number, "officer", event.officer, event.agency)
            )
        elif isinstance(event, LevelChanged):
            level = event.level.code.value
            facts.status.append(StatusFact(event.occurred_on, event.number, "level", level, None))
        elif isinstance(event, CustodyStarted | CustodyEnded):
            reason = event.reason.code.value if isinstance(event, CustodyStarted) else ""
            facts.status.append(
                StatusFact(event.occurred_on, event.number, "custody", reason, None)
            )
        elif isinstance(event, Absconded | Returned):
            value = "absconded" if isinstance(event, Absconded) else ""
            facts.status.append(
                StatusFact(event.occurred_on, event.number, "absconded", value, None)
            )
        elif isinstance(event, Assessed):
            facts.assessments.append(
                Assessment(event.occurred_on, event.number, event.risk_level.code.value)
            )
        elif isinstance(event, ViolationRecorded):
            offence = event.new_offence
            facts.violations.append(
                Violation(
                    event.occurred_on,
                    event.number,
                    event.violation_id,
                    event.category.value,
                    bool(event.technical),
                    event.absconding,
                    None if offence is None else offence.severity.code.value,
                    None if offence is None or offence.basis is None else offence.basis.code.value,
                )
            )
        elif isinstance(event, ViolationResponded) and event.term_outcome is not None:
            # a revocation decision that ended its term: the term's end
            facts.discharges.append(
                Discharge(
                    event.occurred_on, event.number, event.term_outcome.value, event.violation_id
                )
            )
    live = {v.violation_id: v for v in facts.violations}
    for event in effective:
        if isinstance(event, ViolationResponded) and event.violation_id in live:
            facts.responses.append(
                ResponseFact(
                    event.occurred_on,
                    event.number,
                    event.violation_id,
                    event.response.code.value,
                    event.custody_days,
                    event.decided_by.code.value,
                    event.recommendation,
                    None if event.term_outcome is None else event.term_outcome.value,
                )
            )
        elif isinstance(event, DispositionRecorded) and event.violation_id in live:
            live[event.violation_id].dispositions.append(
                (event.occurred_on, event.number, event.disposition.code.value)
            )
    return facts


requests = st.builds(
    ReportRequest,
    today=st.just(TODAY),
    by=st.lists(st.sampled_from(DIMENSIONS), unique=True, max_size=3).map(tuple),
    period=st.sampled_from([None, "month", "quarter", "year"]),
    first=st.sampled_from([None, date(2025, 3, 1)]),
    last=st.sampled_from([None, date(2025, 10, 31)]),
    window=st.sampled_from([365, 365, 30, 1]),
    exclude_dismissed=st.booleans(),
)


@contextlib.contextmanager
def empty_ledger(backend: str) -> Iterator[Ledger]:
    """A new ledger for one example: a temporary SQLite file, or a PostgreSQL schema of its own."""
    if backend == "sqlite":
        folder = tempfile.mkdtemp()
        url, dispose = f"sqlite:///{folder}/ledger.db", lambda: shutil.rmtree(folder)
    else:
        schema = f"t_{uuid.uuid4().hex[:12]}"
        separator = "&" if "?" in POSTGRES_URL else "?"
        url, dispose = f"{POSTGRES_URL}{separator}schema={schema}", lambda: drop_schema(schema)
    ledger = Ledger(url, clock=lambda: TODAY)
    try:
        yield ledger
    finally:
        ledger.close()
        dispose()


# what is known: everything (None), or as at a moment part way through the recording
cuts = st.one_of(st.none(), st.floats(min_value=0.3, max_value=1), st.floats(0, 1))
histories = (
    st.lists(steps, min_size=10, max_size=60),
    st.lists(people, min_size=len(CLIENTS), max_size=len(CLIENTS)),
    requests,
    cuts,
    st.booleans(),  # reports counted and kept part by part of the clients, as on a big ledger
    # the day the report is asked on midway: days before the last, its line kept to then
    st.sampled_from([0, 1, 30]),
)
History = tuple[str | None, str | None, str | None, int | None, str | None]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(*histories)
def test_incremental_rebuilt_and_brute_force_reports_agree(
    sequence: list[tuple[int, str, int, int]],
    who: list[History],
    request: ReportRequest,
    cut: float | None,
    parted: bool,
    gap: int,
) -> None:
    agree("sqlite", sequence, who, request, cut, parted, gap)


@pytest.mark.postgres
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(*histories)
def test_incremental_rebuilt_and_brute_force_reports_agree_on_postgresql(
    sequence: list[tuple[int, str, int, int]],
    who: list[History],
    request: ReportRequest,
    cut: float | None,
    parted: bool,
    gap: int,
) -> None:
    require_postgres()
    agree("postgresql", sequence, who, request, cut, parted, gap)


def agree(
    backend: str,
    sequence: list[tuple[int, str, int, int]],
    who: list[History],
    request: ReportRequest,
    cut: float | None,
    parted: bool,
    gap: int = 0,
) -> None:
    parts_from = 0 if parted else tallies_module.PARTS_FROM
    with (
        empty_ledger(backend) as ledger,
        mock.patch.object(tallies_module, "PARTS_FROM", parts_from),
    ):
        runner = ProjectionRunner(ledger, page_size=7)
        enrolled(ledger, who)
        for number, step in enumerate(sequence):
            if number == len(sequence) // 2:  # segments kept here, then cut again for some
                runner.catch_up()
                assert kept_segments(runner.store)
                # and the report's answer (by part, where parted): the parts of the clients
                # recorded for from here are counted again, the others read back; asked `gap`
                # days before the last (without --to, a line: reports/lines.py), moved to it
                earlier = replace(request, today=request.today - timedelta(days=gap))
                report(runner.store, earlier, None, FactReader(runner.store, None).earliest_start())
            with contextlib.suppress(RuleViolated, InvalidInput):
                apply(ledger, runner, step)
        clients = [ledger.get_client(ref) for ref, *_ in CLIENTS]
        stamps = sorted(e.timestamp for client in clients for e in client.history)
        known_at = None if cut is None else stamps[int(cut * (len(stamps) - 1))]

        def from_projection() -> list[dict[str, Any]]:
            reader = FactReader(runner.store, moment(known_at) if known_at else None)
            return report(runner.store, request, reader.known_at, reader.earliest_start())

        runner.catch_up()
        incremental = from_projection()
        assert from_projection() == incremental  # read back from the answer kept (ADR 33)
        with mock.patch.object(violations, "tallies", partial(tallies, keep=False)):
            assert from_projection() == incremental  # every term cut again, not kept
        casework_caught_up = casework_reports(ledger, runner, known_at)
        runner.rebuild()
        rebuilt, rows_paged_in = from_projection(), projection_contents(ledger)
        assert casework_reports(ledger, runner, known_at) == casework_caught_up
        ProjectionRunner(ledger, page_size=7, workers=0, stage_from=1).rebuild()
        assert from_projection() == rebuilt
        assert projection_contents(ledger) == rows_paged_in
        facts = facts_of(ledger, clients, known_at)
        earliest = min((f.start_on for f in facts), default=None)
        brute_force = compute(facts, request, earliest)
        assert incremental == rebuilt == brute_force
        # small counts hidden alike, with what the counts not shown hide (custody days)
        hiding = replace(request, suppress_below=3)
        reader = FactReader(runner.store, moment(known_at) if known_at else None)
        hidden = report(runner.store, hiding, reader.known_at, reader.earliest_start())
        assert hidden == compute(facts, hiding, earliest)
        # ClientFacts' helpers (caseload and the casework reports use them) say day by day
        # what the reference says, on the facts as the projections hold them
        reader = FactReader(runner.store, moment(known_at) if known_at else None)
        for client in reader.clients():
            assert helpers_day_by_day(client, START, TODAY) == day_by_day(client, START, TODAY)


def enrolled(ledger: Ledger, who: list[History]) -> None:
    """`CLIENTS` enrolled on `START`, as `who` says they are; a programme in each agency."""
    for (ref, agency, officer, supervision), (sex, race, ethnicity, born, band) in zip(
        CLIENTS, who, strict=True
    ):
        ledger.enroll(
            ref,
            actor="t",
            start=START,
            agency=agency,
            officer=officer,
            supervision=supervision,
            sex=sex,
            race=race,
            ethnicity=ethnicity,
            birth_year=born,
            age_band=band if born is None else None,
            juvenile=ref == "GB-1",
        )
    for agency in ("GA", "GB"):
        ledger.add_programme("Group", actor="t", service="family", agency=agency, on=START)


def applied(
    ledger: Ledger, runner: ProjectionRunner, sequence: list[tuple[int, str, int, int]]
) -> None:
    """Each step the rules allow (a refused one is skipped), then the projections caught up."""
    for step in sequence:
        with contextlib.suppress(RuleViolated, InvalidInput):
            apply(ledger, runner, step)
    runner.catch_up()


def facts_of(ledger: Ledger, clients: list[Any], known_at: str | None) -> list[Any]:
    """The reference's facts of `clients`, from their events (as known at `known_at`)."""
    return [
        f
        for client in clients
        if (f := facts_from_events(client.history, known_at, ledger.revealer(str(client.id))))
        is not None
    ]


# A report of today asked again on a later day (ahead of every date recorded: its line holds
# and is read back, moved to it; in the months, quarters and a year begun since, run on into
# them), or of an earlier day asked again today (its line holds only if nothing is dated in
# between: reports/lines.py)
days_asked = st.one_of(
    st.tuples(st.just(TODAY), st.integers(1, 400).map(lambda n: TODAY + timedelta(days=n))),
    st.tuples(st.integers(1, 400).map(lambda n: TODAY - timedelta(days=n)), st.just(TODAY)),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(steps, min_size=10, max_size=60),
       st.lists(people, min_size=len(CLIENTS), max_size=len(CLIENTS)),
       requests.filter(lambda request: request.last is None), days_asked, st.booleans())  # fmt: skip
def test_a_line_read_back_on_a_later_day_agrees_with_brute_force(
    sequence: list[tuple[int, str, int, int]],
    who: list[History],
    request: ReportRequest,
    days: tuple[date, date],
    parted: bool,
) -> None:
    parts_from = 0 if parted else tallies_module.PARTS_FROM
    with (
        empty_ledger("sqlite") as ledger,
        mock.patch.object(tallies_module, "PARTS_FROM", parts_from),
    ):
        runner = ProjectionRunner(ledger, page_size=7)
        enrolled(ledger, who)
        applied(ledger, runner, sequence)
        earliest = FactReader(runner.store, None).earliest_start()
        counted_on, asked_on = (replace(request, today=day) for day in days)
        report(runner.store, counted_on, None, earliest)  # kept as a line
        clients = [ledger.get_client(ref) for ref, *_ in CLIENTS]
        facts = facts_of(ledger, clients, None)
        assert report(runner.store, asked_on, None, earliest) == compute(
            facts, asked_on, min((f.start_on for f in facts), default=None)
        )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(steps, min_size=10, max_size=50), st.lists(steps, min_size=1, max_size=5),
       st.lists(people, min_size=len(CLIENTS), max_size=len(CLIENTS)),
       requests.filter(lambda request: request.last is None and request.period is not None),
       st.booleans())  # fmt: skip
def test_a_report_split_by_period_asked_again_after_new_events_agrees_with_brute_force(
    sequence: list[tuple[int, str, int, int]],
    more: list[tuple[int, str, int, int]],
    who: list[History],
    request: ReportRequest,
    parted: bool,
) -> None:
    """A report split by period, kept whole (a small ledger) or by part (`parted`, as past
    `PARTS_FROM` events), and asked again after more events: its periods before the first day
    they could change read back, the rest counted (`answers.mended`; by part, for the parts of
    the events' clients: `parts_mended`), or all counted (an event that could change an earlier
    day than its own): the figures counting every client from its events gives."""
    parts_from = 0 if parted else tallies_module.PARTS_FROM
    with (
        empty_ledger("sqlite") as ledger,
        mock.patch.object(tallies_module, "PARTS_FROM", parts_from),
    ):
        runner = ProjectionRunner(ledger, page_size=7)
        enrolled(ledger, who)
        applied(ledger, runner, sequence)
        report(runner.store, request, None, FactReader(runner.store, None).earliest_start())
        applied(ledger, runner, more)
        earliest = FactReader(runner.store, None).earliest_start()
        clients = [ledger.get_client(ref) for ref, *_ in CLIENTS]
        facts = facts_of(ledger, clients, None)
        assert report(runner.store, request, None, earliest) == compute(
            facts, request, min((f.start_on for f in facts), default=None)
        )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(steps, min_size=10, max_size=50),
       st.lists(st.tuples(st.lists(steps, min_size=1, max_size=5), st.sampled_from([0, 1, 40])),
                min_size=1, max_size=3),
       st.lists(people, min_size=len(CLIENTS), max_size=len(CLIENTS)), requests,
       st.booleans(), st.sampled_from([0, 30, 90]))  # fmt: skip
def test_a_report_kept_by_part_asked_again_round_after_round_agrees_with_brute_force(
    sequence: list[tuple[int, str, int, int]],
    rounds: list[tuple[list[tuple[int, str, int, int]], int]],
    who: list[History],
    request: ReportRequest,
    fine: bool,
    gap: int,
) -> None:
    """A report kept by part (16 parts, or 256: `fine`), its whole beside them, asked again
    after each round of more events: the whole less the old sums of the parts whose clients
    moved, plus their new ones (`answers.combined`; ADR 39), each round from the whole the
    round before kept, some days later (its line moved on, within its horizon or not; the
    first asked `gap` days before the last): the figures counting every client from its
    events gives."""
    finest = 10**9 if fine else 0
    with (
        empty_ledger("sqlite") as ledger,
        mock.patch.object(tallies_module, "PARTS_FROM", 0),
        mock.patch.object(tallies_module, "FINE_GROUPS", finest),
        mock.patch.object(tallies_module, "FINE_THIN_GROUPS", finest),
    ):
        runner = ProjectionRunner(ledger, page_size=7)
        enrolled(ledger, who)
        applied(ledger, runner, sequence)
        request = replace(request, today=request.today - timedelta(days=gap))
        report(runner.store, request, None, FactReader(runner.store, None).earliest_start())
        for more, later in rounds:
            applied(ledger, runner, more)
            earliest = FactReader(runner.store, None).earliest_start()
            clients = [ledger.get_client(ref) for ref, *_ in CLIENTS]
            facts = facts_of(ledger, clients, None)
            request = replace(request, today=request.today + timedelta(days=later))
            assert report(runner.store, request, None, earliest) == compute(
                facts, request, min((f.start_on for f in facts), default=None)
            )
