"""A report's range ends by today at the latest. Exposure runs on through a range's last day
while a term is open, so a `--to` in the future counted person-days that have not happened
and diluted every rate per person-year (CHANGELOG: 31.4 technical violations per 100
person-years read as 21.3). Such a range, and a `--on` after today, is refused before anything is
caught up, with the option, its date and today named; a range ending today is counted. So is a
`--from` after the range's last day: a range of no day, which had answered "(no groups)" as if
nothing had happened in it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import Result

from reentry_ledger.application import Ledger
from reentry_ledger.application.base import utc_today
from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.reports.violations import ReportRequest

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


# a --from after the range's last day: a range of no day (it answered "(no groups)", exit 0)
STARTS = [(name, "--from") for name, option in ENDS if option == "--to"]
KNOWN_AT = "2024-06-15T00:00:00Z"  # its last day begun: 14 June


@pytest.mark.parametrize(("name", "option"), [*ENDS, *STARTS])
def test_a_range_ending_or_starting_after_today_is_refused_naming_the_option_and_today(
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


@pytest.fixture
def overseen(db_url: str) -> None:
    ledger = Ledger(db_url)
    ledger.add_user("jdoe", "auditor", None, actor="jdoe")
    ledger.add_user("ov", "oversight", None, actor="jdoe")
    ledger.close()


def test_oversight_is_refused_a_range_starting_after_today_too(run, enrolled, overseen) -> None:  # type: ignore[no-untyped-def]
    # oversight's --to after today is cut to today; a --from after it leaves no day to cut to
    message = refused(run("report", "violations", "--from", LATER.isoformat(), actor="ov"))
    assert message.startswith(f"Error: --from {LATER} is after today (")


def test_oversights_range_from_today_as_known_at_today_says_it_holds_no_whole_month(
    run, enrolled, overseen
) -> None:  # type: ignore[no-untyped-def]
    # the moment is snapped to the start of its month for oversight: a --from of the day
    # --known-at names was refused as after the month before, "the last day begun before
    # --known-at", which it is not (the review); it is taken as without --known-at
    today = utc_today().isoformat()
    for known_at in ((), ("--known-at", f"{today}T23:59:59Z")):
        shown = run("report", "violations", "--from", today, *known_at, actor="ov")
        assert shown.exit_code == 0, shown.output
    # as known at today, the range ends with the month before: it holds no whole month
    assert "(no groups)" in shown.stdout and "the range holds none" in shown.output


def test_a_range_ending_today_is_counted_to_today(run, enrolled) -> None:  # type: ignore[no-untyped-def]
    today = utc_today().isoformat()
    given = run("report", "violations", "--to", today, "--format", "json")
    default = run("report", "violations", "--format", "json")
    assert given.exit_code == default.exit_code == 0, given.output + default.output
    [group] = json.loads(given.stdout)["groups"]
    assert group == json.loads(default.stdout)["groups"][0]
    assert group["person_days"] == (utc_today() - date(2024, 1, 1)).days + 1


@pytest.mark.parametrize(
    ("name", "option"), [e for e in [*ENDS, *STARTS] if e[0] != "volunteer-supervision"]
)
def test_a_range_ending_or_starting_after_the_known_at_day_is_refused_naming_that_day(
    run, enrolled, name: str, option: str
) -> None:  # type: ignore[no-untyped-def]
    # as known at T the ledger knew nothing of the days after T: counting them (an open term's
    # exposure, with none of their events) would dilute every rate as days to come do
    message = refused(run("report", name, "--known-at", KNOWN_AT, option, "2024-06-15"))
    assert message == (
        f"Error: {option} 2024-06-15 is after 2024-06-14, the last day begun before "
        "--known-at: the ledger then knew nothing of the days after it\n"
    )


def test_as_known_at_a_moment_oversights_range_is_cut_there_and_other_roles_are_refused(
    db_url: str,
) -> None:
    # recorded now; the ledger's today three months on: a --to before today but after the
    # moment's day counts days the ledger then knew nothing of
    ledger = Ledger(db_url, clock=lambda: utc_today() + timedelta(days=90))
    ledger.enroll("GA-1", actor="aud", start=date(2024, 1, 1), agency="GA", officer="o-1",
                  supervision="parole")  # fmt: skip
    ledger.add_user("aud", "auditor", None, actor="aud")
    ledger.add_user("ov", "oversight", None, actor="aud")
    known_at = datetime.now(UTC) + timedelta(seconds=1)
    later = ReportRequest(today=ledger.clock(), last=ledger.clock() - timedelta(days=1))
    with pytest.raises(InvalidInput, match="the last day begun before --known-at"):
        ledger.reports(actor="aud").violations(later, known_at)
    # oversight reads as of the start of the moment's month (nothing of this month yet), and
    # its range ends with the month before: as without --to
    cut, snapped = ledger.reports(actor="ov").violations_snapped(later, known_at)
    default = ledger.reports(actor="ov").violations_snapped(replace(later, last=None), known_at)
    assert (cut, snapped) == default
    assert snapped is not None and snapped.last == known_at.date().replace(day=1) - timedelta(1)
    ledger.close()
