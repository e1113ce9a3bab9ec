"""A chart of technical-violation and new-offence rates per group, with their intervals."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.reports.suppression import WITHHELD

FORMATS = (".png", ".svg")
# Groups past which no chart is drawn: a row each, so a report of many groups makes a chart no
# one can read, slowly (by officer and month at a million events, 11,000 groups took 69 s and
# 29 MB as SVG; 1,000 take some 3.6 s)
MOST_GROUPS = 1000
SERIES = (
    ("technical_per_100_person_years", "technical violations", "#c0392b"),
    ("new_offences_per_100_person_years", "new offences", "#2c3e50"),
)


def check_chart_path(path: Path) -> None:
    if path.suffix.lower() not in FORMATS:
        raise InvalidInput(f"chart {str(path)!r} must end in .png or .svg")
    if not path.parent.exists():
        raise InvalidInput(f"chart folder {str(path.parent)!r} does not exist")


def too_many(groups: int) -> str | None:
    """Why a chart of `groups` groups is not drawn, if it is not."""
    if groups <= MOST_GROUPS:
        return None
    return f"{groups:,} groups, more than the {MOST_GROUPS:,} a chart draws (a row each)"


def check_groups(groups: int, name: str) -> None:
    """Refuse a chart (`name`, as the user asked for it) of more groups than one draws."""
    if too_many(groups):
        raise InvalidInput(
            f"{name} draws at most {MOST_GROUPS:,} groups, a row each; this report has "
            f"{groups:,}: ask it by fewer dimensions or a longer period (its table, CSV and "
            "JSON have every group)"
        )


def _scale_to_the_larger_groups(axes: Any, rows: Sequence[dict[str, Any]]) -> bool:
    """Scale to groups with at least a tenth of the largest group's time at risk (what the
    rates are per): a tiny group's interval would otherwise dwarf every other. True when some
    groups were left out of the scale (their intervals may run off the right)."""
    days = [row["days_at_risk"] for row in rows if isinstance(row["days_at_risk"], int)]
    if not days:
        return False
    large = [
        row for row in rows if row["days_at_risk"] in days and row["days_at_risk"] >= max(days) / 10
    ]
    tops = [
        row[f"{metric}_high"]
        for row in large
        for metric, _, _ in SERIES
        if isinstance(row[f"{metric}_high"], int | float)
    ]
    if tops and max(tops) > 0:
        axes.set_xlim(0, 1.15 * max(tops))
    return len(large) < len(rows)


def draw(
    rows: Sequence[dict[str, Any]], dimensions: Sequence[str], stream: BinaryIO, kind: str
) -> None:
    """Draw the chart into `stream` as `kind` ("png" or "svg"): a row per group, so many
    groups make it taller, never wider than a page or a phone's screen."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    labels = [" / ".join(str(row[d]) for d in dimensions) or "all clients" for row in rows]
    figure, axes = pyplot.subplots(figsize=(8.0, max(3.5, 0.42 * len(rows) + 1.8)))
    width = 0.38
    for offset, (metric, name, colour) in enumerate(SERIES):
        xs: list[float] = []
        ys: list[float] = []
        errors: list[list[float]] = [[], []]
        for index, row in enumerate(rows):
            value, low, high = row[metric], row[f"{metric}_low"], row[f"{metric}_high"]
            if not all(isinstance(v, int | float) for v in (value, low, high)):
                continue  # no person-time, or suppressed
            xs.append(index + (offset - 0.5) * width)
            ys.append(value)
            errors[0].append(value - low)
            errors[1].append(high - value)
        axes.errorbar(ys, xs, xerr=errors, fmt="o", capsize=3, color=colour, label=name)
    # said under the axis (written over the plot, a note covered its first group)
    runs_off = _scale_to_the_larger_groups(axes, rows)
    notes = ["intervals of small groups may run off the right"] if runs_off else []
    if any(row[metric] == WITHHELD for row in rows for metric, _, _ in SERIES):
        notes.append(f'a {WITHHELD} rate is not drawn (docs/metrics.md, "Small counts")')
    axes.set_yticks(range(len(rows)), labels)
    axes.set_ylim(len(rows) - 0.5, -0.5)  # the first group on top, as in the table
    axes.set_xlabel("\n".join(["per 100 person-years (95% interval)", *notes]))
    axes.set_title("Technical violations and new offences under supervision")
    axes.legend(loc="lower right")
    axes.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    figure.savefig(stream, format=kind, metadata={"Date": None} if kind == "svg" else None)
    pyplot.close(figure)
