"""A report's table and CSV are made a column at a time (a report of 100,000 groups has
millions of cells), and say exactly what each cell, made on its own, says: a number right
of its column when the whole column is numbers, text escaped (table) or kept from running as
a formula (CSV), nothing for a missing value, `true`/`false` for truth values."""

from __future__ import annotations

import csv
import enum
import io
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from reentry_ledger.reports.output import as_csv, as_table, cell, csv_cell, escaped


class Level(enum.IntEnum):
    LOW = 1


def reference_table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """The table as its definition reads, a cell at a time."""

    def number(value: Any) -> bool:
        if value is None or value == "withheld":  # a withheld count stays with the numbers
            return True
        return isinstance(value, int | float) and not isinstance(value, bool)

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
