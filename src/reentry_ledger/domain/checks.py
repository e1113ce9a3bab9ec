"""What every text and date on an event must be, checked once, in the event models.

Every str field of every event (and of the values inside it) is one of three kinds:

- `Name`: an identifier, code or name (agency, officer, recorded_by, a volunteer, a user
  name...): no control character at all, not blank, and no space at either end. A padded value
  is refused, never trimmed: the ledger stores, and hashes, exactly what it was given (the CSV
  importer trims its cells before they get here).
- `Line`: one line of text (the agency's wording of a code, an intake detail): no control
  character; may be blank or padded.
- `Text`: free text (notes, descriptions, goals, reasons): may hold line breaks (\\n, \\r) and
  tabs; no other control character (NUL, escape, any C0 or C1 control, DEL).

Dates on events (`occurred_on`, `expected_end`, ...) lie in `EARLIEST`..`LATEST`.

Events read back from the ledger are not checked again (`validate_python(..., context=STORED)`):
what is stored stays readable, whatever an older version let through.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, ValidationInfo
from pydantic_core import PydanticCustomError

EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)
WINDOW = f"{EARLIEST.isoformat()} to {LATEST.isoformat()}"
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A number as a person writes it, in ASCII digits, and as a CSV import and the command line take
# it: not 1e400 or -1e308, 1_0, nan or inf, which Python's float() would read
WHOLE_NUMBER = re.compile(r"-?[0-9]+")
DECIMAL_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def iso_day(text: str) -> date:
    """A date written YYYY-MM-DD, as a front end takes one (not 20250101 nor a week date,
    which `date.fromisoformat` takes too); ValueError saying what is wrong with `text`, to
    follow it: "is not a date of the form YYYY-MM-DD", or "is not a date (why)"."""
    if not _ISO_DAY.fullmatch(text):
        raise ValueError("is not a date of the form YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"is not a date ({error})") from None


STORED = {"stored": True}  # validation context of events read back from storage

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # keeps \t \n \r


def _stored(info: ValidationInfo) -> bool:
    context = info.context
    return isinstance(context, dict) and bool(context.get("stored"))


def shown(value: str, most: int = 64) -> str:
    """`value` as an error quotes it: whole if short, else its start and its length (a
    100,000-character reference was echoed whole on one line)."""
    if len(value) <= most:
        return repr(value)
    return f"{value[:most]!r}... ({len(value):,} characters)"


def describe_character(char: str) -> str:
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(ord(char), "control")
    return f"U+{ord(char):04X} ({name})"


_CONTROL_NAMES = {0: "NUL", 9: "TAB", 10: "LINE FEED", 13: "CARRIAGE RETURN", 27: "ESCAPE",
                  127: "DELETE"}  # fmt: skip


def _refuse_control(value: str, pattern: re.Pattern[str]) -> None:
    found = pattern.search(value)
    if found is not None:
        raise PydanticCustomError(
            "control_character",
            "contains the control character {char} at character {at}",
            {"char": describe_character(found.group()), "at": found.start() + 1},
        )


# The most characters a new name or code, a line (a reason, a title) and a free text (a note)
# take: no agency or officer code is longer than a line, no note longer than a book's chapter.
# Stored values are taken as they are.
NAME_MOST = 200
LINE_MOST = 2_000
TEXT_MOST = 100_000


def _refuse_length(value: str, most: int) -> None:
    if len(value) > most:
        raise PydanticCustomError(
            "too_long",
            "is {length} characters long (at most {most})",
            {"length": len(value), "most": most},
        )


def check_name(value: str, info: ValidationInfo) -> str:
    if (
        value
        and len(value) <= NAME_MOST
        and value.isprintable()
        and not value[0].isspace()
        and not value[-1].isspace()
    ):
        return value  # a good name, stored or new: the common case, decided at once
    if _stored(info):
        return value
    refuse_bad_name(value)
    return value


def refuse_bad_name(value: str) -> None:
    """What a name may not be (`check_name`), refused with what is wrong: also what a command
    asks a name of the ledger by (an agency, an officer), which no event could hold."""
    _refuse_length(value, NAME_MOST)
    if not value.isprintable():
        _refuse_control(value, _CONTROL)
    if not value.strip():
        raise PydanticCustomError("blank", "is blank")
    if value[0].isspace() or value[-1].isspace():
        raise PydanticCustomError(
            "padded", "{value} has space at its start or end", {"value": repr(value)}
        )


def check_line(value: str, info: ValidationInfo) -> str:
    if (len(value) > LINE_MOST or not value.isprintable()) and not _stored(info):
        _refuse_control(value, _CONTROL)
        _refuse_length(value, LINE_MOST)
    return value


def check_text(value: str, info: ValidationInfo) -> str:
    if (len(value) > TEXT_MOST or not value.isprintable()) and not _stored(info):
        _refuse_control(value, _CONTROL_IN_TEXT)
        _refuse_length(value, TEXT_MOST)
    return value


def check_date(value: date, info: ValidationInfo) -> Any:
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST <= day <= LATEST and not _stored(info):
        raise PydanticCustomError(
            "date_out_of_window",
            "{value} is outside the dates the ledger takes ({window})",
            {"value": value.isoformat(), "window": WINDOW},
        )
    return value


Name = Annotated[str, AfterValidator(check_name)]
Line = Annotated[str, AfterValidator(check_line)]
Text = Annotated[str, AfterValidator(check_text)]
EventDate = Annotated[date, AfterValidator(check_date)]
EventMoment = Annotated[datetime, AfterValidator(check_date)]
