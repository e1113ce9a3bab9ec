"""Parameter types and options shared by every command."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import click
from pydantic_core import PydanticCustomError

from reentry_ledger.cli.context import F
from reentry_ledger.domain.checks import (
    DECIMAL_NUMBER,
    EARLIEST,
    LATEST,
    WINDOW,
    iso_day,
    refuse_bad_name,
    shown,
)
from reentry_ledger.domain.codes import values


def within_window(
    value: Any, day: date, kind: click.ParamType, param: click.Parameter | None, ctx: Any
) -> None:
    """Every date and moment a command takes lies in the ledger's window (domain/checks.py):
    one check for every date option, so no date far out reaches a report or an event."""
    if not EARLIEST <= day <= LATEST:
        kind.fail(f"{value!r} is outside the dates the ledger takes ({WINDOW})", param, ctx)


class IsoDate(click.ParamType):
    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            day = iso_day(value)
        except ValueError as error:
            self.fail(f"{value!r} {error}", param, ctx)
        within_window(value, day, self, param, ctx)
        return day


class Timestamp(click.ParamType):
    name = "TIMESTAMP"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.fail(
                f"{value!r} is not an ISO 8601 timestamp "
                "(e.g. 2024-05-01T09:30:00Z; UTC unless it carries an offset)",
                param,
                ctx,
            )
        within_window(value, moment.date(), self, param, ctx)
        return moment


class Decimal(click.ParamType):
    """A number written in digits, as a CSV import takes it (12, -3, 12.5): not 1e3, 1_0, nan
    or inf, which click's float reads."""

    name = "NUMBER"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, float):
            return value
        if not DECIMAL_NUMBER.fullmatch(str(value)):
            self.fail(f"{value!r} is not a number written in digits (12 or 12.5)", param, ctx)
        return float(value)


class Name(click.ParamType):
    """A name a command looks something up by (an agency, an officer): one an event could
    hold (domain/checks.py), so a blank or padded name is refused, not answered as one no
    one has (an agency's default caps, an empty list)."""

    name = "NAME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            refuse_bad_name(str(value))
        except PydanticCustomError as error:
            said = error.message()  # some say the value themselves
            if said.startswith(repr(value)):
                said = said.removeprefix(repr(value)).lstrip()
            self.fail(f"{shown(str(value))} {said}", param, ctx)
        return str(value)


ISO_DATE = IsoDate()
DECIMAL = Decimal()
NAME = Name()
TIMESTAMP = Timestamp()
# A number of days in custody, or a cap on it: at most a century, so no number too large to
# store reaches an event.
DAYS = click.IntRange(0, 36_500)


def codes(code_list: type[StrEnum]) -> click.Choice:
    return click.Choice(values(code_list))


def on_option(func: F) -> F:
    return click.option(
        "--on",
        type=ISO_DATE,
        default=None,
        help=f"Date the event took effect (default: today, UTC; {WINDOW}).",
    )(func)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(func)
