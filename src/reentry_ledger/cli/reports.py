"""Reports for supervisors and oversight, and the projections they are read from."""

from __future__ import annotations

import gc
import signal
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from functools import partial, wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from reentry_ledger.cli import cli
from reentry_ledger.cli.context import LedgerContext, ledger_options, pass_context, server_url
from reentry_ledger.cli.errors import EXIT_TAMPERED, is_database_error
from reentry_ledger.cli.files import refuse_the_ledger, write_whole
from reentry_ledger.cli.params import ISO_DATE, TIMESTAMP, F
from reentry_ledger.cli.render import Progress, echo_json
from reentry_ledger.domain.checks import EARLIEST, LATEST, WINDOW
from reentry_ledger.domain.codes import REVOCATION_WINDOW_DAYS
from reentry_ledger.domain.errors import LedgerError
from reentry_ledger.projections.runner import PAGE_SIZE
from reentry_ledger.reports import chart
from reentry_ledger.reports.cohorts import FOLLOW as COHORT_FOLLOW
from reentry_ledger.reports.cohorts import START_PERIODS as COHORT_PERIODS
from reentry_ledger.reports.dimensions import CLIENT_DIMENSIONS, DIMENSIONS
from reentry_ledger.reports.disparities import CODES, DisparityRequest, parse_metrics
from reentry_ledger.reports.disparities import METRICS as DISPARITY_METRICS
from reentry_ledger.reports.output import as_csv, as_json, as_table
from reentry_ledger.reports.periods import UNITS
from reentry_ledger.reports.requests import check_range, parse_client_dimensions, parse_dimensions
from reentry_ledger.reports.responses import TABLE_COLUMNS as RESPONSE_TABLE_COLUMNS
from reentry_ledger.reports.service import Table
from reentry_ledger.reports.service import with_standing as standing_of
from reentry_ledger.reports.snapping import Snapped
from reentry_ledger.reports.suppression import legend
from reentry_ledger.reports.violations import ReportRequest

if TYPE_CHECKING:
    from reentry_ledger.application import Ledger
    from reentry_ledger.reports.service import Reports


def emit(table: Table, output: str, reports: Reports | None = None) -> None:
    if output == "json":
        click.echo(as_json(with_standing(table.as_document(), reports)), nl=False)
    elif output == "csv":
        click.echo(as_csv(table.rows, table.columns), nl=False)
    else:
        click.echo(as_table(table.rows, table.columns), nl=False)
    notes_under(table.rows, table.columns, table.snapped, output)
    standing_note(reports)


# --- reports on a read replica: the projections as they stand ---------------------------------


class WritesRefused(LedgerError):
    """The database refused a report's catch-up (or the ledger's opening): a replica (exit 1)."""


def no_catch_up_option(func: F) -> F:
    """--no-catch-up: read the projections as they stand, opening the ledger read-only. Without
    it, a database that refuses writes (a hot standby, a read-only role or file) is named as
    such, with the option to use, instead of the driver's error."""

    @wraps(func)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except Exception as error:
            if kwargs.get("no_catch_up") or not refuses_writes(error):
                raise
            raise WritesRefused(
                f"the database refused a write ({first_line(error)}): a report catches its "
                "projections up first, which writes. On a read replica, or a ledger that may "
                "not be written, add --no-catch-up to read the projections as they stand"
            ) from None

    return click.option(
        "--no-catch-up", is_flag=True, default=False,
        help="Read the projections as they stand, writing nothing (a read replica), and say "
        "how far they reach.",
    )(run)  # type: ignore[return-value]  # fmt: skip


def refuses_writes(error: Exception) -> bool:
    """A driver's words for a write refused: a read-only transaction (a hot standby), a role
    without the privilege, a read-only file."""
    if isinstance(error, LedgerError) or not is_database_error(error):
        return False  # a file the report writes (--chart) that may not be written is not one
    text = str(error).lower()
    return any(
        words in text
        for words in ("read-only", "readonly", "permission denied", "recovery is in progress")
    )


def first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def report_ledger(state: LedgerContext, no_catch_up: bool) -> Ledger:
    """The ledger a report reads: read-only with --no-catch-up (nothing created or written),
    else as every command opens it."""
    if no_catch_up and state._ledger is None:
        if server_url() is not None:
            from reentry_ledger.cli.remote import refuse_option

            raise refuse_option("--no-catch-up")
        from reentry_ledger.application import Ledger
        from reentry_ledger.backends import parse_db_url, resolve_db

        state._ledger = Ledger(parse_db_url(resolve_db(state.db), read_only=True))
    return state.ledger


def reports_for(state: LedgerContext, no_catch_up: bool) -> Reports:
    """The reports, caught up first, or (--no-catch-up) from the projections as they stand."""
    ledger = report_ledger(state, no_catch_up)
    if no_catch_up:
        return ledger.reports(actor=state.actor_name, catch_up=False)
    return ledger.reports(actor=state.actor_name)


def with_standing(document: dict[str, Any], reports: Reports | None) -> dict[str, Any]:
    """JSON says where projections read as they stand reach (`projections`)."""
    return document if reports is None else standing_of(document, reports.standing)


def standing_note(reports: Reports | None) -> None:
    """A line on stderr: the projections' position and the head, when read as they stand."""
    if reports is not None and reports.standing is not None:
        click.echo(f"Note: {reports.standing.describe()}", err=True)


def notes_under(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], snapped: Snapped | None, output: str
) -> None:
    """The lines under a table (on stderr beside CSV, which takes no other line; none beside
    JSON, which carries `snapped` and says "withheld" for itself): what "withheld" means when
    the table shows it, and the whole months a snapped range was snapped to."""
    lines_under(legend(rows, columns), snapped, output)


def lines_under(under: str | None, snapped: Snapped | None, output: str) -> None:
    """`notes_under`, told what "withheld" means where the table shows it (`under`)."""
    if output == "json":
        return
    for line in (under, snapped.describe() if snapped else None):
        if line:
            click.echo(line, err=output == "csv")


def suppress_option(func: F) -> F:
    return click.option(
        "--suppress-below", type=click.IntRange(min=2), default=None, metavar="K",
        help="Hide counts from 1 to K-1, and every value or total that would give one away "
        "(oversight: K is at least 10).",
    )(func)  # fmt: skip


def format_option(func: F) -> F:
    return click.option(
        "--format", "output", type=click.Choice(["table", "csv", "json"]), default="table",
        show_default=True,
    )(func)  # fmt: skip


def known_at_option(
    func: F, ends: str = "without --to the report ends on its day (UTC; the day before, at 00:00)"
) -> F:
    return click.option(
        "--known-at", type=TIMESTAMP, default=None,
        help=f"What the ledger said at that moment; {ends} ({WINDOW}).",
    )(func)  # fmt: skip


def grouping_options(func: F) -> F:
    """The violation report's groups and range (`report violations`, `report responses`)."""
    func = range_options(func)
    func = click.option("--period", type=click.Choice(UNITS), default=None,
                        help="Split by calendar period.")(func)  # fmt: skip
    return click.option("--by", "by", default=None,
                        help=f"Comma-separated, from: {', '.join(DIMENSIONS)}.")(func)  # fmt: skip


def range_options(func: F) -> F:
    last_help = (
        f"Last day, inclusive, not after today nor --known-at's day (default: --known-at's "
        f"day, else today, UTC; {WINDOW})."
    )
    first_help = (
        f"First day, inclusive, not after the last (default: the earliest enrolment; {WINDOW})."
    )
    func = click.option("--to", "last", type=ISO_DATE, default=None, help=last_help)(func)
    return click.option("--from", "first", type=ISO_DATE, default=None, help=first_help)(func)


@cli.group()
@click.pass_context
def report(ctx: click.Context) -> None:
    """Reports computed from the projections (caught up first, so never stale; with
    --no-catch-up, as they stand, on a read replica)."""
    ctx.with_resource(cycles_left_alone())


@contextmanager
def cycles_left_alone() -> Iterator[None]:
    """Python's cycle collector off while a report runs, as it was after (ADR 43). A report of
    100,000 groups holds millions of dicts, lists and tuples, none in a cycle; each full
    collection its allocations set off walked them all again (by officer and month at ten
    million events, 12-15% of the call; in-process, 29%). What it leaves in cycles (a thread's
    exception, a chart's figure) is collected after it, or when the process ends. The command
    alone: a server's reports run beside other requests, whose collector it leaves on."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


@report.command("violations")
@grouping_options
@known_at_option
@format_option
@click.option("--chart", "chart_path", type=click.Path(path_type=Path), default=None,
              help="Also draw the rates with their intervals (.png or .svg), a row a group "
              f"(at most {chart.MOST_GROUPS:,} groups).")  # fmt: skip
@click.option("--window", type=click.IntRange(min=1), default=REVOCATION_WINDOW_DAYS,
              show_default=True, metavar="DAYS",
              help="A revoked term is attributed to the most serious violation dated in the "
              "DAYS before its revocation decision (oversight: the default only).")  # fmt: skip
@click.option("--exclude-dismissed", is_flag=True, default=False,
              help="Set aside new offences whose charge was dismissed or acquitted: in the "
              "counts and in what revocations are attributed to.")  # fmt: skip
@suppress_option
@no_catch_up_option
@ledger_options
@pass_context
def report_violations(
    state: LedgerContext,
    by: str | None,
    period: str | None,
    first: date | None,
    last: date | None,
    known_at: datetime | None,
    output: str,
    chart_path: Path | None,
    window: int,
    exclude_dismissed: bool,
    suppress_below: int | None,
    no_catch_up: bool,
) -> None:
    """Technical violations against new offences, revocations each drives, by group.

    Rates are per 100 clients (Wilson intervals) and per 100 person-years at risk (exact
    Poisson, widened where some people have several events); every definition is in
    docs/metrics.md.

    \b
    Example:
      reentry-ledger report violations --by agency,risk --period year --format csv
      reentry-ledger report violations --from 2024-01-01 --to 2024-12-31 --chart rates.png
    """
    request = ReportRequest(
        today=report_ledger(state, no_catch_up).clock(),
        by=parse_dimensions(by),
        period=period,
        first=first,
        last=last,
        suppress_below=suppress_below,
        window=window,
        exclude_dismissed=exclude_dismissed,
        limits=output != "table" or chart_path is not None,  # a table shows none
    )
    check_range(first, last)
    if chart_path:
        chart.check_chart_path(chart_path)
        refuse_the_ledger(state.db, chart_path, "--chart")
    reports = reports_for(state, no_catch_up)
    # as shown the last time it was asked, if nothing moved since; a chart draws the rows
    shown, snapped = reports.violations_shown(request, known_at, output, keep=not chart_path)
    if chart_path:  # before anything is printed or written
        chart.check_groups(len(shown.groups or ()), "--chart")
    click.echo(shown.text, nl=False)
    lines_under(shown.legend, snapped, output)
    standing_note(reports)
    if chart_path:
        kind, groups = chart_path.suffix.lower()[1:], shown.groups
        assert groups is not None  # made, not read back (`keep=False`)
        write_whole(
            chart_path,
            lambda stream: chart.draw(groups, request.dimensions, stream, kind),
            "--chart",
            private=False,  # aggregates, as shown
        )
        click.echo(f"chart written to {chart_path}", err=True)


@report.command("responses")
@grouping_options
@known_at_option
@format_option
@suppress_option
@no_catch_up_option
@ledger_options
@pass_context
def report_responses(
    state: LedgerContext,
    by: str | None,
    period: str | None,
    first: date | None,
    last: date | None,
    known_at: datetime | None,
    output: str,
    suppress_below: int | None,
    no_catch_up: bool,
) -> None:
    """Incentives beside sanctions per 100 person-years at risk, by group, with their ratio.

    Decisions on violations by response (warning .. revocation) on their own dates,
    recommendations (never counted as decisions) and how many of them the decision
    followed, sanctions (every decision but a continuance) and incentives by kind; the groups, range
    and days at risk of `report violations`. The table shows a subset; CSV and JSON carry
    every column and the rates' limits, widened where some people have several (docs/metrics.md,
    "Responses and incentives").

    \b
    Example:
      reentry-ledger report responses --by agency --period year --format csv
      reentry-ledger report responses --from 2024-01-01 --to 2024-12-31 --format json
    """
    check_range(first, last)
    request = ReportRequest(
        today=report_ledger(state, no_catch_up).clock(),
        by=parse_dimensions(by),
        period=period,
        first=first,
        last=last,
        suppress_below=suppress_below,
    )
    reports = reports_for(state, no_catch_up)
    table = reports.responses(request, known_at)
    if output == "table":
        columns = [*request.dimensions, *RESPONSE_TABLE_COLUMNS]
        click.echo(as_table(table.rows, columns), nl=False)
        notes_under(table.rows, columns, table.snapped, output)
        standing_note(reports)
    else:
        emit(table, output, reports)


@report.command("disparities")
@click.option("--by", "by", type=click.Choice(list(CODES)), default="race", show_default=True,
              help="The groups compared.")  # fmt: skip
@click.option("--reference", default=None, metavar="CODE",
              help="The group the others are compared with (default: white for race, else the "
              "group with the most days at risk).")  # fmt: skip
@click.option("--metric", "metric", multiple=True,
              type=click.Choice([*DISPARITY_METRICS, "all"]),
              help="Repeatable; the rate compared (default: all).")  # fmt: skip
@click.option("--period", type=click.Choice(UNITS), default=None, help="Split by calendar period.")
@range_options
@known_at_option
@format_option
@suppress_option
@no_catch_up_option
@ledger_options
@pass_context
def report_disparities(
    state: LedgerContext,
    by: str,
    reference: str | None,
    metric: tuple[str, ...],
    period: str | None,
    first: date | None,
    last: date | None,
    known_at: datetime | None,
    output: str,
    suppress_below: int | None,
    no_catch_up: bool,
) -> None:
    """Each group's rate per 100 person-years at risk beside a reference group's, with the
    rate ratio and its 95% interval: technical violations, new offences, revocations for
    technical violations, by race, ethnicity, sex or age band (docs/metrics.md).

    \b
    Example:
      reentry-ledger report disparities --by race --metric technical --period year
      reentry-ledger report disparities --by age_band --reference 25_34 --format csv
    """
    check_range(first, last)
    request = DisparityRequest(
        today=report_ledger(state, no_catch_up).clock(),
        by=by,
        reference=reference,
        metrics=parse_metrics(metric),
        period=period,
        first=first,
        last=last,
        suppress_below=suppress_below,
    )
    reports = reports_for(state, no_catch_up)
    emit(reports.disparities(request, known_at), output, reports)


@report.command("caseload")
@click.option("--on", type=ISO_DATE, default=None,
              help=f"The day, not after today nor --known-at's day (default: --known-at's "
                   f"day, else today, UTC; {WINDOW}).")  # fmt: skip
@click.option("--by", default="agency,officer", show_default=True,
              help=f"Comma-separated: {','.join(CLIENT_DIMENSIONS)}.")  # fmt: skip
@partial(
    known_at_option, ends="without --on the report is of its day (UTC; the day before, at 00:00)"
)
@format_option
@suppress_option
@no_catch_up_option
@ledger_options
@pass_context
def report_caseload(
    state: LedgerContext,
    on: date | None,
    by: str,
    known_at: datetime | None,
    output: str,
    suppress_below: int | None,
    no_catch_up: bool,
) -> None:
    """Clients under supervision on a day, per agency and officer (or other groups).

    \b
    Example:
      reentry-ledger report caseload --on 2024-06-30 --by agency,officer
    """
    dimensions = parse_client_dimensions(by)
    reports = reports_for(state, no_catch_up)
    emit(reports.caseload(on, dimensions, known_at, suppress_below), output, reports)


@report.command("discharges")
@range_options
@click.option("--by", default=None, help=f"Comma-separated: {','.join(CLIENT_DIMENSIONS)}.")
@known_at_option
@format_option
@suppress_option
@no_catch_up_option
@ledger_options
@pass_context
def report_discharges(
    state: LedgerContext,
    first: date | None,
    last: date | None,
    by: str | None,
    known_at: datetime | None,
    output: str,
    suppress_below: int | None,
    no_catch_up: bool,
) -> None:
    """Discharges by outcome, and as successful, neutral and unsuccessful.

    \b
    Example:
      reentry-ledger report discharges --from 2024-01-01 --to 2024-12-31 --by agency
    """
    check_range(first, last)
    dimensions = parse_client_dimensions(by)
    reports = reports_for(state, no_catch_up)
    emit(reports.discharges(first, last, dimensions, known_at, suppress_below), output, reports)


@report.command("referrals")
@range_options
@known_at_option
@format_option
@suppress_option
@no_catch_up_option
@ledger_options
@pass_context
def report_referrals(
    state: LedgerContext,
    first: date | None,
    last: date | None,
    known_at: datetime | None,
    output: str,
    suppress_below: int | None,
    no_catch_up: bool,
) -> None:
    """Referrals made in the range, by service: how many were accepted, started, completed,
    dropped, and the median days from referral to start.

    \b
    Example:
      reentry-ledger report referrals --from 2024-01-01 --to 2024-12-31
    """
    check_range(first, last)
    reports = reports_for(state, no_catch_up)
    table = reports.referrals(first, last, known_at=known_at, suppress_below=suppress_below)
    emit(table, output, reports)


@report.command("volunteers")
@range_options
@click.option("--by", default=None, help=f"Comma-separated: {','.join(CLIENT_DIMENSIONS)}.")
@known_at_option
@format_option
@suppress_option
@no_catch_up_option
@ledger_options
@pass_context
def report_volunteers(
    state: LedgerContext,
    first: date | None,
    last: date | None,
    by: str | None,
    known_at: datetime | None,
    output: str,
    suppress_below: int | None,
    no_catch_up: bool,
) -> None:
    """Volunteer matches begun and ended in the range, active at its end, median days matched.

    \b
    Example:
      reentry-ledger report volunteers --by agency
    """
    check_range(first, last)
    dimensions = parse_client_dimensions(by)
    reports = reports_for(state, no_catch_up)
    emit(reports.volunteers(first, last, dimensions, known_at, suppress_below), output, reports)


@report.command("justice-counts")
@click.option(
    "--year", type=click.IntRange(EARLIEST.year, LATEST.year), required=True,
    help="Calendar year: its months ended by today (or by --known-at's day).",
)  # fmt: skip
@click.option("--month", type=click.IntRange(1, 12), default=None,
              help="Only this month's rows (1-12); without it, the year's months ended by "
              "today, and its annual rows once the year has ended.")  # fmt: skip
@partial(known_at_option, ends="only what had been recorded by then counts")
@format_option
@suppress_option
@no_catch_up_option
@ledger_options
@pass_context
def report_justice_counts(
    state: LedgerContext,
    year: int,
    month: int | None,
    known_at: datetime | None,
    output: str,
    suppress_below: int | None,
    no_catch_up: bool,
) -> None:
    """The Justice Counts supervision metrics the ledger can fill, month by month, with the
    framework's metric keys, breakdown labels and columns (docs/metrics.md, "Justice Counts").

    Monthly: violations (incidents, by most serious type), new cases (people new to
    supervision), the daily population on the month's last day (by status), discharges
    (transfers excluded; an absconded discharge is neutral), open cases and staff with a
    caseload that day, revocations (revoked terms, by the most serious violation in the 365
    days before the decision). Annual: reconvictions (people whose new offence stands
    convicted, by the conviction's date). For all supervision and for parole, probation and
    other supervision; terms of type reentry count nowhere.

    \b
    Example:
      reentry-ledger report justice-counts --year 2024 --format csv
      reentry-ledger report justice-counts --year 2024 --month 6 --format json
    """
    reports = reports_for(state, no_catch_up)
    emit(reports.justice_counts(year, month, known_at, suppress_below), output, reports)


# --- cohorts (docs/metrics.md, "Cohorts") -------------------------------------------------


@report.command("cohorts")
@click.option("--start-period", type=click.Choice(COHORT_PERIODS), default="year",
              show_default=True, help="Group terms by when they started (fiscal years run "
              "July to June, named by the year they end in).")  # fmt: skip
@click.option("--follow", type=click.IntRange(1, 240), default=COHORT_FOLLOW, show_default=True,
              metavar="MONTHS", help="Months each term is followed from its start.")  # fmt: skip
@click.option("--by-month", is_flag=True,
              help="The cumulative counts and rates by month of follow-up instead.")  # fmt: skip
@partial(known_at_option, ends="terms count when their follow-up ended by its date")
@format_option
@suppress_option
@no_catch_up_option
@ledger_options
@pass_context
def report_cohorts(
    state: LedgerContext,
    start_period: str,
    follow: int,
    by_month: bool,
    known_at: datetime | None,
    output: str,
    suppress_below: int | None,
    no_catch_up: bool,
) -> None:
    """Of the terms starting in each period, how many had a first technical violation, a
    first new offence and a revocation within MONTHS of their start, per 100 terms (Wilson
    intervals in CSV and JSON). Terms whose follow-up has not ended by today (or --known-at)
    are left out and counted as `incomplete`.

    \b
    Example:
      reentry-ledger report cohorts --start-period fiscal_year --follow 36
      reentry-ledger report cohorts --start-period year --by-month --format csv
    """
    reports = reports_for(state, no_catch_up)
    table = reports.cohorts(start_period, follow, by_month, known_at, suppress_below)
    if output == "table":
        click.echo(as_table(table.rows, table.shown_columns), nl=False)
        click.echo(f"follow-up {follow} months, complete by {table.complete_by}")
        notes_under(table.rows, table.shown_columns, table.snapped, output)
        standing_note(reports)
    else:
        emit(table, output, reports)


@cli.group()
def projections() -> None:
    """The read models reports are computed from: their position, catch-up, rebuild, verify."""


@projections.command("status")
@click.option("--json", "as_json_flag", is_flag=True, help="Print JSON.")
@ledger_options
@pass_context
def projections_status(state: LedgerContext, as_json_flag: bool) -> None:
    """Show each projection's position in the event log and how far it lags behind.

    A projection built from empty is "building" until it reaches the head: its rows are
    staged and go into its tables at the end, so until then its tables stay empty. One
    that has taken in no event yet is "not built" (a report, or `projections catch-up`,
    builds it). A position past the head is "damaged": rebuild it. Status reads positions
    only; whether the tables agree with the events is what `projections verify` checks.

    \b
    Example:
      reentry-ledger projections status
    """
    statuses = state.ledger.projection_runner(actor=state.actor_name).status()
    rows = [
        {"name": s.name, "position": s.position, "head": s.head, "lag": s.lag,
         "state": s.state, "description": s.description}
        for s in statuses
    ]  # fmt: skip
    if as_json_flag:
        echo_json(rows)
    else:
        click.echo(
            as_table(rows, ["name", "position", "head", "lag", "state", "description"]), nl=False
        )


page_size_option = click.option(
    "--page-size",
    type=click.IntRange(min=1),
    default=PAGE_SIZE,
    show_default=True,
    help="Positions of the event log each transaction covers.",
)


@projections.command("catch-up")
@click.argument("names", nargs=-1)
@page_size_option
@click.option(
    "--follow",
    type=click.FloatRange(min=0.1),
    default=None,
    metavar="SECONDS",
    help="Keep going: catch up again every SECONDS until interrupted (a projection worker).",
)
@ledger_options
@pass_context
def projections_catch_up(
    state: LedgerContext, names: tuple[str, ...], page_size: int, follow: float | None
) -> None:
    """Apply the events recorded since the position of projections NAMES (default: all).

    Resumes after a crash. Several of these may run at once against one PostgreSQL
    database, as separate processes: they share the projections between them and never
    apply an event twice (docs/scaling.md).

    \b
    Examples:
      reentry-ledger projections catch-up
      reentry-ledger projections catch-up violations clients --follow 5
    """
    runner = state.ledger.projection_runner(names, page_size, actor=state.actor_name)
    progress = Progress("events applied", every=1, batches=True)
    applied = runner.catch_up(progress)
    progress.done()
    click.echo(f"applied {applied} events", err=True)
    if follow is None:
        return
    signal.signal(signal.SIGTERM, stop)  # a service manager's stop: a page in hand rolls back
    try:
        while True:
            time.sleep(follow)
            if count := runner.catch_up():
                click.echo(f"applied {count} events", err=True)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)


def stop(*_: object) -> None:
    raise KeyboardInterrupt


@projections.command("rebuild")
@click.argument("names", nargs=-1)
@page_size_option
@ledger_options
@pass_context
def projections_rebuild(state: LedgerContext, names: tuple[str, ...], page_size: int) -> None:
    """Rebuild projections NAMES (default: all) from the start of the event log.

    \b
    Example:
      reentry-ledger projections rebuild
      reentry-ledger projections rebuild violations
    """
    runner = state.ledger.projection_runner(page_size=page_size, actor=state.actor_name)
    progress = Progress("events applied", every=1, batches=True)
    applied = runner.rebuild(names, progress)
    progress.done()
    click.echo(f"rebuilt from {applied} events", err=True)


@projections.command("verify")
@click.argument("names", nargs=-1)
@page_size_option
@ledger_options
@pass_context
def projections_verify(state: LedgerContext, names: tuple[str, ...], page_size: int) -> None:
    """Check projections NAMES (default: all) against the events.

    Each is caught up, then built again from the event log into scratch tables (dropped
    afterwards) and compared with its own tables, row by row, by the database. Finds rows
    edited or deleted by hand and tracking positions moved. Exit 0 "projections verified";
    exit 6 naming each damaged projection and its fix, `projections rebuild NAME`. As long as
    a rebuild of them takes; the ledger's own `verify` checks the events, not the projections.

    \b
    Examples:
      reentry-ledger projections verify
      reentry-ledger projections verify violations
    """
    findings = state.ledger.verify_projections(names, page_size, actor=state.actor_name)
    for finding in findings:
        click.echo(f"Error: {finding.message}", err=True)
    if findings:
        raise SystemExit(EXIT_TAMPERED)
    click.echo("projections verified")
