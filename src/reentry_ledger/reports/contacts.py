"""Contacts against the supervision level's standard: `report contacts` (docs/metrics.md,
"Programmes and contacts").

A client-month is measured when, on its last day, the client is under a term at a level
whose standard asks for contacts (`codes.CONTACT_STANDARDS`: maximum 4 a month, high 2,
medium 1, low 1 in 3 months), is neither in custody nor absconded, and has been under that
term for the whole of the standard's window: the `months` calendar months ending with it. It
met the standard when the contacts with the client (every kind but collateral) dated in the
window reach the number asked. Months are those that end within the range. Groups are the
officer, agency and level on the month's last day. Contacts by kind count every contact dated
in the range under a term, in the group of its own day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from reentry_ledger.domain.codes import CLIENT_CONTACTS, CONTACT_STANDARDS, ContactKind
from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.domain.state import add_months
from reentry_ledger.reports.dimensions import ORDERS
from reentry_ledger.reports.facts import ClientFacts, FactReader, TermFact
from reentry_ledger.reports.paging import with_facts
from reentry_ledger.reports.suppression import linked
from reentry_ledger.reports.tallies import Sums
from reentry_ledger.reports.violations import rounded

DIMENSIONS = ("officer", "agency", "level")
KINDS = tuple(kind.value for kind in ContactKind)
BY_KIND = tuple(f"contacts_{kind}" for kind in KINDS)
COLUMNS = ("client_months", "met", "share_met", *BY_KIND, "contacts")
TABLE_COLUMNS = ("client_months", "met", "share_met", "contacts")
# `_missed`: the client-months that did not meet the standard, not shown but given away by
# the months and those met (12 and 11 met: 1), so hidden with `met` when small
COUNTS = ("client_months", "met", *BY_KIND, "contacts", "_missed")
DERIVED = {"share_met": ("met", "client_months")}
TOTALS = (("contacts", BY_KIND), *linked("met", "_missed"))


def parse_dimensions(text: str | None) -> tuple[str, ...]:
    asked = tuple(part.strip() for part in (text or "").split(",") if part.strip())
    unknown = [name for name in asked if name not in DIMENSIONS]
    if unknown or len(set(asked)) < len(asked):
        raise InvalidInput(
            f"--by {text!r}: give each of {', '.join(DIMENSIONS)} at most once, comma-separated"
        )
    return asked


# What each group sums, in this order, over its clients (a part's, or every client's): the
# rest of a row is worked out from them (`rows`)
SUMMED = ("client_months", "met", *BY_KIND, "contacts")
NAMES = ("contacts",)  # the one list of sums by group (tallies.Sums)


def report(reader: FactReader, first: date, last: date, by: Sequence[str]) -> list[dict[str, Any]]:
    return rows(counted(reader, first, last, by).get("", {}), by)


def counted(
    reader: FactReader, first: date, last: date, by: Sequence[str], length: int = 0
) -> dict[str, Sums]:
    """The sums of each group (`SUMMED`, by the values of `by`) over the clients of each part
    (the first `length` characters of their ids: "" for every client): every sum is a sum
    over clients, so the parts' add up to the whole's."""
    parts: dict[str, dict[tuple[Any, ...], list[int]]] = {}
    months = month_ends(first, last)
    place = {name: number for number, name in enumerate(SUMMED)}
    for client, contacts in with_facts(reader, "audit_contacts", "kind"):
        groups = parts.setdefault(client.client_id[:length], {})
        days = [(date.fromisoformat(on), kind) for on, _, kind in contacts]
        for month_end in months:
            measured = measure(client, month_end, days)
            if measured is not None:
                key, met = measured
                sums = group(groups, by, key)
                sums[0] += 1  # client_months
                sums[1] += met
        for day, kind in days:
            term = client.term_on(day) if first <= day <= last else None
            if term is not None:
                sums = group(groups, by, key_on(client, term, day))
                sums[place[f"contacts_{kind}"]] += 1
                sums[-1] += 1  # contacts
    return {part: {NAMES: groups} for part, groups in parts.items()}


def rows(sums: Sums, by: Sequence[str]) -> list[dict[str, Any]]:
    """A row for each group of `sums` (`counted`), in the order of `by`'s values."""
    groups = sums.get(NAMES, {})
    orders = [ORDERS.get(name) for name in by]

    def sort_key(key: tuple[Any, ...]) -> list[Any]:
        return [(o.get(v, 9), v) if o else (0, v) for o, v in zip(orders, key, strict=True)]

    found = []
    for key in sorted(groups, key=sort_key):
        row: dict[str, Any] = dict(zip(by, key, strict=True))
        row.update(zip(SUMMED, groups[key], strict=True))
        months_counted = row["client_months"]
        row["share_met"] = rounded(row["met"] / months_counted) if months_counted else None
        row["_missed"] = months_counted - row["met"]  # a private column: never shown
        found.append({name: row[name] for name in (*by, *COLUMNS, "_missed")})
    return found


def measure(
    client: ClientFacts, month_end: date, contacts: list[tuple[date, str]]
) -> tuple[tuple[str, str, str], bool] | None:
    """The month's group and whether it met its standard, if the month is measured."""
    term = client.term_on(month_end)
    if term is None or client.status_on(term, month_end) != "active":
        return None
    key = key_on(client, term, month_end)
    asked, months = CONTACT_STANDARDS.get(key[2], (0, 1))
    window_start = add_months(month_end.replace(day=1), 1 - months)
    if asked == 0 or term.first_day > window_start:  # the whole window within the term
        return None
    made = sum(
        1 for day, kind in contacts if window_start <= day <= month_end and kind in CLIENT_CONTACTS
    )
    return key, made >= asked


def key_on(client: ClientFacts, term: TermFact, day: date) -> tuple[str, str, str]:
    agency, officer = client.officer_on(term, day)
    return officer, agency, client.level_on(term, day)


def group(
    groups: dict[tuple[Any, ...], list[int]], by: Sequence[str], key: tuple[str, str, str]
) -> list[int]:
    """The sums (`SUMMED`) of the group of `key` (officer, agency, level) by `by`."""
    values = dict(zip(DIMENSIONS, key, strict=True))
    chosen = tuple(values[name] for name in by)
    sums = groups.get(chosen)
    if sums is None:
        sums = groups[chosen] = [0] * len(SUMMED)
    return sums


def month_ends(first: date, last: date) -> list[date]:
    """The last day of each calendar month that ends within the range."""
    found, day = [], first.replace(day=1)
    while day <= last:
        end = add_months(day, 1) - timedelta(days=1)
        if first <= end <= last:
            found.append(end)
        day = add_months(day, 1)
    return found
