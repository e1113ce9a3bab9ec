"""A report's counts, kept once asked, for as long as nothing they were counted from has moved
(ADR 33).

A report's counts depend only on its statements (the SQL, with its groups, periods, range and
options written in, and their parameters) and on the projections it reads. So once a report
has counted, its sums by group (the parts over different clients already added up: a few
thousand rows, not the millions counted) are kept in `report_kept_answers`, keyed by a digest
of the statements, beside the state of the projections they were counted at: every
projection's position, version and count of clears (a rebuild may come back to the same
position), and the position and versions the kept segments were cut at. A report asked again
while that state stands reads them back instead of counting: the same figures, in the time it
takes to read a few thousand rows.

Only answers of the current state are kept: keeping one deletes those of any other state, and
every page a catch-up or rebuild writes, and every clear, deletes them all in its own
transaction. So no count outlives the state it was counted at: after a seal is caught up,
nothing counted while the client was known is left (ADR 32). At most `MOST` answers are kept,
the latest counted.

A report of few groups on a big ledger is also kept by part of its clients (`PARTS`, or the
finer `FINE_PARTS` where its groups are fewer still: ADR 33, "Later"): asked again after new
events, it counts only the parts holding their clients and reads the others back
(`still_current`).

Keeping an answer never holds a report up: on a ledger that may not be written (a replica), or
while another writer holds it (an import, a catch-up), the report answers without keeping it.
A report asked with `keep=False` (the comparisons in the tests) neither reads nor keeps one.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from itertools import chain
from operator import add, sub
from typing import Any, NamedTuple

import orjson
from eventsourcing.persistence import PersistenceError

from reentry_ledger.projections.database import fetched
from reentry_ledger.projections.store import (
    ANSWER_PARTS,
    ANSWERS,
    VERSIONS,
    WHOLE_PART,
    ProjectionStore,
)
from reentry_ledger.reports import lines
from reentry_ledger.reports.periods import Period
from reentry_ledger.reports.tallies import Sums

# of how an answer is kept: a new one never reads an older one's (2: parts of two characters;
# 3: written by orjson, which would read a sum past 64 bits that json had written as a float)
ANSWERS_VERSION = 3
MOST = 64  # answers kept: the latest counted
# A client's part: the first character of its id as the projections key it (a UUID's text);
# its fine part, the first two
PARTS = tuple("0123456789abcdef")
FINE_PARTS = tuple(f"{first}{second}" for first in PARTS for second in PARTS)
# Groups over every part of an answer past which none is kept (a million events by officer:
# 300 officers in 256 parts, each officer in some 50, two statements each, about 30,000
# groups, 2.3 MB of text, measured; at ten million, 3,005 officers, by that some 300,000
# groups and 20 MB, not measured), and the answers whose parts are kept: those of the latest
# `PARTS_MOST` kept (at most some 430 MB)
PART_GROUPS_MOST = 400_000
PARTS_MOST = 16
# Events since a part was kept past which it is counted again without reading them (by then
# nearly every part has a client among them)
WHOLE_AFTER = 20_000
LOG = logging.getLogger(__name__)
# A report's parts, and what counts those it is given, each on its own
Parted = tuple[tuple[str, ...], Callable[[Sequence[str]], dict[str, Sums]]]
# The same report asked in earlier periods: each one's statements, and what runs the line it
# kept on into the periods begun since (reports/lines.py, `extended`), the nearest first
Earlier = Callable[[], Iterator[tuple[list[str], Callable[[Sums], Sums]]]]
# A report split by period: where the period's number is in a group's key, its periods, and
# what counts its periods from the one numbered so to the last, for every client and for each
# of some parts of them (lines: the keys numbered as the whole report's; None where they could
# not be counted with slopes)
Mend = tuple[
    int,
    Sequence[Period],
    Callable[[int], Sums | None],
    Callable[[Sequence[str], int], dict[str, Sums] | None],
]
# Groups past which a report kept whole is not kept as a part too (officer by month at ten
# million events: some 110,000 groups of one statement)
WHOLE_PART_GROUPS_MOST = 250_000
# A report kept by part keeps its whole beside its parts, as the part of every client (ADR 39):
# its sums, and beside them, for each statement, how many parts hold each group (`HELD` and
# the statement's names), and each part's horizon (`BESIDE`: the last day its line holds)
BESIDE = ("#parts",)
HELD = "#held"


def answered(
    store: ProjectionStore,
    statements: Sequence[str],
    parameters: dict[str, Any],
    count: Callable[[], Sums],
    parted: Parted | None = None,
    day: date | None = None,
    earlier: Earlier | None = None,
    mend: Mend | None = None,
) -> Sums:
    """The sums `count` gives for `statements` (as their text and `parameters` define them):
    read back where they were kept at the projections' current state, else counted and kept
    (when the state did not move while they were counted).

    `parted`, where the report can count part by part: its parts (`PARTS` or `FINE_PARTS`)
    and what counts those it is given, each on its own. Then only the parts not kept (those
    holding a client with events since) are counted, the others read back, and the parts
    counted are kept too.

    `day`: the report's range ends today, on `day`, and its statements are written without
    it (reports/lines.py): answers and parts are kept as lines, with their slopes, and read
    back on any day they hold, moved to it. `earlier`: where the report is split by period,
    the same report asked in earlier periods, whose line (whole, or its parts) is run on into
    the periods begun since when this one has none kept. `mend`: where the report is split by
    period, asked again after new events, its periods that end before the first day they could
    change are read back, the rest counted (`mended`): of the parts of the events' clients,
    where it is kept by part (`parts_mended`); else of every client, its line kept whole as the
    part of every client too."""
    digest = digest_of(statements, parameters)
    before, whole, parts_found = None, None, {}
    run_on: Callable[[Sums], Sums] | None = None  # what was found is an earlier period's
    beside: Beside | None = None
    with store.transaction(commit=False) as cursor:
        if store.has_table(cursor, ANSWERS):  # not on a ledger an earlier version set up
            before = state(store, cursor)
            whole = whole_kept(store, cursor, digest, before, day)
            if whole is None and parted is not None:
                beside = beside_kept(store, cursor, digest, parted[0], before, day)
            if whole is None and beside is None and (parted is not None or mend is not None):
                parts_found = parts_kept(store, cursor, digest)
            if whole is None and beside is None and not parts_found and earlier is not None:
                whole, parts_found, run_on = ran_on(store, cursor, before, parameters, earlier,
                                                    day, parted)  # fmt: skip
    if before is None:
        return figures(count(), day)
    if whole is not None:
        if run_on is not None:  # run on, and kept as this report's line
            whole = run_on(whole)
            if not store.ledger.backend.read_only:
                keep(store, digest, before, whole)
        return whole if day is None else lines.figures(lines.moved(whole, day))
    if beside is not None and parted is not None:
        found = beside_mended(store, digest, before, beside, parted, day, mend, count)
        if found is not None:
            return found
        with store.transaction(commit=False) as cursor:  # the whole did not add up
            parts_found = parts_kept(store, cursor, digest)
    if (
        parted is None
        and mend is not None
        and day is not None
        and WHOLE_PART in parts_found
        and BESIDE not in parts_found[WHOLE_PART][0]  # not a whole kept beside its parts
    ):
        line = mended(store, parts_found[WHOLE_PART], before, day, mend)
        if line is not None:
            if not store.ledger.backend.read_only:
                keep(store, digest, before, line, {WHOLE_PART: line})
            return lines.figures(line)
    counted: dict[str, Sums] | None
    held: dict[str, Sums] = {}  # a line's parts read back, as kept
    kept_parts: dict[str, Sums] = {}  # the parts read back as current
    counted_parts: list[str] = []
    if parted is None:
        sums, counted = count(), None
    else:
        parts, count_parts = parted
        kept_parts = still_current(store, parts_found, before, len(parts[0]))
        if run_on is not None:  # an earlier period's parts: run on into this one's
            kept_parts = {part: run_on(found) for part, found in kept_parts.items()}
        if day is not None:  # the lines that reach `day`, moved to it
            held = {part: found for part, found in kept_parts.items() if lines.holds(found, day)}
            kept_parts = {part: lines.moved(found, day) for part, found in held.items()}
        counted_parts = [part for part in parts if part not in kept_parts]
        mended_parts = (
            parts_mended(store, parts_found, counted_parts, before, day, mend)
            if mend is not None and day is not None and run_on is None
            else {}
        )
        counted = mended_parts | count_parts([p for p in counted_parts if p not in mended_parts])
        if (kept_parts or mended_parts) and current_state(store) != before:
            # a page (or a clear) landed since the kept parts were read: they may not be of
            # the state the others were counted at
            return figures(count(), day)
        if day is not None and not all(map(lines.sloped, counted.values())):
            # counted with every term cut again (no slopes): not kept as lines
            return lines.figures(
                summed([lines.figures(part) for part in (*kept_parts.values(), *counted.values())])
            )
        sums = summed([*kept_parts.values(), *counted.values()])
        if sum(len(by_key) for part in (*kept_parts.values(), *counted.values())
               for by_key in part.values()) > PART_GROUPS_MOST:  # fmt: skip
            counted = None  # too many to keep by part: the whole only
    if day is not None and not lines.sloped(sums):
        return lines.figures(sums)  # counted with every term cut again: not kept as a line
    if not store.ledger.backend.read_only:
        if day is None:
            by_whole = None
            if counted is not None and parted is not None:  # the whole beside them (ADR 39)
                every = [*kept_parts.values(), *counted.values()]
                unending = dict.fromkeys(parted[0], lines.UNENDING)
                by_whole = {**counted, WHOLE_PART: beside_of(sums, every, unending)}
            keep(store, digest, before, sums, by_whole, list(kept_parts))
        else:
            # each part counted its own horizon (it holds no date of another part's client);
            # the whole's, the lowest of every part's (those read back keep theirs)
            reached = (
                lines.horizons(store, day, counted_parts) if counted_parts or not parted else {}
            )
            # an earlier period's parts, read back, are kept as this report's too
            carried = (
                {
                    part: lines.lined(kept_parts[part], day, lines.horizon_of([line]))
                    for part, line in held.items()
                }
                if run_on is not None
                else {}
            )
            by_part = (
                None
                if counted is None
                else {
                    **carried,
                    **{
                        part: lines.lined(found, day, reached.get(part))
                        for part, found in counted.items()
                    },
                }
            )
            holding = lines.horizon_of(list(held.values()), reached.values())
            line = lines.lined(sums, day, holding)
            if by_part is not None and parted is not None:  # the whole beside them (ADR 39)
                last = {part: int(found[lines.LINE][()][1]) for part, found in held.items()}
                for part in counted_parts:
                    last[part] = reached[part].toordinal() if part in reached else lines.UNENDING
                by_part[WHOLE_PART] = beside_of(
                    line, [*kept_parts.values(), *(counted or {}).values()], last
                )
            if (
                by_part is None
                and parted is None
                and mend is not None
                and groups_in(sums) <= WHOLE_PART_GROUPS_MOST
            ):
                by_part = {WHOLE_PART: line}  # to be mended after new events
            # the parts read back (those of an earlier period's report: kept anew, `carried`)
            keep(store, digest, before, line, by_part, list(held) if run_on is None else [])
    return figures(sums, day)


class Beside(NamedTuple):
    """A report's whole kept beside its parts (ADR 39), usable at the state asked."""

    whole: Sums  # as kept: a line where the report is of today
    held: Sums  # for each statement, how many parts hold each group (as [count])
    horizons: dict[str, int]  # each part's, as an ordinal (`lines.UNENDING`: none)
    moved: Kept  # the parts whose clients have events since, as kept with the whole


def beside_kept(
    store: ProjectionStore,
    cursor: Any,
    digest: str,
    parts: Sequence[str],
    now: str,
    day: date | None,
) -> Beside | None:
    """The whole of a report kept by `parts` (kept beside them: ADR 39), if it can be read at
    the state `now` (on `day`), and the parts whose clients have events since, as they were
    kept with it: their old sums are taken from it and their new ones added (`combined`),
    the other parts not read. None where it cannot: not kept, kept by other parts, at
    another standing or a later position, too long ago, not a line that holds on `day`, most
    parts moved, or one of them kept again since (by a build that keeps no whole)."""
    if not store.has_table(cursor, ANSWER_PARTS):
        return None
    statement = store.sql(
        f"SELECT sums, kept_at, since, standing FROM {{{ANSWER_PARTS}}} "
        "WHERE digest = ? AND part = ?",
        (ANSWER_PARTS,),
    )
    found = fetched(cursor, statement, (digest, WHOLE_PART))
    if not found:
        return None
    text, kept_at, since, at = found[0]
    since_now, at_now, head = standing(now)
    if str(at) != at_now or int(since) > since_now or head - int(since) > WHOLE_AFTER:
        return None
    kept = loaded(str(text))
    horizons = {str(key[0]): int(last[0]) for key, last in kept.pop(BESIDE, {}).items()}
    if set(horizons) != set(parts) or (day is not None and not lines.holds(kept, day)):
        return None
    held = {names[1:]: kept.pop(names) for names in list(kept) if names[0] == HELD}
    from reentry_ledger.reports.kept import recorded_for  # it builds on the reports' modules

    length, touched = len(parts[0]), set()
    for client in recorded_for(store, int(since), head):
        touched.add(client[:length])
        if len(touched) > len(parts) // 2:
            return None  # most parts: read them all, as they stand
    moved = sorted(touched)
    if not moved:
        return Beside(kept, held, horizons, {})
    marks = ", ".join("?" for _ in moved)
    statement = store.sql(
        f"SELECT part, sums, since, standing FROM {{{ANSWER_PARTS}}} "
        f"WHERE digest = ? AND kept_at = ? AND part IN ({marks})",
        (ANSWER_PARTS,),
    )
    rows = fetched(cursor, statement, (digest, int(kept_at), *moved))
    olds = {str(part): (loaded(str(sums)), int(s), str(a)) for part, sums, s, a in rows}
    if len(olds) != len(moved) or (
        day is not None and not all(lines.holds(old, day) for old, _, _ in olds.values())
    ):
        return None
    return Beside(kept, held, horizons, olds)


def beside_mended(
    store: ProjectionStore,
    digest: str,
    now: str,
    beside: Beside,
    parted: Parted,
    day: date | None,
    mend: Mend | None,
    count: Callable[[], Sums],
) -> Sums | None:
    """The sums of a report kept by part from its whole kept beside its parts (`beside`):
    the parts whose clients moved counted again (mended, where the report is split by period:
    `parts_mended`), their old sums taken away and their new ones added; kept again, the
    other parts marked current. None where the sums do not add up (the caller reads every
    part instead)."""
    parts, count_parts = parted
    moved = list(beside.moved)
    mended_parts = (
        parts_mended(store, beside.moved, moved, now, day, mend)
        if mend is not None and day is not None
        else {}
    )
    counted = mended_parts | count_parts([part for part in moved if part not in mended_parts])
    if current_state(store) != now:
        # a page (or a clear) landed since the whole was read: it may not be of the state
        # the parts were counted at
        return figures(count(), day)
    if day is not None and not all(map(lines.sloped, counted.values())):
        return figures(count(), day)  # counted with every term cut again: not kept as lines
    added_up = combined(beside, day, counted)
    if added_up is None:
        return None
    sums, held = added_up
    if store.ledger.backend.read_only:
        return figures(sums, day)
    if sum(n for by_key in held.values() for (n,) in by_key.values()) > PART_GROUPS_MOST:
        return figures(sums, day)  # too many groups to keep by part (those kept stay)
    kept, by_part, last = sums, dict(counted), beside.horizons
    if day is not None:
        # each part counted its own horizon; the whole's, the lowest of every part's
        reached = lines.horizons(store, day, moved) if moved else {}
        last = {**last, **{part: reached[part].toordinal() if part in reached
                           else lines.UNENDING for part in moved}}  # fmt: skip
        lowest = min(last.values(), default=lines.UNENDING)
        kept = lines.lined(sums, day, None if lowest == lines.UNENDING
                           else date.fromordinal(lowest))  # fmt: skip
        by_part = {part: lines.lined(part_sums, day, reached.get(part))
                   for part, part_sums in counted.items()}  # fmt: skip
    by_part[WHOLE_PART] = with_beside(kept, held, last)
    # the parts not moved are current at this state, as the whole is
    keep(store, digest, now, kept, by_part, [part for part in parts if part not in beside.moved])
    return figures(sums, day)


def combined(
    beside: Beside, day: date | None, counted: dict[str, Sums]
) -> tuple[Sums, Sums] | None:
    """The whole kept beside its parts (`beside`, moved to `day` where a line), less the old
    sums of the parts that moved, plus their new ones (`counted`); and how many parts hold
    each group, a group none holds left out (as counting every client leaves it). None where
    they do not add up (a group taken away that the whole did not hold)."""
    whole = beside.whole if day is None else lines.moved(beside.whole, day)
    sums = {names: dict(by_key) for names, by_key in whole.items() if names != lines.LINE}
    held = {names: {key: int(n[0]) for key, n in by_key.items()}
            for names, by_key in beside.held.items()}  # fmt: skip
    olds = [old if day is None else lines.moved(old, day) for old, _, _ in beside.moved.values()]
    for sign, each in ((-1, olds), (1, list(counted.values()))):
        step = add if sign > 0 else sub  # value by value: each statement's lists are as long
        for part in each:
            for names, by_key in part.items():
                if names == lines.LINE:
                    continue
                into, holding = sums.setdefault(names, {}), held.setdefault(names, {})
                for key, values in by_key.items():
                    before = into.get(key)
                    if before is None:
                        if sign < 0:
                            return None
                        into[key] = list(values)
                    elif len(before) == len(values):
                        into[key] = list(map(step, before, values))
                    else:  # as zip(strict=True) did: map would stop at the shorter
                        raise ValueError(f"{names}: {len(values)} values where {len(before)}")
                    holding[key] = holding.get(key, 0) + sign
    for names, holding in held.items():
        for key, number in list(holding.items()):
            if number < 0 or (number == 0 and any(sums.get(names, {}).get(key, ()))):
                return None
            if number == 0:
                del holding[key]
                sums.get(names, {}).pop(key, None)
    return sums, {names: {key: [n] for key, n in by_key.items()} for names, by_key in held.items()}


def beside_of(whole: Sums, parts: Sequence[Sums], horizons: dict[str, int]) -> Sums:
    """`whole` as kept beside `parts` (each's sums, as the whole adds them up): with how many
    of them hold each group, and each part's horizon (ADR 39)."""
    held: Sums = {}
    for part in parts:
        for names, by_key in part.items():
            if names == lines.LINE:
                continue
            holding = held.setdefault(names, {})
            for key in by_key:
                before = holding.get(key)
                holding[key] = [1] if before is None else [before[0] + 1]
    return with_beside(whole, held, horizons)


def with_beside(whole: Sums, held: Sums, horizons: dict[str, int]) -> Sums:
    return {
        **whole,
        BESIDE: {(part,): [last] for part, last in horizons.items()},
        **{(HELD, *names): by_key for names, by_key in held.items()},
    }


def groups_in(sums: Sums) -> int:
    return sum(len(by_key) for by_key in sums.values())


def mended(store: ProjectionStore, base: tuple[Sums, int, str], now: str, day: date,
           mend: Mend) -> Sums | None:  # fmt: skip
    """The line of a report split by period, from its line kept whole (`base`, with the
    position and standing it was kept at) and the events recorded since: the periods that end
    before the first day they could change (`kept.changed_from`) read back from it, the rest
    counted (`mend`); None where it cannot be mended (kept at another standing or position,
    on a later day, too many events since, one that could change an earlier day than its own,
    or every period from the first)."""
    place, periods, count_from, _ = mend
    start = mend_start(store, now, {WHOLE_PART: base}, day, periods)
    counted = None if start is None else count_from(start)
    if start is None or counted is None:
        return None
    line = joined(base[0], counted, place, start)
    horizon = lines.horizon_of([], lines.horizons(store, day).values())
    if current_state(store) != now:
        # a page (or a clear) landed since the part was read: what was counted is of a later
        # state than it, and the events it brought were not read
        return None
    return lines.lined(line, day, horizon)


def parts_mended(
    store: ProjectionStore, found: Kept, parts: Sequence[str], now: str, day: date, mend: Mend
) -> dict[str, Sums]:
    """Of `parts` (whose clients have events since they were kept: ADR 38), those kept
    (`found`) that can be mended, as `mended` mends a report kept whole: their periods that end
    before the first day the events could change read back, the rest counted for their
    clients alone; as counted (not yet lines). None (an empty dict) where they cannot be; the
    caller checks that the state did not move meanwhile."""
    place, periods, _, count_parts_from = mend
    usable = {part: found[part] for part in parts if part in found}
    start = mend_start(store, now, usable, day, periods)
    counted = None if start is None else count_parts_from(list(usable), start)
    if start is None or counted is None:
        return {}
    return {part: joined(usable[part][0], counted[part], place, start) for part in usable}


def mend_start(
    store: ProjectionStore, now: str, base: Kept, day: date, periods: Sequence[Period]
) -> int | None:
    """The number of the first period to count again of lines kept (`base`: each with the
    position and standing it was kept at) asked at the state `now` on `day`: that of the
    first day the events recorded since could change (`kept.changed_from`), or the last
    period; None where they cannot be mended (one kept at another standing or position, on a
    later day than `day`, or not a line; too many events since; one of them could change an
    earlier day than its own; or every period from the first)."""
    since_now, at_now, head = standing(now)
    if not base or any(
        at != at_now or since > since_now or lines.LINE not in sums
        or int(sums[lines.LINE][()][0]) > day.toordinal()
        for sums, since, at in base.values()
    ):  # fmt: skip
        return None
    since = min(since for _, since, _ in base.values())
    if head - since > WHOLE_AFTER:
        return None
    from reentry_ledger.reports.kept import changed_from  # it builds on the reports' modules

    first = changed_from(store, since, head)
    if first is None or first <= periods[0].end:
        return None
    # the periods from the one `first` falls in; the last always (the day it was counted)
    return min(next((n for n, p in enumerate(periods) if p.end >= first), len(periods)),
               len(periods) - 1)  # fmt: skip


def joined(kept: Sums, counted: Sums, place: int, start: int) -> Sums:
    """A line's sums mended: its groups of the periods before the one numbered `start` (at
    `place` in each key) as `kept`, those from it as `counted`."""
    line: Sums = {}
    for names in {*kept, *counted} - {lines.LINE}:
        before = {key: v for key, v in kept.get(names, {}).items() if int(key[place]) < start}
        line[names] = {**before, **counted.get(names, {})}
    return line


def digest_of(statements: Sequence[str], parameters: dict[str, Any]) -> str:
    """What an answer is kept under: its statements' text and parameters, digested."""
    return hashlib.sha256(
        json.dumps([ANSWERS_VERSION, list(statements), parameters], sort_keys=True).encode()
    ).hexdigest()


def ran_on(
    store: ProjectionStore,
    cursor: Any,
    at: str,
    parameters: dict[str, Any],
    earlier: Earlier,
    day: date | None,
    parted: Parted | None,
) -> tuple[Sums | None, Kept, Callable[[Sums], Sums] | None]:
    """The line the same report kept in the nearest earlier period, whole (if it reaches
    `day`) or its parts (as long as this report's: `still_current` reads no other), and what
    runs it on into the periods begun since; or nothing."""
    for asked, extend in earlier():
        whole = whole_kept(store, cursor, digest_of(asked, parameters), at, day)
        if whole is not None:
            return whole, {}, extend
        if parted is not None:
            length = len(parted[0][0])
            found = parts_kept(store, cursor, digest_of(asked, parameters))
            found = {part: kept for part, kept in found.items() if len(part) == length}
            if found:
                return None, found, extend
    return None, {}, None


def whole_kept(
    store: ProjectionStore, cursor: Any, digest: str, at: str, day: date | None
) -> Sums | None:
    """The whole answer kept under `digest` at the state `at` (a line: if it reaches `day`)."""
    found = kept_text(store, cursor, digest, at)
    whole = None if found is None else loaded(found)
    if whole is not None and day is not None and not lines.holds(whole, day):
        return None  # a line kept on a day it does not reach
    return whole


def kept_text(store: ProjectionStore, cursor: Any, digest: str, at: str) -> str | None:
    """The text kept under `digest` at the state `at` (an answer's sums written out, or a
    report as shown: reports/shown.py, `keep_shown`), or None."""
    statement = f"SELECT answer FROM {{{ANSWERS}}} WHERE digest = ? AND state = ?"
    found = fetched(cursor, store.sql(statement, (ANSWERS,)), (digest, at))
    return str(found[0][0]) if found else None


def figures(sums: Sums, day: date | None) -> Sums:
    """Sums as a report reads them (a line's without its slopes)."""
    return sums if day is None else lines.figures(sums)


Kept = dict[str, tuple[Sums, int, str]]  # by part: its sums, since, standing (`standing`)


def parts_kept(store: ProjectionStore, cursor: Any, digest: str) -> Kept:
    """The parts of an answer kept (none on a ledger an earlier version set up)."""
    if not store.has_table(cursor, ANSWER_PARTS):
        return {}
    statement = store.sql(
        f"SELECT part, sums, since, standing FROM {{{ANSWER_PARTS}}} WHERE digest = ?",
        (ANSWER_PARTS,),
    )
    return {
        str(part): (loaded(str(sums)), int(since), str(standing))
        for part, sums, since, standing in fetched(cursor, statement, (digest,))
    }


def still_current(store: ProjectionStore, kept: Kept, now: str, length: int) -> dict[str, Sums]:
    """The parts kept (each the first `length` characters of its clients' ids) that still count
    their clients as they stand at the state `now`: kept at the same versions and clears, and
    none of whose clients has an event recorded since (read from the event log, so a page
    written by a version that did not delete the parts it touched is found too)."""
    since_now, at_now, head = standing(now)
    same = {
        part: (sums, since)
        for part, (sums, since, at) in kept.items()
        if at == at_now and len(part) == length  # kept by another build's parts: not these
    }
    if not same:
        return {}
    since = min(since for _, since in same.values())
    if since > since_now or head - since > WHOLE_AFTER:
        return {}  # kept at a later position (they went back: a rebuild), or too long ago
    from reentry_ledger.reports.kept import recorded_for  # it builds on the reports' modules

    moved: set[str] = set()
    for client in recorded_for(store, since, head):
        moved.add(client[:length])
        if moved.issuperset(same):
            return {}  # every part kept has a client with events since: no need to read on
    return {part: sums for part, (sums, _) in same.items() if part not in moved}


def standing(text: str) -> tuple[int, str, int]:
    """Of a state (`state`): the position every projection (and the kept segments) had
    reached, what else it holds (versions, clears, the kept segments' versions, which
    projections have a position) as text, and the furthest position."""
    positions, versions, resets, kept = json.loads(text)
    projections = {name for name, _ in versions}  # the tracking table holds other marks too
    placed = sorted(name for name, _ in positions if name in projections)
    reached = [int(at) for name, at in positions if name in projections]
    reached += [int(kept[0])] if kept else []
    # which projections have a position: one built from empty has none until its rows are in
    # place, all at once, with no page of each client's (`StagedBuilds.finish_build`)
    at = json.dumps([versions, resets, kept[1] if kept else None, placed])
    return (min(reached), at, max(reached)) if reached else (0, at, 0)


def summed(parts: Sequence[Sums]) -> Sums:
    """Sums over different clients added up: a statement's sums by group, each group's the
    sum of its parts' (a group in any part is in the whole)."""
    whole: Sums = {}
    for part in parts:
        for names, by_key in part.items():
            into = whole.setdefault(names, {})
            for key, values in by_key.items():
                before = into.get(key)
                into[key] = list(values) if before is None else list(map(add, before, values))
    return whole


def current_state(store: ProjectionStore) -> str:
    with store.transaction(commit=False) as cursor:
        return state(store, cursor)


def state(store: ProjectionStore, cursor: Any) -> str:
    """The projections' positions, versions and clears, and the kept segments' state, as
    text."""
    from reentry_ledger.reports.kept import kept_state  # it builds on the reports' modules

    positions = f"SELECT application_name, notification_id FROM {store.tracking_table}"
    versions = store.sql(f"SELECT name, version FROM {{{VERSIONS}}}", (VERSIONS,))
    kept = kept_state(store, cursor)
    return json.dumps(
        [
            sorted(map(list, fetched(cursor, store.sql(positions), ()))),
            sorted(map(list, fetched(cursor, versions, ()))),
            store.resets(cursor),
            list(kept) if kept else None,
        ]
    )


def keep(
    store: ProjectionStore,
    digest: str,
    counted_at: str,
    sums: Sums,
    parts: dict[str, Sums] | None = None,
    current: Sequence[str] = (),
) -> None:
    """Keep `sums`, counted at the state `counted_at`, and the `parts` counted for them (None:
    the answer is not kept by part), and mark the parts read back for them (`current`) as
    current at that state, if that is still the state; without waiting for another writer
    (the report is answered whether or not they are kept). No other part is marked: one left
    to be mended (ADR 38), or of another build's parts, is not current at that state."""
    answer = dumped(sums)
    by_part = {part: dumped(part_sums) for part, part_sums in (parts or {}).items()}
    if answer is None or None in by_part.values():
        return

    def run(cursor: Any, statement: str, values: Sequence[Any]) -> None:
        cursor.execute(store.sql(statement, (ANSWERS, ANSWER_PARTS)), values)

    def write(cursor: Any) -> None:
        kept_at = latest(store, cursor, counted_at, digest) + 1
        run(cursor, f"INSERT INTO {{{ANSWERS}}} (digest, state, answer, kept_at) "
            "VALUES (?, ?, ?, ?)", (digest, counted_at, answer, kept_at))  # fmt: skip
        since, at, _ = standing(counted_at)
        if parts is None:  # not kept by part: none of its parts is known to be current
            run(cursor, f"DELETE FROM {{{ANSWER_PARTS}}} WHERE digest = ?", (digest,))
        for part, part_answer in by_part.items():
            run(cursor, f"DELETE FROM {{{ANSWER_PARTS}}} WHERE digest = ? AND part = ?",
                (digest, part))  # fmt: skip
            run(cursor, f"INSERT INTO {{{ANSWER_PARTS}}} (digest, part, sums, kept_at, "
                "since, standing) VALUES (?, ?, ?, ?, ?, ?)",
                (digest, part, part_answer, kept_at, since, at))  # fmt: skip
        # the parts read back for this answer were current at its state, as it is recent
        if current:
            marks = ", ".join("?" for _ in current)
            run(cursor, f"UPDATE {{{ANSWER_PARTS}}} SET kept_at = ?, since = ?, standing = ? "
                f"WHERE digest = ? AND part IN ({marks})",
                (kept_at, since, at, digest, *current))  # fmt: skip
        for table, most in ((ANSWERS, MOST), (ANSWER_PARTS, PARTS_MOST)):
            run(cursor, f"DELETE FROM {{{table}}} WHERE kept_at <= ?", (kept_at - most,))

    keeping(store, counted_at, write)


# The digests of reports as shown (reports/shown.py) start so; those beside the latest
# `SHOWN_MOST` answers are kept (a table of 110,000 groups is some 30 MB)
SHOWN = "shown:"
SHOWN_MOST = 8


def keep_shown(store: ProjectionStore, digest: str, made_at: str, text: str) -> None:
    """Keep a report as shown (`text`: reports/shown.py) under `digest` (which starts with
    `SHOWN`), made at the state `made_at`, if that is still the state. It is kept beside the
    latest answer and takes no turn of its own (`kept_at`), so it pushes no answer or part
    out; only those beside the latest `SHOWN_MOST` answers are kept."""

    def write(cursor: Any) -> None:
        kept_at = latest(store, cursor, made_at, digest)
        for statement, values in (
            (f"INSERT INTO {{{ANSWERS}}} (digest, state, answer, kept_at) VALUES (?, ?, ?, ?)",
             (digest, made_at, text, kept_at)),
            (f"DELETE FROM {{{ANSWERS}}} WHERE digest LIKE ? AND kept_at <= ?",
             (f"{SHOWN}%", kept_at - SHOWN_MOST)),
        ):  # fmt: skip
            cursor.execute(store.sql(statement, (ANSWERS,)), values)

    keeping(store, made_at, write)


# The rows of the reports worked out from every client's facts (reports/shown.py,
# `kept_rows`) are kept under digests that start `ROWS`, beside the latest answer, taking no
# turn of their own (as a text shown); at most `ROWS_MOST` at once: a report asked at many
# moments (a supervisor's --known-at is any second) keeps each, and none would go before the
# next catch-up. Past it, those kept are let go together (kept rows have no order of their own).
ROWS = "rows:"
ROWS_MOST = 32


def keep_rows(store: ProjectionStore, digest: str, made_at: str, text: str) -> None:
    """Keep a report's rows (`text`: reports/shown.py) under `digest` (which starts with
    `ROWS`), made at the state `made_at`, if that is still the state; the rows kept before
    are let go first if there are `ROWS_MOST` of them."""

    def write(cursor: Any) -> None:
        kept_at = latest(store, cursor, made_at, digest)
        counted = store.sql(f"SELECT COUNT(*) FROM {{{ANSWERS}}} WHERE digest LIKE ?", (ANSWERS,))
        if int(fetched(cursor, counted, (f"{ROWS}%",))[0][0]) >= ROWS_MOST:
            statement = f"DELETE FROM {{{ANSWERS}}} WHERE digest LIKE ?"
            cursor.execute(store.sql(statement, (ANSWERS,)), (f"{ROWS}%",))
        statement = (
            f"INSERT INTO {{{ANSWERS}}} (digest, state, answer, kept_at) VALUES (?, ?, ?, ?)"
        )
        cursor.execute(store.sql(statement, (ANSWERS,)), (digest, made_at, text, kept_at))

    keeping(store, made_at, write)


def keeping(store: ProjectionStore, made_at: str, write: Callable[[Any], None]) -> None:
    """`write` what was made at the state `made_at` into the kept answers, in a transaction of
    its own, if that is still the state; without waiting for another writer (the report is
    answered whether or not it is kept)."""
    try:
        # not waiting for another writer: on SQLite, a write after the state is read is
        # refused at once while another connection writes (`ProjectionDatabase.transaction`)
        with store.transaction(wait=False) as cursor:
            if store.postgres:  # alone: no change to the projections under way (`moving`)
                cursor.execute("SET LOCAL lock_timeout = '100ms'")
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", (store.answers_key(),))
            if state(store, cursor) != made_at:
                return  # the projections moved meanwhile: it may be of either state
            write(cursor)
    except PersistenceError as error:  # busy, locked, no connection free, or kept by another
        LOG.debug("report answer not kept: %s", error)  # report at the same moment


def latest(store: ProjectionStore, cursor: Any, made_at: str, digest: str) -> int:
    """The turn (`kept_at`) of the latest answer or part kept, once the answers of any other
    state than `made_at`, and any kept under `digest`, are deleted."""
    statement = f"DELETE FROM {{{ANSWERS}}} WHERE state <> ? OR digest = ?"
    cursor.execute(store.sql(statement, (ANSWERS,)), (made_at, digest))
    statement = (
        f"SELECT MAX(kept_at) FROM {{{ANSWERS}}} UNION ALL "
        f"SELECT MAX(kept_at) FROM {{{ANSWER_PARTS}}}"
    )
    found = fetched(cursor, store.sql(statement, (ANSWERS, ANSWER_PARTS)), ())
    return max(int(row[0] or 0) for row in found)


# The types of group values JSON keeps exactly as they are (`plain` leaves them alone)
KEPT_AS_THEY_ARE = frozenset({str, int, bool, type(None)})


def dumped(sums: Sums) -> str | None:
    """`sums` as text (None when a group's value or a sum is not one JSON keeps exactly)."""
    kept: list[tuple[Sequence[str], Any]] = []
    for names, by_key in sums.items():
        if set(map(type, chain.from_iterable(by_key))) <= KEPT_AS_THEY_ARE:
            # as they are, a statement at a time (a report of 256 parts has thousands of
            # groups a part): orjson writes a key, a tuple, as the array `plain` would make
            kept.append((names, list(by_key.items())))
            continue
        rows = []
        for key, counts in by_key.items():
            values = [plain(value) for value in key]
            if any(value is NotImplemented for value in values):
                return None
            rows.append([values, counts])
        kept.append((names, rows))
    try:  # orjson: a tenth of json's time for an answer of many groups
        return orjson.dumps(kept).decode()
    except orjson.JSONEncodeError:  # a sum past 64 bits (read back inexactly): not kept
        return None


def plain(value: Any) -> Any:
    """A group's value as JSON keeps it: text, a whole number, or nothing."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return NotImplemented


def loaded(answer: str) -> Sums:
    return {
        tuple(names): {tuple(key): counts for key, counts in rows}
        for names, rows in orjson.loads(answer)
    }
