"""Values from a form or a page's address, read and checked: each error names its field (by
the label the page shows) and what it takes, as the CLI names its option."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime

from reentry_ledger.domain.checks import EARLIEST, LATEST, WINDOW, iso_day
from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.timeline import as_utc


def within_window(label: str, text: str, day: date) -> None:
    if not EARLIEST <= day <= LATEST:
        raise InvalidInput(f"{label}: {text!r} is outside the dates the ledger takes ({WINDOW})")


def day(label: str, text: str | None) -> date | None:
    """A date from `<input type=date>` (YYYY-MM-DD); blank is none."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = iso_day(text)
    except ValueError as error:
        raise InvalidInput(f"{label}: {text!r} {error}") from None
    within_window(label, text, value)
    return value


def moment(label: str, text: str | None) -> datetime | None:
    """A moment from `<input type=datetime-local>` (taken as UTC) or ISO 8601; blank is none."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        if len(text) > 40:
            raise ValueError
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(
            f"{label}: {text!r} is not a moment of the form YYYY-MM-DDTHH:MM (UTC)"
        ) from None
    within_window(label, text, value.date())  # first: made UTC, year 1 or 9999 overflows
    return as_utc(value)


def whole(label: str, text: str | None, minimum: int = 0) -> int | None:
    """A whole number, at least `minimum`; blank is none."""
    text = (text or "").strip()
    if not text:
        return None
    # 0 to 9 only: "²" and "٣" are digits to `isdigit`, and `int` refuses the first
    if not (text.isascii() and text.isdigit()) or len(text) > 9 or int(text) < minimum:
        raise InvalidInput(f"{label}: {text!r} is not a whole number of at least {minimum}")
    return int(text)


def choice(label: str, text: str | None, allowed: Sequence[str]) -> str | None:
    """One of `allowed`; blank is none."""
    text = (text or "").strip()
    if not text:
        return None
    if text not in allowed:
        raise InvalidInput(f"{label}: {text!r} is not one of {', '.join(allowed)}")
    return text


def choices(label: str, texts: Sequence[str], allowed: Sequence[str]) -> tuple[str, ...]:
    """Each of `allowed` ticked, in the order `allowed` lists them."""
    unknown = [text for text in texts if text not in allowed]
    if unknown:
        raise InvalidInput(
            f"{label}: {', '.join(map(repr, unknown))} is not one of {', '.join(allowed)}"
        )
    return tuple(value for value in allowed if value in texts)


def as_the_form_says(error: InvalidInput) -> str:
    """A report's refusal in the form's words: its options as the form labels them (the
    service names the CLI's: "--to 2026-02-01 is after today ..." is "To 2026-02-01 ...")."""
    message = str(error).replace("--known-at", 'the "As known at" moment')
    return re.sub(r"--(from|to)\b", lambda option: option.group(1).capitalize(), message)
