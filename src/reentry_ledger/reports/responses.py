"""Incentives beside sanctions, by group: `report responses` (docs/metrics.md, "Responses and
incentives").

The graduated-responses literature asks for the rewards a supervision gives beside the
sanctions it imposes, per time at risk. This report counts, in the groups and periods of the
violation report and over the same exposure (days at risk, per segment of a term):

- decisions (recommendation = 0) by response code, on the decision's own date, each only while
  the violation it answers counts, as known; a recommendation is never a decision;
- recommendations, all codes, and those followed: whose violation's decision (as known,
  whatever its date) has the recommendation's own code;
- sanctions (decisions in `codes.SANCTIONS`: every one but a continuance) and incentives (by
  date, by kind), each per 100 person-years at risk with the violation report's limits,
  corrected for people with several (by client: each client's sanctions, incentives and days
  at risk in the group, summed by the database as squares and products), and their ratio.

The counts come from the database, from the statements below built on the violation report's
periods, spans and segments (`tallies.Query`; the exposure and the sums by client with
`Query.per_client`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from reentry_ledger.domain.codes import GRADUATED_RESPONSES, SANCTIONS, Incentive
from reentry_ledger.projections.store import ProjectionStore
from reentry_ledger.reports import answers
from reentry_ledger.reports.periods import Period, split
from reentry_ledger.reports.suppression import suppress
from reentry_ledger.reports.tallies import (
    EXPOSURE,
    EXPOSURE_SUMS,
    TABLES,
    Dialect,
    Query,
    SegmentsBehind,
    Sums,
    added,
    by_part,
    consistent_rows,
    counts_of,
    dispersion_names,
    dispersion_sums,
    number_where,
    part_ranges,
    parts_for,
    quoted,
)
from reentry_ledger.reports.violations import (
    WITH_LIMITS,
    ReportRequest,
    per_person_year,
    rounded,
    sort_key,
)

CODES = tuple(code.value for code in GRADUATED_RESPONSES)
SANCTION_CODES = tuple(code for code in CODES if code in SANCTIONS)  # in the graduated order
DECISION = "r.recommendation = 0"  # a response (`r`) that is not a recommendation
SANCTION = f"{DECISION} AND r.response IN ({quoted(SANCTION_CODES)})"
KINDS = tuple(kind.value for kind in Incentive)
DECISIONS = tuple(f"decisions_{code}" for code in CODES)
INCENTIVES = tuple(f"incentives_{kind}" for kind in KINDS)
# (`custody_decisions`, the decisions that carry custody days, is not shown: the days are
# hidden with it)
RESPONSES = (*DECISIONS, "decisions", "sanctions", "recommendations", "recommendations_followed",
             "custody_days_decided", "custody_decisions")  # fmt: skip
GRANTED = (*INCENTIVES, "incentives")
RATES = ("sanctions_per_100_person_years", "incentives_per_100_person_years")
RATE_COUNTS = ("sanctions", "incentives")  # each rate's count, in RATES's order
# the exposure, and each rate's sums by client for its dispersion
BY_CLIENT = (*EXPOSURE, *dispersion_names(RATE_COUNTS))
COLUMNS = (
    "clients",
    "days_at_risk",
    *RESPONSES[:-2],
    *GRANTED,
    *(f"{rate}{suffix}" for rate in RATES for suffix in ("", "_low", "_high")),
    "incentive_to_sanction_ratio",
    "custody_days_decided",
)
# What `report responses` prints as a table (CSV and JSON carry every column).
TABLE_COLUMNS = ("clients", "days_at_risk", "decisions", "sanctions", "recommendations",
                 "recommendations_followed", "incentives", *RATES,
                 "incentive_to_sanction_ratio")  # fmt: skip

# Small counts (docs/metrics.md, "Small counts"): the counts hidden from 1 to K-1, what each
# derived value is computed from, and the totals hidden with any hidden part, so that a hidden
# decision or incentive count cannot be had from a total less the parts shown.
COUNTS = ("clients", *DECISIONS, "decisions", "sanctions", "recommendations",
          "recommendations_followed", *INCENTIVES, "incentives",
          "_custody_decisions")  # fmt: skip
DERIVED = {
    "days_at_risk": ("clients",),
    "sanctions_per_100_person_years": ("sanctions", "days_at_risk"),
    "incentives_per_100_person_years": ("incentives", "days_at_risk"),
    "incentive_to_sanction_ratio": ("incentives", "sanctions"),
    # custody days are imposed by custody sanctions and revocations only, and hidden with
    # the count of the decisions that carry them (one revocation of twelve with 20 days
    # showed its 20: found by a review)
    "custody_days_decided": (
        "decisions_custody_sanction",
        "decisions_revocation",
        "_custody_decisions",
    ),
}
TOTALS = (
    ("decisions", DECISIONS),
    ("sanctions", tuple(f"decisions_{code}" for code in SANCTION_CODES)),
    ("incentives", INCENTIVES),
)


def report(
    store: ProjectionStore,
    request: ReportRequest,
    known_at: str | None,
    earliest_start: date | None,
) -> list[dict[str, Any]]:
    """One row per group with at least one client or counted event, sorted by its dimensions,
    small counts hidden as the request says (`suppress_below`)."""
    if earliest_start is None:
        return []
    periods = split(request.first or earliest_start, request.last or request.today, request.period)
    groups = counted(store, request.dimensions, periods, known_at)
    rows = [row(request.dimensions, key, counts) for key, counts in groups.items()]
    rows.sort(key=lambda found: sort_key(request.dimensions, found))
    return [suppress(r, request.suppress_below, COUNTS, DERIVED, TOTALS) for r in rows]


def counted(
    store: ProjectionStore,
    dimensions: Sequence[str],
    periods: Sequence[Period],
    known_at: str | None,
) -> dict[tuple[Any, ...], dict[str, int]]:
    """Each group's counts (group key: the dimensions' values, a period as its `Period`)."""
    from reentry_ledger.reports.kept import kept_segments, source_names

    if not periods:
        return {}
    parameters = {"known": known_at} if known_at else {}

    def query(kept: bool, part_length: int = 0) -> Query:
        return Query(Dialect(store.postgres), dimensions, periods, bool(known_at),
                     kept=kept, part_length=part_length)  # fmt: skip

    asked, tables = Statements(query(False)).all(), (*TABLES, "audit_incentives")
    # the terms' segments read as kept ahead of time where they are current (ADR 25), as the
    # violation report reads them; else every term cut again by each statement
    current = known_at is None and kept_segments(store)

    def rows(statements: Callable[[bool], Asked]) -> list[tuple[tuple[str, ...], list[Any]]]:
        """What `statements` (made to read the kept segments, or not) give, as of one state:
        from the kept segments where they are current (again if another process caught up
        meanwhile), else with every term cut again."""
        for attempt in range(2 if current else 0):
            if attempt and not kept_segments(store):
                break
            try:
                return consistent_rows(store, statements(True), tables, parameters,
                                       source_names())  # fmt: skip
            except SegmentsBehind:
                continue
        return consistent_rows(store, statements(False), tables, parameters)

    def count() -> Sums:
        return added(len(dimensions), rows(lambda kept: Statements(query(kept)).all()))

    def count_parts(parts: Sequence[str]) -> dict[str, Sums]:
        """Each of `parts` of the clients counted on its own (as the violation report counts
        its parts: `tallies.counted_by_part`), over ranges of clients that hold them."""
        if not parts:
            return {}  # every part read back

        def statements(kept: bool) -> Asked:
            grouped = query(kept, len(parts[0]))
            return [
                statement
                for clients in part_ranges(parts)
                for statement in Statements(grouped.among(clients)).all()
            ]

        return by_part(len(dimensions), parts, rows(statements))

    # after new events, only the parts of the clients they are of are counted again (ADR 63)
    parts = parts_for(store, dimensions, periods)
    parted = (parts, count_parts) if parts else None
    definition = [statement for statement, _ in asked]
    sums = answers.answered(store, definition, parameters, count, parted)
    return counts_of(dimensions, periods, sums)


Asked = list[tuple[str, tuple[str, ...]]]  # statements, each with the names of its values


class Statements:
    """The report's three grouped queries: by client (the violation report's exposure, and
    the sums for the rates' dispersion), responses (decisions and recommendations) and
    incentives."""

    def __init__(self, query: Query) -> None:
        self.query = query

    def all(self) -> list[tuple[str, tuple[str, ...]]]:
        return [
            (self.by_client(), BY_CLIENT),
            (self.responses(), RESPONSES),
            (self.incentives(), GRANTED),
        ]

    def by_client(self) -> str:
        """Person-days, days at risk and clients by group; and, over each group's clients,
        the squares and products of each one's sanctions and incentives and days at risk:
        the same events as `responses` and `incentives` count."""
        events = [(f"{self.answered()} AND {SANCTION}", ["1"]), (self.granted(), ["1"])]
        return self.query.per_client(events, [*EXPOSURE_SUMS, *dispersion_sums(["y_0", "y_1"])])

    def on_its_date(self, alias: str) -> str:
        """The rows of `alias` in the segment (`g`) and period (`p`) their own date falls in."""
        day = self.query.sql.day(f"{alias}.occurred_on")
        return (
            f"JOIN segments g ON g.client_id = {alias}.client_id "
            f"AND {day} BETWEEN g.seg_start AND g.seg_end {self.query.on_period(day)}"
        )

    def answered(self) -> str:
        """Responses (`r`) while the violation they answer counts, as known."""
        query = self.query
        return (
            "{audit_responses} r JOIN {audit_violations} v "
            "ON v.client_id = r.client_id AND v.violation_id = r.violation_id "
            f"{self.on_its_date('r')} "
            f"WHERE {query.known('r')} AND {query.known('v')}"
        )

    def granted(self) -> str:
        """Incentives (`i`), as known."""
        return f"{{audit_incentives}} i {self.on_its_date('i')} WHERE {self.query.known('i')}"

    def responses(self) -> str:
        """Decisions by code, recommendations, those followed; each while its violation
        counts, as known."""
        query, decision = self.query, DECISION
        decided_alike = (
            "EXISTS (SELECT 1 FROM {audit_responses} d WHERE d.client_id = r.client_id "
            "AND d.violation_id = r.violation_id AND d.recommendation = 0 "
            f"AND d.response = r.response AND {query.known('d')})"
        )
        values = [
            *(number_where(f"{decision} AND r.response = '{code}'") for code in CODES),
            number_where(decision),
            number_where(SANCTION),
            number_where("r.recommendation = 1"),
            number_where(f"r.recommendation = 1 AND {decided_alike}"),
            f"SUM(CASE WHEN {decision} THEN COALESCE(r.custody_days, 0) ELSE 0 END)",
            number_where(f"{decision} AND COALESCE(r.custody_days, 0) > 0"),
        ]
        return query.grouped(values, self.answered())

    def incentives(self) -> str:
        """Incentives by kind, on their own date."""
        values = [*(number_where(f"i.kind = '{kind}'") for kind in KINDS), "COUNT(*)"]
        return self.query.grouped(values, self.granted())


def row(dimensions: Sequence[str], key: tuple[Any, ...], found: dict[str, int]) -> dict[str, Any]:
    """A group's row: its dimensions, counts, rates with their limits, the ratio."""
    counts = {name: found.get(name, 0) for name in (*BY_CLIENT, *RESPONSES, *GRANTED)}
    result: dict[str, Any] = {
        dimension: value.label if isinstance(value, Period) else value
        for dimension, value in zip(dimensions, key, strict=True)
    }
    result.update({name: counts[name] for name in COLUMNS if name in counts})
    # per 100 person-years at risk, with limits corrected for people with several
    for rate, numerator in zip(RATES, RATE_COUNTS, strict=True):
        limits = per_person_year(counts, numerator)
        result.update(zip((rate + suffix for suffix in WITH_LIMITS), limits, strict=True))
    sanctions = counts["sanctions"]
    result["incentive_to_sanction_ratio"] = (
        rounded(counts["incentives"] / sanctions) if sanctions else None
    )
    result["_custody_decisions"] = counts["custody_decisions"]  # private: `suppress` drops it
    return {name: result[name] for name in (*dimensions, *COLUMNS, "_custody_decisions")}
