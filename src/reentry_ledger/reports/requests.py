"""What a report is asked for, checked once for every front end (the CLI's options, the API's
query parameters): the groups it splits by (`by`) and its range (`from`, `to`)."""

from __future__ import annotations

from datetime import date

from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.reports.dimensions import CLIENT_DIMENSIONS, DIMENSIONS


def parse_dimensions(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    chosen = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [d for d in chosen if d not in DIMENSIONS]
    if unknown:
        raise InvalidInput(
            f"--by: unknown dimension {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(DIMENSIONS)})"
        )
    return once(chosen)


def once(chosen: tuple[str, ...]) -> tuple[str, ...]:
    """The dimensions chosen, none of them twice (an error names those that are)."""
    repeated = sorted({d for d in chosen if chosen.count(d) > 1}, key=chosen.index)
    if repeated:
        raise InvalidInput(
            f"--by: {', '.join(map(repr, repeated))} given more than once (each dimension at "
            "most once)"
        )
    return chosen


def parse_client_dimensions(text: str | None) -> tuple[str, ...]:
    chosen = parse_dimensions(text)
    other = [d for d in chosen if d not in CLIENT_DIMENSIONS]
    if other:
        raise InvalidInput(
            f"--by: this report groups by {', '.join(CLIENT_DIMENSIONS)} only, "
            f"not {', '.join(other)}"
        )
    return chosen


def check_range(first: date | None, last: date | None) -> None:
    if first and last and first > last:
        raise InvalidInput(f"--from {first} is after --to {last}")
