"""The rates chart stays as wide as a page, however many groups it shows: more groups make it
taller (a grouped chart had become 87 inches wide, specks on a laptop or a phone)."""

from __future__ import annotations

import io
import re
from typing import Any

from reentry_ledger.reports.chart import draw


def rows(count: int) -> list[dict[str, Any]]:
    return [
        {
            "agency": f"A{index}",
            "person_days": 3650,
            "days_at_risk": 3650,
            "technical_per_100_person_years": 10.0,
            "technical_per_100_person_years_low": 5.0,
            "technical_per_100_person_years_high": 18.0,
            "new_offences_per_100_person_years": 4.0,
            "new_offences_per_100_person_years_low": 1.0,
            "new_offences_per_100_person_years_high": 9.0,
        }
        for index in range(count)
    ]


def size(count: int) -> tuple[float, float]:
    stream = io.BytesIO()
    draw(rows(count), ("agency",), stream, "svg")
    found = re.search(rb'width="([\d.]+)pt" height="([\d.]+)pt"', stream.getvalue())
    assert found is not None
    return float(found.group(1)), float(found.group(2))


def test_many_groups_make_the_chart_taller_not_wider() -> None:
    few, many = size(3), size(60)
    assert few[0] == many[0] <= 8 * 72
    assert many[1] > 4 * few[1]


def axis_label(shown: list[dict[str, Any]], monkeypatch: Any) -> str:
    """The text under the chart's axis, as `draw` sets it."""
    from matplotlib.axes import Axes

    labels: list[str] = []
    real = Axes.set_xlabel
    monkeypatch.setattr(Axes, "set_xlabel", lambda self, text, *a, **k: labels.append(text)
                        or real(self, text, *a, **k))  # fmt: skip
    draw(shown, ("agency",), io.BytesIO(), "svg")
    return labels[-1]


def test_the_chart_says_under_its_axis_what_it_leaves_out(monkeypatch: Any) -> None:
    """A withheld rate is not drawn, and says so (a reader saw a bar missing, no word why);
    the note on small groups' intervals is under the axis, not over the first group."""
    plain = axis_label(rows(3), monkeypatch)
    assert plain == "per 100 person-years (95% interval)"
    hidden = rows(3)
    hidden[1]["new_offences_per_100_person_years"] = "withheld"
    assert axis_label(hidden, monkeypatch).splitlines()[1:] == [
        'a withheld rate is not drawn (docs/metrics.md, "Small counts")'
    ]
    small = rows(3)
    small[2]["days_at_risk"] = 30
    assert axis_label(small, monkeypatch).splitlines()[1:] == [
        "intervals of small groups may run off the right"
    ]
