"""The violation report's counts, by group, computed by the database from the fact tables.

A ledger of ten million events holds hundreds of thousands of clients: counting them one by one
in Python takes seconds, where the database's own engine takes a fraction of one. Each
definition in docs/metrics.md is one part of the queries below:

- a client's supervised span: from enrolment (or the range's first day) to the latest known
  discharge (or the range's last day);
- exposure: each span cut by periods (and, when grouping by risk, by risk spells: the level in
  force from each assessment date, the highest event number that day, until the next;
  `unassessed` before the first), its days summed and its clients counted;
- incidents and responses: each in the group of its own effective date, with the risk level in
  force that day; a response counts only while the violation it answers counts.

Risk is worked out only when it is a dimension of the report. The same SQL runs on SQLite and
PostgreSQL; only the day arithmetic and the parameter markers are spelled per dialect.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from reentry_ledger.projections.database import fetched
from reentry_ledger.projections.store import ProjectionStore
from reentry_ledger.reports.dimensions import CLIENT_DIMENSIONS
from reentry_ledger.reports.known_at import enrolled, known
from reentry_ledger.reports.periods import Period
from reentry_ledger.reports.revocations import revocation_sql

CATEGORIES = ("technical", "absconding", "new_offence")  # in the order of the counts below
EVER = "0001-01-01"  # the start of the unassessed spell
UNASSESSED = "unassessed"
TABLES = ("audit_clients", "audit_discharges", "audit_assessments", "audit_violations",
          "audit_responses")  # fmt: skip
EXPOSURE = ("person_days", "clients")
INCIDENTS = ("technical_violations", "absconding", "new_offences", "clients_with_technical",
             "clients_with_new_offence")  # fmt: skip
RESPONSES = ("revocations_technical", "revocations_absconding", "revocations_new_offence",
             "custody_days_technical")  # fmt: skip


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
) -> dict[tuple[Any, ...], dict[str, int]]:
    """Counts by group key (the dimensions' values, a period as its `Period`)."""
    if not periods:
        return {}
    parameters = {"known": known_at} if known_at else {}

    def run(statement: str) -> list[Any]:
        with store.transaction(commit=False) as cursor:
            return fetched(cursor, store.sql(statement, TABLES), parameters)

    query = Query(Dialect(store.postgres), dimensions, periods, known_at is not None)
    statements = query.statements()
    # Three independent queries: the drivers let go of the GIL while the database works.
    with ThreadPoolExecutor(len(statements)) as pool:
        results = list(pool.map(run, [statement for statement, _ in statements]))
    counts: dict[tuple[Any, ...], dict[str, int]] = {}
    for (_, names), rows in zip(statements, results, strict=True):
        for row in rows:
            key = group_key(dimensions, row[: len(dimensions)], periods)
            group = counts.setdefault(key, {})
            for name, value in zip(names, row[len(dimensions) :], strict=True):
                group[name] = group.get(name, 0) + int(value or 0)
    return counts


class Query:
    """The three grouped queries (exposure, incidents, responses) for one report."""

    def __init__(
        self, sql: Dialect, dimensions: Sequence[str], periods: Sequence[Period], known: bool
    ) -> None:
        self.sql = sql
        self.dimensions = dimensions
        self.by_risk = "risk" in dimensions
        self.periods = periods
        self.known_at = sql.parameter("known") if known else None

    def statements(self) -> list[tuple[str, tuple[str, ...]]]:
        return [
            (self.exposure(), EXPOSURE),
            (self.incidents(), INCIDENTS),
            (self.responses(), RESPONSES),
        ]

    def known(self, table: str) -> str:
        """The facts recorded by the moment asked about and not retracted by then."""
        return known(table, self.known_at)

    def context(self, spans: bool = True) -> str:
        """Periods (our own dates, written in) and every known client's supervised span."""
        sql, first, last = self.sql, self.periods[0].start, self.periods[-1].end
        values = ", ".join(
            f"({n}, '{p.start.isoformat()}', '{p.end.isoformat()}')"
            for n, p in enumerate(self.periods)
        )
        # The client's row keeps its discharge as it now stands; as known at a moment, the
        # latest discharge recorded by then and not yet retracted (looked up once per client:
        # the spans are materialised rather than folded into each use). Dates become day
        # numbers once, here: text compared under PostgreSQL's collation is slow.
        discharged = (
            "c.discharged_on"
            if self.known_at is None
            else (
                "(SELECT d.occurred_on FROM {audit_discharges} d WHERE d.client_id = c.client_id "
                f"AND {self.known('d')} ORDER BY d.number DESC LIMIT 1)"
            )
        )
        first_day, last_day = sql.day(f"'{first.isoformat()}'"), sql.day(f"'{last.isoformat()}'")
        clients = f"""
            spans AS {"MATERIALIZED" if self.known_at else ""} (
                SELECT c.client_id, c.agency, c.officer, c.supervision, c.juvenile,
                    {sql.greatest(sql.day("c.start_on"), first_day)} AS begin_day,
                    {sql.least(f"COALESCE({sql.day(discharged)}, {last_day})", last_day)}
                        AS end_day
                FROM {{audit_clients}} c WHERE {self.enrolled("c")}
            )"""  # fmt: skip
        periods = (
            f"given (position, p_start, p_end) AS (VALUES {values}), "
            f"periods AS MATERIALIZED (SELECT position, p_start, p_end, "
            f"{sql.day('p_start')} AS start_day, {sql.day('p_end')} AS end_day FROM given)"
        )
        return f"WITH {periods}, {clients}" if spans else f"WITH {periods}"

    def client_of(self, fact: str) -> str:
        """The join to the fact's client, where its enrolment matters: for a dimension of the
        client's, or to leave out clients enrolled after the moment asked about. (Every event
        follows its client's enrolment, so with neither, every fact's client counts.)"""
        if self.known_at is None and not any(d in CLIENT_DIMENSIONS for d in self.dimensions):
            return ""
        return (
            f"JOIN {{audit_clients}} cl ON cl.client_id = {fact}.client_id "
            f"AND {self.enrolled('cl')}"
        )

    def enrolled(self, table: str) -> str:
        return enrolled(table, self.known_at)

    def spells(self) -> str:
        """Each client's risk spells: `since` inclusive, `until` exclusive (NULL: open)."""
        sql = self.sql
        return f""",
            assessed AS (
                SELECT client_id, occurred_on AS since, risk_level FROM (
                    SELECT a.client_id, a.occurred_on, a.risk_level, ROW_NUMBER() OVER (
                        PARTITION BY a.client_id, a.occurred_on ORDER BY a.number DESC) AS latest
                    FROM {{audit_assessments}} a WHERE {self.known("a")}
                ) AS by_day WHERE latest = 1
            ),
            spells AS MATERIALIZED (
                SELECT client_id, since, until, risk_level, {sql.day("since")} AS since_day,
                    {sql.day("until")} AS until_day
                FROM (
                    SELECT client_id, since, LEAD(since) OVER (
                        PARTITION BY client_id ORDER BY since) AS until, risk_level
                    FROM assessed
                    UNION ALL
                    SELECT client_id, '{EVER}', MIN(since), '{UNASSESSED}' FROM assessed
                    GROUP BY client_id
                    UNION ALL
                    SELECT client_id, '{EVER}', NULL, '{UNASSESSED}' FROM spans
                    WHERE client_id NOT IN (SELECT client_id FROM assessed)
                ) AS cut
            )"""

    def risk_on(self, client: str, day: str) -> str:
        """The risk level in force on a day: the latest assessment on or before it."""
        latest = (
            f"SELECT a.risk_level FROM {{audit_assessments}} a WHERE a.client_id = {client} "
            f"AND a.occurred_on <= {day} AND {self.known('a')} "
            "ORDER BY a.occurred_on DESC, a.number DESC LIMIT 1"
        )
        return f"COALESCE(({latest}), '{UNASSESSED}')"

    def grouped(self, context: str, values: Sequence[str], source: str, risk: str) -> str:
        columns = {
            **{d: f"cl.{d}" for d in CLIENT_DIMENSIONS},
            "risk": risk,
            "period": "p.position",
        }
        keys = [columns[d] for d in self.dimensions]
        # Named, every one: PostgreSQL rows come back as dicts, where two "sum"s would be one.
        named = [f"{k} AS key_{i}" for i, k in enumerate(keys)]
        named += [f"{v} AS value_{i}" for i, v in enumerate(values)]
        group_by = f"GROUP BY {', '.join(keys)}" if keys else ""
        return f"{context} SELECT {', '.join(named)} FROM {source} {group_by}"

    def exposure(self) -> str:
        # Each client once, then its few spells, then the periods each overlaps: SQLite keeps
        # the order of CROSS JOINs (PostgreSQL plans them as any join).
        sql = self.sql
        ends, starts = ["cl.end_day", "p.end_day"], ["cl.begin_day", "p.start_day"]
        tables = ["spans cl", "periods p"]
        conditions = [
            "cl.begin_day <= cl.end_day",
            "p.start_day <= cl.end_day",
            "p.end_day >= cl.begin_day",
        ]
        context = self.context()
        # A client holds one group per period, unless its risk changes within one.
        clients = "COUNT(*)"
        if self.by_risk:
            ends.append("COALESCE(sp.until_day - 1, cl.end_day)")
            starts.append("sp.since_day")
            tables.insert(1, "spells sp")
            conditions += [
                "sp.client_id = cl.client_id",
                f"sp.since_day <= {sql.least('cl.end_day', 'p.end_day')}",
                "(sp.until_day IS NULL OR "
                f"sp.until_day > {sql.greatest('cl.begin_day', 'p.start_day')})",
            ]
            context += self.spells()
            clients = "COUNT(DISTINCT cl.client_id)"
        days = f"{sql.least(*ends)} - {sql.greatest(*starts)} + 1"
        source = f"{' CROSS JOIN '.join(tables)} WHERE {' AND '.join(conditions)}"
        return self.grouped(context, [f"SUM({days})", clients], source, "sp.risk_level")

    def incidents(self) -> str:
        source = (
            f"{{audit_violations}} v {self.client_of('v')} "
            f"JOIN periods p ON {self.sql.day('v.occurred_on')} BETWEEN p.start_day AND p.end_day "
            f"WHERE {self.known('v')}"
        )
        values = [
            *(number_where(f"v.category = '{c}'") for c in CATEGORIES),
            "COUNT(DISTINCT CASE WHEN v.category = 'technical' THEN v.client_id END)",
            "COUNT(DISTINCT CASE WHEN v.category = 'new_offence' THEN v.client_id END)",
        ]
        risk = self.risk_on("v.client_id", "v.occurred_on")
        return self.grouped(self.context(spans=False), values, source, risk)

    def responses(self) -> str:
        source = (
            "{audit_responses} r JOIN {audit_violations} v "
            "ON v.client_id = r.client_id AND v.violation_id = r.violation_id "
            f"{self.client_of('r')} "
            f"JOIN periods p ON {self.sql.day('r.occurred_on')} BETWEEN p.start_day AND p.end_day "
            f"WHERE {self.known('r')} AND {self.known('v')}"
        )
        values = [
            *(
                number_where(f"{revocation_sql('r.response')} AND v.category = '{c}'")
                for c in CATEGORIES
            ),
            "SUM(CASE WHEN v.category = 'technical' THEN COALESCE(r.custody_days, 0) ELSE 0 END)",
        ]
        risk = self.risk_on("r.client_id", "r.occurred_on")
        return self.grouped(self.context(spans=False), values, source, risk)


def number_where(condition: str) -> str:
    return f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def group_key(
    dimensions: Sequence[str], values: Sequence[Any], periods: Sequence[Period]
) -> tuple[Any, ...]:
    def typed(dimension: str, value: Any) -> Any:
        if dimension == "juvenile":
            return bool(value)
        if dimension == "period":
            return periods[int(value)]
        return value

    return tuple(typed(d, v) for d, v in zip(dimensions, values, strict=True))
