"""The violation report's rows without their limits (a table shows none): the same rows, with
every interval limit left empty, so a table asked without them prints what it printed with."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from reentry_ledger.reports.output import as_table
from reentry_ledger.reports.tallies import DISPERSION
from reentry_ledger.reports.violations import COUNTS, METRICS, ReportRequest, rows

LIMITS = tuple(name for name in METRICS if name.endswith(("_low", "_high")))


@st.composite
def groups(draw: st.DrawFn) -> dict[tuple[str, ...], dict[str, int]]:
    """Counts by agency: each a few clients with events, days and the sums of squares."""
    found = {}
    for agency in draw(st.lists(st.sampled_from("ABCDEF"), min_size=1, unique=True)):
        clients = draw(st.integers(0, 40))
        days = draw(st.integers(0, 365)) * clients
        counts = {name: draw(st.integers(0, 30)) for name in COUNTS}
        counts.update(clients=clients, days_at_risk=days, person_days=days)
        for name in ("clients_with_technical", "clients_with_new_offence"):
            counts[name] = min(counts[name], clients)
        for name in DISPERSION:  # each client's count times another's: at least the count
            counts[name] = draw(st.integers(0, 30)) * (days or 1)
        found[(agency,)] = counts
    return found


@settings(max_examples=200, deadline=None)
@given(counted=groups(), below=st.sampled_from([None, 3, 10]))
def test_rows_without_limits_are_the_rows_with_their_limits_empty(
    counted: dict[tuple[str, ...], dict[str, int]], below: int | None
) -> None:
    asked = ReportRequest(today=date(2025, 1, 1), by=("agency",), suppress_below=below)
    whole = rows(counted, asked)
    bare = rows(counted, ReportRequest(**{**vars(asked), "limits": False}))
    emptied = [
        {name: None if name in LIMITS and value != "withheld" else value
         for name, value in row.items()}
        for row in whole
    ]  # fmt: skip
    assert bare == emptied
    shown = ["agency", *(name for name in METRICS if name not in LIMITS)]
    assert as_table(bare, shown) == as_table(whole, shown)
