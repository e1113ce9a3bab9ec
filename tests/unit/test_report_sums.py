"""Adding up a report's rows (reports/tallies.py `added`, `counts_of`), keeping the sums as
text (reports/answers.py) and laying them out as a table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from reentry_ledger.reports.answers import Beside, combined, dumped, loaded
from reentry_ledger.reports.output import as_table
from reentry_ledger.reports.periods import Period
from reentry_ledger.reports.tallies import added, counts_of

JANUARY = Period(date(2024, 1, 1), date(2024, 1, 31), "2024-01")
FEBRUARY = Period(date(2024, 2, 1), date(2024, 2, 29), "2024-02")


def summed(
    dimensions: Sequence[str],
    periods: Sequence[Period],
    results: Iterable[tuple[Sequence[str], list[Any]]],
) -> dict[tuple[Any, ...], dict[str, int]]:
    return counts_of(dimensions, periods, added(len(dimensions), results))


def test_parts_over_different_clients_add_up_by_group_and_statements_merge() -> None:
    days, events = ("person_days", "clients"), ("violations",)
    found = summed(
        ("officer", "juvenile", "period"),
        [JANUARY, FEBRUARY],
        [
            (days, [("o-1", 0, 0, 31, 1), ("o-1", 1, 1, 10, 1)]),  # one part's clients
            (events, [("o-1", 0, 0, 2)]),
            (days, [("o-1", 0, 0, 20, 2), ("o-2", 0, 1, 5, None)]),  # the other part's
            (events, [("o-1", 0, 0, 1), (None, None, None, None)]),  # no rows: all NULL
        ],
    )
    assert found == {
        ("o-1", False, JANUARY): {"person_days": 51, "clients": 3, "violations": 3},
        ("o-1", True, FEBRUARY): {"person_days": 10, "clients": 1},
        ("o-2", False, FEBRUARY): {"person_days": 5, "clients": 0},
    }


def test_only_a_row_of_nothing_but_nulls_is_left_out_whatever_its_first_sum() -> None:
    """The row an aggregate gives over no rows is all NULL; a row whose first sum alone is
    NULL (a SUM over no value, beside a COUNT) still counts, decimals as PostgreSQL gives."""
    names = ("violations", "clients", "days")
    rows = [
        ("o-1", None, Decimal(2), None),
        ("o-2", None, None, None),
        ("o-3", Decimal(4), None, Decimal(0)),
        (None, None, None, None),
    ]
    assert added(1, [(names, rows)]) == {names: {("o-1",): [0, 2, 0], ("o-3",): [4, 0, 0]}}


def test_statements_counting_the_same_name_add_it_up() -> None:
    found = summed((), [JANUARY], [(("clients",), [(2,)]), (("clients", "days"), [(3, 7)])])
    assert found == {(): {"clients": 5, "days": 7}}


def test_a_table_puts_numbers_to_the_right_and_text_to_the_left() -> None:
    table = as_table(
        [{"officer": "o-1", "clients": 7, "rate": None}, {"officer": "o-22", "clients": 12}],
        ["officer", "clients", "rate"],
    )
    assert table.splitlines() == ["officer  clients  rate", "o-1            7", "o-22          12"]


def test_values_that_make_the_same_group_add_up_rather_than_replace_each_other() -> None:
    # an unknown juvenile flag (NULL) and 0 are both "not juvenile": one group, both counted
    found = summed(("juvenile",), [JANUARY], [(("clients",), [(None, 1), (0, 2), (1, 4)])])
    assert found == {(False,): {"clients": 3}, (True,): {"clients": 4}}


def test_sums_kept_as_text_read_back_as_the_same_groups_and_counts() -> None:
    # PostgreSQL gives whole sums (and a period's number) as decimals: kept as whole numbers
    rows = [("o-1", Decimal(0), Decimal(31), 1), ("o-2", 0, 5, Decimal(2)), (None, 0, 1, 1)]
    plain = [("o-1", 0, 3), ("o-3", 0, 1), (None, 0, 2)]  # a statement's values all plain
    sums = added(2, [(("person_days", "clients"), rows), (("violations",), plain)])
    assert loaded(str(dumped(sums))) == sums
    by = ("officer", "period")
    assert counts_of(by, [JANUARY], loaded(str(dumped(sums)))) == counts_of(by, [JANUARY], sums)


def test_a_group_value_text_cannot_keep_exactly_is_not_kept() -> None:
    assert dumped(added(1, [(("clients",), [(Decimal("1.5"), 3)])])) is None
    # a day would be read back as text, a fraction as a number JSON may round: not kept,
    # beside plain groups as alone
    for value in (date(2024, 1, 1), 0.5):
        assert dumped(added(1, [(("clients",), [(value, 3)])])) is None
        assert dumped(added(1, [(("days",), [("o-1", 3)]), (("clients",), [(value, 3)])])) is None


def test_a_sum_past_64_bits_is_not_kept_rather_than_read_back_inexactly() -> None:
    """orjson keeps answers, and would read a whole number past 64 bits back as a float."""
    sums = added(1, [(("days_at_risk_squares",), [("o-1", 2**64 + 1)])])
    assert dumped(sums) is None
    assert loaded(str(dumped(added(1, [(("clients",), [("o-1", 2**63 - 1)])])))) == {
        ("clients",): {("o-1",): [2**63 - 1]}
    }


def test_a_part_that_moved_has_its_old_sums_replaced_and_unequal_lists_are_refused() -> None:
    """A report kept beside its parts (answers.combined, ADR 39): the whole less the old sums
    of the part that moved, plus its new ones; a group's lists of different lengths (kept and
    counted by different definitions) are an error, not cut to the shorter."""
    names = ("person_days", "clients")
    whole = {names: {("low",): [10, 2], ("high",): [5, 1]}}
    held = {names: {("low",): [2], ("high",): [1]}}
    old = {names: {("low",): [4, 1]}}
    beside = Beside(whole, held, {"a": 0}, {"a": (old, 0, "")})
    sums, holding = combined(beside, None, {"a": {names: {("low",): [7, 1]}}}) or ({}, {})
    assert sums == {names: {("low",): [13, 2], ("high",): [5, 1]}}
    assert holding == {names: {("low",): [2], ("high",): [1]}}
    with pytest.raises(ValueError, match="3 values where 2"):
        combined(beside, None, {"a": {names: {("low",): [7, 1, 0]}}})
