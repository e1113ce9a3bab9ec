"""Report rows as a table for people, CSV for spreadsheets, JSON for programs.

What people read is made safe to show: in a table (and any text printed for people) every
control character is escaped (`\\n`, `\\x1b`...), so a note cannot start a fake line or
move the cursor. In CSV, a text cell that a spreadsheet would take for a formula (it starts
with =, +, -, @, a tab or a carriage return) gets a leading ' (OWASP's advice on CSV
injection); numbers stay numbers, negative ones too. JSON escapes everything already.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

import orjson

from reentry_ledger.reports.suppression import WITHHELD

TABLE_BLOCK = 10_000  # rows `table_blocks` writes at a time


def as_json(report: dict[str, Any]) -> str:
    return orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n"


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _escape(found: re.Match[str]) -> str:
    char = found.group()
    code = ord(char)
    return _ESCAPES.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def escaped(text: str) -> str:
    """The text on one line, its control characters written out as escapes."""
    return _CONTROL.sub(_escape, text) if not text.isprintable() else text


_CONTROL_BUT_LINE_FEEDS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def shows_safely(text: str) -> bool:
    """Whether `text` holds no control character but its line feeds, as a table is written
    (`as_table`): a table kept and read back that does not is not shown (reports/shown.py)."""
    return _CONTROL_BUT_LINE_FEEDS.search(text) is None


def csv_cell(value: Any) -> str:
    """A CSV cell no spreadsheet runs as a formula: text starting with = + - @ tab or CR
    gets a leading '. Numbers are left as they are. A carriage return becomes a line feed:
    the writer, whose lines end in \\n, would leave it unquoted and split the row."""
    if not isinstance(value, str):
        return cell(value)
    if value.startswith(FORMULA_STARTS):
        value = "'" + value
    return value.replace("\r\n", "\n").replace("\r", "\n") if "\r" in value else value


def as_csv(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([csv_cell(column) for column in columns])
    # the writer writes a plain number as `str` does and a missing value as nothing, as `cell`
    cells = [values for values, _, _ in (_column(rows, c, csv_cell) for c in columns)]
    writer.writerows(zip(*cells, strict=True) if columns else ([] for _ in rows))
    return buffer.getvalue()


def as_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    if not rows:
        return "(no groups)\n"
    if not columns:
        return "\n" * (len(rows) + 1)
    return _table(rows, columns, [0] * len(columns), header=True)[0]


def table_blocks(
    rows: Iterable[dict[str, Any]],
    columns: Sequence[str],
    block: int = TABLE_BLOCK,
    empty: str = "(no groups)\n",
) -> Iterator[str]:
    """`rows` as `as_table` writes them (of one column or more), `block` rows at a time, so a
    listing of millions is never held whole: each block's columns as wide as its cells and
    every block's before it (a table of one block is `as_table`'s); `empty` where none is."""
    widths: list[int] | None = None
    rows = iter(rows)
    while chunk := list(islice(rows, block)):
        text, widths = _table(chunk, columns, widths or [0] * len(columns), widths is None)
        yield text
    if widths is None:
        yield empty


def _table(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], least: Sequence[int], header: bool
) -> tuple[str, list[int]]:
    """The rows' lines (after the columns' names, with `header`), each column as wide as its
    cells, its name and `least`; and those widths."""
    made = [_column(rows, column, _table_cell) for column in columns]
    texts = [
        ["" if value is None else str(value) for value in values] if plain else values
        for values, _, plain in made
    ]
    widths = [
        max(at_least, len(c), *map(len, cells))
        for c, cells, at_least in zip(columns, texts, least, strict=True)
    ]
    # one template a table: numbers to the right of their column, text to the left
    line = "  ".join(
        f"{{:{'>' if numeric else '<'}{width}}}"
        for width, (_, numeric, _) in zip(widths, made, strict=True)
    )
    lines = [line.format(*columns)] if header else []
    lines += map(line.format, *texts)
    return "\n".join(line.rstrip() for line in lines) + "\n", widths


def _table_cell(value: Any) -> str:
    return escaped(cell(value))


PLAIN = {int, float, type(None)}  # whose text needs neither escaping nor guarding


def _column(
    rows: Sequence[dict[str, Any]], column: str, text: Callable[[Any], str]
) -> tuple[list[Any], bool, bool]:
    """A column's values; whether they are all numbers (or missing, or withheld), to the right
    in a table; and whether they are all plain (`PLAIN`): then as they are, else each as `text`
    makes it.
    Made a column at a time: a report of 100,000 groups has millions of cells."""
    values = [row.get(column) for row in rows]
    kinds = set(map(type, values))
    numeric = all(_is_number_type(kind) for kind in kinds - {str}) and (
        str not in kinds or all(value == WITHHELD for value in values if type(value) is str)
    )  # a count withheld stays in its column of numbers, at the right
    if kinds <= PLAIN:
        return values, numeric, True
    return list(map(text, values)), numeric, False


def _is_number_type(kind: type) -> bool:
    return kind is type(None) or (issubclass(kind, int | float) and not issubclass(kind, bool))
