"""A report's range ends by today at the latest. Exposure runs on through a range's last day
while a term is open, so a `--to` in the future counted person-days that have not happened
and diluted every rate per person-year (CHANGELOG: 31.4 technical violations per 100
person-years read as 21.3). Such a range, and a `--on` after today, is refused before anything is
caught up, with the option, its date and today named; a range ending today is counted."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from click.testing import Result

from reentry_ledger.application import Ledger
from reentry_ledger.application.base import utc_today
from reentry_ledger.projections.runner import ProjectionRunner

# after today (UTC) even if the day turns while the test runs
LATER = utc_today() + timedelta(days=2)
# every report that takes a range's last day, and how it is given
ENDS = [
    ("violations", "--to"),
    ("responses", "--to"),
    ("disparities", "--to"),
    ("discharges", "--to"),
    ("referrals", "--to"),
    ("volunteers", "--to"),
    ("volunteer-supervision", "--to"),
    ("needs", "--to"),
    ("programmes", "--to"),
    ("contacts", "--to"),
    ("caseload", "--on"),
]


@pytest.fixture
def enrolled(db_url: str) -> None:
    ledger = Ledger(db_url)
    ledger.enroll("GA-1", actor="jdoe", start=date(2024, 1, 1), agency="GA", officer="o-1",
                  supervision="parole")  # fmt: skip
    ledger.record_violation("GA-1", actor="jdoe", on=date(2024, 2, 1), technical=("curfew",))
    ledger.close()


def refused(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.stdout == ""
    return result.stderr


@pytest.mark.parametrize(("name", "option"), ENDS)
def test_a_range_ending_after_today_is_refused_naming_the_option_and_today(
    run, enrolled, db_url: str, name: str, option: str
) -> None:  # type: ignore[no-untyped-def]
    before = [status.position for status in ProjectionRunner(Ledger(db_url)).status()]
    asked_on = utc_today()
    message = refused(run("report", name, option, LATER.isoformat()))
    assert message in {  # today as the command saw it: the day may have turned meanwhile
        f"Error: {option} {LATER} is after today ({today}): a report counts only days that "
        "have passed\n"
        for today in (asked_on, utc_today())
    }
    after = [status.position for status in ProjectionRunner(Ledger(db_url)).status()]
    assert after == before  # refused before the projections were caught up


def test_a_range_ending_today_is_counted_to_today(run, enrolled) -> None:  # type: ignore[no-untyped-def]
    today = utc_today().isoformat()
    given = run("report", "violations", "--to", today, "--format", "json")
    default = run("report", "violations", "--format", "json")
    assert given.exit_code == default.exit_code == 0, given.output + default.output
    [group] = json.loads(given.stdout)["groups"]
    assert group == json.loads(default.stdout)["groups"][0]
    assert group["person_days"] == (utc_today() - date(2024, 1, 1)).days + 1
