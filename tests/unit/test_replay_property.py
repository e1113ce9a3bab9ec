"""Property: replaying a client's stored events gives exactly the live aggregate's state,
whatever sequence of commands (accepted or refused) built it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reentry_ledger.domain.client import Client, coded
from reentry_ledger.domain.codes import (
    DecidingBody,
    DischargeOutcome,
    Disposition,
    Incentive,
    MatchEnding,
    Need,
    NewOffenceBasis,
    OffenceSeverity,
    ReferralStatus,
    Response,
    RiskLevel,
    Service,
    TechnicalViolation,
    values,
)
from reentry_ledger.domain.errors import InvalidInput, RuleViolated
from reentry_ledger.persistence import OrjsonTranscoder, PydanticMapper
from tests.builders import START, new_client, stamp

days = st.integers(min_value=-5, max_value=420)  # some before enrolment, some in the future
small = st.integers(min_value=1, max_value=4)


def pick(code_list: Any) -> st.SearchStrategy[str]:
    return st.sampled_from(values(code_list))


steps = st.one_of(
    st.tuples(st.just("assess"), days, pick(RiskLevel), st.lists(pick(Need), max_size=3)),
    st.tuples(st.just("refer"), days, pick(Service)),
    st.tuples(st.just("update_referral"), days, small, pick(ReferralStatus)),
    st.tuples(st.just("contact"), days, st.booleans()),
    st.tuples(st.just("match"), days, st.sampled_from(["v-1", "v-2"])),
    st.tuples(st.just("unmatch"), days, pick(MatchEnding)),
    st.tuples(
        st.just("violation"),
        days,
        st.lists(pick(TechnicalViolation), max_size=2),
        st.booleans(),
        st.none() | pick(OffenceSeverity),
        st.none() | pick(NewOffenceBasis),
    ),
    st.tuples(
        st.just("respond"),
        days,
        small,
        pick(Response),
        st.none() | st.integers(min_value=1, max_value=40),
        pick(DecidingBody),
        st.booleans(),
    ),
    st.tuples(st.just("disposition"), days, small, pick(Disposition)),
    st.tuples(st.just("incentive"), days, pick(Incentive)),
    st.tuples(st.just("discharge"), days, pick(DischargeOutcome), st.none() | small),
    st.tuples(st.just("correct"), days, st.integers(min_value=1, max_value=12)),
)


def run(client: Client, step: tuple[Any, ...]) -> None:
    name, offset, *args = step
    at = stamp(START + timedelta(days=offset))
    match name:
        case "assess":
            client.assess(
                at, instrument="ORAS", risk_level=coded(args[0]), needs=[coded(n) for n in args[1]]
            )
        case "refer":
            client.refer(at, service=coded(args[0]))
        case "update_referral":
            client.update_referral(at, f"R{args[0]}", coded(args[1]))
        case "contact":
            client.log_contact(at, kind=coded("casework"), note="n", confidential=args[0])
        case "match":
            client.match_volunteer(at, volunteer=args[0])
        case "unmatch":
            client.end_volunteer_match(at, ending=coded(args[0]))
        case "violation":
            technical, absconding, severity, basis = args
            client.record_violation(
                at,
                technical=[coded(t) for t in technical],
                absconding=absconding,
                new_offence=coded(severity) if severity else None,
                basis=coded(basis) if basis and severity else None,
            )
        case "respond":
            number, response, custody_days, by, recommendation = args
            client.respond_to_violation(
                at,
                f"V{number}",
                response=coded(response),
                custody_days=custody_days,
                decided_by=coded(by),
                recommendation=recommendation,
            )
        case "disposition":
            client.record_disposition(at, f"V{args[0]}", disposition=coded(args[1]))
        case "incentive":
            client.grant_incentive(at, kind=coded(args[0]))
        case "discharge":
            decision = f"V{args[1]}" if args[1] else None
            client.discharge(at, outcome=coded(args[0]), decision=decision)
        case "correct":
            client.correct(at, args[0], "correction")


@settings(max_examples=200, deadline=None)
@given(st.lists(steps, max_size=25))
def test_replay_of_stored_events_equals_live_state(sequence: list[tuple[Any, ...]]) -> None:
    live = new_client()
    for step in sequence:
        version = live.version
        try:
            run(live, step)
        except (RuleViolated, InvalidInput):
            assert live.version == version, "a refused command must record nothing"
        else:
            assert live.version == version + 1, "a command records exactly one event"

    mapper = PydanticMapper(transcoder=OrjsonTranscoder())
    stored = [mapper.to_stored_event(event) for event in live.collect_events()]
    replayed: Client | None = None
    for record in stored:
        replayed = mapper.to_domain_event(record).mutate(replayed)  # type: ignore[attr-defined]

    assert replayed is not None
    assert replayed.history == live.history
    assert replayed.retracted == live.retracted
    assert replayed.state == live.state
