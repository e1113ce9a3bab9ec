"""A report whose range ends today, kept as a line through the days that follow (ADR 35).

Without `--to`, a report's range ends today, so tomorrow's report is another report: the
same statements but for the last day, and every figure of a client still supervised grows
by a day. Kept as it was counted, yesterday's answer was of no use today, and the first
report of every day counted every client again.

But nothing else changes from one day to the next while no event comes in and none is dated
after the range's last day: the counts stay, and each client's days in a group grow by the
days added, where its segment runs on past the last day (b_i = 1; else 0). So over each
group's clients, with t the days added:

    person-days     Σ(a_i + b_i t)      = Σa_i + t Σb_i
    days at risk    Σ(e_i + r_i t)      = Σe_i + t Σr_i
    count by days   Σy_i(e_i + r_i t)   = Σy_i e_i + t Σy_i r_i
    days squared    Σ(e_i + r_i t)²     = Σe_i² + 2t Σe_i r_i + t² Σr_i²

where r_i is b_i where the segment is at risk. The statements sum those slopes too
(`tallies.SLOPES`), so an answer counted on one day holds, exactly, on any later day up to
its horizon (`horizons`): the day before the first thing dated after the day counted (a
segment that starts, a segment that ends, a violation or a response), as far as a report of
the same statements reaches (the digest leaves out the range's last day, not its periods: a
month, quarter or year that begins is a new report, whose first ask runs the line of the last
period asked on into the periods begun since: `extended`).

An answer kept as a line carries the day it was counted and its horizon (`LINE`, beside the
statements' sums); `moved` brings it to a later day, `figures` leaves the sums a report reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from reentry_ledger.projections.database import fetched
from reentry_ledger.projections.store import ProjectionStore
from reentry_ledger.reports.kept import WHOLE
from reentry_ledger.reports.periods import Period
from reentry_ledger.reports.tallies import RATE_COUNTS, SLOPES, Dialect, Sums, bounds

# Beside the statements' sums: the day counted and the last day the line holds, as ordinals
LINE = ("line",)
UNENDING = date.max.toordinal()
# an open term's kept segments end on the last day they are cut to
OPEN_END = WHOLE.end.isoformat()
# parts counted again past which a horizon is read for every client (and kept for theirs)
FEW_PARTS = 16


def lined(sums: Sums, day: date, horizon: date | None) -> Sums:
    """`sums`, counted on `day` with their slopes, as a line that holds up to `horizon`
    (None: as long as its report reaches)."""
    return {**sums, LINE: {(): [day.toordinal(), horizon.toordinal() if horizon else UNENDING]}}


def holds(sums: Sums, day: date) -> bool:
    """Whether a line (`lined`) holds on `day`."""
    found = sums.get(LINE, {}).get(())
    return found is not None and found[0] <= day.toordinal() <= found[1]


def horizon_of(lines: Sequence[Sums], days: Iterable[date] = ()) -> date | None:
    """The last day every one of `lines` holds, and none of `days` is passed (None: as long
    as their report reaches)."""
    last = min(
        [*(int(line[LINE][()][1]) for line in lines), *(day.toordinal() for day in days)],
        default=UNENDING,
    )
    return None if last == UNENDING else date.fromordinal(last)


def moved(sums: Sums, day: date) -> Sums:
    """A line's sums as they stand on `day` (from the day it was counted), slopes and all:
    lines moved to one day add up."""
    counted = int(sums[LINE][()][0])
    t = day.toordinal() - counted
    out: Sums = {}
    for names, by_key in sums.items():
        if names == LINE:
            continue
        if t == 0 or not set(SLOPES) <= set(names):
            out[names] = by_key
            continue
        at = {name: n for n, name in enumerate(names)}
        out[names] = {key: _moved(values, at, t) for key, values in by_key.items()}
    return out


def _moved(values: list[int], at: dict[str, int], t: int) -> list[int]:
    v = list(values)
    slope, risk_slope = v[at["person_days_slope"]], v[at["days_at_risk_slope"]]
    by_slope, squares = v[at["days_at_risk_by_slope"]], v[at["slope_squares"]]
    v[at["person_days"]] += t * slope
    v[at["days_at_risk"]] += t * risk_slope
    v[at["days_at_risk_squares"]] += 2 * t * by_slope + t * t * squares
    v[at["days_at_risk_by_slope"]] += t * squares
    for count in RATE_COUNTS:
        v[at[f"{count}_by_days"]] += t * v[at[f"{count}_by_slope"]]
    return v


def extended(sums: Sums, place: int, periods: Sequence[Period], kept: int) -> Sums:
    """A line counted over the first `kept` of `periods` (the last of them cut at the day
    counted), as the line of all of them: of the same report asked in a period begun since,
    which it reaches while nothing is dated in between (its horizon). `place`: where the
    period's number is in a group's key (a part's keys, as kept, hold no part).

    Its last period is then whole: moved to its end, it grows no more (no slopes). Each client
    whose segment ran on past it is supervised all through every period begun since, in the
    same group, with no event: where the group's slopes had b_i clients (person-days) and r_i
    at risk, a period begun since starts from nothing with those slopes, and `b_i` clients
    (each client has one segment at a time, so b_i is 0 or 1). Whole ones are moved to their
    end; the last is left to run on from the day before it begins, the new line's day."""
    last = len(periods) - 1
    at_end = moved(sums, periods[kept - 1].end)
    out: Sums = {LINE: {(): [periods[last].start.toordinal() - 1, sums[LINE][()][1]]}}
    for names, by_key in at_end.items():
        if not set(SLOPES) <= set(names):
            # the responses: none is dated after the day counted (the horizon reads them), so
            # no period begun since has any
            out[names] = by_key
            continue
        at = {name: n for n, name in enumerate(names)}
        slopes = [at[name] for name in SLOPES]
        rows = out[names] = {}
        for key, values in by_key.items():
            if int(key[place]) != kept - 1:
                rows[key] = values
                continue
            rows[key] = _flat(values, slopes)
            supervised = values[at["person_days_slope"]]
            if not supervised:
                continue
            begun = [0] * len(names)
            for name in ("person_days_slope", "days_at_risk_slope", "slope_squares"):
                begun[at[name]] = values[at[name]]
            begun[at["clients"]] = supervised
            for position in range(kept, last + 1):
                whole = (periods[position].end - periods[position].start).days + 1
                rows[(*key[:place], position, *key[place + 1 :])] = (
                    begun if position == last else _flat(_moved(begun, at, whole), slopes)
                )
    return out


def _flat(values: list[int], slopes: Sequence[int]) -> list[int]:
    """`values` with no slope: of a period that has ended."""
    return [0 if n in slopes else value for n, value in enumerate(values)]


def figures(sums: Sums) -> Sums:
    """Sums as a report reads them: without the line's day and the slopes."""
    out: Sums = {}
    for names, by_key in sums.items():
        if names == LINE:
            continue
        kept = [n for n, name in enumerate(names) if name not in SLOPES]
        if len(kept) == len(names):
            out[names] = by_key
            continue
        out[tuple(names[n] for n in kept)] = {
            key: [values[n] for n in kept] for key, values in by_key.items()
        }
    return out


def sloped(sums: Sums) -> bool:
    """Whether `sums` were counted with their slopes (from kept segments)."""
    return any(set(SLOPES) <= set(names) for names in sums)


def horizons(store: ProjectionStore, day: date, parts: Sequence[str] = ()) -> dict[str, date]:
    """The last day a line counted on `day` holds, for each of `parts` of the clients (all as
    long: the first characters of their ids; none: every client, as one part, ""): the day
    before the first one after it on which one of the part's kept segments starts, or a
    violation or a response of one of its clients is dated; or the last day of one of its
    kept segments that ends after it. A part with nothing dated after the day is not named:
    its line holds as long as its report reaches. By part, so that a part kept holds no date
    of another part's client (a seal deletes the parts of its client only: ADR 33). A few parts
    (counted again after events) are read alone, each its own range of ids; more, with every
    client (the other parts' horizons come back too)."""
    length = len(parts[0]) if parts else 0
    among = ""  # a few parts (counted again after events): their ranges of ids alone
    if parts and len(parts) <= FEW_PARTS:
        final = 16**length - 1
        ranges = [
            (part, None if int(part, 16) == final else f"{int(part, 16) + 1:0{length}x}")
            for part in parts
        ]
        among = f" AND ({within(ranges)})"
    sql = Dialect(store.postgres)
    counted, open_end = sql.day(f"'{day.isoformat()}'"), sql.day(f"'{OPEN_END}'")
    part = f"SUBSTR(client_id, 1, {length})" if length else "''"
    grouped = f" GROUP BY {part}" if length else ""  # one part: one row (NULL: nothing dated)
    # Each found through an index of its dates (`kept.create`, the violations projection's):
    # most days nothing is dated after the day, where a scan read every kept segment, violation
    # and response (90 ms at ten million events, for each report mended or kept as a line)
    earliest = f"MIN(CASE WHEN seg_start > {counted} THEN seg_start - 1 ELSE seg_end END)"
    after = [
        # the kept segments that start after the day (the day before the start), and those
        # that end after it but before the last day there is, on which an open one ends (the
        # end, or the day before the start where it starts after the day too)
        *(
            f"SELECT {part}, {earliest} FROM {{report_kept_segments}} "
            f"WHERE {condition}{among}{grouped}"
            for condition in (
                f"seg_start > {counted}",
                f"seg_end > {counted} AND seg_end < {open_end}",
            )
        ),
        *(
            f"SELECT {part}, MIN({sql.day('occurred_on')}) - 1 FROM {{{table}}} "
            f"WHERE occurred_on > '{day.isoformat()}'{among}{grouped}"  # ISO text: by date
            for table in ("audit_violations", "audit_responses")
        ),
    ]
    tables = ("report_kept_segments", "audit_violations", "audit_responses")
    statement = store.sql(" UNION ALL ".join(after), tables)
    with store.transaction(commit=False) as cursor:
        found = fetched(cursor, statement, ())
    epoch = date(1970, 1, 1).toordinal() if store.postgres else _julian_epoch()
    last: dict[str, int] = {}
    for named, number in found:
        if number is not None:
            last[str(named)] = min(int(number), last.get(str(named), UNENDING))
    return {named: date.fromordinal(number + epoch) for named, number in last.items()}


def within(ranges: Sequence[tuple[str | None, str | None]]) -> str:
    """A condition on `client_id`: in one of `ranges` of ids (from, up to; None: open)."""
    return " OR ".join(f"({' AND '.join(bounds('client_id', r)) or '1 = 1'})" for r in ranges)


def _julian_epoch() -> int:
    """What to add to SQLite's day number (`Dialect.day`: the julian day, truncated) for a
    date's ordinal."""
    return date(2000, 1, 1).toordinal() - 2451544
