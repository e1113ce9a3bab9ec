"""Goals and plans through the server (REENTRY_LEDGER_URL): `goal` add, progress and reorder,
`plan --goal`, `plan REF approve` (a caseworker refused, a supervisor not) print the same, and
exit alike, as from the database; `show` lists the goals the same; `report due` says plainly
that it is not offered through a server."""

from __future__ import annotations

from tests.server.test_remote_cli import both_write, remote, same, twins
from tests.serving import Live

ON = ("--on", "2025-06-01")


def test_goal_commands_and_approval_confirm_the_same_through_the_server(live: Live) -> None:
    twins(live.ledger)
    added = both_write(live, "cw-ga", "goal", "{ref}", "add", *ON, "--need", "school_work",
                       "--text", "find work", "--target", "2025-07-01", code=0)  # fmt: skip
    assert added.stdout == "G1\n"
    planned = both_write(live, "cw-ga", "plan", "{ref}", *ON, "--goal", "substance_use:rehab",
                         "--goal", "G1", code=0)  # fmt: skip
    assert planned.stdout == "G2\nG1\n"
    both_write(live, "cw-ga", "goal", "{ref}", "G1", "progress", *ON, "--status",
               "in_progress", "--note", "applied", code=0)  # fmt: skip
    both_write(live, "cw-ga", "goal", "{ref}", "G1", "reorder", "--priority", "1", *ON, code=0)
    both_write(live, "cw-ga", "goal", "{ref}", "G9", "progress", *ON, "--status", "achieved",
               code=4)  # fmt: skip
    both_write(live, "cw-ga", "plan", "{ref}", "approve", *ON, code=3)
    both_write(live, "sup-ga", "plan", "{ref}", "approve", *ON, code=0)
    shown = same(live, "cw-ga", "show", "GA-4", code=0)
    assert "goals        1. G1 school_work: find work  (in_progress, target 2025-07-01" in (
        shown.stdout
    )
    same(live, "cw-ga", "show", "GA-4", "--json", code=0)
    same(live, "cw-ga", "timeline", "GA-4", code=0)


def test_report_due_says_it_is_not_offered_through_a_server(live: Live) -> None:
    result = remote(live, "cw-ga", "report", "due")
    assert result.exit_code == 2 and result.stdout == ""
    assert "report due is not offered through a server yet" in result.stderr
