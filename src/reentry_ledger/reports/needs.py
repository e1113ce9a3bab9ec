"""Services matched to needs: `report needs` (docs/metrics.md, "Services matched to needs").

The risk-need-responsivity view: are clients referred to services that meet the criminogenic
needs their assessments found, soon enough, and do higher-risk clients get more of them? Of
the clients assessed with each need (an assessment dated in the range finding it; a client's
first such assessment is the one counted, its date the start of the follow-up, its risk level
the client's group):

- `clients`: clients assessed with the need; `incomplete`: those whose 90 days after the
  assessment have not ended by the report's day (today, or the date of `--known-at`), left out
  of every share, as cohorts leave out terms not yet followed; `followed`: the others;
- `referred_30`, `referred_90`: followed clients with a matching referral made on the
  assessment's day or in the 30 (90) days after it;
- `started`, `completed`: followed clients with such a referral (within 90 days) that started,
  that completed (by the report's day);
- each as a share of `followed`; `matching_referrals`: matching referrals made within the 90
  days (each referral once), and `referrals_per_client`, their mean per followed client.

A referral matches a need when its service is one that meets it (`codes.NEED_SERVICES`), or it
names the need, or names a goal tied to it. The row `all_needs` counts each client once over
every need found (a client followed when any of its needs is, referred when any is), and each
referral once whichever of them it meets. Groups: the assessment's risk level (`risk`), and the
agency, officer and supervision type of the term in force on the assessment's day (as
reassigned), and `juvenile`. Facts as known at `--known-at` when it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from reentry_ledger.domain.codes import NEED_SERVICES, Need, values
from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.projections.database import fetched
from reentry_ledger.projections.store import ProjectionStore
from reentry_ledger.reports.dimensions import CLIENT_DIMENSIONS, ORDERS
from reentry_ledger.reports.known_at import enrolled, known
from reentry_ledger.reports.requests import once
from reentry_ledger.reports.suppression import linked, suppress, withheld
from reentry_ledger.reports.tallies import ClientRange, Dialect, Sums, bounds, part_ranges
from reentry_ledger.reports.violations import rounded

SOON, LATER = 30, 90  # days after the assessment
ALL_NEEDS = "all_needs"
DIMENSIONS = ("risk", *CLIENT_DIMENSIONS)  # what `--by` takes
TABLES = ("audit_assessed_needs", "audit_assessments", "audit_clients", "audit_terms",
          "audit_status", "audit_referrals", "audit_referral_updates",
          "audit_goal_needs", "audit_discharges")  # fmt: skip
MEASURES = ("referred_30", "referred_90", "started", "completed")
COUNTS = ("clients", "incomplete", "followed", *MEASURES, "matching_referrals")
NAMES = ("needs",)  # the one list of counts by group and need (tallies.Sums)
COLUMNS = ("need", "clients", "incomplete", "followed",
           *(c for m in MEASURES for c in (m, f"{m}_share")),
           "matching_referrals", "referrals_per_client")  # fmt: skip
# Small counts (docs/metrics.md, "Small counts"): a share with its count or `followed`; the
# three counts of clients balance (clients = incomplete + followed), so are hidden together.
DERIVED = {
    **{f"{m}_share": (m, "followed") for m in MEASURES},
    "referrals_per_client": ("matching_referrals", "followed"),
}
# The followed clients not referred within 90 days, referred only after 30, referred and not
# started, started and not completed: counts no cell shows, each the difference of two that
# are (the measures are nested within `followed`), computed to be hidden (`row`).
DIFFERENCES = {
    "_not_referred": ("followed", "referred_90"),
    "_referred_late": ("referred_90", "referred_30"),
    "_not_started": ("referred_90", "started"),
    "_not_completed": ("started", "completed"),
}
# ... so where any of them, or any measure, holds 1 to K-1, every measure is hidden (as the
# places a referral stands are, in `report referrals`); `followed` stays
TOTALS = (*linked("clients", "incomplete", "followed"), *linked(*MEASURES, *DIFFERENCES))
HIDDEN_BY = (*COUNTS, *DIFFERENCES)  # every count whose small values are hidden


@dataclass(frozen=True)
class NeedsRequest:
    first: date | None  # assessments dated first..last
    last: date
    as_of: date  # the report's day: follow-ups ended by it are complete
    dimensions: tuple[str, ...] = ()


def parse_needs_dimensions(text: str | None) -> tuple[str, ...]:
    chosen = tuple(part.strip() for part in (text or "").split(",") if part.strip())
    unknown = [d for d in chosen if d not in DIMENSIONS]
    if unknown:
        raise InvalidInput(
            f"--by: report needs groups by {', '.join(DIMENSIONS)} only, not {', '.join(unknown)}"
        )
    return once(chosen)


def report(
    store: ProjectionStore, request: NeedsRequest, known_at: str | None
) -> list[dict[str, Any]]:
    """One row per need found (in the order of the codes) and group, then `all_needs`."""
    return rows(request.dimensions, counted(store, request, known_at).get("", {}))


def counted(
    store: ProjectionStore, request: NeedsRequest, known_at: str | None, parts: Sequence[str] = ()
) -> dict[str, Sums]:
    """The counts (`COUNTS`, in order) of each group and need, over the clients of each of
    `parts` (the first characters of their ids, all as long: reports/answers.py), or of every
    client (the part ""). Every count is of clients, or of their referrals, and each client
    is in one part: the parts' counts add up to the whole's (`all_needs` counts each client
    once, within a part as over every client)."""
    length = len(parts[0]) if parts else 0
    parameters: dict[str, Any] = {
        "first": (request.first or date.min).isoformat(),
        "last": request.last.isoformat(),
        "as_of": request.as_of.isoformat(),
    }
    if known_at:
        parameters["known"] = known_at
    found: dict[str, dict[tuple[Any, ...], list[int]]] = {part: {} for part in parts}
    width = len(request.dimensions) + 1 + bool(length)  # (the part,) the groups, the need
    with store.transaction(commit=False) as cursor:
        for clients in part_ranges(parts) if parts else [(None, None)]:
            sql = Statements(Dialect(store.postgres), request.dimensions, known_at is not None,
                             length, clients)  # fmt: skip
            for statement, at in ((sql.clients(), 0), (sql.referrals(), len(COUNTS) - 1)):
                for values in fetched(cursor, store.sql(statement, TABLES), parameters):
                    part = str(values[0]) if length else ""
                    if part not in found and length:
                        continue  # of a part between two asked for, in one range of ids
                    key = tuple(values[bool(length) : width])
                    counts = found.setdefault(part, {}).setdefault(key, [0] * len(COUNTS))
                    for n, value in enumerate(values[width:], start=at):
                        counts[n] = int(value or 0)
    return {part: {NAMES: groups} for part, groups in found.items()}


def rows(dimensions: Sequence[str], sums: Sums) -> list[dict[str, Any]]:
    """A row for each need and group of `sums` (`counted`) that has clients, needs in the
    order of the codes, then `all_needs`, each need's groups in the order of their values."""
    groups = sums.get(NAMES, {})
    found = [row(dimensions, key, dict(zip(COUNTS, counts, strict=True)))
             for key, counts in groups.items()]  # fmt: skip
    shown = [r for r in found if r["clients"]]
    order = {need: n for n, need in enumerate((*values(Need), ALL_NEEDS))}
    shown.sort(key=lambda r: (order[r["need"]], *group_order(dimensions, r)))
    return shown


def group_order(dimensions: Sequence[str], row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(
        (ORDERS[d].get(row[d], 9), "") if d in ORDERS else (0, str(row[d])) for d in dimensions
    )


def row(dimensions: Sequence[str], key: tuple[Any, ...], found: dict[str, int]) -> dict[str, Any]:
    """A group's row: its need and groups, counts, shares of the followed clients."""
    result: dict[str, Any] = {"need": key[-1]}
    for dimension, value in zip(dimensions, key, strict=False):
        result[dimension] = bool(value) if dimension == "juvenile" else value
    result.update({name: found[name] for name in COUNTS})
    followed = found["followed"]
    for measure in MEASURES:
        result[f"{measure}_share"] = rounded(found[measure] / followed) if followed else None
    per_client = found["matching_referrals"] / followed if followed else None
    result["referrals_per_client"] = rounded(per_client)
    shown = {name: result[name] for name in ("need", *dimensions, *COLUMNS[1:])}
    # a difference's size: one measure may pass the one it is nested in (a correction took a
    # referral's start back and left its completion), and that gap is a count of people too
    return shown | {
        name: abs(found[more] - found[less]) for name, (more, less) in DIFFERENCES.items()
    }


def suppressed(
    rows: Sequence[dict[str, Any]], dimensions: Sequence[str], below: int | None
) -> list[dict[str, Any]]:
    """The rows with their small counts hidden, and all that would give them away: within a
    row (`DERIVED`, `TOTALS`), and across the rows of a group, whose `all_needs` row is a total
    of its need rows (each client once, so their sum where no client has two of the needs):
    a count hidden in a need row is hidden in `all_needs`, and one hidden in `all_needs` in
    a need row at least (the smallest), so that no hidden count is the total less the counts
    shown, nor the total the sum of the parts shown."""
    seeds: list[set[str]] = [set() for _ in rows]
    if below:
        groups: dict[tuple[Any, ...], list[int]] = {}
        for number, found in enumerate(rows):
            groups.setdefault(tuple(found[d] for d in dimensions), []).append(number)
        changed = True
        while changed:
            hidden = [withheld(found, below, HIDDEN_BY, DERIVED, TOTALS, seeds[number])
                      for number, found in enumerate(rows)]  # fmt: skip
            changed = False
            for members in groups.values():
                totals = [n for n in members if rows[n]["need"] == ALL_NEEDS]
                parts = [n for n in members if n not in totals]
                for total, cell in ((total, cell) for total in totals for cell in HIDDEN_BY):
                    hidden_parts = [n for n in parts if cell in hidden[n]]
                    if hidden_parts and cell not in hidden[total]:
                        seeds[total].add(cell)
                        changed = True
                    counted = [n for n in parts if rows[n][cell]]
                    if cell in hidden[total] and counted and not hidden_parts:
                        seeds[min(counted, key=lambda n: rows[n][cell])].add(cell)
                        changed = True
    return [suppress(found, below, HIDDEN_BY, DERIVED, TOTALS, seeds[number])
            for number, found in enumerate(rows)]  # fmt: skip


class Statements:
    """The report's two queries: clients by need and group (and over all needs), and matching
    referrals likewise. Both start from `units`: each client's first assessment in the range
    finding each need, with its groups and whether its follow-up is complete."""

    def __init__(
        self,
        sql: Dialect,
        dimensions: Sequence[str],
        known_at: bool,
        part_length: int = 0,
        clients: ClientRange = (None, None),
    ) -> None:
        self.sql = sql
        # grouped by the first `part_length` characters of the client id first, where given
        self.part_length = part_length
        self.dimensions = ("part", *dimensions) if part_length else tuple(dimensions)
        self.moment = sql.parameter("known") if known_at else None
        self.client_range = clients  # the ids counted (our own hexadecimal bounds)

    def known(self, alias: str) -> str:
        return known(alias, self.moment)

    def parameter(self, name: str) -> str:
        return self.sql.parameter(name)

    def units(self) -> str:
        day, p = self.sql.day, self.parameter
        services = ", ".join(
            f"('{need}', '{service}')"
            for need, meeting in sorted(NEED_SERVICES.items())
            for service in sorted(meeting)
        )
        # the term in force on the assessment's day: the latest begun by then, but one begun
        # that very day where the term before ended (was discharged) on it: the day is the
        # ending term's (docs/metrics.md, "Terms and status periods")
        term = (
            "SELECT t.number FROM {audit_terms} t WHERE t.client_id = r.client_id "
            f"AND t.occurred_on <= r.occurred_on AND {self.known('t')} "
            "AND NOT (t.occurred_on = r.occurred_on AND EXISTS (SELECT 1 FROM "
            "{audit_discharges} d WHERE d.client_id = t.client_id AND d.number < t.number "
            f"AND d.occurred_on = t.occurred_on AND {self.known('d')})) "
            "ORDER BY t.occurred_on DESC, t.number DESC LIMIT 1"
        )
        moved = (
            "SELECT s.number FROM {audit_status} s WHERE s.client_id = f.client_id "
            "AND s.kind = 'officer' AND s.occurred_on >= t.occurred_on "
            f"AND s.occurred_on <= f.assessed_on AND {self.known('s')} "
            "ORDER BY s.occurred_on DESC, s.number DESC LIMIT 1"
        )
        return (
            f"WITH need_services (need, service) AS (VALUES {services}), "
            "ranked AS (SELECT n.client_id, n.need, n.number, n.occurred_on, ROW_NUMBER() OVER "
            "(PARTITION BY n.client_id, n.need ORDER BY n.occurred_on, n.number) AS k "
            "FROM {audit_assessed_needs} n "
            f"WHERE {self.known('n')} AND n.occurred_on >= {p('first')} "
            f"AND n.occurred_on <= {p('last')}"
            f"{''.join(f' AND {bound}' for bound in bounds('n.client_id', self.client_range))}), "
            "found AS (SELECT r.client_id, r.need, r.occurred_on AS assessed_on, "
            f"a.risk_level AS risk, c.juvenile, ({term}) AS term_number "
            "FROM ranked r JOIN {audit_assessments} a "
            "ON a.client_id = r.client_id AND a.number = r.number "
            "JOIN {audit_clients} c ON c.client_id = r.client_id "
            f"WHERE r.k = 1 AND {enrolled('c', self.moment)}), "
            "placed AS (SELECT f.client_id, f.need, f.assessed_on, f.risk, f.juvenile, "
            "COALESCE(t.supervision, 'unknown') AS supervision, "
            f"t.occurred_on AS term_start, t.agency AS term_agency, t.officer AS term_officer, "
            f"({moved}) AS moved_number "
            "FROM found f LEFT JOIN {audit_terms} t "
            "ON t.client_id = f.client_id AND t.number = f.term_number), "
            "units AS (SELECT p.client_id, p.need, p.assessed_on, p.risk, p.juvenile, "
            f"p.supervision, SUBSTR(p.client_id, 1, {int(self.part_length)}) AS part, "
            "CASE WHEN m.number IS NULL THEN COALESCE(p.term_agency, 'unknown') "
            "ELSE COALESCE(m.agency, '') END AS agency, "
            "COALESCE(m.value, p.term_officer, 'unknown') AS officer, "
            f"CASE WHEN {day(p('as_of'))} - {day('p.assessed_on')} >= {LATER} "
            "THEN 0 ELSE 1 END AS incomplete "
            "FROM placed p LEFT JOIN {audit_status} m "
            "ON m.client_id = p.client_id AND m.number = p.moved_number) "
        )

    def matching(self, referral: str, unit: str, within: int) -> str:
        """`referral` (an audit_referrals alias) meets the need of `unit`, made on the
        assessment's day or within `within` days after it."""
        day = self.sql.day
        return (
            f"{referral}.client_id = {unit}.client_id AND {self.known(referral)} "
            f"AND {referral}.occurred_on >= {unit}.assessed_on "
            f"AND {day(f'{referral}.occurred_on')} - {day(f'{unit}.assessed_on')} <= {within} "
            f"AND (EXISTS (SELECT 1 FROM need_services ns WHERE ns.need = {unit}.need "
            f"AND ns.service = {referral}.service) OR {referral}.need = {unit}.need "
            "OR EXISTS (SELECT 1 FROM {audit_goal_needs} g "
            f"WHERE g.client_id = {referral}.client_id AND g.goal_id = {referral}.goal_id "
            f"AND g.need = {unit}.need AND {self.known('g')}))"
        )

    def reached(self, status: str) -> str:
        return (
            "EXISTS (SELECT 1 FROM {audit_referral_updates} w WHERE w.client_id = x.client_id "
            f"AND w.referral_id = x.referral_id AND w.status = '{status}' AND {self.known('w')})"
        )

    def flagged(self) -> str:
        """Each unit with its measures (1 or 0)."""

        def having(within: int, status: str | None = None) -> str:
            reached = f" AND {self.reached(status)}" if status else ""
            return (
                "CASE WHEN EXISTS (SELECT 1 FROM {audit_referrals} x "
                f"WHERE {self.matching('x', 'u', within)}{reached}) THEN 1 ELSE 0 END"
            )

        flags = [having(SOON), having(LATER), having(LATER, "started"),
                 having(LATER, "completed")]  # fmt: skip
        named = ", ".join(f"{flag} AS {name}" for flag, name in zip(flags, MEASURES, strict=True))
        return f"flagged AS (SELECT u.*, {named} FROM units u) "

    def grouped(self, source: str, by_need: list[str], over_all: list[str]) -> str:
        """`by_need` aggregates by group and need, then `over_all` by group alone."""
        dims = ", ".join(self.dimensions)
        lead = f"{dims}, " if dims else ""
        group_by = f" GROUP BY {dims}" if dims else ""
        # each aggregate named: PostgreSQL's rows come as dicts, keyed by column name
        named = ", ".join(f"{value} AS c{n}" for n, value in enumerate(by_need))
        return (
            f"SELECT {lead}need, {named} FROM {source} GROUP BY {lead}need "
            f"UNION ALL SELECT {lead}'{ALL_NEEDS}', {', '.join(over_all)} FROM {source}"
            f"{group_by}"
        )

    def clients(self) -> str:
        """clients, incomplete, followed and each measure's followed clients."""
        followed = "incomplete = 0"
        by_need = [
            "COUNT(*)",
            "SUM(incomplete)",
            f"SUM(CASE WHEN {followed} THEN 1 ELSE 0 END)",
            *(f"SUM(CASE WHEN {followed} THEN {m} ELSE 0 END)" for m in MEASURES),
        ]
        distinct = "COUNT(DISTINCT CASE WHEN {} THEN client_id END)"
        followed_clients = distinct.format(followed)
        over_all = [
            "COUNT(DISTINCT client_id)",
            f"COUNT(DISTINCT client_id) - {followed_clients}",
            followed_clients,
            *(distinct.format(f"{followed} AND {m} = 1") for m in MEASURES),
        ]
        return f"{self.units()}, {self.flagged()}{self.grouped('flagged', by_need, over_all)}"

    def referrals(self) -> str:
        """Matching referrals within the 90 days of followed units: once per need and group,
        and once per group over all needs."""
        dims = "".join(f"u.{d}, " for d in self.dimensions)
        pairs = (
            f"pairs AS (SELECT DISTINCT {dims}u.need, x.client_id, x.number "
            "FROM units u JOIN {audit_referrals} x "
            f"ON {self.matching('x', 'u', LATER)} WHERE u.incomplete = 0) "
        )
        plain = ", ".join(self.dimensions)
        distinct = f"(SELECT DISTINCT {plain + ', ' if plain else ''}client_id, number FROM pairs)"
        lead = f"{plain}, " if plain else ""
        group_by = f" GROUP BY {plain}" if plain else ""
        return (
            f"{self.units()}, {pairs}"
            f"SELECT {lead}need, COUNT(*) AS c0 FROM pairs GROUP BY {lead}need "
            f"UNION ALL SELECT {lead}'{ALL_NEEDS}', COUNT(*) FROM {distinct} AS once{group_by}"
        )
