"""The CLI as a client of a server (REENTRY_LEDGER_URL, REENTRY_LEDGER_TOKEN): every command
that has an endpoint prints the same stdout and stderr and exits with the same code as the
same command run against the database with --db and --actor, for a success and for a refusal.

Each comparison runs the command twice against one ledger, the one the `live` server serves:
first from the database, then through the server, in an order that keeps them comparable
(reads read the same record; each write is made on one of two clients with the same history).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reentry_ledger.application import Ledger
from reentry_ledger.application.recording import Recording
from reentry_ledger.cli import cli
from reentry_ledger.cli import remote as remote_module
from tests.builders import TODAY
from tests.integration.test_tampering import Rows
from tests.serving import Live, enrolled

URL, TOKEN = "REENTRY_LEDGER_URL", "REENTRY_LEDGER_TOKEN"
DB, ACTOR = "REENTRY_LEDGER_DB", "REENTRY_LEDGER_ACTOR"


def casework(ledger: Ledger) -> None:
    """Two agencies' clients, with a little of everything the reports count."""
    ledger.enroll(
        "GA-1",
        actor="cw-ga",
        start=date(2025, 1, 10),
        agency="GA",
        officer="o-1",
        supervision="parole",
        conditions=("report_weekly",),
        name="Jo Example",
    )
    ledger.assess(
        "GA-1",
        actor="cw-ga",
        on=date(2025, 1, 20),
        instrument="ORAS",
        risk_level="high",
        needs=("substance_use",),
    )
    ledger.log_contact("GA-1", actor="cw-ga", on=date(2025, 2, 1), note="Discussed housing")
    ledger.refer("GA-1", actor="cw-ga", on=date(2025, 2, 10), service="housing")
    ledger.update_referral("GA-1", "R1", "accepted", actor="cw-ga", on=date(2025, 2, 15))
    ledger.record_violation(
        "GA-1", actor="cw-ga", on=date(2025, 3, 1), technical=("failure_to_report",)
    )
    ledger.respond_to_violation(
        "GA-1", "V1", "sanction", actor="cw-ga", on=date(2025, 3, 3), custody_days=2
    )
    ledger.match_volunteer("GA-1", actor="cw-ga", on=date(2025, 4, 1), volunteer="v-1")
    ledger.enroll(
        "GA-2",
        actor="cw-ga",
        start=date(2025, 2, 1),
        agency="GA",
        officer="o-2",
        supervision="probation",
    )
    ledger.discharge("GA-2", actor="cw-ga", on=date(2025, 9, 30), outcome="successful")
    ledger.enroll(
        "GB-1",
        actor="cw-gb",
        start=date(2025, 3, 1),
        agency="GB",
        officer="o-9",
        supervision="parole",
    )
    ledger.record_violation("GB-1", actor="cw-gb", on=date(2025, 5, 5), new_offence="misdemeanor")


@pytest.fixture
def server(live: Live) -> Iterator[Live]:
    """The live server, its ledger holding the casework above."""
    casework(live.ledger)
    yield live


def local(live: Live, user: str, *args: str, input: str | None = None) -> Result:
    """The command against the database, as `user` (--db, --actor)."""
    environment = {URL: None, TOKEN: None, DB: None, ACTOR: None}
    return CliRunner().invoke(
        cli,
        ["--db", live.db_url, "--actor", user, *args],
        input=input,
        env=environment,
        catch_exceptions=False,
    )


def remote(
    live: Live, user: str | None, *args: str, input: str | None = None, **env: str
) -> Result:
    """The command through the server, as the user whose token it sends."""
    token = live.tokens[user] if user else None
    environment = {URL: live.base_url, TOKEN: token, DB: None, ACTOR: None, **env}
    return CliRunner().invoke(cli, list(args), input=input, env=environment, catch_exceptions=False)


def outcome(result: Result) -> tuple[int, str, str]:
    return result.exit_code, result.stdout, result.stderr


def same(live: Live, user: str, *args: str, code: int | None = None) -> Result:
    """Runs the command from the database, then through the server: the same output."""
    here = local(live, user, *args)
    there = remote(live, user, *args)
    assert outcome(there) == outcome(here), f"{user}: {' '.join(args)}"
    if code is not None:
        assert here.exit_code == code, (args, here.output)
    return here


def test_reading_a_client_prints_the_same_through_the_server(server: Live) -> None:
    shown = same(server, "cw-ga", "timeline", "GA-1", code=0)
    assert "Discussed housing" in shown.stdout
    same(server, "cw-ga", "timeline", "GA-1", "--json", code=0)
    same(server, "cw-ga", "timeline", "GA-1", "--as-of", "2025-02-05", code=0)
    same(server, "cw-ga", "timeline", "GA-1", "--known-at", "2020-01-01T00:00:00Z", code=0)
    redacted = same(server, "aud", "timeline", "GA-1", code=0)
    assert "[confidential]" in redacted.stdout
    same(server, "cw-ga", "show", "GA-1", code=0)
    same(server, "cw-ga", "show", "GA-1", "--json", code=0)
    same(server, "aud", "access-log", code=0)
    same(server, "aud", "access-log", "--client", "GA-1", "--json", code=0)


def test_refused_reads_are_refused_alike_through_the_server(server: Live) -> None:
    other = same(server, "cw-gb", "timeline", "GA-1", code=4)  # another agency's client
    assert other.stderr == "Error: no client with reference 'GA-1'\n"
    same(server, "cw-ga", "show", "GA-404", code=4)
    oversight = same(server, "ovs", "timeline", "GA-1", code=3)
    assert "may not read client records" in oversight.stderr
    same(server, "cw-ga", "access-log", code=3)
    same(server, "cw-ga", "timeline", "GA-1", "--as-of", "2025-13-01", code=2)  # a bad date


def test_reports_print_the_same_through_the_server(server: Live) -> None:
    ranged = ("--from", "2025-01-01", "--to", "2025-12-31")
    for user in ("aud", "ovs", "cw-ga"):
        for output in ("table", "csv", "json"):
            same(
                server,
                user,
                "report",
                "violations",
                "--by",
                "agency,risk",
                "--period",
                "quarter",
                *ranged,
                "--format",
                output,
                code=0,
            )
        same(server, user, "report", "responses", "--by", "agency", *ranged, code=0)
        same(server, user, "report", "caseload", "--on", "2025-06-30", code=0)
        same(server, user, "report", "discharges", *ranged, "--by", "agency", code=0)
        same(server, user, "report", "referrals", *ranged, "--format", "json", code=0)
        same(server, user, "report", "volunteers", *ranged, "--by", "agency", code=0)
        same(server, user, "report", "justice-counts", "--year", "2025", "--format", "csv", code=0)
    snapped = same(
        server,
        "ovs",
        "report",
        "discharges",
        "--from",
        "2025-01-10",
        "--to",
        "2025-11-20",
        "--known-at",
        "2025-11-20T10:00:00Z",
        code=0,
    )
    assert "snapped to whole calendar months: 2025-01-01..2025-10-31" in snapped.stdout
    hidden = same(
        server,
        "cw-ga",
        "report",
        "violations",
        "--by",
        "agency",
        *ranged,
        "--suppress-below",
        "5",
        "--format",
        "csv",
        code=0,
    )
    assert "GB," in hidden.stdout


def test_violations_known_at_without_to_end_on_its_date_through_the_server(
    server: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The range ends at --known-at's date, not at the command's today (the server decides,
    as the service does): the CLI's client and the server both a month ahead of T here."""
    known_at = datetime.now(UTC)
    later = known_at.date() + timedelta(days=30)
    server.ledger.clock = lambda: later
    monkeypatch.setattr("reentry_ledger.cli.remote.utc_today", lambda: later)
    moment = known_at.isoformat().replace("+00:00", "Z")
    shown = same(server, "aud", "report", "violations", "--known-at", moment, "--format", "json")
    [group] = json.loads(shown.stdout)["groups"]
    today = known_at.date()  # supervised through T's date, a discharge's day included
    spans = ((date(2025, 1, 10), today), (date(2025, 2, 1), date(2025, 9, 30)),
             (date(2025, 3, 1), today))  # fmt: skip
    assert group["person_days"] == sum((end - start).days + 1 for start, end in spans)


def test_refused_reports_are_refused_alike_through_the_server(server: Live) -> None:
    backwards = same(
        server, "aud", "report", "discharges", "--from", "2025-02-01", "--to", "2025-01-01", code=2
    )
    assert backwards.stderr == "Error: --from 2025-02-01 is after --to 2025-01-01\n"
    same(server, "aud", "report", "caseload", "--by", "risk", code=2)
    same(server, "aud", "report", "violations", "--by", "colour", code=2)
    same(server, "aud", "report", "violations", "--suppress-below", "1", code=2)
    same(server, "cust", "report", "justice-counts", "--year", "2025", code=3)


def test_verify_and_digest_print_the_same_through_the_server(server: Live, tmp_path: Path) -> None:
    same(server, "aud", "verify", code=0)
    line = same(server, "aud", "digest", code=0).stdout.strip()
    same(server, "aud", "verify", "--against", line, code=0)
    published = tmp_path / "digest.txt"
    published.write_text(line + "\n")
    same(server, "aud", "verify", "--against", str(published), code=0)
    same(server, "aud", "verify", "--against", "not a digest", code=2)
    same(server, "cw-ga", "verify", code=3)
    same(server, "sup-ga", "digest", code=3)

    rows = Rows(server.ledger)
    contact = next(row for row in rows.all() if row[3].endswith(":ContactLogged"))
    rows.execute(f"DELETE FROM {rows.table} WHERE {rows.order} = ?", (contact[0],))
    broken = same(server, "aud", "verify", code=6)
    assert broken.stderr.startswith("Error: verification failed at position ")
    assert "client GA-1, event 4: events 3 to 3 are missing" in broken.stderr
    same(server, "aud", "digest", code=6)


def test_replay_and_projections_print_the_same_through_the_server(server: Live) -> None:
    same(server, "sup-ga", "replay", code=0)
    same(server, "aud", "replay", "GA-1", "--json", code=0)
    same(server, "sup-ga", "replay", "GB-1", code=4)
    same(server, "cw-ga", "replay", code=3)
    same(server, "aud", "projections", "rebuild", code=0)
    same(server, "aud", "projections", "status", "--json", code=0)
    same(server, "sup-ga", "projections", "rebuild", "violations", "--page-size", "2", code=0)
    same(server, "aud", "projections", "verify", code=0)
    same(server, "aud", "projections", "verify", "nope", code=2)
    same(server, "cw-ga", "projections", "status", code=3)
    caught_up = remote(server, "aud", "projections", "catch-up", "clients")
    assert (caught_up.exit_code, caught_up.stderr) == (0, "applied 0 events\n")

    from tests.integration.test_projection_damage import execute

    execute(server.ledger, "DELETE FROM {audit_violations}", ["audit_violations"])
    execute(server.ledger, "UPDATE {audit_clients} SET agency = 'XX'", ["audit_clients"])
    damaged = same(server, "aud", "projections", "verify", code=6)
    assert damaged.stderr.count("Error: projection ") == 2
    assert "fix: reentry-ledger projections rebuild violations" in damaged.stderr


def twins(ledger: Ledger) -> None:
    """GA-3 and GA-4: two clients with the same history, one for each way of writing."""
    for ref in ("GA-3", "GA-4"):
        ledger.enroll(
            ref,
            actor="cw-ga",
            start=date(2025, 5, 1),
            agency="GA",
            officer="o-3",
            supervision="parole",
            name="Sam Twin",
        )


def written(result: Result, ref: str) -> tuple[int, str, str]:
    """The outcome of a write, its client's reference made neutral."""
    return result.exit_code, result.stdout, result.stderr.replace(ref, "REF")


def both_write(live: Live, user: str, *args: str, code: int) -> Result:
    """The write on GA-3 from the database, then on GA-4 through the server."""
    here = local(live, user, *(arg.replace("{ref}", "GA-3") for arg in args))
    there = remote(live, user, *(arg.replace("{ref}", "GA-4") for arg in args))
    assert written(there, "GA-4") == written(here, "GA-3"), args
    assert here.exit_code == code, (args, here.output)
    return here


def test_writes_confirm_the_same_through_the_server(server: Live) -> None:
    twins(server.ledger)
    on = ("--on", "2025-06-01")
    both_write(
        server, "cw-ga", "assess", "{ref}", *on, "--instrument", "ORAS", "--risk", "high", code=0
    )
    both_write(server, "cw-ga", "plan", "{ref}", *on, "--goal", "school_work:find work", code=0)
    referred = both_write(server, "cw-ga", "refer", "{ref}", *on, "--service", "housing", code=0)
    assert referred.stdout == "R1\n"
    both_write(server, "cw-ga", "referral", "{ref}", "R1", "accepted", *on, code=0)
    both_write(server, "cw-ga", "contact", "{ref}", *on, "--note", "Met at the office", code=0)
    both_write(server, "cw-ga", "match", "{ref}", *on, "--volunteer", "v-2", code=0)
    both_write(server, "cw-ga", "unmatch", "{ref}", *on, "--reason", "moved", code=0)
    violation = both_write(server, "cw-ga", "violation", "{ref}", *on, "--absconding", code=0)
    assert violation.stdout == "V1\n"
    both_write(server, "cw-ga", "respond", "{ref}", "V1", "warning", *on, code=0)
    both_write(server, "sup-ga", "correct", "{ref}", "6", "--reason", "wrong client", code=0)
    serving = ("--service", "employment", "--goal", "G1")
    assert both_write(server, "cw-ga", "refer", "{ref}", *on, *serving, code=0).stdout == "R2\n"
    both_write(server, "cw-ga", "referral", "{ref}", "R2", "declined", *on, code=2)  # no reason
    declined = ("R2", "declined", "--reason", "no_capacity")
    both_write(server, "cw-ga", "referral", "{ref}", *declined, *on, code=0)
    both_write(
        server,
        "cw-ga",
        "discharge",
        "{ref}",
        "--on",
        "2025-07-01",
        "--outcome",
        "successful",
        code=0,
    )
    state = [
        local(server, "cw-ga", "show", ref, "--json").stdout.replace(ref, "REF")
        for ref in ("GA-3", "GA-4")
    ]
    assert state[0] == state[1] and '"status": "discharged"' in state[0]
    sealed = both_write(
        server, "sup-ga", "seal", "{ref}", "--ground", "court_order", "--reference", "CO-1", code=0
    )
    assert "REF: personal data sealed (key destroyed)" in sealed.stderr.replace("GA-3", "REF")
    enrolled = [
        written(
            run(
                server,
                "cw-ga",
                "enroll",
                ref,
                "--agency",
                "GA",
                "--officer",
                "o-5",
                "--supervision",
                "probation",
                "--start",
                "2025-08-01",
            ),
            ref,
        )
        for run, ref in ((local, "GA-5"), (remote, "GA-6"))
    ]
    assert enrolled[0] == enrolled[1] == (0, "", "REF: recorded event 1 (Enrolled)\n")


def test_refused_writes_are_refused_alike_through_the_server(server: Live) -> None:
    twins(server.ledger)
    on = ("--on", "2025-06-01")
    both_write(server, "cw-ga", "violation", "{ref}", *on, "--technical", "curfew", code=0)
    both_write(server, "cw-ga", "respond", "{ref}", "V1", "warning", *on, code=0)
    second = both_write(server, "cw-ga", "respond", "{ref}", "V1", "sanction", *on, code=3)
    assert "one decision per violation" in second.stderr
    both_write(server, "cw-gb", "contact", "{ref}", *on, "--note", "x", code=4)  # other agency
    both_write(server, "cw-ga", "correct", "{ref}", "2", "--reason", "x", code=3)  # supervisors
    both_write(server, "cw-ga", "contact", "{ref}", "--on", "2025-02-30", code=2)  # a bad date
    both_write(server, "cw-ga", "violation", "{ref}", *on, code=2)  # no kind of violation
    both_write(server, "ovs", "contact", "{ref}", *on, "--note", "x", code=3)
    both_write(
        server,
        "cw-ga",
        "enroll",
        "{ref}",
        "--agency",
        "GA",
        "--officer",
        "o",
        "--supervision",
        "parole",
        code=3,
    )  # already enrolled
    both_write(
        server,
        "cw-gb",
        "enroll",
        "GB-{ref}",
        "--agency",
        "GA",
        "--officer",
        "o",
        "--supervision",
        "parole",
        code=3,
    )  # another agency's enrolment
    assert server.ledger.get_client("GA-3").version == server.ledger.get_client("GA-4").version


def test_a_write_that_loses_a_race_exits_5_alike_through_the_server(
    server: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer records on the client between the command's read and its save."""
    twins(server.ledger)
    save = Recording.save
    racing: list[str] = []

    def save_after_a_rival(self: Recording, ref: str) -> None:
        if not racing:
            racing.append(ref)
            rival = Ledger(server.db_url)
            try:
                rival.log_contact(ref, actor="sup-ga", on=date(2025, 6, 2), note="first")
            finally:
                rival.close()
        save(self, ref)

    monkeypatch.setattr(Recording, "save", save_after_a_rival)
    lost = local(server, "cw-ga", "contact", "GA-3", "--on", "2025-06-01", "--note", "second")
    racing.clear()
    also_lost = remote(server, "cw-ga", "contact", "GA-4", "--on", "2025-06-01", "--note", "second")
    assert written(also_lost, "GA-4") == written(lost, "GA-3")
    assert lost.exit_code == 5
    assert "another write to client 'GA-3' was recorded first; nothing was written" in lost.stderr
    for ref in ("GA-3", "GA-4"):  # the rival's contact, and nothing of the lost write
        assert server.ledger.get_client(ref).version == 2


def test_user_commands_answer_the_same_through_the_server(server: Live) -> None:
    same(server, "aud", "users", "list", code=0)
    same(server, "sup-ga", "users", "list", "--json", code=0)
    same(server, "cw-ga", "users", "list", code=3)
    same(
        server, "sup-ga", "users", "add", "cw-gb2", "--role", "caseworker", "--agency", "GB", code=3
    )
    pairs = (("cw-x", local), ("cw-y", remote))
    for command in (
        ("users", "add", "{name}", "--role", "caseworker", "--agency", "GA"),
        ("users", "revoke-token", "{name}"),
        ("users", "remove", "{name}", "--reason", "left"),
    ):
        results = [
            written(run(server, "sup-ga", *(a.replace("{name}", name) for a in command)), name)
            for name, run in pairs
        ]
        assert results[0] == results[1] and results[0][0] == 0, command
    for name, run in (("cw-p", local), ("cw-q", remote)):
        run(server, "sup-ga", "users", "add", name, "--role", "caseworker", "--agency", "GA")
        issued = run(server, "sup-ga", "users", "token", name, "--expires", "7")
        assert issued.exit_code == 0 and issued.stdout.startswith("rlt_")
        assert issued.stderr.endswith(f" for {name}, expires in 7 days\n")
        password = run(server, "sup-ga", "users", "password", name, input="a long passphrase\n")
        assert (password.exit_code, password.stderr) == (0, f"password set for {name}\n")
    short = [
        written(run(server, "sup-ga", "users", "password", name, input="short\n"), name)
        for name, run in (("cw-p", local), ("cw-q", remote))
    ]
    assert short[0] == short[1] and short[0][0] == 2


def test_the_export_through_the_server_has_the_events_of_the_local_export(
    server: Live, tmp_path: Path
) -> None:
    here = local(server, "aud", "export")
    there = remote(server, "aud", "export")
    assert here.exit_code == there.exit_code == 0
    mine, theirs = here.stdout.splitlines(), there.stdout.splitlines()
    # The server's export is taken after the local one, whose access-log entry it also holds.
    assert theirs[: len(mine) - 1] == mine[:-1]
    extra = json.loads(theirs[len(mine) - 1])
    assert extra["type"] == "LedgerRead" and extra["state"]["recorded_by"] == "aud"
    closing = json.loads(theirs[-1])["closing"]
    assert closing["events"] == len(theirs) - 1 and closing["keys"] == 0
    written_file = tmp_path / "ledger.jsonl"
    to_file = remote(server, "aud", "export", "-o", str(written_file))
    assert to_file.exit_code == 0 and written_file.read_text().count("\n") == len(theirs) + 1
    same(server, "cw-ga", "export", code=3)
    same(server, "cust", "export", code=3)


def test_the_deidentified_export_prints_the_same_through_the_server(server: Live) -> None:
    research = ("export", "--deidentified", "--research-project", "recid-25", "--k-anonymity")
    stable = same(server, "aud", *research, "1", code=0)
    assert stable.stderr == "k achieved: 1; generalised: 0 records; suppressed: 0 clients\n"
    assert len(stable.stdout.splitlines()) == 12  # every client event
    same(server, "ovs", *research, "1", code=3)  # oversight names no research project
    fresh = [run(server, "ovs", "export", "--deidentified") for run in (local, remote)]
    assert [r.exit_code for r in fresh] == [0, 0] and fresh[0].stderr == fresh[1].stderr
    assert fresh[0].stderr.startswith("k achieved: ")
    same(server, "cw-ga", "export", "--deidentified", code=3)


LEGACY = """case_no,record,date,office,officer,detail,list,ref_no,days
{p}-1,INTAKE,02/01/2024,GA,jt,PROB,report_weekly,,
{p}-1,ASSESS,10/01/2024,,ORAS,H,substance_use,,
{p}-1,BREACH,01/03/2024,,,,UA+,B-17,
{p}-1,DECISION,05/03/2024,,,S,,B-17,3
{p}-2,INTAKE,08/01/2024,{agency},jt,PAR,curfew,,
"""


def legacy(folder: Path, prefix: str, agency: str = "GA") -> Path:
    """The same legacy file (under one name) for each way of importing it, its clients'
    references apart."""
    folder.mkdir(exist_ok=True)
    (folder / "records.csv").write_text(LEGACY.format(p=prefix, agency=agency))
    mapping = Path(__file__).parents[2] / "examples" / "legacy" / "mapping.toml"
    (folder / "mapping.toml").write_text(mapping.read_text())
    return folder


def test_a_csv_import_answers_the_same_through_the_server(
    server: Live, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    command = ("import", "records.csv", "--format", "csv", "--mapping", "mapping.toml")
    results = []
    for prefix, run in (("GA-L", local), ("GA-R", remote)):
        monkeypatch.chdir(legacy(tmp_path / prefix, prefix))
        results.append(run(server, "sup-ga", *command))
    assert outcome(results[0]) == outcome(results[1])
    assert results[0].stderr == "imported 5 rows as 5 events from records.csv\n"
    assert server.ledger.get_client("GA-R-1").version == 4

    for name, agency, user, code in (
        ("a", "GB", "sup-ga", 3),
        ("b", "GA", "cw-ga", 3),
        ("c", "GA", "aud", 3),
    ):
        refused = []
        for run in (local, remote):
            monkeypatch.chdir(legacy(tmp_path / f"{name}{run.__name__}", "GA-Z", agency))
            refused.append(run(server, user, *command))
        assert outcome(refused[0]) == outcome(refused[1])
        assert refused[0].exit_code == code, refused[0].output
        assert not server.ledger.exists("GA-Z-1")  # all or nothing: no row of it written
    (tmp_path / "bad.csv").write_text("case_no,record\nGA-9,INTAKE\n")
    monkeypatch.chdir(tmp_path)
    bad = same(
        server,
        "sup-ga",
        "import",
        "bad.csv",
        "--format",
        "csv",
        "--mapping",
        "GA-L/mapping.toml",
        code=2,
    )
    assert bad.stderr.startswith("Error: bad.csv, line 1: missing column(s): date")
    (tmp_path / "bad.toml").write_text("reference = \n")
    same(server, "sup-ga", "import", "bad.csv", "--format", "csv", "--mapping", "bad.toml", code=2)


def test_operators_commands_are_refused_through_a_server(server: Live, tmp_path: Path) -> None:
    head = server.ledger.recorder.max_notification_id()
    backup = tmp_path / "backup.jsonl"
    backup.write_text("{}\n")
    key = tmp_path / "wrap.key"
    for args in (
        ("demo", "--clients", "5"),
        ("key", "new"),
        ("serve", "--port", "1"),
        ("import", str(backup), "--format", "jsonl"),
        ("import", str(backup), "--format", "iowa"),
        ("export", "--with-keys", "--wrap-key-file", str(key)),
    ):
        refused = remote(server, "aud", *args)
        assert refused.exit_code == 2, (args, refused.output)
        assert "not offered over HTTP" in refused.stderr or "runs the server" in refused.stderr
        assert f"unset {URL} and run it there with --db" in refused.stderr, refused.stderr
        assert refused.stdout == ""
    assert server.ledger.recorder.max_notification_id() == head  # nothing written
    assert remote(server, "aud", "demo", "--help").exit_code == 0  # its help still shows


def test_actor_and_db_are_refused_with_a_server_and_their_environment_ignored(
    server: Live, tmp_path: Path
) -> None:
    # A caseworker tries to act as the auditor: every way of naming another actor fails.
    for args in (("--actor", "aud", "users", "list"), ("users", "list", "--actor", "aud")):
        refused = remote(server, "cw-ga", *args)
        assert refused.exit_code == 2 and refused.stdout == ""
        assert refused.stderr.startswith(f"Error: --actor is refused with {URL} set")
    for args in (("--db", server.db_url, "timeline", "GA-1"), ("timeline", "GA-1", "--db", "x")):
        refused = remote(server, "cw-ga", *args)
        assert refused.exit_code == 2 and refused.stderr.startswith("Error: --db is refused")
    other = f"sqlite:///{tmp_path}/other.db"
    Ledger(other).close()  # an empty ledger in single-user mode, where any actor may do anything
    as_aud = remote(server, "cw-ga", "users", "list", **{ACTOR: "aud", DB: other})
    assert as_aud.exit_code == 3 and "cw-ga (caseworker) may not manage users" in as_aud.stderr
    read = remote(server, "cw-ga", "timeline", "GA-1", **{ACTOR: "aud", DB: other})
    assert read.exit_code == 0 and "Discussed housing" in read.stdout  # the server's ledger


def test_a_missing_bad_or_revoked_token_is_refused(server: Live) -> None:
    missing = remote(server, None, "digest")
    assert missing.exit_code == 2 and f"{TOKEN} is not" in missing.stderr
    bogus = remote(server, None, "digest", **{TOKEN: "rlt_0000.nothing"})
    assert bogus.exit_code == 3
    assert bogus.stderr == f"Error: the token is not valid: unknown, revoked or expired ({TOKEN})\n"
    assert remote(server, "cw-ga", "timeline", "GA-1").exit_code == 0
    assert remote(server, "sup-ga", "users", "revoke-token", "cw-ga").exit_code == 0
    revoked = remote(server, "cw-ga", "timeline", "GA-1")
    assert revoked.exit_code == 3 and revoked.stdout == ""


@pytest.mark.parametrize(
    ("url", "code", "said"),
    [
        (
            "http://127.0.0.1:9/",
            1,
            "Error: the server at http://127.0.0.1:9 could not be reached: ",
        ),
        (
            "http://ledger.example.org",
            2,
            "plain http:// to ledger.example.org would send your token unencrypted; use https://",
        ),
        ("http://10.0.0.5:8080", 2, "use https://"),
        ("ftp://ledger.example.org", 2, "is not a server's address"),
        ("ledger.example.org", 2, "is not a server's address"),
    ],
)
def test_a_server_address_that_cannot_be_used_is_refused_clearly(
    url: str, code: int, said: str
) -> None:
    result = CliRunner().invoke(
        cli,
        ["timeline", "GA-1"],
        catch_exceptions=False,
        env={URL: url, TOKEN: "rlt_x.y", DB: None, ACTOR: None},
    )
    assert result.exit_code == code
    assert said in result.stderr and "Traceback" not in result.output
    assert result.stdout == ""


def test_https_and_every_loopback_address_are_taken() -> None:
    from reentry_ledger.cli.remote import checked_url

    for url in (
        "https://ledger.example.org/",
        "http://localhost:8080",
        "http://127.0.0.1",
        "http://[::1]:8080",
        "https://ledger.example.org/base",
    ):
        assert checked_url(url) == url.rstrip("/")


def test_the_remote_ledger_offers_what_the_cli_calls_with_the_ledgers_parameters() -> None:
    import inspect

    from reentry_ledger.cli.remote import RemoteLedger
    from reentry_ledger.contract import ENDPOINTS

    called = {e.method for e in ENDPOINTS} | {
        "verify",
        "replay",
        "projection_runner",
        "verify_projections",
        "export_lines",
        "deidentified_lines",
        "import_csv",
        "reports",
    }
    for name in called:
        ours, theirs = (inspect.signature(getattr(c, name)) for c in (RemoteLedger, Ledger))
        assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == [
            (p.name, p.kind, p.default) for p in theirs.parameters.values()
        ], name


def test_loading_the_client_loads_no_web_framework_and_local_commands_no_http_client() -> None:
    code = (
        "import sys, reentry_ledger.cli; local = 'httpx' in sys.modules; "
        "import reentry_ledger.cli.remote; "
        "print(local, any(m.split('.')[0] in ('fastapi', 'starlette', 'uvicorn') "
        "for m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert loaded.stdout.split() == ["False", "False"], loaded.stderr


def test_a_loopback_server_is_reached_directly_whatever_proxy_the_environment_names(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain http:// is taken only to this machine; a proxy named by HTTP_PROXY (often a host
    on the network) must not be handed the token in the clear on the way there."""
    from reentry_ledger.cli.remote import Server
    from tests.serving import free_port

    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{free_port()}")  # nothing listens there
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    server = Server(live.base_url, live.tokens["cw-ga"])
    try:
        assert server.call("GET", "/api/whoami")["name"] == "cw-ga"
    finally:
        server.close()


def test_the_access_log_is_listed_the_same_through_the_server_page_after_page(
    server: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server sends the access log a page at a time: the command asks for one page after
    another and prints the whole listing, as from the database."""
    for user in ("cw-ga", "cw-ga", "cw-gb"):
        local(server, user, "show", "GA-1" if user == "cw-ga" else "GB-1")
    monkeypatch.setattr(remote_module, "READS_A_PAGE", 2)
    listed = same(server, "aud", "access-log", "--json", code=0)
    assert len(json.loads(listed.stdout)) >= 3
    same(server, "aud", "access-log", "--client", "GA-1", code=0)
    same(server, "aud", "access-log", "--by", "cw-gb", "--json", code=0)
    same(server, "aud", "access-log", "--client", "GA 1", code=2)  # no client's reference


def test_a_client_whose_reference_holds_a_slash_is_reached_through_the_server(
    server: Live,
) -> None:
    # a reference may hold '/' (an agency's "2024/0153"): the web pages reached such a client,
    # the API and the remote CLI answered "no such endpoint" for every read and write of it
    enrolled(server.ledger, "GA/7")
    assert "GA/7" in same(server, "cw-ga", "show", "GA/7", code=0).stdout
    same(server, "cw-ga", "timeline", "GA/7", "--json", code=0)
    contact = remote(server, "cw-ga", "contact", "GA/7", "--on", TODAY.isoformat())
    assert contact.exit_code == 0, contact.output
    assert len(json.loads(local(server, "cw-ga", "timeline", "GA/7", "--json").stdout)) == 2
    same(server, "cw-gb", "timeline", "GA/7", code=4)  # another agency's: as any other client
    same(server, "cw-ga", "timeline", "GA/8", code=4)
