"""Commands that record casework: each records exactly one event on one client."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from reentry_ledger.application import Recorded
from reentry_ledger.cli import cli
from reentry_ledger.cli.context import LedgerContext, ledger_options, pass_context
from reentry_ledger.cli.params import ISO_DATE, codes, on_option
from reentry_ledger.domain.client import parse_goal
from reentry_ledger.domain.codes import (
    Condition,
    ContactKind,
    DecidingBody,
    DischargeOutcome,
    Ethnicity,
    MatchEnding,
    Need,
    OffenceSeverity,
    PlanModel,
    Race,
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

REPORTABLE_SEVERITIES = [s for s in values(OffenceSeverity) if s != OffenceSeverity.UNKNOWN]
REFERRAL_UPDATES = [s for s in values(ReferralStatus) if s != ReferralStatus.MADE]


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
@click.option("--score", type=float, default=None)
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
@click.option(
    "--goal",
    "goals",
    multiple=True,
    required=True,
    help="NEED:description, repeatable; the order given is the priority.",
)
@click.option("--model", type=codes(PlanModel), default=None, help="Casework model.")
@ledger_options
@pass_context
def plan(
    state: LedgerContext, ref: str, on: date | None, goals: tuple[str, ...], model: str | None
) -> None:
    """Revise the case plan of client REF: prioritised goals, each tied to a need.

    \b
    Example:
      reentry-ledger plan GA-1 --goal "substance_use:complete outpatient treatment" \\
        --goal "school_work:find stable work"
    """
    parsed = [parse_goal(goal) for goal in goals]
    confirm(state.ledger.revise_plan(ref, actor=state.actor_name, on=on, goals=parsed, model=model))


@cli.command()
@click.argument("ref")
@on_option
@click.option("--service", required=True, type=codes(Service))
@click.option("--provider", default=None, help="The provider referred to.")
@ledger_options
@pass_context
def refer(
    state: LedgerContext, ref: str, on: date | None, service: str, provider: str | None
) -> None:
    """Refer client REF to a service. Prints the new referral's id.

    \b
    Example:
      reentry-ledger refer GA-1 --service housing --provider "Harbour House"
    """
    recorded = state.ledger.refer(
        ref, actor=state.actor_name, on=on, service=service, provider=provider
    )
    confirm(recorded)
    click.echo(recorded.new_id)


@cli.command()
@click.argument("ref")
@click.argument("referral_id")
@click.argument("status", type=click.Choice(REFERRAL_UPDATES))
@on_option
@ledger_options
@pass_context
def referral(
    state: LedgerContext, ref: str, referral_id: str, status: str, on: date | None
) -> None:
    """Move referral REFERRAL_ID of client REF to STATUS.

    A referral is made, then accepted or declined; accepted, then started (or dropped);
    started, then completed or dropped.

    \b
    Example:
      reentry-ledger referral GA-1 R1 accepted --on 2024-01-25
    """
    confirm(state.ledger.update_referral(ref, referral_id, status, actor=state.actor_name, on=on))


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
@click.option("--volunteer", required=True, help="The volunteer matched (name or id).")
@click.option("--need", "needs", multiple=True, type=codes(Need), help="What the match addresses.")
@ledger_options
@pass_context
def match(
    state: LedgerContext, ref: str, on: date | None, volunteer: str, needs: tuple[str, ...]
) -> None:
    """Match client REF with a volunteer (one active match at a time).

    \b
    Example:
      reentry-ledger match GA-1 --volunteer v-204 --need family_marital
    """
    confirm(
        state.ledger.match_volunteer(
            ref, actor=state.actor_name, on=on, volunteer=volunteer, needs=needs
        )
    )


@cli.command()
@click.argument("ref")
@on_option
@click.option("--ending", type=codes(MatchEnding), default="completed", show_default=True)
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
@click.option("--new-offence", type=click.Choice(REPORTABLE_SEVERITIES), default=None)
@click.option("--violent", is_flag=True, help="The new offence was violent.")
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
    description: str | None,
) -> None:
    """Record one violation incident of client REF. Prints the new violation's id.

    Give at least one of --technical, --absconding, --new-offence; they combine into one
    incident, which audit counts once, as its most serious kind.

    \b
    Example:
      V=$(reentry-ledger violation GA-1 --on 2024-03-01 --technical failure_to_report)
    """
    recorded = state.ledger.record_violation(
        ref,
        actor=state.actor_name,
        on=on,
        technical=technical,
        absconding=absconding,
        new_offence=new_offence,
        violent=violent,
        description=description,
    )
    confirm(recorded)
    click.echo(recorded.new_id)


@cli.command()
@click.argument("ref")
@click.argument("violation_id")
@click.argument("response", type=codes(Response))
@on_option
@click.option("--custody-days", type=click.IntRange(min=0), default=None)
@click.option("--by", "decided_by", type=codes(DecidingBody), default="officer", show_default=True)
@ledger_options
@pass_context
def respond(
    state: LedgerContext,
    ref: str,
    violation_id: str,
    response: str,
    on: date | None,
    custody_days: int | None,
    decided_by: str,
) -> None:
    """Record the response to violation VIOLATION_ID of client REF.

    A revocation is a response, not a discharge: record the discharge with `discharge`.

    \b
    Example:
      reentry-ledger respond GA-1 V1 sanction --on 2024-03-05 --custody-days 3
    """
    confirm(
        state.ledger.respond_to_violation(
            ref,
            violation_id,
            response,
            actor=state.actor_name,
            on=on,
            custody_days=custody_days,
            decided_by=decided_by,
        )
    )


@cli.command()
@click.argument("ref")
@on_option
@click.option("--outcome", required=True, type=codes(DischargeOutcome))
@click.option("--note", default=None)
@ledger_options
@pass_context
def discharge(
    state: LedgerContext, ref: str, on: date | None, outcome: str, note: str | None
) -> None:
    """Discharge client REF. Afterwards only corrections may be recorded.

    \b
    Example:
      reentry-ledger discharge GA-1 --on 2024-12-31 --outcome successful
    """
    confirm(state.ledger.discharge(ref, actor=state.actor_name, on=on, outcome=outcome, note=note))


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
