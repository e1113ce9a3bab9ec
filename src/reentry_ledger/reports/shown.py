"""A report as it is shown, kept beside its answers once made (ADR 47).

A report's answer (its sums by group, reports/answers.py) is read back in the time it takes to
read its groups; what a report of many groups then does with them, every time it is asked,
is most of its time: each group's rates worked out, the rows ordered, suppressed where asked,
and written out as a table, CSV or JSON (by officer and month at ten million events, some
110,000 groups: four seconds of the five it took to read back). None of that depends on
anything but the answer and how the report was asked. So the text shown, and the line under
it (what "withheld" means, where a cell is), is kept too, in the kept answers' table, under
a digest of everything it was made from: the report, its request as run (the role's floor,
its range, snapped for oversight, today), the moment it was known at, its format, the
reader's role, and this module's and the package's versions.

It is kept at the projections' state, as an answer is, and goes with the answers: every
catch-up page, rebuild and clear deletes them all (ADR 32: a seal caught up leaves nothing
shown while the client was known), and only the latest `answers.MOST` are kept. Nothing is
kept where the ledger may not be written, nor a text holding a NUL (PostgreSQL's text holds
none); a report that draws a chart makes its rows, and reads and keeps nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from reentry_ledger import __version__
from reentry_ledger.projections.store import ANSWERS, ProjectionStore
from reentry_ledger.reports import answers
from reentry_ledger.reports.output import as_csv, as_json, as_table
from reentry_ledger.reports.suppression import legend

# of how a report is shown and kept: a new one never reads an older one's text
SHOWN_VERSION = 1


@dataclass(frozen=True)
class Shown:
    """A report as shown: its text, the line under it (None: none), and its rows where they
    were made (None: read back as kept)."""

    text: str
    legend: str | None = None
    groups: list[dict[str, Any]] | None = None


def shown_as(document: dict[str, Any], columns: Sequence[str], output: str) -> Shown:
    """The report's `document` as `output` (table, csv or json) shows it: a table or CSV of
    `columns`, with the line saying what "withheld" means where one of them shows it (JSON
    says so for itself)."""
    groups = document["groups"]
    if output == "json":
        return Shown(as_json(document), None, groups)
    text = as_csv(groups, columns) if output == "csv" else as_table(groups, columns)
    return Shown(text, legend(groups, columns), groups)


def kept_shown(store: ProjectionStore, asked: dict[str, Any], show: Callable[[], Shown]) -> Shown:
    """The report `asked` (everything its text is made from, as JSON values) as shown: read
    back where it was kept at the projections' current state, else made by `show` and kept
    (when the state did not move meanwhile)."""
    digest = answers.digest_of(["shown", str(SHOWN_VERSION), __version__], asked)
    at, found = None, None
    with store.transaction(commit=False) as cursor:
        if store.has_table(cursor, ANSWERS):  # not on a ledger an earlier version set up
            at = answers.state(store, cursor)
            found = answers.kept_text(store, cursor, digest, at)
    if found is not None:
        text, under = orjson.loads(found)
        return Shown(text, under)
    made = show()
    if at is not None and not store.ledger.backend.read_only and "\x00" not in made.text:
        answers.keep_text(store, digest, at, orjson.dumps([made.text, made.legend]).decode())
    return made
