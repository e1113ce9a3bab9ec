"""The violation report's counts, by group, computed by the database from the fact tables.

A ledger of ten million events holds hundreds of thousands of clients: counting them one by one
in Python takes seconds, where the database's own engine takes a fraction of one. Each
definition in docs/metrics.md is one part of the queries below:

- a term's supervised span: from its first day (its start; the day after, where the term
  before ended on that day: the day is the ending term's), or the range's first day, to its
  discharge (the first recorded after its start, as known; a revocation decision that ended
  the term is one), never past the next term's start (without a discharge, the day before
  it), nor the range's last day;
- segments: each span cut wherever a status changes (officer, level, custody, absconding; and
  the risk level, when grouping by risk), each segment holding what was in force on its days: a
  change holds from its date (the latest by date, then number, of each kind); a term's start
  sets its officer, no level, neither in custody nor absconded; a custody or absconding still
  open at the term's end holds through its last day;
- exposure: each segment's days in each period it overlaps, summed (`person_days`), those
  neither in custody nor absconded summed apart (`days_at_risk`), its clients counted once
  (with several periods, a day's period is looked up in a calendar of the range's days, and a
  segment is cut into a piece per period: ADR 25, "Later");
- incidents: each in the group of the segment its own date falls in (an incident on a day no
  term covers is not counted), as its category (with `--exclude-dismissed`, a new offence whose
  current disposition is dismissed or acquitted is set aside: the incident counts as absconding
  or technical if it has those parts, else not at all); new offences by basis and by current
  disposition (the latest known by date, then number);
- decisions (responses that are not recommendations) in the group of their own date, while
  their violation counts: `revocation_decisions`, custody days on technical violations;
- revoked terms: a term with a revocation decision dated within it counts once, in the group
  of its first one (by date, then number), attributed to the most serious violation dated in
  the window before that decision (from the term's first day, or `window` days before it, to
  its day), else to the violation it names (`domain/revocation.py`);
- for the intervals of the per-person-year rates: per group, each client's own count and days
  at risk summed as squares and products (`DISPERSION`), for the overdispersion correction
  (`Query.per_client`, which reports/responses.py uses too, with its own events).

Two queries: by group and client (exposure, incidents of each category; with new offences by
basis and disposition by group, in rows of their own), and by group (decisions, revoked
terms). Group values:
agency and officer as reassigned, supervision and age band the term's, term `first` or
`later`, level in force (`unset` before any), risk (`unassessed` before the first), sex,
race, ethnicity (the client's, `unknown` once sealed), juvenile, period. The same SQL runs on
SQLite and PostgreSQL; only the day arithmetic and the parameter markers are spelled per
dialect.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from copy import copy
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from operator import add
from typing import Any, TypeAlias, TypeVar

from reentry_ledger.domain.codes import (
    NOT_SUSTAINED,
    REVOCATION_WINDOW_DAYS,
    Disposition,
    NewOffenceBasis,
    values,
)
from reentry_ledger.projections.database import fetched
from reentry_ledger.projections.store import ProjectionStore
from reentry_ledger.reports.facts import UNSET_LEVEL
from reentry_ledger.reports.known_at import enrolled, known
from reentry_ledger.reports.periods import Period
from reentry_ledger.reports.revocations import revocation_sql

ClientRange: TypeAlias = tuple[str | None, str | None]  # ids from, up to (None: open)
T = TypeVar("T")
# By statement (its values' names): each group's values as its rows give them, and its sums
Sums: TypeAlias = dict[tuple[str, ...], dict[tuple[Any, ...], list[int]]]
CATEGORIES = ("technical", "absconding", "new_offence")  # least serious first
EVER = "0001-01-01"  # the start of the unassessed spell
UNASSESSED = "unassessed"
FAR = 100_000_000  # a day number after every date: an open term's end
TABLES = ("audit_clients", "audit_discharges", "audit_assessments", "audit_violations",
          "audit_responses", "audit_terms", "audit_status", "audit_people",
          "audit_age_bands", "audit_dispositions", "report_kept_segments")  # fmt: skip
FIRST_TERM, LATER_TERM = "first", "later"
RATE_COUNTS = ("technical_violations", "absconding", "new_offences")  # one per category
BASES = values(NewOffenceBasis)
DISPOSITIONS = values(Disposition)
BY_BASIS = (*(f"new_offences_{basis}" for basis in BASES), "new_offences_basis_unknown")
BY_DISPOSITION = (*(f"new_offences_{d}" for d in DISPOSITIONS), "new_offences_no_disposition")


def dispersion_names(counts: Sequence[str]) -> tuple[str, ...]:
    """Per group, over its clients i with y_i events and e_i days at risk: the sums of y_i²
    and of y_i·e_i (of each count), then of e_i² (stats.dispersion)."""
    sums = (f"{count}{suffix}" for count in counts for suffix in ("_squares", "_by_days"))
    return (*sums, "days_at_risk_squares")


def dispersion_sums(counts: Sequence[str]) -> list[str]:
    """The sums `dispersion_names` names, over `Query.per_client`'s rows (`counts`: its
    columns)."""
    return [
        *(f"SUM({y} * {other})" for y in counts for other in (y, "days_at_risk")),
        "SUM(days_at_risk * days_at_risk)",
    ]


DISPERSION = dispersion_names(RATE_COUNTS)
BY_CLIENT = ("person_days", "days_at_risk", "clients", *RATE_COUNTS, "clients_with_technical",
             "clients_with_new_offence", *DISPERSION)  # fmt: skip
NEW_OFFENCE_PARTS = (*BY_BASIS, *BY_DISPOSITION)
# A report whose range ends today, counted from the kept segments, also sums how its figures
# grow with each further day (`Query.lines`; reports/lines.py): over each group's clients i,
# the days each adds to its person-days and to its days at risk (b_i: 1 for a client whose
# segment in the last period runs on past the range's last day, else 0), each count times
# b_i, days at risk times b_i, and b_i squared.
SLOPES = ("person_days_slope", "days_at_risk_slope",
          *(f"{count}_by_slope" for count in RATE_COUNTS), "days_at_risk_by_slope",
          "slope_squares")  # fmt: skip
EXPOSURE = ("person_days", "days_at_risk", "clients")  # `EXPOSURE_SUMS`, for other reports
# person-days, days at risk and clients, over `Query.per_client`'s rows
EXPOSURE_SUMS = ("SUM(person_days)", "SUM(days_at_risk)",
                 "SUM(CASE WHEN person_days > 0 THEN 1 ELSE 0 END)")  # fmt: skip
# (`custody_decisions_technical`, the decisions that carry those custody days, is not shown:
# the report hides the days with it, `violations.rows`)
RESPONSES = ("revocations_technical", "revocations_absconding", "revocations_new_offence",
             "revocations_named_technical", "revocation_decisions",
             "custody_days_technical", "custody_decisions_technical")  # fmt: skip


@dataclass(frozen=True)
class Dialect:
    postgres: bool

    def day(self, text: str) -> str:
        """An ISO date as a whole day number."""
        if self.postgres:
            return f"(CAST({text} AS DATE) - DATE '1970-01-01')"
        return f"CAST(julianday({text}) AS INTEGER)"

    def least(self, *values: str) -> str:
        return f"{'LEAST' if self.postgres else 'MIN'}({', '.join(values)})"

    def greatest(self, *values: str) -> str:
        return f"{'GREATEST' if self.postgres else 'MAX'}({', '.join(values)})"

    def parameter(self, name: str) -> str:
        return f"%({name})s" if self.postgres else f":{name}"


def tallies(
    store: ProjectionStore,
    dimensions: Sequence[str],
    periods: Sequence[Period],
    known_at: str | None,
    window: int = REVOCATION_WINDOW_DAYS,
    exclude_dismissed: bool = False,
    keep: bool = True,
    ends_today: bool = False,
) -> dict[tuple[Any, ...], dict[str, int]]:
    """Counts by group key (the dimensions' values, a period as its `Period`): `BY_CLIENT`,
    `NEW_OFFENCE_PARTS` and `RESPONSES`. `window`: the days before a revocation decision
    whose violations it is attributed to; `exclude_dismissed`: set aside new offences
    dismissed or acquitted.

    With `keep` (as reports ask): the answer kept when the same report was last counted, if
    the projections still stand where they did (`answers.py`); else counted, from the
    segments kept ahead of time where they are current (`kept.py`), and kept; where its groups
    are few (`parts_for`), counted and kept part by part of the clients, so that asked again
    after new events only the parts of their clients are counted; `ends_today` (the range's
    last day is today), kept as a line through the days that follow, and read back on a later
    day as long as nothing is dated after the day counted (reports/lines.py). Without it (as
    the tests' comparisons ask): counted with every term cut again (as a `known_at` report
    always is), and not kept."""
    if not periods:
        return {}
    parameters = {"known": known_at} if known_at else {}
    from reentry_ledger.reports import answers  # they build on this module
    from reentry_ledger.reports.kept import kept_segments, source_names

    # kept as a line (reports/lines.py): a report of today, as reports are kept
    line = ends_today and keep and known_at is None

    def query(kept: bool, part_length: int = 0, asked: Sequence[Period] = periods) -> Query:
        return Query(
            Dialect(store.postgres), dimensions, asked, known_at is not None, window,
            exclude_dismissed, kept, part_length, line,
        )  # fmt: skip

    def counted(kept: bool, over: Sequence[Period] = periods) -> Sums:
        parts = client_parts(store)
        asked = [s for part in parts for s in query(kept, 0, over).of_clients(part)]
        found = consistent_rows(store, asked, TABLES, parameters, source_names() if kept else ())
        return added(len(dimensions), found)

    def counted_by_part(
        kept: bool, parts: Sequence[str], over: Sequence[Period] = periods
    ) -> dict[str, Sums]:
        """Each of `parts` (of the clients, answers.PARTS or FINE_PARTS, all as long) counted
        on its own: the statements over ranges of clients that hold them (`part_ranges`, cut
        where the side-by-side ranges of a whole count are), grouped by part too."""
        if not parts:
            return {}
        sides = client_parts(store)
        ranges = spread(cut_at(part_ranges(parts), sides), len(sides))
        parted = query(kept, len(parts[0]), over)
        asked = [statement for clients in ranges for statement in parted.of_clients(clients)]
        found = consistent_rows(store, asked, TABLES, parameters, source_names() if kept else ())
        return by_part(len(dimensions), parts, found)

    # first: the answer is looked for at the state in which they are current
    current = keep and known_at is None and kept_segments(store)

    def attempted(work: Callable[[bool], T]) -> T:
        """`work` on the kept segments where they are current (again if another process
        caught up meanwhile), else with every term cut again."""
        for attempt in range(2 if current else 0):
            if attempt and not kept_segments(store):
                break
            try:
                return work(True)
            except SegmentsBehind:
                continue  # another process caught up after they were brought up: again
        return work(False)  # every term cut again

    if not keep:
        return counts_of(dimensions, periods, attempted(counted))
    # what the report asks, as it would be asked of every client with no segment kept; a
    # line's without its last day (the same report on the days that follow)
    defined = [*periods[:-1], replace(periods[-1], end=date.max)] if line else periods
    definition = [statement for statement, _ in query(False, 0, defined).statements()]

    def count_parts(parts: Sequence[str]) -> dict[str, Sums]:
        return attempted(lambda kept: counted_by_part(kept, parts))

    def earlier() -> Iterator[tuple[list[str], Callable[[Sums], Sums]]]:
        """The same report of a day in an earlier period (the definitions kept over the first
        `kept` periods, the last one running on), and what runs its line on into the periods
        begun since (reports/lines.py), the nearest first."""
        from reentry_ledger.reports import lines

        place = list(dimensions).index("period")
        for kept in range(len(periods) - 1, max(0, len(periods) - 1 - EARLIER_PERIODS), -1):
            asked = [*periods[: kept - 1], replace(periods[kept - 1], end=date.max)]
            statements = [statement for statement, _ in query(False, 0, asked).statements()]
            yield statements, partial(lines.extended, place=place, periods=periods, kept=kept)

    def counted_from(start: int) -> Sums | None:
        """The periods from the one numbered `start` to the last, counted as a line, their
        keys numbered as the whole report's (None: counted without slopes)."""
        from reentry_ledger.reports import lines

        sums = attempted(lambda kept: counted(kept, periods[start:]))
        return renumbered(sums, place, start) if lines.sloped(sums) else None

    def counted_parts_from(parts: Sequence[str], start: int) -> dict[str, Sums] | None:
        """`counted_from`, for each of `parts` on its own."""
        from reentry_ledger.reports import lines

        found = attempted(lambda kept: counted_by_part(kept, parts, periods[start:]))
        if not all(map(lines.sloped, found.values())):
            return None
        return {part: renumbered(sums, place, start) for part, sums in found.items()}

    parts = parts_for(store, dimensions, periods)
    parted = (parts, count_parts) if parts else None
    by_period = line and "period" in dimensions and len(periods) > 1
    place = list(dimensions).index("period") if by_period else 0
    sums = answers.answered(
        store, definition, {**parameters, "line": True} if line else parameters,
        lambda: attempted(counted), parted, periods[-1].end if line else None,
        earlier if by_period else None,
        (place, periods, counted_from, counted_parts_from) if by_period else None,
    )  # fmt: skip
    return counts_of(dimensions, periods, sums)


def renumbered(sums: Sums, place: int, start: int) -> Sums:
    """Sums of periods counted from the one numbered `start`, as numbered from the first: the
    period's number (at `place` in each key) moved on by `start`."""
    return {
        names: {
            (*key[:place], int(key[place]) + start, *key[place + 1 :]): values
            for key, values in by_key.items()
        }
        for names, by_key in sums.items()
    }


def added(width: int, results: Iterable[tuple[Sequence[str], list[Any]]]) -> Sums:
    """Each statement's sums (its parts' added up), by the group's values as the rows give
    them (the first `width` of a row)."""
    sums: Sums = {}
    for names, rows in results:
        by_key = sums.setdefault(tuple(names), {})
        for row in rows:
            found = row[width:]
            # the one row an aggregate without GROUP BY gives over no rows: all NULL (its first
            # looked at alone first: PostgreSQL's sums are decimals, each slow to compare)
            if (not found or found[0] is None) and found.count(None) == len(found):
                continue
            key = tuple(row[:width])
            values = [int(value) if value else 0 for value in found]
            before = by_key.get(key)
            by_key[key] = values if before is None else list(map(add, before, values))
    return sums


def by_part(
    width: int, parts: Sequence[str], results: Sequence[tuple[Sequence[str], list[Any]]]
) -> dict[str, Sums]:
    """`added`, for each of `parts`, from rows whose first value is their part (and the next
    `width` their group's; a part's rows may come from more than one range of clients, and
    rows of parts not asked for are left out): every part has each statement's sums, if none
    of its rows."""
    sums: dict[str, Sums] = {part: {tuple(names): {} for names, _ in results} for part in parts}
    for names, by_key in added(width + 1, results).items():
        for key, found in by_key.items():
            part = sums.get(key[0])
            if part is not None:
                part[names][key[1:]] = found
    return sums


def counts_of(
    dimensions: Sequence[str], periods: Sequence[Period], sums: Sums
) -> dict[tuple[Any, ...], dict[str, int]]:
    """Counts by group key (`keyed`) from each statement's sums (`added`)."""
    counts: dict[tuple[Any, ...], dict[str, int]] = {}
    key_of = keyed(dimensions, periods)
    for names, by_key in sums.items():
        for key, found in by_key.items():
            group = counts.get(key := key_of(key))
            if group is None:
                counts[key] = dict(zip(names, found, strict=True))
            elif group.keys().isdisjoint(names):  # as a rule: statements count different names
                group.update(zip(names, found, strict=True))
            else:
                for name, value in zip(names, found, strict=True):
                    group[name] = group.get(name, 0) + value
    return counts


# A report of today split by period, asked first in a period begun since it was last asked,
# looks this many periods back for the line it kept then (reports/lines.py, `extended`)
EARLIER_PERIODS = 12
# A ledger with more events than this has its report statements run in parts, each over the
# clients in a range of ids, side by side (`client_parts`); below it, one part.
PARTS_FROM = 200_000
MOST_PARTS = 8
# Report statements running side by side in this process, whatever the reports: each holds
# one of the connection pool's connections (15 by default), which other work needs too (a
# report's refresh, catch-up and serial rerun take theirs outside this limit).
AT_ONCE = threading.BoundedSemaphore(MOST_PARTS)


class SegmentsBehind(Exception):
    """The kept segments a report read were not cut at the position of the projections it
    read with them (another process caught up in between)."""


def bounds(column: str, clients: ClientRange) -> list[str]:
    """Conditions on `column` (a client id) that hold within the range `clients` (none for an
    open end; our own hexadecimal bounds, written in)."""
    low, high = clients
    return [
        *([f"{column} >= '{low}'"] if low else []),
        *([f"{column} < '{high}'"] if high else []),
    ]


def processors() -> int:
    """The processors this process may run on: its affinity (a container's set of
    processors, where it has one; not a quota of processor time)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def client_parts(store: ProjectionStore) -> list[ClientRange]:
    """Ranges of client ids that together hold every client, one for each processor this
    process may run on (`processors`, up to `MOST_PARTS`) on a ledger past `PARTS_FROM`
    events, else the one range of every client. Every count a report sums is a sum over
    clients (even those for the dispersion: sums of each client's squares), so parts over
    different clients add up to the whole."""
    return id_ranges(min(MOST_PARTS, processors()) if projected(store) > PARTS_FROM else 1)


def projected(store: ProjectionStore) -> int:
    """How many events the furthest projection has read."""
    recorded = store.rows(f"SELECT MAX(notification_id) FROM {store.tracking_table}")
    return int(recorded[0][0] or 0) if recorded else 0


# A report counted part by part (answers.PARTS: the clients by the first character of their
# ids; FINE_PARTS: by the first two) groups its sums by part too, and keeps each part's: asked
# again after new events, it counts only the parts of the clients they were of. Worth it where
# the groups are few (each part holds most of them): at most `PART_GROUPS`, guessing `GUESSED`
# values for a dimension with no list of codes and `CODED` for one with; in fine parts where
# at most `FINE_GROUPS` (256 parts of two statements' groups: some 30,000 kept at most), or
# at most `FINE_THIN_GROUPS` of a `THIN` dimension, each group with few clients, so in few
# parts (officer: some 60 clients each, in some 50 of the 256 parts; after a few events, a
# few 256ths of the clients are counted again, the whole kept beside the parts: ADR 39). The
# parts to count are counted over at most `MOST_RANGES` ranges of ids (each costs its
# statements' fixed work, a few milliseconds), parts between them counted and left out.
PART_GROUPS = 20_000
FINE_GROUPS = 60
FINE_THIN_GROUPS = 1_000
THIN = frozenset({"officer"})
MOST_RANGES = 16
GUESSED = {"agency": 50, "officer": 1_000}
CODED = 10


def parts_for(
    store: ProjectionStore, dimensions: Sequence[str], periods: Sequence[Period]
) -> tuple[str, ...]:
    """The parts a report with these groups is counted by: none (it is counted whole) on a
    ledger of `PARTS_FROM` events or fewer, or where its groups are too many."""
    from reentry_ledger.reports import answers  # it builds on this module

    groups = len(periods)
    for dimension in dimensions:
        if dimension != "period":
            groups *= GUESSED.get(dimension, CODED)
    if groups > PART_GROUPS or projected(store) <= PARTS_FROM:
        return ()
    thin = not THIN.isdisjoint(dimensions)
    fine = groups <= (FINE_THIN_GROUPS if thin else FINE_GROUPS)
    return answers.FINE_PARTS if fine else answers.PARTS


def part_ranges(parts: Sequence[str]) -> list[ClientRange]:
    """Ranges of ids that hold every id that starts with one of `parts` (hexadecimal, all as
    long, as every id starts): one for each run of consecutive parts, the runs nearest each
    other joined (the parts between them too) until there are at most `MOST_RANGES`."""
    length = len(parts[0])
    runs: list[list[int]] = []  # first and last part of each run, as numbers
    for number in sorted(int(part, 16) for part in parts):
        if runs and runs[-1][1] + 1 == number:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    while len(runs) > MOST_RANGES:
        nearest = min(range(len(runs) - 1), key=lambda n: runs[n + 1][0] - runs[n][1])
        runs[nearest : nearest + 2] = [[runs[nearest][0], runs[nearest + 1][1]]]
    last = 16**length - 1
    return [
        (None if first == 0 else f"{first:0{length}x}",
         None if final == last else f"{final + 1:0{length}x}")
        for first, final in runs
    ]  # fmt: skip


def cut_at(ranges: Sequence[ClientRange], sides: Sequence[ClientRange]) -> list[ClientRange]:
    """`ranges`, each cut where one of the consecutive ranges `sides` ends (so that counting
    most parts runs as side by side as counting all)."""
    cuts = [high for _, high in sides if high is not None]
    out: list[ClientRange] = []
    for low, high in ranges:
        for cut in cuts:  # ids from "8" start at "80": no cut there
            if (low is None or low.ljust(len(cut), "0") < cut) and (high is None or cut < high):
                out.append((low, cut))
                low = cut
        out.append((low, high))
    return out


def spread(ranges: Sequence[ClientRange], at_least: int) -> list[ClientRange]:
    """`ranges`, each halved until there are `at_least` (the processors a whole count runs
    on): a part counted again alone (after an event) runs side by side as a whole count does,
    not on one processor."""
    out = list(ranges)
    while len(out) < at_least:
        out = [half for clients in out for half in halves(clients)]
    return out


def halves(clients: ClientRange) -> list[ClientRange]:
    """A range of ids cut where a random id is as likely to fall on either side (one more
    hexadecimal digit than its bounds have)."""
    low, high = clients
    digits = max(len(low or ""), len(high or "")) + 1
    start = int(low.ljust(digits, "0"), 16) if low else 0
    end = int(high.ljust(digits, "0"), 16) if high else 16**digits
    middle = f"{(start + end) // 2:0{digits}x}"
    return [(low, middle), (middle, high)]


def id_ranges(parts: int) -> list[ClientRange]:
    """`parts` ranges of ids, each from its first id up to, not including, the next's (None:
    open), cut where a random id (hexadecimal) is as likely to fall in each."""
    cuts = [f"{part * 256 // parts:02x}" for part in range(1, parts)]
    return list(zip([None, *cuts], [*cuts, None], strict=True))


def consistent_rows(
    store: ProjectionStore,
    asked: Sequence[tuple[str, tuple[str, ...]]],
    tables: Sequence[str],
    parameters: dict[str, Any],
    kept_from: Sequence[str] = (),
) -> list[tuple[tuple[str, ...], list[Any]]]:
    """Each of a report's statements (`asked`: the statement, with its `{table}`s among
    `tables`, and the names of its values) as the names and the rows it gives, all as of one
    state of the projections. They run side by side, each in a transaction of its own (the
    drivers let go of the GIL while the database works; at most `AT_ONCE` side by side in the
    process), and each reads the projections' positions first, in its transaction's snapshot.
    When the positions differ, a catch-up landed between two of them: they run side by side
    once more, then, if they differ again, one after the other in one transaction. `kept_from`:
    the projections the kept segments are cut from, when the statements read them; raises
    `SegmentsBehind` as soon as a statement finds the segments were not cut at those
    projections' position (the statements not yet run are then not run)."""
    statements = [store.sql(statement, tables) for statement, _ in asked]
    names = [named for _, named in asked]
    behind = threading.Event()

    def run(statement: str) -> tuple[tuple[Any, ...], list[Any]]:
        with AT_ONCE, store.transaction(commit=False) as cursor:
            state = snapshot(store, cursor, kept_from)
            if behind.is_set() or not current(state, kept_from):
                behind.set()
                raise SegmentsBehind
            return state, fetched(cursor, statement, parameters)

    # side by side, where each transaction may have a connection of its own: not a database
    # in memory, which only the connection that made it sees
    for _ in range(2 if len(statements) > 1 and not store.ledger.backend.in_memory else 0):
        with ThreadPoolExecutor(min(len(statements), max(2, processors()))) as pool:
            found = list(pool.map(run, statements))
        states = {state for state, _ in found}
        if len(states) == 1:
            return list(zip(names, (rows for _, rows in found), strict=True))
    with store.transaction(commit=False) as cursor:
        if not current(snapshot(store, cursor, kept_from), kept_from):
            raise SegmentsBehind
        return [(named, fetched(cursor, statement, parameters))
                for named, statement in zip(names, statements, strict=True)]  # fmt: skip


def snapshot(store: ProjectionStore, cursor: Any, kept_from: Sequence[str] = ()) -> tuple[Any, ...]:
    """Start a report's reading transaction: every statement in it reads the same snapshot
    (PostgreSQL's repeatable read; a SQLite transaction keeps the snapshot of its first read),
    planned as `analytic` says. Returns the positions of the projections it reads, with the
    kept segments' (as `None`'s) when `kept_from` names their sources."""
    if store.postgres:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    analytic(store, cursor)
    statement = store.sql(f"SELECT application_name, notification_id FROM {store.tracking_table}")
    positions = sorted(fetched(cursor, statement, ()))
    if kept_from:
        from reentry_ledger.reports.kept import kept_state  # it builds on this module

        cut_at = kept_state(store, cursor)
        positions.append((None, None if cut_at is None else cut_at[0]))
    return tuple(positions)


def current(state: tuple[Any, ...], kept_from: Sequence[str]) -> bool:
    """Were the kept segments in `state` (`snapshot`) cut at the position of each projection
    in `kept_from`? (True when no kept segments are read.)"""
    positions = dict(state)
    return all(positions.get(name) == positions[None] for name in kept_from)


def analytic(store: ProjectionStore, cursor: Any) -> None:
    """PostgreSQL: no JIT compilation for this transaction's statements. Their estimates are
    far off (a recursive CTE is guessed at millions of rows), so PostgreSQL compiled them to
    machine code first: 2.5 s of a 4.2 s report at a million events, to save less than it cost.
    Sorts and hashes get up to 64 MB to stay off the disk (the default 4 MB spilled them); a
    server set to give more keeps its setting."""
    if store.postgres:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(  # the setting as text ('4MB'), read in bytes: pg_settings took 1 ms
            "SELECT set_config('work_mem', '64MB', true) "
            "WHERE pg_size_bytes(current_setting('work_mem')) < 64 * 1024 * 1024"
        )


class Query:
    """The two queries (by group and client, with new offences' parts; decisions and revoked
    terms) for one report."""

    def __init__(
        self,
        sql: Dialect,
        dimensions: Sequence[str],
        periods: Sequence[Period],
        known: bool,
        window: int = REVOCATION_WINDOW_DAYS,
        exclude_dismissed: bool = False,
        kept: bool = False,
        part_length: int = 0,
        lines: bool = False,
    ) -> None:
        self.sql = sql
        self.dimensions = dimensions
        self.by_risk = "risk" in dimensions
        # read the segments kept ahead of time (reports/kept.py), cut to the range
        self.kept = kept
        # a condition on the terms' `t.client_id` (kept.py: the clients to cut again)
        self.only: str | None = None
        self.clients: ClientRange = (None, None)  # the range of client ids counted
        # grouped by the first characters of the client id too, this many (answers.PARTS)
        self.part_length = part_length
        # the slopes summed too (`SLOPES`): from kept segments only, which know where a
        # segment cut at the range's last day runs on to
        self.lines = lines and kept
        self.periods = periods
        self.known_at = sql.parameter("known") if known else None
        self.several = len(periods) > 1  # the range split into periods (`--period`)
        self.window = int(window)  # written into the SQL: an int, never text
        self.exclude_dismissed = exclude_dismissed

    def statements(self) -> list[tuple[str, tuple[str, ...]]]:
        slopes = SLOPES if self.lines else ()
        return [
            (self.by_client(), (*BY_CLIENT, *slopes, *NEW_OFFENCE_PARTS)),
            (self.responses(), RESPONSES),
        ]

    def of_clients(self, clients: ClientRange) -> list[tuple[str, tuple[str, ...]]]:
        """`statements`, counting only the clients whose ids are in the range `clients`."""
        return self.among(clients).statements()

    def among(self, clients: ClientRange) -> Query:
        """This query, counting only the clients whose ids are in the range `clients`."""
        part = copy(self)
        part.clients = clients
        return part

    def among_clients(self, alias: str) -> str:
        """A condition on the rows `alias` of a table keyed by client: those of the clients
        counted (our own hexadecimal bounds, written in). Each of the report's sources is
        restricted by it: the terms, kept segments, violations and their dispositions, and
        responses."""
        return "".join(f" AND {bound}" for bound in bounds(f"{alias}.client_id", self.clients))

    @property
    def first_day(self) -> str:
        """The range's first day, as the dialect numbers days (our own date, written in)."""
        return self.sql.day(f"'{self.periods[0].start.isoformat()}'")

    @property
    def last_day(self) -> str:
        """The range's last day, as the dialect numbers days."""
        return self.sql.day(f"'{self.periods[-1].end.isoformat()}'")

    def known(self, table: str) -> str:
        """The facts recorded by the moment asked about and not retracted by then."""
        return known(table, self.known_at)

    def enrolled(self, table: str) -> str:
        return enrolled(table, self.known_at)

    def context(self, terms_of: str = "", violations_of_range: bool = False) -> str:
        """Periods (our own dates, written in), each known term's span, its segments, and the
        known violations as counted; `terms_of`: a condition on the terms' rows (`t`), for a
        statement that reads only some clients' terms; `violations_of_range`: only those
        dated in the range, for a statement that counts each in the segment its day falls in
        (`dated`), which no day outside it does."""
        sql, first_day, last_day = self.sql, self.first_day, self.last_day
        values = ", ".join(
            f"({n}, '{p.start.isoformat()}', '{p.end.isoformat()}')"
            for n, p in enumerate(self.periods)
        )
        periods = (
            f"given (position, p_start, p_end) AS (VALUES {values}), "
            f"periods AS MATERIALIZED (SELECT position, p_start, p_end, "
            f"{sql.day('p_start')} AS start_day, {sql.day('p_end')} AS end_day FROM given)"
        )
        if self.several:
            # each day of the range with its period's position: a day finds its period by
            # equality (an index), where a range join tried every period for every row
            periods += (
                ", calendar (day, position, end_day) AS (SELECT start_day, position, end_day "
                "FROM periods UNION ALL SELECT day + 1, position, end_day FROM calendar "
                "WHERE day < end_day), "
                "days AS MATERIALIZED (SELECT day, position FROM calendar)"
            )
        # A term's discharge: the first known one recorded after its start and before the
        # next term's start (looked up once per term: the spans are materialised).
        discharge = (
            "(SELECT d.occurred_on FROM {audit_discharges} d WHERE d.client_id = t.client_id "
            f"AND {self.known('d')} AND d.number > t.number "
            "AND (t.next_number IS NULL OR d.number < t.next_number) ORDER BY d.number LIMIT 1)"
        )
        terms = f"""
            terms AS MATERIALIZED (
                SELECT t.client_id, t.number, t.term, t.agency, t.officer, t.supervision,
                    t.occurred_on AS start_on, {sql.day("t.occurred_on")} AS start_day,
                    LEAD(t.number) OVER (PARTITION BY t.client_id ORDER BY t.number)
                        AS next_number,
                    LEAD({sql.day("t.occurred_on")}) OVER (
                        PARTITION BY t.client_id ORDER BY t.number) AS next_day
                FROM {{audit_terms}} t JOIN {{audit_clients}} c
                    ON c.client_id = t.client_id AND {self.enrolled("c")}
                WHERE {self.known("t")}{f" AND {self.only}" if self.only else ""}{
            self.among_clients("t")
        }{terms_of}
            ),
            ended AS (
                SELECT t.*, {
            sql.least(
                f"COALESCE(t.discharge_day, t.next_day - 1, {FAR})", f"COALESCE(t.next_day, {FAR})"
            )
        } AS term_end
                FROM (SELECT t.*, {sql.day(discharge)} AS discharge_day FROM terms t) t
            ),
            spans AS MATERIALIZED (
                SELECT t.client_id, t.number, t.next_number, t.term, t.agency, t.officer,
                    t.supervision, t.start_day, t.first_day,
                    {age_band_sql("t", "t.start_on")} AS age_band,
                    {sql.greatest("t.first_day", first_day)} AS begin_day,
                    {sql.least("t.term_end", last_day)} AS end_day, t.term_end
                FROM (
                    SELECT e.*, {
            sql.greatest(
                "e.start_day",
                "COALESCE(LAG(e.term_end) OVER "
                "(PARTITION BY e.client_id ORDER BY e.number) + 1, e.start_day)",
            )
        } AS first_day
                    FROM ended e
                ) t
            )"""
        violations = self.violations(violations_of_range)
        return f"WITH RECURSIVE {periods}, {terms}, {self.segments()}, {violations}"

    def violations(self, of_range: bool = False) -> str:
        """Each known violation with its day, its category as counted (`counted`: with
        --exclude-dismissed, a new offence dismissed or acquitted is set aside, and NULL when
        nothing else is left), its basis and its current disposition; `of_range`: only those
        dated in the range (its current disposition may be dated after it)."""
        if self.exclude_dismissed:
            set_aside = ", ".join(f"'{code}'" for code in sorted(NOT_SUSTAINED))
            counted = (
                "CASE WHEN v.new_offence IS NOT NULL "
                f"AND COALESCE(ld.disposition, '') NOT IN ({set_aside}) THEN 'new_offence' "
                "WHEN v.absconding = 1 THEN 'absconding' "
                "WHEN v.technical <> '' THEN 'technical' END"
            )
        else:
            counted = "v.category"
        # compared as text (ISO dates, as the needs and programme reports compare days; this
        # module compares day numbers elsewhere): PostgreSQL then estimates the rows from the
        # column's statistics (on the day numbers, it guessed at a few and planned a report
        # over the whole history a fifth slower)
        first, last = self.periods[0].start.isoformat(), self.periods[-1].end.isoformat()
        in_range = f" AND v.occurred_on BETWEEN '{first}' AND '{last}'" if of_range else ""
        return f"""
            latest_disposition AS (
                SELECT x.client_id, x.violation_id, x.disposition FROM (
                    SELECT d.client_id, d.violation_id, d.disposition, ROW_NUMBER() OVER (
                        PARTITION BY d.client_id, d.violation_id
                        ORDER BY d.occurred_on DESC, d.number DESC) AS nth
                    FROM {{audit_dispositions}} d WHERE {self.known("d")}{self.among_clients("d")}
                ) x WHERE x.nth = 1
            ),
            counted_violations AS MATERIALIZED (
                SELECT v.client_id, v.number, v.violation_id, {self.sql.day("v.occurred_on")}
                    AS day, v.category, {counted} AS counted, v.basis, ld.disposition
                FROM {{audit_violations}} v LEFT JOIN latest_disposition ld
                    ON ld.client_id = v.client_id AND ld.violation_id = v.violation_id
                WHERE {self.known("v")}{self.among_clients("v")}{in_range}
            )"""

    def segments(self) -> str:
        """Each span cut at every change of status within it, with what holds on its days.

        Every change of a span (its start, its status changes, and assessments when grouping
        by risk) is one row with a column per kind; a running count of each column's values
        numbers the rows that follow the same value, which fills the gaps (SQL has no portable
        "last value ignoring nulls"). A change dated before the range's first day takes effect
        on it; the last change of each day is what holds from that day.

        Kept segments (`kept`) were cut over the whole of each term, risk included: those
        overlapping the range, cut to it, are the same segments (a change before the range's
        first day holds from it; one after its last day starts a segment that is dropped)."""
        sql = self.sql
        if self.kept:
            first, last = self.first_day, self.last_day
            # who the client is, looked up as the report reads the segments, once a term (the
            # kept table holds nothing personal: a seal leaves no band behind in it, kept.py)
            band, bands, joined = "NULL", "", ""
            if "age_band" in self.dimensions:
                band = "tb.age_band"
                joined = (
                    " LEFT JOIN term_bands tb ON tb.client_id = k.client_id "
                    "AND tb.number = k.number"
                )
                bands = f"""term_bands AS MATERIALIZED (
                    SELECT t.client_id, t.number,
                        {age_band_sql("t", "t.occurred_on")} AS age_band
                    FROM {{audit_terms}} t WHERE 1 = 1{self.among_clients("t")}
                ), """
            # whether a segment runs on past the range's last day (with `lines`)
            running = f", CASE WHEN k.seg_end > {last} THEN 1 ELSE 0 END AS running"
            running = running if self.lines else ""
            # `segments` for scans and `kept_segments` for lookups by client (on the table's
            # index: not materialised)
            kept = f"""
                SELECT k.client_id, k.term, k.number, k.supervision, {band} AS age_band,
                    k.agency, k.officer, k.level, k.risk, k.at_risk,
                    {sql.greatest("k.seg_start", first)} AS seg_start,
                    {sql.least("k.seg_end", last)} AS seg_end{running}
                FROM {{report_kept_segments}} k{joined}
                WHERE k.seg_start <= {last} AND k.seg_end >= {first}{self.among_clients("k")}"""
            return f"{bands}segments AS MATERIALIZED ({kept}), kept_segments AS ({kept})"
        risk_rows = ""
        if self.by_risk:
            risk_rows = f"""
                UNION ALL
                SELECT s.client_id, s.number, {sql.day("a.occurred_on")}, a.number,
                    NULL, NULL, NULL, NULL, NULL, a.risk_level
                FROM spans s JOIN {{audit_assessments}} a ON a.client_id = s.client_id
                    AND {self.known("a")} AND {sql.day("a.occurred_on")} <= s.end_day
                WHERE s.begin_day <= s.end_day"""
        return f"""
            changes AS (
                SELECT s.client_id, s.number AS tn, s.start_day AS day, s.number AS n,
                    s.agency, s.officer, '{UNSET_LEVEL}' AS level, '' AS custody,
                    '' AS absconded, NULL AS risk
                FROM spans s WHERE s.begin_day <= s.end_day
                UNION ALL
                SELECT s.client_id, s.number, {sql.day("st.occurred_on")}, st.number,
                    CASE WHEN st.kind = 'officer' THEN st.agency END,
                    CASE WHEN st.kind = 'officer' THEN st.value END,
                    CASE WHEN st.kind = 'level' THEN st.value END,
                    CASE WHEN st.kind = 'custody' THEN st.value END,
                    CASE WHEN st.kind = 'absconded' THEN st.value END,
                    NULL
                FROM spans s JOIN {{audit_status}} st ON st.client_id = s.client_id
                    AND st.number > s.number AND {self.known("st")}
                    AND (s.next_number IS NULL OR st.number < s.next_number)
                    AND {sql.day("st.occurred_on")} BETWEEN s.start_day AND s.end_day
                WHERE s.begin_day <= s.end_day{risk_rows}
            ),
            ordered AS (
                SELECT ch.*, {sql.greatest("ch.day", "s.begin_day")} AS seg_day, s.end_day,
                    s.term, s.supervision, s.age_band,
                    COUNT(ch.officer) OVER w AS g_officer, COUNT(ch.level) OVER w AS g_level,
                    COUNT(ch.custody) OVER w AS g_custody,
                    COUNT(ch.absconded) OVER w AS g_absconded, COUNT(ch.risk) OVER w AS g_risk,
                    ROW_NUMBER() OVER (
                        PARTITION BY ch.client_id, ch.tn,
                            {sql.greatest("ch.day", "s.begin_day")}
                        ORDER BY ch.day DESC, ch.n DESC
                    ) AS last_of_day
                FROM changes ch JOIN spans s ON s.client_id = ch.client_id AND s.number = ch.tn
                WINDOW w AS (
                    PARTITION BY ch.client_id, ch.tn
                    ORDER BY {sql.greatest("ch.day", "s.begin_day")}, ch.day, ch.n
                    ROWS UNBOUNDED PRECEDING
                )
            ),
            filled AS (
                SELECT client_id, tn, seg_day, end_day, last_of_day, term, supervision,
                    age_band,
                    MAX(agency) OVER (PARTITION BY client_id, tn, g_officer) AS agency,
                    MAX(officer) OVER (PARTITION BY client_id, tn, g_officer) AS officer,
                    MAX(level) OVER (PARTITION BY client_id, tn, g_level) AS level,
                    MAX(custody) OVER (PARTITION BY client_id, tn, g_custody) AS custody,
                    MAX(absconded) OVER (PARTITION BY client_id, tn, g_absconded) AS absconded,
                    MAX(risk) OVER (PARTITION BY client_id, tn, g_risk) AS risk
                FROM ordered
            ),
            segments AS MATERIALIZED (
                SELECT f.client_id, f.term, f.tn AS number, f.supervision, f.age_band,
                    f.agency, f.officer,
                    f.level, COALESCE(f.risk, '{UNASSESSED}') AS risk,
                    CASE WHEN f.custody = '' AND f.absconded = '' THEN 1 ELSE 0 END AS at_risk,
                    f.seg_day AS seg_start,
                    COALESCE(LEAD(f.seg_day) OVER (
                        PARTITION BY f.client_id, f.tn ORDER BY f.seg_day) - 1, f.end_day
                    ) AS seg_end
                FROM filled f WHERE f.last_of_day = 1
            )"""

    def keys(self) -> list[str]:
        """The group's values, over the segment `g` and the period `p` (after the client's
        part, when grouped by it)."""
        columns = {
            "agency": "g.agency",
            "officer": "g.officer",
            "supervision": "g.supervision",
            "juvenile": "cl.juvenile",
            "sex": "COALESCE(pp.sex, 'unknown')",
            "race": "COALESCE(pp.race, 'unknown')",
            "ethnicity": "COALESCE(pp.ethnicity, 'unknown')",
            "age_band": "g.age_band",
            "term": f"CASE WHEN g.term = 1 THEN '{FIRST_TERM}' ELSE '{LATER_TERM}' END",
            "level": "g.level",
            "risk": "g.risk",
            "period": "p.position",
        }
        part = [f"SUBSTR(g.client_id, 1, {self.part_length})"] if self.part_length else []
        return [*part, *(columns[d] for d in self.dimensions)]

    def selected(self, values: Sequence[str], source: str, group: bool = True) -> str:
        """SELECT the group's keys (`key_0`...) and `values` (`value_0`...: PostgreSQL rows
        come back as dicts, where two "sum"s would be one) from `source`, which names the
        segment `g` and the period `p`; the client's own rows are joined. Grouped by the keys
        unless `group` is False (one row per source row)."""
        keys = self.keys()
        joins = ""
        if "juvenile" in self.dimensions:
            joins += " JOIN {audit_clients} cl ON cl.client_id = g.client_id"
        if set(self.dimensions) & {"sex", "race", "ethnicity"}:
            joins += " LEFT JOIN {audit_people} pp ON pp.client_id = g.client_id"
        named = [f"{k} AS key_{i}" for i, k in enumerate(keys)]
        named += [f"{v} AS value_{i}" for i, v in enumerate(values)]
        group_by = f" GROUP BY {', '.join(keys)}" if keys and group else ""
        where = ""
        if " WHERE " in source:
            source, where = source.split(" WHERE ", 1)
            where = f" WHERE {where}"
        return f"SELECT {', '.join(named)} FROM {source}{joins}{where}{group_by}"

    def grouped(self, values: Sequence[str], source: str) -> str:
        """The whole statement: `values` by group from `source` (`selected`)."""
        return f"{self.context()} {self.selected(values, source)}"

    def period_of(self, day: str) -> tuple[str, str]:
        """The tables and condition that join the period `p` the day `day` falls in (to be
        joined after the tables `day` names)."""
        if self.several:
            return "CROSS JOIN days pd CROSS JOIN periods p", (
                f"pd.day = {day} AND p.position = pd.position"
            )
        return "CROSS JOIN periods p", f"{day} BETWEEN p.start_day AND p.end_day"

    def on_period(self, day: str) -> str:
        """`period_of` as JOINs with their conditions."""
        if self.several:
            return f"JOIN days pd ON pd.day = {day} JOIN periods p ON p.position = pd.position"
        return f"JOIN periods p ON {day} BETWEEN p.start_day AND p.end_day"

    def exposed(self) -> str:
        """Each segment `g` with each period `p` it overlaps: with several periods, cut into
        pieces, one a period (`pieces`), each joined to its period by equality."""
        if self.several:
            return "pieces g CROSS JOIN periods p WHERE p.position = g.position"
        return EXPOSED

    def pieces(self) -> str:
        """`pieces`: each segment once for each period it overlaps (its `position`), the
        first found by its first day, the rest counted on to its last day's. Only the columns
        exposure reads are carried (the recursion copies each into every piece): the client,
        its days and those the report groups by."""
        carried = [c for c in SEGMENT_ROW if c in PIECE_COLUMNS or c in self.dimensions]
        carried += ["running"] if self.lines else []
        columns = ", ".join(carried)
        return f"""
            pieces ({columns}, position, last_position) AS (
                SELECT {", ".join(f"g.{c}" for c in carried)}, a.position, b.position
                FROM segments g JOIN days a ON a.day = g.seg_start
                    JOIN days b ON b.day = g.seg_end
                WHERE g.seg_start <= g.seg_end
                UNION ALL
                SELECT {columns}, position + 1, last_position FROM pieces
                WHERE position < last_position
            )"""

    def dated(self, events: str, alias: str, condition: str | None = None) -> str:
        """Each of `events` (a row per event with its client and `day`) with the segment `g` and
        the period `p` its day falls in. The events are the outer loop (CROSS JOIN fixes
        SQLite's order; PostgreSQL plans it as any inner join): SQLite then finds each event's
        segments through an automatic index on the client; with the segments outside, it had
        scanned every event for each segment and period."""
        tables, in_period = self.period_of(f"{alias}.day")
        where = (
            f"g.client_id = {alias}.client_id AND {alias}.day BETWEEN g.seg_start AND g.seg_end "
            f"AND {in_period}"
        )
        if condition:
            where += f" AND {condition}"
        return f"{events} CROSS JOIN segments g {tables} WHERE {where}"

    def days(self) -> str:
        """A segment's days in a period it overlaps (in `exposed`)."""
        sql = self.sql
        return (
            f"{sql.least('g.seg_end', 'p.end_day')} - {sql.greatest('g.seg_start', 'p.start_day')}"
            " + 1"
        )

    def by_client(self) -> str:
        """Exposure and incidents of each category by group and client, then summed by group
        (with each client's squares and products for the dispersion); and new offences by
        basis and by current disposition, summed by group straight from the violations (in
        the per-client rows, whose every column is summed, they were two thirds of the work),
        in the same statement: they add up to `new_offences`, read from the same snapshot."""
        categories = [f"CASE WHEN v.counted = '{c}' THEN 1 ELSE 0 END" for c in CATEGORIES]
        incidents = self.dated("counted_violations v", "v", "v.counted IS NOT NULL")
        technical, absconding, new = "y_0", "y_1", "y_2"  # a count per category
        sums = [
            *EXPOSURE_SUMS,
            f"SUM({technical})",
            f"SUM({absconding})",
            f"SUM({new})",
            f"SUM(CASE WHEN {technical} > 0 THEN 1 ELSE 0 END)",
            f"SUM(CASE WHEN {new} > 0 THEN 1 ELSE 0 END)",
            *dispersion_sums([technical, absconding, new]),
        ]
        if self.lines:  # `SLOPES`, over the per-client rows' slopes (`per_client`)
            sums += [
                "SUM(person_days_slope)",
                "SUM(days_at_risk_slope)",
                *(f"SUM({y} * days_at_risk_slope)" for y in (technical, absconding, new)),
                "SUM(days_at_risk * days_at_risk_slope)",
                "SUM(days_at_risk_slope * days_at_risk_slope)",
            ]
        parts = [
            *(number_where(f"v.basis = '{b}'") for b in BASES),
            number_where(f"v.basis IS NULL OR v.basis NOT IN ({quoted(BASES)})"),
            *(number_where(f"v.disposition = '{d}'") for d in DISPOSITIONS),
            number_where(f"v.disposition IS NULL OR v.disposition NOT IN ({quoted(DISPOSITIONS)})"),
        ]
        new_offences = self.dated("counted_violations v", "v", "v.counted = 'new_offence'")
        return self.per_client(
            [(incidents, categories)], sums, (parts, new_offences), violations_of_range=True
        )

    def per_client(
        self,
        events: Sequence[tuple[str, Sequence[str]]],
        sums: Sequence[str],
        by_group: tuple[Sequence[str], str] | None = None,
        violations_of_range: bool = False,
    ) -> str:
        """The whole statement: `sums` by group over its clients (`per_client`, a row per
        group and client), each client's `person_days` and `days_at_risk` in the group and
        its counts `y_0`, `y_1`...: the columns of `events`, in order, summed. Each event
        source (`selected`) gives a row per event, naming the segment `g` and the period `p`
        its date falls in; its columns are its own counts, the other sources' are 0.
        `by_group`: more values summed by group straight from their source (`selected`), in
        rows of their own after the sums (each side's columns NULL in the other's rows): read
        in the same statement, so from the same snapshot of the tables. `violations_of_range`:
        the violations dated in the range alone, only for a statement that reads every one of
        them through `dated` (which counts none outside it); nothing checks that it does."""
        days = self.days()
        width = sum(len(columns) for _, columns in events)
        # with `lines`, after the counts: the days a piece adds each further day, to its
        # person-days and to its days at risk (one that runs on past the range's last day)
        slope = f"CASE WHEN g.running = 1 AND p.end_day = {self.last_day} THEN 1 ELSE 0 END"
        slopes = [slope, f"({slope}) * g.at_risk"] if self.lines else []
        exposure = ["g.client_id", days, f"({days}) * g.at_risk", *["0"] * width, *slopes]
        rows = [self.selected(exposure, self.exposed(), group=False)]
        before = 0
        for source, columns in events:
            after = width - before - len(columns)
            values = ["g.client_id", "0", "0", *["0"] * before, *columns, *["0"] * after]
            rows.append(self.selected([*values, *["0"] * len(slopes)], source, group=False))
            before += len(columns)
        keys = [f"key_{i}" for i in range(len(self.keys()))]
        # value_0: the client; value_1: person-days; value_2: days at risk (e); then each
        # count; then, with `lines`, the slopes of the two
        named = ["person_days", "days_at_risk", *(f"y_{i}" for i in range(width))]
        named += ["person_days_slope", "days_at_risk_slope"] if self.lines else []
        per_client = ", ".join(
            [*keys, *(f"SUM(value_{i}) AS {name}" for i, name in enumerate(named, start=1))]
        )
        extra, source = by_group or ((), "")
        outer = [*keys, *(f"{value} AS total_{i}" for i, value in enumerate(sums))]
        outer += [f"NULL AS part_{i}" for i in range(len(extra))]  # named: PostgreSQL's rows
        # come back as dicts, where unnamed columns would be one
        grouped = f" GROUP BY {', '.join(keys)}" if keys else ""
        pieces = f"{self.pieces()}, " if self.several else ""
        context = self.context(violations_of_range=violations_of_range)
        statement = (
            f"{context}, {pieces}client_rows AS ({' UNION ALL '.join(rows)}), "
            f"per_client AS (SELECT {per_client} FROM client_rows "
            f"GROUP BY {', '.join([*keys, 'value_0'])}) "
            f"SELECT {', '.join(outer)} FROM per_client{grouped}"
        )
        if by_group:
            statement += f" UNION ALL {self.selected([*['NULL'] * len(sums), *extra], source)}"
        return statement

    def responses(self) -> str:
        """Decisions in the group of their date; revoked terms in the group of their first
        revocation decision, by the category attributed and by the one named. Custody days
        are technical where the decision's violation is counted technical, and for a term's
        first revocation decision where the revocation is attributed technical (a revocation
        on a technical violation attributed to a new offence in its window is none).

        Of the decisions, only those dated in the range and every one of the clients with a
        revocation decision in it (ADR 40: a term's first may lie before the range); where the
        segments are kept, the terms' spans of those clients alone (elsewhere the segments
        are cut from every client's spans). The rest would be counted in no period. On a
        range that starts late (a report mended from its last period, ADR 37 and 38), a small
        share of the clients. (Every violation is read: restricted to the clients decided in
        the range, the statement took PostgreSQL four times as long over the whole history.)"""
        sql, first, last = self.sql, self.first_day, self.last_day

        def revoked(client: str) -> str:
            """Whether the client whose id is `client` has a revocation decision dated in the
            range. Correlated: as a list of ids, it changed SQLite's estimates, and the
            statement over the whole history took seven times as long. The clients counted
            are named again on `x` (PostgreSQL does not carry a range across an equality:
            without, it read every client's responses for a part's few, 27 of 41 ms of a
            256th of ten million events)."""
            return (
                f"EXISTS (SELECT 1 FROM {{audit_responses}} x WHERE x.client_id = {client}"
                f"{self.among_clients('x')} AND {self.known('x')} AND x.recommendation = 0 "
                f"AND {revocation_sql('x.response')} "
                f"AND {sql.day('x.occurred_on')} BETWEEN {first} AND {last})"
            )

        severity = " ".join(f"WHEN '{c}' THEN {rank}" for rank, c in enumerate(CATEGORIES, 1))
        category = " ".join(f"WHEN {rank} THEN '{c}'" for rank, c in enumerate(CATEGORIES, 1))
        revocation = revocation_sql("d.response")
        decisions = f"""
            decisions AS MATERIALIZED (
                SELECT r.client_id, r.number, {sql.day("r.occurred_on")} AS day, r.response,
                    r.custody_days, v.counted, COALESCE(v.counted, v.category) AS named
                FROM {{audit_responses}} r JOIN counted_violations v
                    ON v.client_id = r.client_id AND v.violation_id = r.violation_id
                WHERE {self.known("r")} AND r.recommendation = 0{self.among_clients("r")}
                    AND ({sql.day("r.occurred_on")} BETWEEN {first} AND {last}
                        OR {revoked("r.client_id")})
            ),
            firsts AS (
                SELECT d.client_id, d.number, d.day, d.named, d.custody_days,
                    s.first_day AS term_start, ROW_NUMBER() OVER (
                        PARTITION BY d.client_id, s.number ORDER BY d.day, d.number) AS nth
                FROM decisions d JOIN spans s ON s.client_id = d.client_id
                    AND d.day BETWEEN s.first_day AND s.term_end
                WHERE {revocation}
            ),
            revoked AS (
                SELECT f.client_id, f.day, f.named, f.custody_days,
                    MAX(CASE v.counted {severity} END) AS severity
                FROM firsts f LEFT JOIN counted_violations v ON v.client_id = f.client_id
                    AND v.day BETWEEN {sql.greatest("f.term_start", f"f.day - {self.window}")}
                        AND f.day
                WHERE f.nth = 1
                GROUP BY f.client_id, f.number, f.day, f.named, f.custody_days
            ),
            attributed AS (
                SELECT rv.client_id, rv.day, rv.named, rv.custody_days,
                    COALESCE(CASE rv.severity {category} END, rv.named) AS category
                FROM revoked rv
            ),
            response_events AS (
                SELECT d.client_id, d.day, CASE WHEN {revocation} THEN 1 ELSE 0 END AS decided,
                    CASE WHEN d.counted = 'technical' AND f.number IS NULL
                        THEN COALESCE(d.custody_days, 0) ELSE 0 END AS custody,
                    NULL AS category, NULL AS named
                FROM decisions d LEFT JOIN firsts f ON f.client_id = d.client_id
                    AND f.number = d.number AND f.nth = 1
                UNION ALL
                SELECT a.client_id, a.day, 0,
                    CASE WHEN a.category = 'technical' THEN COALESCE(a.custody_days, 0) ELSE 0 END,
                    a.category, a.named
                FROM attributed a
            )"""
        values = [
            *(number_where(f"g.category = '{c}'") for c in CATEGORIES),
            number_where("g.named = 'technical'"),
            "SUM(g.decided)",
            "SUM(g.custody)",
            "SUM(CASE WHEN g.custody > 0 THEN 1 ELSE 0 END)",
        ]
        placed = (self.kept_segments_of if self.kept else in_segments)(
            "response_events", ("decided", "custody", "category", "named")
        )
        tables, in_period = self.period_of("g.day")
        source = f"response_segments g {tables} WHERE {in_period}"
        context = self.context(f" AND {revoked('t.client_id')}" if self.kept else "")
        return f"{context}, {decisions}, {placed} {self.selected(values, source)}"

    @staticmethod
    def kept_segments_of(events: str, columns: Sequence[str]) -> str:
        """`response_segments` (as `in_segments`) from kept segments: found through the kept
        table's index on the client, as its segments are not materialised."""
        values = ", ".join(f"e.{c}" for c in columns)
        segment = ", ".join(f"g.{c}" for c in SEGMENT_COLUMNS)
        return f"""
            response_segments AS (
                SELECT e.client_id, e.day, {values}, {segment}
                FROM {events} e CROSS JOIN kept_segments g
                WHERE g.client_id = e.client_id AND e.day BETWEEN g.seg_start AND g.seg_end
            )"""


# Each segment with each period it overlaps.
EXPOSED = (
    "segments g CROSS JOIN periods p WHERE g.seg_start <= g.seg_end "
    "AND p.start_day <= g.seg_end AND p.end_day >= g.seg_start"
)


# a segment's columns, as `segments` gives them (`number`: its term's start, by event
# number); the kept table holds them all but the age band (kept.py)
SEGMENT_ROW = ("client_id", "term", "number", "supervision", "age_band", "agency", "officer",
               "level", "risk", "at_risk", "seg_start", "seg_end")  # fmt: skip
PIECE_COLUMNS = ("client_id", "at_risk", "seg_start", "seg_end")  # and those grouped by
SEGMENT_COLUMNS = ("seg_end", "term", "supervision", "age_band", "agency", "officer", "level",
                   "risk", "at_risk")  # fmt: skip


def in_segments(events: str, columns: Sequence[str]) -> str:
    """`response_segments`: each row of the CTE `events` (its client, `day` and `columns`)
    with the values of the segment its day falls in (`SEGMENT_COLUMNS`); a row on a day no
    segment covers is left out.

    Found by sorting rather than joining: each client's segments and events in one stream by
    day (a segment before an event of its first day), a running count of the segments numbers
    each event with the segment last begun, whose values fill it. (Joining the two CTEs on a
    range of days, SQLite scanned every segment for every event: minutes at a million events.)
    """
    nothing = ", ".join(f"NULL AS {c}" for c in columns)
    blank = ", ".join("NULL" for _ in SEGMENT_COLUMNS)
    filled = ", ".join(
        f"MAX({c}) OVER (PARTITION BY client_id, segment) AS {c}" for c in SEGMENT_COLUMNS
    )
    return f"""
            response_stream AS (
                SELECT client_id, seg_start AS day, 0 AS event, {", ".join(SEGMENT_COLUMNS)},
                    {nothing}
                FROM segments
                UNION ALL
                SELECT client_id, day, 1, {blank}, {", ".join(columns)} FROM {events}
            ),
            response_numbered AS (
                SELECT s.*, COUNT(s.seg_end) OVER (
                    PARTITION BY s.client_id ORDER BY s.day, s.event ROWS UNBOUNDED PRECEDING
                ) AS segment
                FROM response_stream s
            ),
            response_filled AS (
                SELECT client_id, day, event, {", ".join(columns)}, {filled}
                FROM response_numbered
            ),
            response_segments AS (
                SELECT * FROM response_filled WHERE event = 1 AND day <= seg_end
            )"""


def quoted(codes: Sequence[str]) -> str:
    return ", ".join(f"'{code}'" for code in codes)


def age_band_sql(term: str, start_on: str) -> str:
    """A term's age band (`term`: its row, with the client and event number; `start_on`: its
    start's date): the one its start gave, else from the birth year and the start's year
    (`codes.age_band`), else unknown."""
    age = f"(CAST(SUBSTR({start_on}, 1, 4) AS INTEGER) - pb.birth_year)"
    bands = " ".join(
        f"WHEN {age} < {below} THEN '{band}'"
        for band, below in (("under_25", 25), ("25_34", 35), ("35_44", 45), ("45_54", 55))
    )
    given = (
        f"(SELECT b.age_band FROM {{audit_age_bands}} b WHERE b.client_id = {term}.client_id "
        f"AND b.number = {term}.number AND b.age_band <> 'unknown')"
    )
    computed = (
        f"(SELECT CASE WHEN pb.birth_year IS NULL OR {age} < 0 THEN 'unknown' {bands} "
        f"ELSE '55_and_older' END FROM {{audit_people}} pb WHERE pb.client_id = {term}.client_id)"
    )
    return f"COALESCE({given}, {computed}, 'unknown')"


def number_where(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def keyed(
    dimensions: Sequence[str], periods: Sequence[Period]
) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """What makes a group's key of its values as a statement gives them: `juvenile` as a
    truth value, `period` as the period its number stands for, the rest as they are (made
    once a report, for its thousands of rows)."""
    typed: dict[int, Callable[[Any], Any]] = {}
    for place, dimension in enumerate(dimensions):
        if dimension == "juvenile":
            typed[place] = bool
        elif dimension == "period":
            typed[place] = lambda value: periods[int(value)]
    if not typed:
        return lambda values: values
    if list(typed) == [len(dimensions) - 1] and dimensions[-1] == "period":  # as a rule
        return lambda values: (*values[:-1], periods[int(values[-1])])
    return lambda values: tuple(
        typed[place](value) if place in typed else value for place, value in enumerate(values)
    )
