"""`report contacts` (issue 18): client-months against the supervision level's contact
standard, hand-counted, and contacts by kind; the same rebuilt."""

from __future__ import annotations

from datetime import date
from typing import Any

from reentry_ledger.application import Ledger
from reentry_ledger.projections.runner import ProjectionRunner

START = date(2025, 1, 10)
SPRING = (date(2025, 1, 1), date(2025, 4, 30))  # months ending 31 Jan .. 30 Apr


def client(ledger: Ledger, ref: str, officer: str, level: str | None) -> None:
    ledger.enroll(ref, actor="jdoe", start=START, agency="GA", officer=officer,
                  supervision="probation")  # fmt: skip
    if level:
        ledger.change_level(ref, actor="jdoe", on=START, level=level)


def contact(ledger: Ledger, ref: str, on: date, kind: str) -> None:
    ledger.log_contact(ref, actor="jdoe", on=on, kind=kind, note="seen")


def history(ledger: Ledger) -> None:
    """C-1 medium (1 a month): office 5 Feb, nothing in March, collateral 10 Apr and home
    12 Apr: Jan not measured (began 10 Jan), Feb met, Mar not, Apr met (the collateral does
    not count). C-2 low (1 in 3 months): phone_video 15 Feb: only April's window (Feb-Apr)
    lies within its term: met. C-3 high (2 a month): office and field in Feb (met), in custody
    on 31 Mar (not measured), group in April (not met). C-4, no level: an office contact."""
    client(ledger, "C-1", "o-1", "medium")
    client(ledger, "C-2", "o-2", "low")
    client(ledger, "C-3", "o-1", "high")
    client(ledger, "C-4", "o-3", None)
    contact(ledger, "C-1", date(2025, 2, 5), "office")
    contact(ledger, "C-1", date(2025, 4, 10), "collateral")
    contact(ledger, "C-1", date(2025, 4, 12), "home")
    contact(ledger, "C-2", date(2025, 2, 15), "phone_video")
    contact(ledger, "C-3", date(2025, 2, 3), "office")
    contact(ledger, "C-3", date(2025, 2, 24), "field")
    ledger.start_custody("C-3", actor="jdoe", on=date(2025, 3, 20), reason="sanction")
    ledger.end_custody("C-3", actor="jdoe", on=date(2025, 4, 5))
    contact(ledger, "C-3", date(2025, 4, 14), "group")
    contact(ledger, "C-4", date(2025, 2, 2), "office")


def report(ledger: Ledger, by: tuple[str, ...], **options: Any) -> dict[Any, dict[str, Any]]:
    table = ledger.reports(actor="jdoe").contacts(*SPRING, by, **options)
    return {tuple(row[name] for name in by): row for row in table.rows}


def brief(row: dict[str, Any]) -> tuple[Any, ...]:
    return row["client_months"], row["met"], row["share_met"], row["contacts"]


def test_client_months_meet_the_levels_standard_as_counted_by_hand(ledger: Ledger) -> None:
    history(ledger)
    by_level = report(ledger, ("level",))
    assert {key[0]: brief(row) for key, row in by_level.items()} == {
        "unset": (0, 0, None, 1),
        "high": (2, 1, 0.5, 3),
        "medium": (3, 2, 0.6667, 3),
        "low": (1, 1, 1.0, 1),
    }
    assert list(by_level) == [("unset",), ("high",), ("medium",), ("low",)]  # the levels' order
    medium = by_level[("medium",)]
    assert (medium["contacts_office"], medium["contacts_collateral"],
            medium["contacts_home"]) == (1, 1, 1)  # fmt: skip
    by_officer = report(ledger, ("officer",))
    assert {key[0]: brief(row) for key, row in by_officer.items()} == {
        "o-1": (5, 3, 0.6, 6),
        "o-2": (1, 1, 1.0, 1),
        "o-3": (0, 0, None, 1),
    }
    assert brief(report(ledger, ())[()]) == (6, 4, 0.6667, 8)


def test_report_contacts_is_the_same_rebuilt_and_hides_small_counts(ledger: Ledger) -> None:
    history(ledger)
    counted = report(ledger, ("officer", "level"))
    ProjectionRunner(ledger, workers=0).rebuild(["contacts", "status", "clients"])
    assert report(ledger, ("officer", "level")) == counted
    hidden = report(ledger, (), suppress_below=5)[()]
    assert hidden["client_months"] == 6 and hidden["met"] == hidden["share_met"] == "withheld"
    assert hidden["contacts_office"] == hidden["contacts"] == "withheld"  # a hidden part: its total


def test_the_client_months_that_missed_the_standard_are_not_given_away_by_a_difference(
    ledger: Ledger,
) -> None:
    """An oversight reader read 12 client-months and 11 met in one officer's row: one client
    missed the standard that month, a count of 1 that no cell showed. A difference too small
    to show hides what it is taken from: `met` (with its share), not the client-months."""
    for number in range(12):
        ledger.enroll(f"M-{number}", actor="jdoe", start=date(2024, 12, 20), agency="GA",
                      officer="o-1", supervision="probation")  # fmt: skip
        ledger.change_level(f"M-{number}", actor="jdoe", on=date(2024, 12, 20), level="medium")
        if number:  # all but one seen in February
            contact(ledger, f"M-{number}", date(2025, 2, 10), "office")
    ledger.add_user("aud", "auditor", None, actor="jdoe")  # users from here on
    ledger.add_user("ov", "oversight", None, actor="aud")
    february = (date(2025, 2, 1), date(2025, 2, 28))
    [exact] = ledger.reports(actor="aud").contacts(*february, ("officer",)).rows
    assert (exact["client_months"], exact["met"]) == (12, 11)
    [row] = ledger.reports(actor="ov").contacts(*february, ("officer",)).rows
    assert row["client_months"] == 12
    assert row["met"] == row["share_met"] == "withheld"
    assert row["contacts"] == 11  # not tied to the months


def test_referrals_awaiting_a_decision_are_not_given_away_by_a_difference(
    ledger: Ledger,
) -> None:
    """An oversight reader read housing referrals made 12, accepted 11, declined 0: one was
    still awaiting a decision, a count of 1 no cell showed. The statuses are hidden together
    (each bounds the others), as they are when one of them is small."""
    for number in range(12):
        ledger.enroll(f"R-{number}", actor="jdoe", start=date(2025, 1, 6), agency="GA",
                      officer="o-1", supervision="probation")  # fmt: skip
        made = ledger.refer(f"R-{number}", actor="jdoe", on=date(2025, 2, 3), service="housing")
        if number:
            ledger.update_referral(f"R-{number}", str(made.new_id), "accepted", actor="jdoe",
                                   on=date(2025, 2, 10))  # fmt: skip
    ledger.add_user("aud", "auditor", None, actor="jdoe")  # users from here on
    ledger.add_user("ov", "oversight", None, actor="aud")
    february = (date(2025, 2, 1), date(2025, 2, 28))
    [exact] = ledger.reports(actor="aud").referrals(*february).rows
    assert (exact["made"], exact["accepted"], exact["declined"]) == (12, 11, 0)
    [row] = ledger.reports(actor="ov").referrals(*february).rows
    assert {row[status] for status in ("made", "accepted", "declined", "started")} == {"withheld"}
