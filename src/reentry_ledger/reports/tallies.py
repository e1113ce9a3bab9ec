"""The violation report's counts, by group, computed by the database from the fact tables.

A ledger of ten million events holds hundreds of thousands of clients: counting them one by one
in Python takes seconds, where the database's own engine takes a fraction of one. Each
definition in docs/metrics.md is one part of the queries below:

- a term's supervised span: from its start (or the range's first day) to its discharge (the
  first recorded after its start, as known), never past the day before the next term's start,
  nor the range's last day;
- segments: each span cut wherever a status changes (officer, level, custody, absconding; and
  the risk level, when grouping by risk), each segment holding what was in force on its days: a
  change holds from its date (the latest by date, then number, of each kind); a term's start
  sets its officer, no level, neither in custody nor absconded; a custody or absconding still
  open at the term's end holds through its last day;
- exposure: each segment's days in each period it overlaps, summed (`person_days`), those
  neither in custody nor absconded summed apart (`days_at_risk`), its clients counted once;
- incidents and responses: each in the group of the segment its own date falls in (an incident
  on a day no term covers is not counted); a response counts only while its violation counts.

Group values: agency and officer as reassigned, supervision and age band the term's, term
`first` or `later`, level in force (`unset` before any), risk (`unassessed` before the first),
sex, race, ethnicity (the client's, `unknown` once sealed), juvenile, period. The same SQL runs on
SQLite and PostgreSQL; only the day arithmetic and the parameter markers are spelled per dialect.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from reentry_ledger.projections.database import fetched
from reentry_ledger.projections.store import ProjectionStore
from reentry_ledger.reports.facts import UNSET_LEVEL
from reentry_ledger.reports.known_at import enrolled, known
from reentry_ledger.reports.periods import Period
from reentry_ledger.reports.revocations import revocation_sql

CATEGORIES = ("technical", "absconding", "new_offence")  # in the order of the counts below
EVER = "0001-01-01"  # the start of the unassessed spell
UNASSESSED = "unassessed"
TABLES = ("audit_clients", "audit_discharges", "audit_assessments", "audit_violations",
          "audit_responses", "audit_terms", "audit_status", "audit_people",
          "audit_age_bands")  # fmt: skip
EXPOSURE = ("person_days", "days_at_risk", "clients")
FIRST_TERM, LATER_TERM = "first", "later"
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

    def enrolled(self, table: str) -> str:
        return enrolled(table, self.known_at)

    def context(self) -> str:
        """Periods (our own dates, written in), each known term's span, and its segments."""
        sql, first, last = self.sql, self.periods[0].start, self.periods[-1].end
        values = ", ".join(
            f"({n}, '{p.start.isoformat()}', '{p.end.isoformat()}')"
            for n, p in enumerate(self.periods)
        )
        first_day, last_day = sql.day(f"'{first.isoformat()}'"), sql.day(f"'{last.isoformat()}'")
        periods = (
            f"given (position, p_start, p_end) AS (VALUES {values}), "
            f"periods AS MATERIALIZED (SELECT position, p_start, p_end, "
            f"{sql.day('p_start')} AS start_day, {sql.day('p_end')} AS end_day FROM given)"
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
                WHERE {self.known("t")}
            ),
            spans AS MATERIALIZED (
                SELECT t.client_id, t.number, t.term, t.agency, t.officer, t.supervision,
                    t.start_day, {age_band_sql(sql, "t")} AS age_band,
                    {sql.greatest("t.start_day", first_day)} AS begin_day,
                    {
            sql.least(
                f"COALESCE({sql.day(discharge)}, {last_day})",
                f"COALESCE(t.next_day - 1, {last_day})",
                last_day,
            )
        } AS end_day
                FROM terms t
            )"""
        return f"WITH {periods}, {terms}, {self.segments()}"

    def segments(self) -> str:
        """Each span cut at every change of status within it, with what holds on its days.

        Every change of a span (its start, its status changes, and assessments when grouping
        by risk) is one row with a column per kind; a running count of each column's values
        numbers the rows that follow the same value, which fills the gaps (SQL has no portable
        "last value ignoring nulls"). A change dated before the range's first day takes effect
        on it; the last change of each day is what holds from that day."""
        sql = self.sql
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
                    AND {sql.day("st.occurred_on")} BETWEEN s.start_day AND s.end_day
                WHERE s.begin_day <= s.end_day{risk_rows}
            ),
            ordered AS (
                SELECT ch.*, {sql.greatest("ch.day", "s.begin_day")} AS seg_day, s.end_day,
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
                SELECT client_id, tn, seg_day, end_day, last_of_day,
                    MAX(agency) OVER (PARTITION BY client_id, tn, g_officer) AS agency,
                    MAX(officer) OVER (PARTITION BY client_id, tn, g_officer) AS officer,
                    MAX(level) OVER (PARTITION BY client_id, tn, g_level) AS level,
                    MAX(custody) OVER (PARTITION BY client_id, tn, g_custody) AS custody,
                    MAX(absconded) OVER (PARTITION BY client_id, tn, g_absconded) AS absconded,
                    MAX(risk) OVER (PARTITION BY client_id, tn, g_risk) AS risk
                FROM ordered
            ),
            segments AS MATERIALIZED (
                SELECT f.client_id, s.term, s.supervision, s.age_band, f.agency, f.officer,
                    f.level, COALESCE(f.risk, '{UNASSESSED}') AS risk,
                    CASE WHEN f.custody = '' AND f.absconded = '' THEN 1 ELSE 0 END AS at_risk,
                    f.seg_day AS seg_start,
                    COALESCE(LEAD(f.seg_day) OVER (
                        PARTITION BY f.client_id, f.tn ORDER BY f.seg_day) - 1, f.end_day
                    ) AS seg_end
                FROM filled f JOIN spans s ON s.client_id = f.client_id AND s.number = f.tn
                WHERE f.last_of_day = 1
            )"""

    def grouped(self, values: Sequence[str], source: str) -> str:
        """`source` names the segment `g` and the period `p`; the client's own rows are joined."""
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
        keys = [columns[d] for d in self.dimensions]
        joins = ""
        if "juvenile" in self.dimensions:
            joins += " JOIN {audit_clients} cl ON cl.client_id = g.client_id"
        if set(self.dimensions) & {"sex", "race", "ethnicity"}:
            joins += " LEFT JOIN {audit_people} pp ON pp.client_id = g.client_id"
        # Named, every one: PostgreSQL rows come back as dicts, where two "sum"s would be one.
        named = [f"{k} AS key_{i}" for i, k in enumerate(keys)]
        named += [f"{v} AS value_{i}" for i, v in enumerate(values)]
        group_by = f"GROUP BY {', '.join(keys)}" if keys else ""
        where = ""
        if " WHERE " in source:
            source, where = source.split(" WHERE ", 1)
            where = f" WHERE {where}"
        return f"{self.context()} SELECT {', '.join(named)} FROM {source}{joins}{where} {group_by}"

    def exposure(self) -> str:
        sql = self.sql
        days = (
            f"{sql.least('g.seg_end', 'p.end_day')} - {sql.greatest('g.seg_start', 'p.start_day')}"
            " + 1"
        )
        source = (
            "segments g CROSS JOIN periods p WHERE g.seg_start <= g.seg_end "
            "AND p.start_day <= g.seg_end AND p.end_day >= g.seg_start"
        )
        values = [f"SUM({days})", f"SUM(({days}) * g.at_risk)", "COUNT(DISTINCT g.client_id)"]
        return self.grouped(values, source)

    def incidents(self) -> str:
        day = self.sql.day("v.occurred_on")
        source = (
            f"{{audit_violations}} v JOIN segments g ON g.client_id = v.client_id "
            f"AND {day} BETWEEN g.seg_start AND g.seg_end "
            f"JOIN periods p ON {day} BETWEEN p.start_day AND p.end_day "
            f"WHERE {self.known('v')}"
        )
        values = [
            *(number_where(f"v.category = '{c}'") for c in CATEGORIES),
            "COUNT(DISTINCT CASE WHEN v.category = 'technical' THEN v.client_id END)",
            "COUNT(DISTINCT CASE WHEN v.category = 'new_offence' THEN v.client_id END)",
        ]
        return self.grouped(values, source)

    def responses(self) -> str:
        day = self.sql.day("r.occurred_on")
        source = (
            "{audit_responses} r JOIN {audit_violations} v "
            "ON v.client_id = r.client_id AND v.violation_id = r.violation_id "
            f"JOIN segments g ON g.client_id = r.client_id "
            f"AND {day} BETWEEN g.seg_start AND g.seg_end "
            f"JOIN periods p ON {day} BETWEEN p.start_day AND p.end_day "
            f"WHERE {self.known('r')} AND {self.known('v')}"
        )
        values = [
            *(
                number_where(f"{revocation_sql('r.response')} AND v.category = '{c}'")
                for c in CATEGORIES
            ),
            "SUM(CASE WHEN v.category = 'technical' THEN COALESCE(r.custody_days, 0) ELSE 0 END)",
        ]
        return self.grouped(values, source)


def age_band_sql(sql: Dialect, term: str) -> str:
    """A term's age band: the one its start gave, else from the birth year and the start's
    year (`codes.age_band`), else unknown."""
    age = f"(CAST(SUBSTR({term}.start_on, 1, 4) AS INTEGER) - pb.birth_year)"
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
    del sql
    return f"COALESCE({given}, {computed}, 'unknown')"


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
