"""Commands that record casework: each records exactly one event on one client."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from reentry_ledger.application import Recorded
from reentry_ledger.cli import cli
from reentry_ledger.cli.context import LedgerContext, ledger_options, pass_context
from reentry_ledger.cli.params import (
    DAYS,
    DECIMAL,
    ISO_DATE,
    NAME,
    codes,
    json_option,
    on_option,
)
from reentry_ledger.cli.render import echo_json
from reentry_ledger.domain.codes import (
    GRADUATED_RESPONSES,
    Condition,
    ContactKind,
    DecidingBody,
    DischargeOutcome,
    Disposition,
    Ethnicity,
    Incentive,
    MatchEnding,
    Need,
    NewOffenceBasis,
    OffenceSeverity,
    OffenceType,
    Race,
    ReferralReason,
    ReferralStatus,
    Response,
    RiskLevel,
    SealGround,
    Service,
    Sex,
    SupervisionType,
    TechnicalViolation,
    TermStartReason,
    values,
)
from reentry_ledger.domain.volunteer import VOLUNTEER_ID

TYPED_ENDINGS = [e for e in values(MatchEnding) if e != MatchEnding.TERM_ENDED]  # ledger's own
REPORTABLE_SEVERITIES = [s for s in values(OffenceSeverity) if s != OffenceSeverity.UNKNOWN]
REFERRAL_UPDATES = [s for s in values(ReferralStatus) if s != ReferralStatus.MADE]
# The graduated responses, mildest first, then the first round's `sanction` (still taken).
RESPONSES = [*(r.value for r in GRADUATED_RESPONSES), Response.SANCTION.value]


def confirm(recorded: Recorded) -> None:
    """Say what was recorded, on stderr, so stdout carries only data."""
    click.echo(
        f"{recorded.ref}: recorded event {recorded.number} ({recorded.event_type})", err=True
    )


@cli.command()
@click.argument("ref")
@click.option("--name", default=None, help="The person's name (personal data).")
@click.option("--agency", required=True, help="The supervising agency.")
@click.option("--officer", required=True, help="The responsible officer.")
@click.option("--supervision", required=True, type=codes(SupervisionType))
@click.option("--start", type=ISO_DATE, default=None, help="Start date (default: today, UTC).")
@click.option("--expected-end", type=ISO_DATE, default=None, help="Expected end of supervision.")
@click.option("--condition", "conditions", multiple=True, type=codes(Condition), help="Repeatable.")
@click.option("--juvenile", is_flag=True, help="The client is a juvenile (first term only).")
@click.option(
    "--start-reason", type=codes(TermStartReason), default=None, help="Why the term starts."
)
@click.option("--sex", type=codes(Sex), default=None, help="Personal data (first term only).")
@click.option("--race", type=codes(Race), default=None, help="Personal data (first term only).")
@click.option(
    "--ethnicity", type=codes(Ethnicity), default=None, help="Personal data (first term only)."
)
@click.option(
    "--birth-year",
    type=click.IntRange(1900, 2100),
    default=None,
    help="Personal data (first term only); reports use only the age band at a term's start.",
)
@ledger_options
@pass_context
def enroll(
    state: LedgerContext,
    ref: str,
    name: str | None,
    agency: str,
    officer: str,
    supervision: str,
    start: date | None,
    expected_end: date | None,
    conditions: tuple[str, ...],
    juvenile: bool,
    **person: Any,
) -> None:
    """Enroll client REF: intake, supervision type and conditions: a term of supervision.

    The first enrolment is event number 1, and may say who the person is (--sex, --race,
    --ethnicity, --birth-year: omitted is `unknown`), kept as personal data under the client's
    key. Enrolling a client whose term has ended (by `discharge`) starts its next term, dated
    on or after that end, with the term's own agency, officer, type and conditions; a client
    whose term is still open is refused (exit 3).

    \b
    Examples:
      reentry-ledger enroll GA-1 --agency GA --officer o-17 --supervision parole \\
        --start 2024-01-10 --condition report_weekly --condition drug_testing \\
        --sex female --race black --ethnicity not_hispanic --birth-year 1990
      reentry-ledger enroll GA-1 --agency GA --officer o-4 --supervision parole \\
        --start 2025-03-01 --start-reason release_to_parole
    """
    ledger = state.ledger
    confirm(
        ledger.enroll(
            ref,
            actor=state.actor_name,
            start=start or ledger.clock(),
            agency=agency,
            officer=officer,
            supervision=supervision,
            conditions=conditions,
            expected_end=expected_end,
            juvenile=juvenile,
            name=name,
            **person,
        )
    )


@cli.command()
@click.argument("ref")
@on_option
@click.option(
    "--instrument",
    required=True,
    help="The tool: ORAS, ORAS-CST, LSI-R, LS/CMI, LS/RNR, COMPAS, STRONG-R, PCRA, RMS, "
    "Static-99R, YLS/CMI, SAVRY, OYAS; any other is recorded as `other`, its name kept as "
    "personal data.",
)
@click.option("--instrument-version", default=None)
@click.option("--score", type=DECIMAL, default=None, help="The tool's score, in digits (12.5).")
@click.option("--risk", required=True, type=codes(RiskLevel), help="Risk level.")
@click.option("--need", "needs", multiple=True, type=codes(Need), help="Criminogenic need.")
@click.option("--responsivity", multiple=True, help="Responsivity factor (free text).")
@click.option("--strength", "strengths", multiple=True, help="A strength (free text).")
@ledger_options
@pass_context
def assess(state: LedgerContext, ref: str, on: date | None, **details: Any) -> None:
    """Record a risk/needs assessment of client REF.

    \b
    Example:
      reentry-ledger assess GA-1 --on 2024-01-15 --instrument ORAS --risk high \\
        --need substance_use --need school_work
    """
    risk = details.pop("risk")
    confirm(state.ledger.assess(ref, actor=state.actor_name, on=on, risk_level=risk, **details))


@cli.command()
@click.argument("ref")
@on_option
@click.option("--service", required=True, type=codes(Service))
@click.option("--provider", default=None, help="The provider referred to.")
@click.option("--goal", default=None, metavar="GOAL_ID",
              help="The plan's goal the referral serves (G1, as `show` lists them).")  # fmt: skip
@click.option("--need", default=None, type=codes(Need),
              help="The criminogenic need it serves, where no goal names it.")  # fmt: skip
@ledger_options
@pass_context
def refer(
    state: LedgerContext,
    ref: str,
    on: date | None,
    service: str,
    provider: str | None,
    goal: str | None,
    need: str | None,
) -> None:
    """Refer client REF to a service. Prints the new referral's id.

    A referral may say what it serves: one of the plan's open goals (--goal) or a need
    (--need), not both. `report needs` counts a referral as meeting a need when its service
    meets it, or it names the need or a goal tied to it.

    \b
    Example:
      reentry-ledger refer GA-1 --service housing --provider "Harbour House"
      reentry-ledger refer GA-1 --service employment --goal G2
      reentry-ledger refer GA-1 --service substance_use --need substance_use
    """
    recorded = state.ledger.refer(
        ref, actor=state.actor_name, on=on, service=service, provider=provider, goal=goal,
        need=need,
    )  # fmt: skip
    confirm(recorded)
    click.echo(recorded.new_id)


@cli.command()
@click.argument("ref")
@click.argument("referral_id")
@click.argument("status", type=click.Choice(REFERRAL_UPDATES))
@on_option
@click.option(
    "--reason",
    default=None,
    type=codes(ReferralReason),
    help="Why it was declined or dropped (required for those; refused otherwise).",
)
@ledger_options
@pass_context
def referral(
    state: LedgerContext,
    ref: str,
    referral_id: str,
    status: str,
    on: date | None,
    reason: str | None,
) -> None:
    """Move referral REFERRAL_ID of client REF to STATUS.

    A referral is made, then accepted or declined; accepted, then started (or dropped);
    started, then completed or dropped. A declined or dropped referral says why (--reason).

    \b
    Example:
      reentry-ledger referral GA-1 R1 accepted --on 2024-01-25
      reentry-ledger referral GA-1 R2 declined --reason no_capacity --on 2024-01-26
    """
    confirm(
        state.ledger.update_referral(
            ref, referral_id, status, actor=state.actor_name, on=on, reason=reason
        )
    )


@cli.command()
@click.argument("ref")
@on_option
@click.option("--kind", type=codes(ContactKind), default="casework", show_default=True)
@click.option("--note", default="", help="The case note.")
@click.option(
    "--confidential/--not-confidential",
    default=True,
    show_default=True,
    help="Confidential notes are shown only to the agency's casework staff.",
)
@click.option("--group-session", default=None, help="Id of the group session, for group work.")
@ledger_options
@pass_context
def contact(state: LedgerContext, ref: str, on: date | None, **details: Any) -> None:
    """Log a contact with client REF: casework or a group session, with a note.

    \b
    Example:
      reentry-ledger contact GA-1 --note "Discussed housing options"
    """
    confirm(state.ledger.log_contact(ref, actor=state.actor_name, on=on, **details))


@cli.command()
@click.argument("ref")
@on_option
@click.option(
    "--volunteer",
    required=True,
    help="The volunteer matched: a registered volunteer's id (VOL1, from `volunteer "
    "register`), or a name (kept under the client's key).",
)
@click.option("--need", "needs", multiple=True, type=codes(Need), help="What the match addresses.")
@ledger_options
@pass_context
def match(
    state: LedgerContext, ref: str, on: date | None, volunteer: str, needs: tuple[str, ...]
) -> None:
    """Match client REF with a volunteer (one active match at a time).

    A registered volunteer (VOL1, VOL2, ...) must be on the register of the client's agency
    and not have left (else exit 4); any other value is a name, as before the register.
    A match still open when the client's term ends is ended with it (`term_ended`).

    \b
    Examples:
      reentry-ledger match GA-1 --volunteer VOL3 --need family_marital
      reentry-ledger match GA-1 --volunteer v-204 --need family_marital
    """
    registered = VOLUNTEER_ID.fullmatch(volunteer) is not None
    confirm(
        state.ledger.match_volunteer(
            ref,
            actor=state.actor_name,
            on=on,
            volunteer=None if registered else volunteer,
            volunteer_id=volunteer if registered else None,
            needs=needs,
        )
    )


@cli.command()
@click.argument("ref")
@on_option
@click.option("--ending", type=click.Choice(TYPED_ENDINGS), default="completed", show_default=True)
@click.option("--reason", default=None)
@ledger_options
@pass_context
def unmatch(
    state: LedgerContext, ref: str, on: date | None, ending: str, reason: str | None
) -> None:
    """End client REF's active volunteer match.

    \b
    Example:
      reentry-ledger unmatch GA-1 --ending taken_back --reason "needs beyond the volunteer"
    """
    confirm(
        state.ledger.end_volunteer_match(
            ref, actor=state.actor_name, on=on, ending=ending, reason=reason
        )
    )


@cli.command()
@click.argument("ref")
@on_option
@click.option(
    "--technical",
    multiple=True,
    type=codes(TechnicalViolation),
    help="A condition breached (repeatable).",
)
@click.option("--absconding", is_flag=True, help="The client absconded.")
@click.option(
    "--new-offence",
    type=click.Choice(REPORTABLE_SEVERITIES),
    default=None,
    help="A new offence, by its severity.",
)
@click.option("--violent", is_flag=True, help="The new offence was violent.")
@click.option(
    "--basis",
    type=codes(NewOffenceBasis),
    default=None,
    help="What the new offence rests on (left out: not known, and reported as such).",
)
@click.option(
    "--offence-type",
    type=codes(OffenceType),
    default=None,
    help="The new offence's type, if known (a later `disposition` may give it).",
)
@click.option("--description", default=None)
@ledger_options
@pass_context
def violation(
    state: LedgerContext,
    ref: str,
    on: date | None,
    technical: tuple[str, ...],
    absconding: bool,
    new_offence: str | None,
    violent: bool,
    basis: str | None,
    offence_type: str | None,
    description: str | None,
) -> None:
    """Record one violation incident of client REF. Prints the new violation's id.

    Give at least one of --technical, --absconding, --new-offence; they combine into one
    incident, which audit counts once, as its most serious kind. --violent, --basis and
    --offence-type say more of the new offence; where its charge then stands is recorded by
    `disposition`.

    \b
    Examples:
      V=$(reentry-ledger violation GA-1 --on 2024-03-01 --technical failure_to_report)
      V=$(reentry-ledger violation GA-1 --on 2024-09-01 --new-offence felony \\
        --basis charge --offence-type drug)
    """
    recorded = state.ledger.record_violation(
        ref,
        actor=state.actor_name,
        on=on,
        technical=technical,
        absconding=absconding,
        new_offence=new_offence,
        violent=violent,
        basis=basis,
        offence_type=offence_type,
        description=description,
    )
    confirm(recorded)
    click.echo(recorded.new_id)


@cli.command()
@click.argument("ref")
@click.argument("violation_id")
@click.argument("response", metavar="RESPONSE", type=click.Choice(RESPONSES))
@on_option
@click.option(
    "--by",
    "decided_by",
    type=codes(DecidingBody),
    default="officer",
    show_default=True,
    help="Who decides (or recommends): a revocation is decided by a court or a parole board.",
)
@click.option(
    "--recommendation",
    is_flag=True,
    help="The officer's recommendation, not a decision: recorded and reported, never counted "
    "as a decision.",
)
@click.option(
    "--custody-days",
    type=DAYS,
    default=None,
    help="Days in custody: a custody_sanction or a revocation only.",
)
@ledger_options
@pass_context
def respond(
    state: LedgerContext,
    ref: str,
    violation_id: str,
    response: str,
    on: date | None,
    decided_by: str,
    recommendation: bool,
    custody_days: int | None,
) -> None:
    """Record the response to violation VIOLATION_ID of client REF: the decision, or with
    --recommendation the officer's recommendation.

    \b
    RESPONSE is one of the graduated responses, mildest first:
      warning, increased_reporting, curfew, electronic_monitoring, community_service,
      treatment_referral, custody_sanction, other_sanction, continuance (no change),
      revocation.
    The first round's `sanction` is still taken: it is recorded as custody_sanction with
    --custody-days, else as other_sanction.

    A violation gets one decision (by the officer within its authority, a court or a parole
    board); a second is refused (exit 3): an appeal or a reversal is a `correct` of the
    decision's event, then the new decision. Recommendations may come before it.

    A revocation is decided by a court or a parole board (--by court, --by parole_board); an
    officer's is a recommendation (without --recommendation it is refused, exit 3). A
    revocation decision ends the term, revoked for the most serious violation of the term in
    the 365 days before it (revoked_technical or revoked_new_offence): the command says which.
    No discharge follows it; a reinstatement is the `correct` of the decision's event, which
    reopens the term.

    An officer's custody_sanction for a technical violation stays within the agency's cap
    (`custody-caps`: 14 days for the term's first technical violation, 30 for a later one,
    unless the agency set its own); more is refused (exit 3) unless decided by a court or a
    parole board.

    \b
    Examples:
      reentry-ledger respond GA-1 V1 custody_sanction --on 2024-03-05 --custody-days 3
      reentry-ledger respond GA-1 V2 revocation --on 2024-09-10 --recommendation
      reentry-ledger respond GA-1 V2 revocation --on 2024-10-01 --by court
    """
    recorded = state.ledger.respond_to_violation(
        ref,
        violation_id,
        response,
        actor=state.actor_name,
        on=on,
        custody_days=custody_days,
        decided_by=decided_by,
        recommendation=recommendation,
    )
    confirm(recorded)


@cli.command()
@click.argument("ref")
@click.argument("violation_id")
@click.argument("disposition", type=codes(Disposition))
@on_option
@click.option(
    "--offence-type",
    type=codes(OffenceType),
    default=None,
    help="The new offence's type, as now known.",
)
@ledger_options
@pass_context
def disposition(
    state: LedgerContext,
    ref: str,
    violation_id: str,
    disposition: str,
    on: date | None,
    offence_type: str | None,
) -> None:
    """Record where the new offence of violation VIOLATION_ID of client REF stands in court.

    The latest by date holds; it may be recorded after the term has ended (a charge is often
    decided later). Only a violation with a new offence has a disposition (else exit 3).
    Reports count new offences by their current disposition, and may leave out those
    dismissed or acquitted (--exclude-dismissed).

    \b
    Example:
      reentry-ledger disposition GA-1 V2 convicted --on 2025-02-01 --offence-type drug
    """
    confirm(
        state.ledger.record_disposition(
            ref,
            violation_id,
            disposition,
            actor=state.actor_name,
            on=on,
            offence_type=offence_type,
        )
    )


@cli.command()
@click.argument("ref")
@on_option
@click.option("--kind", required=True, type=codes(Incentive), help="The incentive.")
@click.option("--note", default=None, help="A note (personal data).")
@ledger_options
@pass_context
def incentive(state: LedgerContext, ref: str, on: date | None, kind: str, note: str | None) -> None:
    """Record an incentive for client REF's compliance, during an open term.

    Reports count incentives beside sanctions, per 100 person-years at risk.

    \b
    Example:
      reentry-ledger incentive GA-1 --on 2024-05-01 --kind curfew_lifted
    """
    confirm(state.ledger.grant_incentive(ref, actor=state.actor_name, on=on, kind=kind, note=note))


@cli.command()
@click.argument("ref")
@on_option
@click.option("--outcome", required=True, type=codes(DischargeOutcome))
@click.option(
    "--decision",
    metavar="VIOLATION_ID",
    default=None,
    help="With a revoked outcome: the violation whose revocation decision, recorded before "
    "decisions ended terms, the discharge carries out.",
)
@click.option("--note", default=None)
@ledger_options
@pass_context
def discharge(
    state: LedgerContext,
    ref: str,
    on: date | None,
    outcome: str,
    decision: str | None,
    note: str | None,
) -> None:
    """Discharge client REF: its term ends. Afterwards only corrections may be recorded.

    A term is revoked by a revocation decision (`respond ... revocation --by court`), which
    ends it: no discharge follows one (exit 3). A revoked outcome (revoked_technical,
    revoked_new_offence) is taken only with --decision, citing a revocation decided before
    decisions ended terms; without it, it is refused (exit 3).

    \b
    Examples:
      reentry-ledger discharge GA-1 --on 2024-12-31 --outcome successful
      reentry-ledger discharge GA-7 --on 2023-05-02 --outcome revoked_technical --decision V3
    """
    confirm(
        state.ledger.discharge(
            ref, actor=state.actor_name, on=on, outcome=outcome, note=note, decision=decision
        )
    )


@cli.command("custody-caps")
@click.argument("agency", type=NAME)
@click.option(
    "--first",
    type=DAYS,
    default=None,
    help="Days an officer alone may decide for a term's first technical violation.",
)
@click.option(
    "--later",
    type=DAYS,
    default=None,
    help="Days an officer alone may decide for each later technical violation.",
)
@click.option(
    "--on",
    type=ISO_DATE,
    default=None,
    help="The day the caps are in force from (setting) or on (showing); default today, UTC.",
)
@json_option
@ledger_options
@pass_context
def custody_caps(
    state: LedgerContext,
    agency: str,
    first: int | None,
    later: int | None,
    on: date | None,
    as_json: bool,
) -> None:
    """Show the custody caps in force for AGENCY's officers, or set them (supervisors of
    that agency) with --first and --later, in force from --on (default today).

    A custody_sanction decided by the officer for a technical violation may hold the client
    in custody for at most the cap: the first for the term's first technical violation, the
    later for each after it. More needs a court or a parole board. Until the agency sets its
    own, the caps are the defaults (DOMAIN.md: 14 and 30 days). Each setting is an event on
    the ledger, with who set it and when; a decision is held to the caps in force on its own
    date.

    \b
    Examples:
      reentry-ledger custody-caps GA
      reentry-ledger custody-caps GA --first 10 --later 21 --on 2025-01-01
    """
    if (first is None) != (later is None):
        raise click.UsageError("give both --first and --later (days), or neither to show the caps")
    if first is not None and later is not None:
        if as_json:
            raise click.UsageError("--json goes with showing the caps, not setting them")
        state.ledger.set_custody_caps(agency, first, later, actor=state.actor_name, on=on)
        click.echo(
            f"{agency}: custody caps set: {first} days for a term's first technical violation, "
            f"{later} for each later one, from {on or 'today'}",
            err=True,
        )
        return
    caps = state.ledger.custody_caps_in_force(agency, actor=state.actor_name, on=on)
    if as_json:
        echo_json(caps)
        return
    source = "set by the agency" if caps.agency_set else "the defaults: the agency has set none"
    click.echo(f"{caps.agency}: custody caps in force ({source})")
    click.echo(f"  first technical violation of a term  {caps.first} days")
    click.echo(f"  each later technical violation       {caps.later} days")


@cli.command()
@click.argument("ref")
@click.argument("event_number", type=click.IntRange(min=1))
@click.option("--reason", required=True, help="Why the event is retracted.")
@on_option
@ledger_options
@pass_context
def correct(
    state: LedgerContext, ref: str, event_number: int, reason: str, on: date | None
) -> None:
    """Retract event EVENT_NUMBER of client REF (as numbered by `timeline`).

    The retracted event stays on record, marked as retracted by the correction.

    \b
    Example:
      reentry-ledger correct GA-1 6 --reason "entered on the wrong client"
    """
    confirm(state.ledger.correct(ref, event_number, actor=state.actor_name, reason=reason, on=on))


@cli.command()
@click.argument("ref")
@click.option("--ground", type=codes(SealGround), default=None, help="The legal ground.")
@click.option(
    "--reference",
    default=None,
    help="The ground's reference, e.g. a court order's number (stays readable: name no one).",
)
@click.option("--reason", default=None, help="Older form: the same as --ground other --reference.")
@ledger_options
@pass_context
def seal(
    state: LedgerContext, ref: str, ground: str | None, reference: str | None, reason: str | None
) -> None:
    """Seal client REF: destroy the key of its personal data, for good.

    Names, notes, goals, providers, reasons and every other free text become unreadable; the
    events stay, still counted in every report, and the ledger still verifies. Nothing more
    may be recorded for the client. The seal's ground and reference stay readable, for audit.

    \b
    Example:
      reentry-ledger seal GA-1 --ground court_order --reference "CO-2026/114"
    """
    recorded = state.ledger.seal(
        ref, actor=state.actor_name, ground=ground, reference=reference, reason=reason
    )
    if recorded:
        confirm(recorded)
    click.echo(f"{ref}: personal data sealed (key destroyed)", err=True)
