"""A report's table and CSV are made a column at a time (a report of 100,000 groups has
millions of cells), and say exactly what each cell, made on its own, says: a number right
of its column when the whole column is numbers, text escaped (table) or kept from running as
a formula (CSV), nothing for a missing value, `true`/`false` for truth values."""

from __future__ import annotations

import csv
import enum
import io
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from reentry_ledger.cli.render import json_items
from reentry_ledger.reports.output import as_csv, as_table, cell, csv_cell, escaped, table_blocks


class Level(enum.IntEnum):
    LOW = 1


def number(value: Any) -> bool:
    if value is None or value == "withheld":  # a withheld count stays with the numbers
        return True
    return isinstance(value, int | float) and not isinstance(value, bool)


def reference_table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """The table as its definition reads, a cell at a time."""

    values = [[row.get(column) for column in columns] for row in rows]
    texts = [[escaped(cell(value)) for value in row] for row in values]
    widths = [max(len(c), *(len(t[i]) for t in texts)) for i, c in enumerate(columns)]
    right = [all(number(row[i]) for row in values) for i in range(len(columns))]
    lines = [columns, *texts]
    return "".join(
        "  ".join(
            text.rjust(width) if at_right else text.ljust(width)
            for text, width, at_right in zip(line, widths, right, strict=True)
        ).rstrip()
        + "\n"
        for line in lines
    )


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.just(Level.LOW),
    st.text(st.characters(max_codepoint=0x2030, exclude_categories=("Cs",)), max_size=8),
    st.sampled_from(
        ["=SUM(A1)", "-3", "+1", "@x", "\tx", "a\r\nb", "a\rb", "x\x1b[31m", "withheld"]
    ),
)
COLUMNS = st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=4, unique=True)


@st.composite
def reports(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[str]]:
    columns = draw(COLUMNS)
    # some columns all numbers (as counts are), some mixed; a row may lack a column
    numeric = {c: draw(st.booleans()) for c in columns}
    number = st.one_of(
        st.none(), st.integers(-(10**6), 10**6), st.floats(allow_nan=False), st.just("withheld")
    )
    rows = draw(
        st.lists(
            st.dictionaries(
                st.sampled_from(columns),
                st.deferred(lambda: VALUES),
                max_size=len(columns),
            ),
            min_size=1,
            max_size=12,
        )
    )
    for row in rows:
        for column in columns:
            if numeric[column] and column in row:
                row[column] = draw(number)
    return rows, columns


@given(reports())
def test_a_table_made_by_column_says_what_each_cell_says_on_its_own(
    report: tuple[list[dict[str, Any]], list[str]],
) -> None:
    rows, columns = report
    assert as_table(rows, columns) == reference_table(rows, columns)


@given(reports())
def test_a_csv_made_by_column_reads_back_as_each_cell_on_its_own(
    report: tuple[list[dict[str, Any]], list[str]],
) -> None:
    rows, columns = report
    read = list(csv.reader(io.StringIO(as_csv(rows, columns))))
    expected = [
        [csv_cell(column) for column in columns],
        *([csv_cell(row.get(column)) for column in columns] for row in rows),
    ]
    assert read == expected


def test_a_column_of_counts_with_a_missing_value_is_a_column_of_numbers() -> None:
    table = as_table([{"g": "a", "n": 12}, {"g": "bb", "n": None}], ["g", "n"])
    assert table == "g    n\na   12\nbb\n"


def test_a_column_of_counts_with_a_withheld_one_stays_at_the_right() -> None:
    table = as_table([{"g": "a", "n": 12}, {"g": "bb", "n": "withheld"}], ["g", "n"])
    assert table == "g          n\na         12\nbb  withheld\n"


def test_a_truth_value_is_text_in_a_column_and_in_csv() -> None:
    assert as_table([{"j": True}, {"j": 1}], ["j"]) == "j\ntrue\n1\n"
    assert as_csv([{"j": False}], ["j"]) == "j\nfalse\n"


class Shown(int):
    """A number whose text holds a control character (no such type in the ledger today)."""

    def __str__(self) -> str:
        return "seven\n"


def test_a_number_whose_text_holds_a_control_character_is_escaped_at_the_right() -> None:
    table = as_table([{"a": Shown(7)}, {"a": 10}], ["a"])
    assert table == reference_table([{"a": Shown(7)}, {"a": 10}], ["a"])
    assert table == "      a\nseven\\n\n     10\n"


def test_rows_with_no_column_are_a_line_each() -> None:
    rows: list[dict[str, Any]] = [{"a": 1}, {"a": 2}]
    assert as_table(rows, []) == "\n\n\n"
    assert as_csv(rows, []) == "\n\n\n"


def reference_blocks(rows: list[dict[str, Any]], columns: list[str], block: int) -> list[str]:
    """A table written `block` rows at a time: the columns' names once, then each block as
    `reference_table` writes its rows, but in columns as wide as any block's before it."""
    texts = [[escaped(cell(row.get(column))) for column in columns] for row in rows]
    widths, written = [len(column) for column in columns], []
    for start in range(0, len(rows), block):
        part, values = texts[start : start + block], rows[start : start + block]
        widths = [max(width, *(len(t[i]) for t in part)) for i, width in enumerate(widths)]
        right = [all(number(row.get(column)) for row in values) for column in columns]
        lines = [columns, *part] if start == 0 else part
        written.append("".join(
            "  ".join(text.rjust(width) if at_right else text.ljust(width)
                      for text, width, at_right in zip(line, widths, right, strict=True)
                      ).rstrip() + "\n"
            for line in lines
        ))  # fmt: skip
    return written


@given(reports(), st.integers(1, 13))
def test_a_table_written_a_block_at_a_time_widens_its_columns_as_blocks_need(
    report: tuple[list[dict[str, Any]], list[str]], block: int
) -> None:
    """A listing of millions (the access log) is written a block of rows at a time, never
    held whole: where one block holds every row, it is the table itself; else each block's
    columns are as wide as its cells and those of every block before."""
    rows, columns = report
    written = list(table_blocks(iter(rows), columns, block))
    assert written == reference_blocks(rows, columns, block)
    if block >= len(rows):
        assert written == [as_table(rows, columns)]


def test_a_table_of_no_rows_written_a_block_at_a_time_says_so() -> None:
    assert list(table_blocks(iter([]), ["a"])) == ["(no groups)\n"]


JSON_VALUES = st.one_of(
    st.none(), st.integers(-(2**63), 2**63 - 1), st.text(), st.lists(st.integers(0, 9), max_size=2)
)


@given(st.lists(st.dictionaries(st.text(max_size=4), JSON_VALUES), max_size=5))
def test_a_json_list_printed_an_item_at_a_time_is_the_list_printed_whole(
    items: list[dict[str, Any]],
) -> None:
    whole = orjson.dumps(items, option=orjson.OPT_INDENT_2).decode() + "\n"
    assert "".join(json_items(iter(items))) == whole
