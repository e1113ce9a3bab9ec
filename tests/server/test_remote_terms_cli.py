"""Terms and status periods through the server: each status command, a later term and who the
person is print the same through REENTRY_LEDGER_URL as from the database, refusals too, and a
move to another agency brings its notice through the server."""

from __future__ import annotations

from datetime import date

from reentry_ledger.application import Ledger
from tests.server.test_remote_cli import both_write, local, remote, same, twins
from tests.serving import Live

ON = ("--on", "2025-06-01")


def test_status_commands_confirm_the_same_through_the_server(live: Live) -> None:
    twins(live.ledger)
    both_write(live, "cw-ga", "level", "{ref}", *ON, "--level", "high", code=0)
    both_write(live, "cw-ga", "conditions", "{ref}", *ON, "--add", "curfew", code=0)
    both_write(live, "cw-ga", "custody", "{ref}", *ON, "--reason", "jail_hold", code=0)
    both_write(live, "cw-ga", "abscond", "{ref}", "--on", "2025-06-02", code=3)  # in custody
    both_write(live, "cw-ga", "custody-end", "{ref}", "--on", "2025-06-03", code=0)
    both_write(live, "cw-ga", "abscond", "{ref}", "--on", "2025-06-04", code=0)
    both_write(live, "cw-ga", "return", "{ref}", "--on", "2025-06-01", code=3)  # too early
    both_write(live, "cw-ga", "return", "{ref}", "--on", "2025-06-05", code=0)
    both_write(live, "cw-ga", "reassign", "{ref}", "--on", "2025-06-06", "--officer", "o-4", code=0)
    both_write(live, "cw-gb", "custody", "{ref}", *ON, "--reason", "sanction", code=4)
    state = [
        local(live, "cw-ga", "show", ref).stdout.replace(ref, "REF") for ref in ("GA-3", "GA-4")
    ]
    assert state[0] == state[1]
    assert "periods      in custody (jail_hold) since 2025-06-01, until 2025-06-03; " in state[0]
    same(live, "cw-ga", "timeline", "GA-4", code=0)
    same(live, "cw-ga", "show", "GA-4", "--json", code=0)


def test_a_later_term_and_who_the_person_is_through_the_server(live: Live) -> None:
    enrol = ("--agency", "GA", "--officer", "o-1", "--supervision", "parole")
    person = (
        "--sex",
        "female",
        "--race",
        "asian",
        "--ethnicity",
        "hispanic",
        "--birth-year",
        "1985",
    )
    for ref, run in (("GA-3", local), ("GA-4", remote)):
        first = run(live, "cw-ga", "enroll", ref, *enrol, "--start", "2025-01-02", *person)
        assert first.exit_code == 0, first.output
        again = run(live, "cw-ga", "enroll", ref, *enrol, "--start", "2025-02-01")
        assert again.exit_code == 3, again.output
    both_write(live, "cw-ga", "discharge", "{ref}", *ON, "--outcome", "successful", code=0)
    later = both_write(live, "cw-ga", "enroll", "{ref}", *enrol, "--start", "2025-07-01",
                       "--start-reason", "reinstated", code=0)  # fmt: skip
    assert "(TermStarted)" in later.stderr
    both_write(live, "cw-ga", "enroll", "{ref}", *enrol, "--birth-year", "3000", code=2)
    shown = same(live, "cw-ga", "show", "GA-4", code=0).stdout
    assert "term         2 (of 2) from 2025-07-01, start reason reinstated\n" in shown
    assert "person       sex female, race asian, ethnicity hispanic, born 1985\n" in shown


def test_a_move_to_another_agency_says_so_through_the_server(live: Live) -> None:
    ledger: Ledger = live.ledger
    ledger.enroll("GA-5", actor="cw-ga", start=date(2025, 1, 2), agency="GA", officer="o-1",
                  supervision="parole")  # fmt: skip
    moved = remote(live, "sup-ga", "reassign", "GA-5", *ON, "--officer", "o-9", "--agency", "GB")
    assert moved.exit_code == 0, moved.output
    assert moved.stderr == (
        "GA-5: recorded event 2 (Reassigned)\n"
        "Note: client 'GA-5' moved from agency GA to GB: from now on GA's staff see its record "
        "only as it stood up to this move\n"
    )
    written = remote(live, "cw-gb", "abscond", "GA-5", "--on", "2025-06-10")
    assert written.exit_code == 0, written.output
    old = same(live, "cw-ga", "timeline", "GA-5", code=0).stdout
    assert "Reassigned" in old and "Absconded" not in old
    refused = same(live, "cw-ga", "return", "GA-5", "--on", "2025-06-11")
    assert refused.exit_code in (3, 4)
