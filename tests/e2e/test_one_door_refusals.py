"""Attacks that used to walk around the rules, each tried as the role that would try it:
imports past the agency and role checks, keys re-made after a seal, a half-done seal, users
removed until anyone is an auditor, decisions recorded twice, ciphertext on screen."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reentry_ledger.application import Ledger
from reentry_ledger.cli import cli
from reentry_ledger.domain.errors import Conflict
from tests.builders import CSV_HEADER, CSV_MAPPING, TODAY, recorded

Run = Callable[..., Result]


@pytest.fixture
def run(db_url: str) -> Run:
    runner = CliRunner()

    def invoke(actor: str | None, *args: str) -> Result:
        who = ["--actor", actor] if actor else []
        return runner.invoke(cli, ["--db", db_url, *who, *args], catch_exceptions=False)

    return invoke


@pytest.fixture
def staffed(run: Run) -> Run:
    for name, role, agency in (("aud", "auditor", None), ("sup-ga", "supervisor", "GA"),
                               ("sup-n", "supervisor", "North"),
                               ("cw-ga", "caseworker", "GA")):  # fmt: skip
        add = ["users", "add", name, "--role", role] + (["--agency", agency] if agency else [])
        assert run("aud", *add).exit_code == 0
    enroll = ["--officer", "o", "--supervision", "parole", "--start", "2024-01-01"]
    assert run("sup-n", "enroll", "N-1", "--agency", "North", *enroll).exit_code == 0
    assert (
        run("sup-ga", "enroll", "GA-1", "--agency", "GA", *enroll, "--name", "A B").exit_code == 0
    )
    return run


def events(run: Run) -> list[str]:
    exported = run("aud", "export")
    assert exported.exit_code == 0, exported.output
    return recorded(exported.stdout)


def csv_import(run: Run, actor: str, tmp_path: Path, rows: str) -> Result:
    (tmp_path / "m.toml").write_text(CSV_MAPPING)
    (tmp_path / "rows.csv").write_text(CSV_HEADER + rows)
    return run(actor, "import", str(tmp_path / "rows.csv"), "--format", "csv",
               "--mapping", str(tmp_path / "m.toml"))  # fmt: skip


def test_a_csv_import_cannot_enrol_clients_of_another_agency(staffed: Run, tmp_path: Path) -> None:
    before = events(staffed)
    rows = "GA-7,intake,2024-02-01,GA,o,parole,\nN-7,intake,2024-02-01,North,o,parole,\n"
    result = csv_import(staffed, "sup-ga", tmp_path, rows)
    assert result.exit_code == 3, result.output
    assert "line 3" in result.stderr and "agency GA only" in result.stderr
    assert events(staffed) == before  # not even the good first row


def test_an_auditor_cannot_record_casework_through_a_csv_import(
    staffed: Run, tmp_path: Path
) -> None:
    before = events(staffed)
    result = csv_import(staffed, "aud", tmp_path, "GA-1,note,2024-02-01,,,,hello\n")
    assert result.exit_code == 3, result.output
    assert "record casework" in result.stderr
    assert events(staffed) == before


def test_a_csv_row_for_another_agencys_client_is_refused_as_if_it_did_not_exist(
    staffed: Run, tmp_path: Path
) -> None:
    before = events(staffed)
    theirs = csv_import(staffed, "sup-ga", tmp_path, "N-1,note,2024-02-01,,,,appended\n")
    absent = csv_import(staffed, "sup-ga", tmp_path, "N-404,note,2024-02-01,,,,appended\n")
    assert theirs.exit_code == absent.exit_code == 3, theirs.output
    assert theirs.stderr.replace("N-1", "X") == absent.stderr.replace("N-404", "X")
    assert "line 2" in theirs.stderr
    assert events(staffed) == before


def test_a_refused_write_after_a_seal_makes_no_new_key(staffed: Run, db_url: str) -> None:
    assert staffed("sup-ga", "seal", "GA-1", "--reason", "court order").exit_code == 0
    refused = staffed("sup-ga", "contact", "GA-1", "--note", "secret", "--on", "2024-03-01")
    assert refused.exit_code == 3
    shown = json.loads(staffed("sup-ga", "show", "GA-1", "--json").stdout)
    assert shown["name"] == "[sealed]"
    ledger = Ledger(db_url, clock=lambda: TODAY)
    assert list(ledger.keys.all()) == []  # GA-1's is destroyed; N-1 never had personal data
    ledger.close()


def test_a_seal_that_fails_part_way_leaves_the_client_as_it_was(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger.enroll("GA-1", actor="sup", start=date(2024, 1, 1), agency="GA", officer="o",
                  supervision="parole", name="A B")  # fmt: skip
    client_id = str(ledger.get_client("GA-1").id)
    monkeypatch.setattr(type(ledger.keys), "_delete", fail)
    with pytest.raises(RuntimeError):
        ledger.seal("GA-1", actor="sup", reason="court order")
    monkeypatch.undo()
    assert not ledger.get_client("GA-1").state.sealed
    assert ledger.keys.get(client_id) is not None
    assert ledger.client_state("GA-1", actor="sup").name == "A B"
    ledger.seal("GA-1", actor="sup", reason="court order")
    assert ledger.get_client("GA-1").state.sealed and ledger.keys.get(client_id) is None


def fail(*_: object) -> None:
    raise RuntimeError("the machine died between the seal event and the key")


def test_sealing_overwrites_the_key_even_where_sqlite_would_not(tmp_path: Path) -> None:
    """SQLite builds differ in whether deleted bytes are overwritten (secure_delete): a seal
    sets it itself, so here it starts off, as on a platform whose default is off."""
    ledger = Ledger(f"sqlite:///{tmp_path}/l.db", clock=lambda: TODAY)
    with ledger.recorder.datastore.get_connection(commit=True) as connection:  # the writer's
        connection.cursor().execute("PRAGMA secure_delete = OFF")
    ledger.enroll("GA-1", actor="sup", start=date(2024, 1, 1), agency="GA", officer="o",
                  supervision="parole", name="Findable Name")  # fmt: skip
    key = ledger.keys.get(str(ledger.get_client("GA-1").id))
    assert key is not None
    ledger.seal("GA-1", actor="sup", reason="court order")
    ledger.close()
    stored = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.is_file())
    assert key not in stored  # neither in the file nor in its write-ahead log


def test_a_supervisor_cannot_remove_auditors_or_other_agencies_staff(staffed: Run) -> None:
    assert staffed("sup-ga", "users", "remove", "aud").exit_code == 3
    assert staffed("sup-ga", "users", "remove", "sup-n").exit_code == 3
    assert staffed("sup-ga", "users", "remove", "cw-ga").exit_code == 0
    listed = json.loads(staffed("aud", "users", "list", "--json").stdout)
    assert {user["name"] for user in listed} == {"aud", "sup-ga", "sup-n"}


def test_the_last_auditor_cannot_be_removed(staffed: Run) -> None:
    refused = staffed("aud", "users", "remove", "aud")
    assert refused.exit_code == 3 and "last auditor" in refused.stderr
    assert staffed("aud", "users", "add", "aud-2", "--role", "auditor").exit_code == 0
    assert staffed("aud-2", "users", "remove", "aud").exit_code == 0


def test_a_ledger_that_had_users_never_returns_to_single_user_mode(run: Run) -> None:
    locked_out = run("first", "users", "add", "cw", "--role", "caseworker", "--agency", "GA")
    assert locked_out.exit_code == 3 and "first user" in locked_out.stderr
    assert (
        run("first", "users", "add", "sup", "--role", "supervisor", "--agency", "GA").exit_code == 0
    )
    assert run("sup", "users", "add", "cw", "--role", "caseworker", "--agency", "GA").exit_code == 0
    assert run("first", "users", "add", "x", "--role", "auditor").exit_code == 3
    assert run("cw", "users", "remove", "sup").exit_code == 3  # a caseworker manages no one
    assert run("sup", "users", "remove", "sup").exit_code == 3  # nobody left to manage users
    anyone = run("anyone", "enroll", "X-1", "--agency", "GA", "--officer", "o",
                 "--supervision", "parole")  # fmt: skip
    assert anyone.exit_code == 3


def test_a_supervisor_who_came_first_may_add_the_first_auditor_only(run: Run) -> None:
    assert (
        run("boss", "users", "add", "boss", "--role", "supervisor", "--agency", "GA").exit_code == 0
    )
    assert run("boss", "users", "add", "aud", "--role", "auditor").exit_code == 0
    assert run("boss", "users", "add", "aud-2", "--role", "auditor").exit_code == 3
    assert run("aud", "users", "add", "aud-2", "--role", "auditor").exit_code == 0


def test_a_violation_gets_one_decision_and_a_warning_no_custody_days(staffed: Run) -> None:
    assert (
        staffed("sup-ga", "violation", "GA-1", "--on", "2024-02-01", "--absconding").exit_code == 0
    )
    warned = staffed("sup-ga", "respond", "GA-1", "V1", "warning", "--on", "2024-02-02",
                     "--custody-days", "5")  # fmt: skip
    assert warned.exit_code == 2 and "custody days" in warned.stderr
    revoke = ["respond", "GA-1", "V1", "revocation", "--on", "2024-02-03", "--by", "court"]
    assert staffed("sup-ga", *revoke).exit_code == 0
    before = events(staffed)
    again = staffed("sup-ga", *revoke)
    assert again.exit_code == 3 and "already decided" in again.stderr
    assert events(staffed) == before


def test_show_prints_a_volunteers_name_not_its_ciphertext(staffed: Run) -> None:
    matched = staffed("sup-ga", "match", "GA-1", "--on", "2024-02-01", "--volunteer", "Vera V")
    assert matched.exit_code == 0
    shown = staffed("sup-ga", "show", "GA-1")
    assert "Vera V" in shown.stdout and "pd1:" not in shown.stdout and "pd2:" not in shown.stdout
    again = staffed("sup-ga", "match", "GA-1", "--on", "2024-02-02", "--volunteer", "W")
    assert again.exit_code == 3 and "pd1:" not in again.stderr and "pd2:" not in again.stderr


def test_an_import_by_someone_unknown_is_refused_before_reading_the_file(
    staffed: Run, tmp_path: Path
) -> None:
    result = csv_import(staffed, "mallory", tmp_path, "GA-9,intake,2024-02-01,GA,o,parole,\n")
    assert result.exit_code == 3 and "unknown actor" in result.stderr


def test_a_seal_that_loses_a_race_writes_nothing(ledger: Ledger) -> None:
    ledger.enroll("GA-1", actor="sup", start=date(2024, 1, 1), agency="GA", officer="o",
                  supervision="parole", name="A B")  # fmt: skip
    stale = ledger.get_client("GA-1")
    ledger.log_contact("GA-1", actor="sup", on=date(2024, 2, 1), note="n")
    original = ledger.client_for
    ledger.client_for = lambda who, ref, writing=False: stale  # type: ignore[method-assign]
    with pytest.raises(Conflict):
        ledger.seal("GA-1", actor="sup", reason="court order")
    ledger.client_for = original  # type: ignore[method-assign]
    assert not ledger.get_client("GA-1").state.sealed
    assert ledger.keys.get(str(stale.id)) is not None


def test_a_padded_actor_is_refused_not_trimmed_into_someone_else(staffed: Run) -> None:
    before = events(staffed)
    padded = staffed("sup-ga ", "contact", "GA-1", "--on", "2024-02-01", "--note", "hi")
    assert padded.exit_code == 2 and "space at its start or end" in padded.stderr
    assert events(staffed) == before


def test_a_caseworker_may_not_seal_and_is_told_so_in_those_words(staffed: Run) -> None:
    refused = staffed("cw-ga", "seal", "GA-1", "--reason", "court order")
    assert refused.exit_code == 3 and "may not seal" in refused.stderr
    assert staffed("sup-ga", "show", "GA-1", "--json").stdout.count("A B") == 1


def test_an_empty_timeline_says_so_rather_than_printing_nothing(staffed: Run) -> None:
    shown = staffed("sup-ga", "timeline", "GA-1", "--as-of", "2023-01-01")
    assert shown.exit_code == 0 and shown.stdout == ""
    assert "nothing had happened by then" in shown.stderr


def test_a_write_that_loses_the_race_to_a_seal_leaves_no_key(ledger: Ledger) -> None:
    ledger.enroll("GA-1", actor="sup", start=date(2024, 1, 1), agency="GA", officer="o",
                  supervision="parole", name="A B")  # fmt: skip
    loaded_before_the_seal = ledger.get_client("GA-1")
    ledger.seal("GA-1", actor="sup", reason="court order")
    ledger.client_for = lambda who, ref, writing=False: loaded_before_the_seal  # type: ignore[method-assign]
    with pytest.raises(Conflict):
        ledger.log_contact("GA-1", actor="sup", on=date(2024, 2, 1), note="secret")
    assert ledger.keys.get(str(loaded_before_the_seal.id)) is None


TRANSFER_MAPPING = (
    CSV_MAPPING + '[kinds.move]\ncommand = "reassign"\nofficer = "officer"\nagency = "agency"\n'
)


def transfer_import(run: Run, actor: str, tmp_path: Path, rows: str) -> Result:
    (tmp_path / "move.toml").write_text(TRANSFER_MAPPING)
    (tmp_path / "moves.csv").write_text(CSV_HEADER + rows)
    return run(actor, "import", str(tmp_path / "moves.csv"), "--format", "csv",
               "--mapping", str(tmp_path / "move.toml"))  # fmt: skip


def test_a_caseworker_cannot_move_a_client_to_another_agency(staffed: Run) -> None:
    """Moving a case to another agency hands its whole record to that agency's staff (and
    out of sight of the caseworker's own supervisor): a supervisor's act, not a caseworker's."""
    before = events(staffed)
    moved = staffed("cw-ga", "reassign", "GA-1", "--on", "2024-03-01", "--officer", "o-9",
                    "--agency", "North")  # fmt: skip
    assert moved.exit_code == 3, moved.output
    assert "another agency" in moved.stderr and "supervisor" in moved.stderr
    assert "moved from agency" not in moved.stderr  # no note of a move that was not made
    assert events(staffed) == before
    assert staffed("cw-ga", "show", "GA-1").exit_code == 0  # still GA's, in the caseworker's sight
    assert staffed("sup-n", "show", "GA-1").exit_code == 4  # and not North's


def test_a_caseworker_still_moves_a_case_within_the_agency_and_a_supervisor_across(
    staffed: Run, tmp_path: Path
) -> None:
    within = staffed("cw-ga", "reassign", "GA-1", "--on", "2024-03-01", "--officer", "o-9")
    assert within.exit_code == 0, within.output
    assert staffed("sup-n", "show", "GA-1").exit_code == 4
    # an import is an operator's (a supervisor's): its rows move clients across as it may
    in_file = transfer_import(staffed, "sup-ga", tmp_path, "GA-1,move,2024-04-01,North,o-1,,\n")
    assert in_file.exit_code == 0, in_file.output
    assert staffed("sup-n", "show", "GA-1").exit_code == 0
    assert staffed("cw-ga", "show", "GA-1").exit_code == 0  # as it stood up to the move


def test_an_agency_a_client_left_is_not_shown_the_new_agencys_volunteers(staffed: Run) -> None:
    """The agency a client moved away from reads its record as it stood at the move, whose
    agency is the new one: `volunteer suggest` then listed the new agency's register, names
    and all, to the old agency's caseworker."""
    north = ["--skill", "job_search", "--capacity", "2", "--agency", "North"]
    assert (
        staffed("sup-n", "volunteer", "register", "--name", "Marco Hidden", *north).exit_code == 0
    )
    moved = staffed("sup-ga", "reassign", "GA-1", "--on", "2024-03-01", "--officer", "o-n",
                    "--agency", "North")  # fmt: skip
    assert moved.exit_code == 0, moved.output
    theirs = staffed("sup-n", "volunteer", "suggest", "GA-1")
    assert theirs.exit_code == 0 and "Marco Hidden" in theirs.stdout  # the holder's own
    asked = staffed("cw-ga", "volunteer", "suggest", "GA-1")
    assert asked.exit_code == 3, asked.output
    assert "Marco Hidden" not in asked.output and "VOL1" not in asked.output
    assert "another agency" in asked.stderr


def test_a_supervisor_cannot_move_a_client_to_an_agency_without_staff(
    staffed: Run, tmp_path: Path
) -> None:
    """Moved to an agency no user belongs to (a look-alike of its own, `ga`), a record is
    read by no one who may write to it, and by its old agency, its supervisors included, only
    as it stood: a way to put a case out of everyone's reach. Refused, by command and by file."""
    before = events(staffed)
    moved = staffed("sup-ga", "reassign", "GA-1", "--on", "2024-03-01", "--officer", "o-9",
                    "--agency", "ga")  # fmt: skip
    assert moved.exit_code == 2, moved.output
    assert "agency 'ga' has no staff" in moved.stderr
    in_file = transfer_import(staffed, "sup-ga", tmp_path, "GA-1,move,2024-03-01,ga,o-9,,\n")
    assert in_file.exit_code == 2, in_file.output
    assert "line 2" in in_file.stderr and "no staff" in in_file.stderr
    assert events(staffed) == before
    assert staffed("cw-ga", "contact", "GA-1", "--on", "2024-03-02", "--note", "n").exit_code == 0


def test_a_supervisor_lists_its_own_agencys_staff_only(staffed: Run) -> None:
    """`users list` showed a supervisor every agency's staff and who added them: beyond what
    it manages (its own agency's). An auditor lists everyone."""
    theirs = staffed("sup-ga", "users", "list")
    assert theirs.exit_code == 0, theirs.output
    assert "cw-ga" in theirs.stdout and "sup-ga" in theirs.stdout
    assert "sup-n" not in theirs.stdout and "North" not in theirs.stdout
    everyone = staffed("aud", "users", "list")
    assert all(name in everyone.stdout for name in ("aud", "sup-ga", "sup-n", "cw-ga"))
