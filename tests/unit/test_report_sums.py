"""Adding up a report's rows (reports/tallies.py `summed`) and laying them out as a table."""

from __future__ import annotations

from datetime import date

from reentry_ledger.reports.output import as_table
from reentry_ledger.reports.periods import Period
from reentry_ledger.reports.tallies import summed

JANUARY = Period(date(2024, 1, 1), date(2024, 1, 31), "2024-01")
FEBRUARY = Period(date(2024, 2, 1), date(2024, 2, 29), "2024-02")


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
