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
shown while the client was known). It takes no turn of its own among them (it pushes no
answer or part out), and only those beside the latest `answers.SHOWN_MOST` answers are kept.
The digest holds the code that made the text (`made_by`): a text kept before a change is not
read back, whatever the versions say. A table read back that holds a control character (one
that someone wrote into the database: `as_table` escapes every one) is made again. Nothing
is kept where the ledger may not be written, nor a text holding a NUL (PostgreSQL's text
holds none); a report that draws a chart makes its rows, and reads and keeps nothing.

The reports worked out from every client's facts rather than from kept sums (cohorts, caseload,
casework, needs, programmes, contacts, Justice Counts) keep their rows the same way (ADR 51,
`kept_rows`), before their small counts are hidden, as JSON.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from reentry_ledger import __version__
from reentry_ledger.projections.store import ANSWERS, ProjectionStore
from reentry_ledger.reports import answers
from reentry_ledger.reports.output import as_csv, as_json, as_table
from reentry_ledger.reports.suppression import legend

# of how a report is shown and kept: a new one never reads an older one's text
SHOWN_VERSION = 1
# the report's JSON document as the server sends it: compact (`json`, as the command prints
# it, is indented)
DOCUMENT = "document"
# the modules whose code a report's text is made by: its rows, their intervals and
# suppression, its document, and how it is written out (`made_by`)
MADE_BY = (
    "reentry_ledger.reports.output",
    "reentry_ledger.reports.service",
    "reentry_ledger.reports.shown",
    "reentry_ledger.reports.stats",
    "reentry_ledger.reports.suppression",
    "reentry_ledger.reports.violations",
)


@dataclass(frozen=True)
class Shown:
    """A report as shown: its text, the line under it (None: none), and its rows where they
    were made (None: read back as kept)."""

    text: str
    legend: str | None = None
    groups: list[dict[str, Any]] | None = None


def shown_as(document: dict[str, Any], columns: Sequence[str], output: str) -> Shown:
    """The report's `document` as `output` (table, csv, json, or the server's `DOCUMENT`)
    shows it: a table or CSV of `columns`, with the line saying what "withheld" means where
    one of them shows it (JSON says so for itself)."""
    groups = document["groups"]
    if output == "json":
        return Shown(as_json(document), None, groups)
    if output == DOCUMENT:
        return Shown(orjson.dumps(document).decode(), None, groups)
    text = as_csv(groups, columns) if output == "csv" else as_table(groups, columns)
    return Shown(text, legend(groups, columns), groups)


def kept_shown(
    store: ProjectionStore,
    asked: dict[str, Any],
    show: Callable[[], Shown],
    safe: Callable[[str], bool] = lambda text: True,
) -> Shown:
    """The report `asked` (everything its text is made from, as JSON values) as shown: read
    back where it was kept at the projections' current state (and is `safe` to show as it
    is: a table, with no control character), else made by `show` and kept (when the state
    did not move meanwhile)."""
    found, keep = looked_up(store, asked, made_by(), answers.SHOWN, answers.keep_shown)
    if found is not None:
        text, under = orjson.loads(found)
        if safe(text) and (under is None or safe(under)):
            return Shown(text, under)
    made = show()
    if "\x00" not in made.text:
        keep(orjson.dumps([made.text, made.legend]).decode())
    return made


def kept_rows(
    store: ProjectionStore, asked: dict[str, Any], make: Callable[[], list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """The rows of a report worked out from the clients' facts (`asked`: everything they are
    made from, as JSON values), before its small counts are hidden: read back where they were
    kept at the projections' current state, else made by `make` and kept, as JSON (a date
    read back is its ISO text, as every output writes one). Kept as a report's text is, under
    a digest of the code of the reports and the domain (`reports_code`), at most
    `answers.ROWS_MOST` at once."""
    found, keep = looked_up(store, asked, reports_code(), answers.ROWS, answers.keep_rows)
    if found is not None:
        rows: list[dict[str, Any]] = orjson.loads(found)
        return rows
    made = make()
    with suppress(TypeError):  # a value JSON does not hold: not kept
        keep(orjson.dumps(made).decode())
    return made


def looked_up(
    store: ProjectionStore,
    asked: dict[str, Any],
    code: str,
    kind: str,
    keeps: Callable[[ProjectionStore, str, str, str], None],
) -> tuple[str | None, Callable[[str], None]]:
    """The text of `kind` (the start of its digest) kept for `asked`, made by `code` (a
    digest), at the projections' current state (None: none), and what keeps one made now at
    that state, by `keeps` (nothing where the ledger may not be written, or on a ledger an
    earlier version set up)."""
    made_of = [str(SHOWN_VERSION), __version__, code]
    digest = kind + answers.digest_of(made_of, asked)
    at, found = None, None
    with store.transaction(commit=False) as cursor:
        if store.has_table(cursor, ANSWERS):  # not on a ledger an earlier version set up
            at = answers.state(store, cursor)
            found = answers.kept_text(store, cursor, digest, at)

    def keep(text: str) -> None:
        if at is not None and not store.ledger.backend.read_only:
            keeps(store, digest, at, text)

    return found, keep


@cache
def reports_code() -> str:
    """A digest of the code of every module of the reports and of the domain (its codes'
    standards and windows, how a term's months are counted: read, not imported)."""
    digest = hashlib.sha256()
    package = Path(__file__).parents[1]
    try:
        for path in sorted([*package.glob("reports/*.py"), *package.glob("domain/*.py")]):
            digest.update(path.relative_to(package).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    except OSError:  # as `made_by`: the versions alone
        return ""
    return digest.hexdigest()


@cache
def made_by() -> str:
    """A digest of the code of `MADE_BY`: a text kept by other code (a change, whatever the
    versions say) is never read back. Where the code cannot be read, the versions alone."""
    digest = hashlib.sha256()
    try:
        for name in MADE_BY:
            __import__(name)
            digest.update(Path(str(sys.modules[name].__file__)).read_bytes())
    except (OSError, TypeError):
        return ""
    return digest.hexdigest()
