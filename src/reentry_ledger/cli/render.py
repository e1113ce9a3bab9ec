"""Output: JSON for programs, short aligned lines for people."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, is_dataclass
from itertools import islice
from typing import Any

import click
import orjson
from pydantic import BaseModel

from reentry_ledger.reports.output import escaped
from reentry_ledger.timeline import TimelineEntry, iso_utc


def _default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    raise TypeError(f"cannot print {type(value).__name__} as JSON")


def echo_json(value: Any) -> None:
    click.echo(orjson.dumps(value, default=_default, option=orjson.OPT_INDENT_2).decode())


ITEMS_AT_ONCE = 1000  # items `echo_json_items` writes at a time


def echo_json_items(items: Iterable[Any]) -> None:
    """A JSON array of `items` as `echo_json` prints their list, an item at a time (a listing
    of millions is never held whole)."""
    pieces = json_items(items)
    while written := "".join(islice(pieces, ITEMS_AT_ONCE)):  # not an item a write (a flush)
        click.echo(written, nl=False)


def json_items(items: Iterable[Any]) -> Iterator[str]:
    """What `echo_json` prints of the list of `items`, in pieces, one an item."""
    started = False
    for item in items:
        text = orjson.dumps(item, default=_default, option=orjson.OPT_INDENT_2).decode()
        yield (",\n  " if started else "[\n  ") + text.replace("\n", "\n  ")
        started = True
    yield "\n]\n" if started else "[]\n"


def brief(value: Any) -> str:
    """One value, briefly: a code with the agency's wording in brackets, lists comma-joined."""
    if isinstance(value, dict) and "code" in value:
        raw = value.get("raw_text")
        return f"{value['code']} [{raw}]" if raw else str(value["code"])
    if isinstance(value, dict):
        return " ".join(f"{key}={brief(item)}" for key, item in value.items() if item)
    if isinstance(value, list):
        separator = (
            "; " if any(isinstance(item, dict) and "code" not in item for item in value) else ","
        )
        return separator.join(brief(item) for item in value)
    return str(value)


def summary(data: dict[str, Any]) -> str:
    return "  ".join(
        f"{key}={brief(value)}"
        for key, value in data.items()
        if value not in (None, False, "", [], {})
    )


def timeline_lines(entries: list[TimelineEntry]) -> list[str]:
    lines = []
    for entry in entries:
        mark = f"  [retracted by {entry.retracted_by}]" if entry.retracted_by else ""
        recorded = iso_utc(entry.recorded_at)[:19].replace("T", " ")
        said = summary(entry.data)  # a status change (e.g. Absconded) may say nothing more
        gist = f" ({escaped(entry.gist)})" if entry.gist else ""
        lines.append(
            f"{entry.number:>4}  {entry.occurred_on}  {recorded}  {escaped(entry.recorded_by):<10} "
            f"{entry.type}{gist}{mark}" + (f"\n      {escaped(said)}" if said else "")
        )
    return lines


class Progress:
    """Counts long work on a terminal's stderr; says nothing when stderr is not a terminal.
    Each call is an item (a client replayed) with its events, or with `batches` a batch,
    counted by its events alone."""

    def __init__(self, label: str, every: int = 1000, batches: bool = False) -> None:
        self.label = label
        self.every = every
        self.batches = batches
        self.items = 0
        self.units = 0
        self.enabled = sys.stderr.isatty()

    def __call__(self, units: int) -> None:
        self.items += 1
        self.units += units
        if self.enabled and self.items % self.every == 0:
            self.show()

    def show(self) -> None:
        counted = f"{self.units:,}" if self.batches else f"{self.items:,} ({self.units:,} events)"
        click.echo(f"\r{self.label}: {counted}", err=True, nl=False)

    def done(self) -> None:
        """Ends the line with the final count (the last shown may be short of it)."""
        if self.enabled and self.items >= self.every:
            self.show()
            click.echo("", err=True)
