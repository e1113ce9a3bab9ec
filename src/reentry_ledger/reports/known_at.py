"""As known at a moment (docs/metrics.md, `--known-at`), written once for every report.

A fact counts when it had been recorded by the moment asked about and had not yet been
retracted then (a retraction counts only if its correction was recorded by then); without a
moment, every fact not retracted counts. A client counts when its enrolment had been recorded
by then. Moments are fixed-width UTC text (`projections.base.moment`), so text order is time
order.
"""

from __future__ import annotations

from collections.abc import Callable


def known(table: str | None, moment: str | None) -> str:
    """The SQL condition on a fact table's rows (`table`: its alias, or None for bare columns)
    for the facts known at `moment`, a parameter marker standing for it (None: as it stands)."""
    column = f"{table}." if table else ""
    if moment is None:
        return f"{column}retracted_at IS NULL"
    return (
        f"{column}recorded_at <= {moment} AND "
        f"({column}retracted_at IS NULL OR {column}retracted_at > {moment})"
    )


def enrolled(table: str | None, moment: str | None) -> str:
    """The SQL condition on `audit_clients` rows for the clients enrolled as known at `moment`."""
    column = f"{table}." if table else ""
    return f"{column}recorded_at <= {moment}" if moment else "1 = 1"


def positional(
    condition: Callable[[str | None, str | None], str], moment: str | None
) -> tuple[str, tuple[str, ...]]:
    """`condition` on bare columns with positional markers, and the parameters it takes."""
    where = condition(None, "?" if moment else None)
    return where, (moment,) * where.count("?") if moment else ()
