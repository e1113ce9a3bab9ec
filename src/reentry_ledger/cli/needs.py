"""`report needs`: services matched to the needs assessments found (reports/needs.py)."""

from __future__ import annotations

from datetime import date, datetime

import click

from reentry_ledger.cli.context import LedgerContext, ledger_options, pass_context
from reentry_ledger.cli.reports import (
    emit,
    format_option,
    known_at_option,
    no_catch_up_option,
    range_options,
    report,
    reports_for,
    suppress_option,
)
from reentry_ledger.reports.needs import DIMENSIONS, parse_needs_dimensions
from reentry_ledger.reports.requests import check_range


@report.command("needs")
@range_options
@click.option("--by", default="risk", show_default=True,
              help=f"Comma-separated, from: {', '.join(DIMENSIONS)} ('' for none).")  # fmt: skip
@known_at_option
@format_option
@suppress_option
@no_catch_up_option
@ledger_options
@pass_context
def report_needs(
    state: LedgerContext,
    first: date | None,
    last: date | None,
    by: str,
    known_at: datetime | None,
    output: str,
    suppress_below: int | None,
    no_catch_up: bool,
) -> None:
    """Of the clients assessed with each criminogenic need (an assessment dated in the range
    finding it; a client's first), the share referred to a matching service within 30 and 90
    days of the assessment, and whose matching referral started and completed; matching
    referrals per client. By the assessment's risk level unless told: higher-risk clients
    should receive more services, matched to their needs.

    A referral matches a need when its service meets it (substance_use by substance_use,
    school_work by employment or education, ...), or it names the need (refer --need) or a goal
    tied to it (refer --goal). Clients whose 90 days have not ended by the report's day (today,
    or the date of --known-at) are counted as incomplete and left out of the shares. The row
    all_needs counts each client and referral once over every need (docs/metrics.md,
    "Services matched to needs").

    \b
    Example:
      reentry-ledger report needs --from 2024-01-01 --to 2024-12-31
      reentry-ledger report needs --by risk,agency --format csv
    """
    check_range(first, last)
    dimensions = parse_needs_dimensions(by)
    reports = reports_for(state, no_catch_up)
    emit(reports.needs(first, last, dimensions, known_at, suppress_below), output, reports)
