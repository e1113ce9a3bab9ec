"""The API beyond one client's casework (server/operations.py): reports, integrity, exports,
who am I, replay, projections and the CSV import, each answering as the CLI's command does,
to the roles the command allows, with the CLI's messages and exit codes in its errors."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from reentry_ledger.cli import cli
from reentry_ledger.projections.catalogue import PROJECTIONS
from reentry_ledger.reports.dimensions import DIMENSIONS
from tests.builders import TODAY
from tests.integration.test_projection_damage import execute
from tests.integration.test_tampering import Rows
from tests.server.test_api_roles import RANGE, TABLE
from tests.server.test_remote_cli import LEGACY, casework
from tests.serving import CAST, Live, Served

MAPPING = (Path(__file__).parents[2] / "examples" / "legacy" / "mapping.toml").read_text()


@pytest.fixture
def api(served: Served) -> Iterator[Served]:
    """The in-process server, its ledger holding two agencies' casework."""
    casework(served.ledger)
    yield served


def call(served: Served, user: str | None, verb: str, path: str, **kwargs: Any) -> Any:
    headers = served.headers(user) if user else {}
    return served.client.request(
        verb, path, headers={**headers, **kwargs.pop("headers", {})}, **kwargs
    )


def cli_json(served: Served, user: str, *args: str) -> Any:
    result = CliRunner().invoke(
        cli,
        ["--db", served.db_url, "--actor", user, *args],
        env={"REENTRY_LEDGER_URL": None},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def error(answer: Any) -> tuple[int, str, int, str]:
    body = answer.json()["error"]
    return answer.status_code, body["type"], body["exit_code"], body["message"]


def test_every_endpoint_refuses_a_request_without_a_valid_token(api: Served) -> None:
    for route, (request, _) in TABLE.items():
        verb, path = route.split(" ", 1)
        for headers in ({}, {"Authorization": "Bearer rlt_0.forged"}):
            answer = api.client.request(verb, path, params=request.params, headers=headers)
            assert answer.status_code == 401, (path, headers)
            assert answer.json()["error"]["exit_code"] == 3
            assert answer.headers["www-authenticate"] == "Bearer"


# Each report's query, and the command that prints the same document with --format json.
REPORTS: list[tuple[str, dict[str, Any], tuple[str, ...]]] = [
    ("violations", {"by": "agency,risk", "period": "quarter", **RANGE},
     ("violations", "--by", "agency,risk", "--period", "quarter", "--from", "2025-01-01",
      "--to", "2025-12-31")),
    ("responses", {"by": "agency", "period": "quarter", **RANGE},
     ("responses", "--by", "agency", "--period", "quarter", "--from", "2025-01-01",
      "--to", "2025-12-31")),
    ("caseload", {"on": "2025-06-30", "by": "agency"},
     ("caseload", "--on", "2025-06-30", "--by", "agency")),
    ("discharges", {**RANGE, "by": "agency", "suppress_below": 2},
     ("discharges", "--from", "2025-01-01", "--to", "2025-12-31", "--by", "agency",
      "--suppress-below", "2")),
    ("referrals", RANGE, ("referrals", "--from", "2025-01-01", "--to", "2025-12-31")),
    ("volunteers", {**RANGE, "by": "agency"},
     ("volunteers", "--from", "2025-01-01", "--to", "2025-12-31", "--by", "agency")),
    ("justice-counts", {"year": 2025}, ("justice-counts", "--year", "2025")),
]  # fmt: skip


def test_each_report_answers_the_document_its_command_prints_as_json(api: Served) -> None:
    for path, params, command in REPORTS:
        for user in ("aud", "ovs"):
            answer = api.get(user, f"/api/reports/{path}", params=params)
            assert answer.status_code == 200, answer.text
            printed = cli_json(api, user, "report", *command, "--format", "json")
            assert answer.json() == printed and printed["groups"], (user, path)


def test_report_parameters_are_checked_with_the_clis_messages(api: Served) -> None:
    for path, params, message in (
        (
            "discharges",
            {"from": "2025-02-01", "to": "2025-01-01"},
            "--from 2025-02-01 is after --to 2025-01-01",
        ),
        (
            "violations",
            {"by": "agency,colour"},
            f"--by: unknown dimension 'colour' (known: {', '.join(DIMENSIONS)})",
        ),
        (
            "caseload",
            {"by": "risk"},
            "--by: this report groups by agency, officer, supervision, juvenile only, not risk",
        ),
        (
            "violations",
            {"to": str(TODAY + timedelta(days=1))},
            f"--to {TODAY + timedelta(days=1)} is after today ({TODAY}): a report counts only "
            "days that have passed",
        ),
        (
            "contacts",
            {"from": str(TODAY + timedelta(days=1))},
            f"--from {TODAY + timedelta(days=1)} is after today ({TODAY}): a report counts only "
            "days that have passed",
        ),
    ):
        assert error(api.get("aud", f"/api/reports/{path}", params=params)) == (
            400,
            "invalid_input",
            2,
            message,
        )
    for path, params, named in (
        ("violations", {"period": "week"}, "period"),
        ("violations", {"suppress_below": 1}, "suppress_below"),
        ("responses", {"period": "week"}, "period"),
        ("referrals", {"from": "1800-01-01"}, "outside the dates the ledger takes"),
        ("referrals", {"to": "2025-02-30"}, "to"),
        ("caseload", {"known_at": "yesterday"}, "known_at"),
        ("justice-counts", {"year": 1800}, "year"),
        ("justice-counts", {}, "year"),
    ):
        status, kind, code, message = error(api.get("aud", f"/api/reports/{path}", params=params))
        assert (status, kind, code) == (400, "invalid_input", 2) and named in message, message


def test_a_report_parameter_left_blank_is_one_not_given(api: Served) -> None:
    """As a form sends an empty field: `from=` is no `from`."""
    blank = {"by": "agency", "period": "", "from": "", "to": "2025-12-31", "known_at": "",
             "suppress_below": ""}  # fmt: skip
    answer = api.get("aud", "/api/reports/violations", params=blank)
    given = api.get("aud", "/api/reports/violations", params={"by": "agency", "to": "2025-12-31"})
    assert answer.status_code == 200 and answer.json() == given.json()
    assert len(answer.json()["groups"]) == 2


def test_a_report_known_at_without_to_ends_on_the_known_at_date(api: Served) -> None:
    """As the service decides it, whatever the server's today (here a month after T)."""
    known_at = datetime.now(UTC)
    api.ledger.clock = lambda: known_at.date() + timedelta(days=30)
    moment = known_at.isoformat()
    for path in ("violations", "disparities"):
        without = api.get("aud", f"/api/reports/{path}", params={"known_at": moment})
        given = {"known_at": moment, "to": known_at.date().isoformat()}
        assert without.json() == api.get("aud", f"/api/reports/{path}", params=given).json()
        # a --to after its day: days the ledger knew nothing of at T, refused
        today = {"to": (known_at.date() + timedelta(days=30)).isoformat(), "known_at": moment}
        refused = api.get("aud", f"/api/reports/{path}", params=today)
        assert refused.status_code == 400
        assert "the last day begun before --known-at" in refused.json()["error"]["message"]


def test_oversight_reports_say_the_months_they_were_snapped_to(api: Served) -> None:
    params = {"from": "2025-01-10", "to": "2025-11-20", "by": "agency"}
    answer = api.get("ovs", "/api/reports/discharges", params=params)
    assert answer.json()["snapped_to_months"] is True
    snapped = json.loads(answer.headers["x-report-snapped"])
    assert snapped == {"first": "2025-01-01", "last": "2025-10-31", "known_at": None}
    assert answer.headers["x-report-columns"].startswith("agency,")
    mine = api.get("aud", "/api/reports/discharges", params=params)
    assert "x-report-snapped" not in mine.headers and "snapped_to_months" not in mine.json()


def test_a_reports_json_says_what_it_was_snapped_to_as_its_header_does(api: Served) -> None:
    """The body's `snapped` and the X-Report-Snapped header are one value (a review found the
    body's moment cut to the second and turned to UTC where the header kept it as given)."""
    moment = {"year": 2025, "known_at": "2025-11-20T09:30:00.5+02:00"}
    for user, path, params in (
        ("aud", "justice-counts", moment),
        ("ovs", "justice-counts", moment),
        ("ovs", "discharges", {"from": "2025-01-10", "to": "2025-11-20"}),
        ("ovs", "caseload", {}),  # a day, not a range: no first day
    ):
        answer = api.get(user, f"/api/reports/{path}", params=params)
        assert answer.status_code == 200, answer.text
        header = json.loads(answer.headers["x-report-snapped"])
        assert answer.json()["snapped"] == header, (user, path)
    exact = api.get("aud", "/api/reports/justice-counts", params=moment)
    assert exact.json()["snapped"]["known_at"] == "2025-11-20T07:30:00.500000Z"


def test_whoami_names_the_user_its_token_names(api: Served) -> None:
    for user, (role, agency) in CAST.items():
        answer = api.get(user, "/api/whoami")
        assert answer.json() == {"name": user, "role": role, "agency": agency}


def test_digest_and_verify_answer_as_the_commands_and_a_broken_ledger_is_exit_6(
    api: Served,
) -> None:
    digest = api.get("aud", "/api/digest").json()
    printed = CliRunner().invoke(cli, ["--db", api.db_url, "--actor", "aud", "digest"])
    assert digest["line"] == printed.stdout.strip()
    assert digest["line"].endswith(f"position={digest['position']} sha256={digest['sha256']}")
    checked = api.post("aud", "/api/verify", json={"against": digest["line"]})
    assert checked.status_code == 200 and checked.json()["broken"] is None
    assert "no ledger key" in checked.headers["x-ledger-notice"]
    assert error(api.post("aud", "/api/verify", json={"against": "a line"}))[:3] == (
        400,
        "invalid_input",
        2,
    )
    assert api.post("aud", "/api/verify", json={"actor": "cw-ga"}).status_code == 400

    rows = Rows(api.ledger)
    contact = next(row for row in rows.all() if row[3].endswith(":ContactLogged"))
    rows.execute(f"DELETE FROM {rows.table} WHERE {rows.order} = ?", (contact[0],))
    for answer in (api.post("aud", "/api/verify"), api.get("aud", "/api/digest")):
        status, kind, code, message = error(answer)
        assert (status, kind, code) == (409, "verification_failed", 6)
        assert message.startswith("verification failed at position ")
        assert message.endswith("client GA-1, event 4: events 3 to 3 are missing")


def test_verify_against_a_path_reads_no_file_on_the_server(api: Served, tmp_path: Path) -> None:
    """An auditor's `against` is a digest line: a path on the server is never opened (here,
    a file holding a digest that does not match, which would answer 409 if it were read)."""
    planted = tmp_path / "digest.txt"
    planted.write_text(f"reentry-ledger digest v1 position=3 sha256={'0' * 64}\n")
    answer = api.post("aud", "/api/verify", json={"against": str(planted)})
    assert error(answer)[:3] == (400, "invalid_input", 2)
    assert "--against needs a line printed by `digest`" in error(answer)[3]


def test_the_export_is_every_event_then_its_closing_record_and_is_logged(api: Served) -> None:
    answer = api.get("aud", "/api/export")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/x-ndjson"
    lines = answer.text.splitlines()
    closing = json.loads(lines[-1])["closing"]
    assert closing["events"] == len(lines) - 1 and closing["key_custody"] == "none"
    assert [json.loads(line)["position"] for line in lines[:-1]] == list(range(1, len(lines)))
    reads = api.get("aud", "/api/access-log").json()["reads"]
    assert (reads[-1]["recorded_by"], reads[-1]["view"]) == ("aud", "export")


def test_the_export_holds_no_lock_while_it_streams(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While one export is read slowly, the server answers other requests."""
    import reentry_ledger.export.full as full

    read_on = threading.Event()
    whole = full.export_lines

    def slow(*args: Any, **kwargs: Any) -> Iterator[bytes]:
        lines = whole(*args, **kwargs)
        yield next(lines)
        read_on.wait(timeout=30)
        yield from lines

    monkeypatch.setattr(full, "export_lines", slow)
    headers = live.headers("aud")
    with httpx.stream("GET", f"{live.base_url}/api/export", headers=headers) as exported:
        chunks = exported.iter_bytes()
        assert b'"position":1' in next(chunks)
        other = httpx.get(f"{live.base_url}/api/whoami", headers=headers, timeout=10)
        assert other.json()["name"] == "aud"
        read_on.set()
        rest = b"".join(chunks)
    assert b'{"closing":' in rest


def test_an_export_cut_short_fails_the_cli_and_leaves_no_file(
    live: Live, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import reentry_ledger.export.full as full

    whole = full.export_lines

    def failing(*args: Any, **kwargs: Any) -> Iterator[bytes]:
        yield next(whole(*args, **kwargs))
        raise OSError("the disk went away")

    monkeypatch.setattr(full, "export_lines", failing)
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "export.jsonl"
    env = {"REENTRY_LEDGER_URL": live.base_url, "REENTRY_LEDGER_TOKEN": live.tokens["aud"]}
    result = CliRunner().invoke(cli, ["export", "-o", str(target)], env=env)
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        f"Error: the export from the server at {live.base_url} stopped before its closing "
        "record: it is incomplete (the server's log says why)\n"
    )
    assert "Traceback" not in result.output
    assert list(target.parent.iterdir()) == []  # nor its temporary file


def test_the_deidentified_export_keeps_oversights_floor_and_says_what_it_withheld(
    api: Served,
) -> None:
    answer = api.get("ovs", "/api/export/deidentified", params={"k": 1})
    assert answer.status_code == 200
    summary = json.loads(answer.headers["x-export-summary"])
    assert summary["k"] == 5  # oversight asks for 1 and gets its floor
    assert summary["released"] == len(answer.text.splitlines())
    refused = api.get("ovs", "/api/export/deidentified", params={"project": "p1"})
    assert error(refused)[:3] == (403, "not_permitted", 3)
    assert not any(
        r["view"].endswith("(research project p1, k=5)")
        for r in api.get("aud", "/api/access-log").json()["reads"]
    )
    stable = [
        api.get("aud", "/api/export/deidentified", params={"project": "p1", "k": 1}).text
        for _ in range(2)
    ]
    assert stable[0] == stable[1] and len(stable[0].splitlines()) == 12
    logged = len(api.get("aud", "/api/access-log").json()["reads"])
    escape = api.get("aud", "/api/export/deidentified", params={"project": "p\x1b[2J"})
    assert error(escape)[:3] == (400, "invalid_input", 2) and "U+001B" in error(escape)[3]
    assert len(api.get("aud", "/api/access-log").json()["reads"]) == logged  # no export was made
    assert error(api.get("aud", "/api/export/deidentified", params={"k": 0}))[:3] == (
        400,
        "invalid_input",
        2,
    )


def test_replay_answers_what_it_read_and_its_refusals(api: Served) -> None:
    assert api.post("sup-ga", "/api/replay").json() == {"clients": 3, "events": 12}
    assert api.post("aud", "/api/replay", json={"ref": "GB-1"}).json() == {
        "clients": 1,
        "events": 2,
    }
    assert error(api.post("sup-ga", "/api/replay", json={"ref": "GB-1"}))[:3] == (
        404,
        "not_found",
        4,
    )
    assert api.post("aud", "/api/replay", json={"ref": "GA-1", "as": "x"}).status_code == 400
    reads = [r for r in api.get("aud", "/api/access-log").json()["reads"] if r["view"] == "replay"]
    assert [r["recorded_by"] for r in reads] == ["sup-ga", "aud"]


def test_projections_answer_their_state_and_a_damaged_one_is_exit_6(api: Served) -> None:
    caught = api.post("aud", "/api/projections/catch-up", json={"names": ["clients"]})
    assert caught.status_code == 200 and caught.json()["applied"] > 0
    states = api.get("aud", "/api/projections", params={"names": ["clients"]}).json()
    assert [(s["name"], s["lag"], s["state"]) for s in states] == [("clients", 0, "built")]
    assert len(api.get("aud", "/api/projections").json()) == len(PROJECTIONS)
    assert error(api.post("aud", "/api/projections/rebuild", json={"names": ["nope"]})) == (
        400,
        "invalid_input",
        2,
        f"no projection named 'nope' (known: {', '.join(p.name for p in PROJECTIONS)})",
    )
    rebuilt = api.post("sup-ga", "/api/projections/rebuild", json={"names": ["violations"]})
    assert rebuilt.status_code == 200
    assert api.post("aud", "/api/projections/verify").json() == {"verified": True}

    execute(api.ledger, "DELETE FROM {audit_violations}", ["audit_violations"])
    damaged = api.post("aud", "/api/projections/verify")
    status, kind, code, message = error(damaged)
    assert (status, kind, code) == (409, "verification_failed", 6)
    assert [f["name"] for f in damaged.json()["findings"]] == ["violations"]
    assert message.endswith("fix: reentry-ledger projections rebuild violations")
    api.post("aud", "/api/projections/rebuild", json={"names": ["violations"]})
    assert api.post("aud", "/api/projections/verify").status_code == 200


def test_projections_are_caught_up_in_whichever_thread_answers(api: Served) -> None:
    """The server answers from a pool of threads: each request reads the log in its own."""
    answers: list[int] = []

    def rebuild() -> None:
        answers.append(api.post("aud", "/api/projections/rebuild").status_code)

    for number in range(3):
        worker = threading.Thread(target=rebuild)
        worker.start()
        worker.join()
        api.ledger.log_contact("GA-1", actor="cw-ga", note=f"visit {number}")
    assert answers == [200, 200, 200]


def csv_import(api: Served, user: str, rows: str, **params: str) -> Any:
    query = {
        "mapping": MAPPING,
        "filename": "records.csv",
        "mapping_filename": "rules.toml",
        **params,
    }
    return api.client.post(
        "/api/imports/csv",
        params=query,
        content=rows.encode(),
        headers=api.headers(user, **{"Content-Type": "text/csv"}),
    )


def test_a_csv_import_records_every_row_or_none(api: Served) -> None:
    answer = csv_import(api, "sup-ga", LEGACY.format(p="GA-N", agency="GA"))
    assert answer.json() == {"rows": 5, "events": 5}
    assert api.ledger.get_client("GA-N-1").version == 4

    refused = csv_import(api, "sup-ga", LEGACY.format(p="GA-M", agency="GB"))
    assert error(refused) == (
        422,
        "refused",
        3,
        "records.csv, line 6: enroll GA-M-2: sup-ga may enroll clients of agency GA only",
    )
    assert not api.ledger.exists("GA-M-1")  # its first four rows were not written either
    missing = csv_import(api, "sup-ga", "case_no,record\nGA-9,INTAKE\n")
    assert error(missing)[:3] == (400, "invalid_input", 2)
    assert error(missing)[3].startswith("records.csv, line 1: missing column(s): date")
    bad = csv_import(api, "sup-ga", LEGACY, mapping="reference = ")
    assert error(bad)[:3] == (400, "invalid_input", 2)
    assert error(bad)[3].startswith("mapping rules.toml: not valid TOML")
    no_mapping = api.client.post("/api/imports/csv", content=b"x", headers=api.headers("sup-ga"))
    assert error(no_mapping)[:3] == (400, "invalid_input", 2) and "mapping" in error(no_mapping)[3]


def test_the_openapi_document_describes_every_endpoint_added(api: Served) -> None:
    document = api.client.get("/openapi.json").json()
    for route in TABLE:
        verb, path = route.split(" ", 1)
        operation = document["paths"][path][verb.lower()]
        assert operation["summary"], path
        assert operation["tags"][0] in (
            "casework",
            "reads",
            "users",
            "reports",
            "audit",
            "operations",
            "policy",
            "programmes",
            "volunteers",
        ), path
        assert {"400", "401", "403", "404", "409", "422", "500"} <= set(operation["responses"])
    assert "text/csv" in document["paths"]["/api/imports/csv"]["post"]["requestBody"]["content"]


def test_a_refused_csv_import_takes_no_upload(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Oversight may not import: refused before a byte is written to the server's disk."""
    from reentry_ledger.server import operations

    spooled: list[str] = []
    real = operations.tempfile.TemporaryDirectory

    def watched(*args: Any, **kwargs: Any) -> Any:
        spooled.append("upload")
        return real(*args, **kwargs)

    monkeypatch.setattr(operations.tempfile, "TemporaryDirectory", watched)
    answer = served.client.post(
        "/api/imports/csv",
        params={"mapping": MAPPING},
        content=b"x" * 100_000,
        headers=served.headers("ovs", **{"Content-Type": "text/csv"}),
    )
    assert answer.status_code == 403 and spooled == []


def test_a_token_revoked_while_its_upload_is_read_has_nothing_imported(
    api: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The import checks its importer again once it holds the ledger (ADR 60): the token the
    upload was sent with too. A stolen token revoked while a large upload is read must not
    have the file committed under its user's name afterwards."""
    from reentry_ledger.ingest import mapped

    before = api.ledger.recorder.max_notification_id()
    read_rows = mapped.read_rows

    def reading(*args: Any, **kwargs: Any) -> Iterator[tuple[int, dict[str, str]]]:
        rows = read_rows(*args, **kwargs)
        first = next(rows, None)
        api.ledger.revoke_tokens("sup-ga", actor="aud")  # the administrator, meanwhile
        if first is not None:
            yield first
        yield from rows

    monkeypatch.setattr(mapped, "read_rows", reading)
    refused = csv_import(api, "sup-ga", LEGACY.format(p="GA-N", agency="GA"))
    assert error(refused) == (
        403,
        "not_permitted",
        3,
        "sup-ga's token was revoked or expired while this import read its file: nothing was "
        "written",
    )
    assert not api.ledger.exists("GA-N-1")
    assert api.ledger.recorder.max_notification_id() == before + 1  # the revocation alone


def test_a_file_uploaded_twice_is_refused_unless_again(api: Served) -> None:
    # ADR 62: the same bytes are the same file, whatever name it is sent under
    rows = LEGACY.format(p="GA-T", agency="GA")
    assert csv_import(api, "sup-ga", rows).json() == {"rows": 5, "events": 5}
    before = api.ledger.recorder.max_notification_id()
    refused = csv_import(api, "sup-ga", rows, filename="renamed.csv")
    status, kind, code, message = error(refused)
    assert (status, kind, code) == (422, "refused", 3)
    assert message.startswith("renamed.csv: this file was imported already, as records.csv on ")
    assert api.ledger.recorder.max_notification_id() == before
    again = csv_import(api, "sup-ga", rows, again="true")  # let through, to its rows: the
    assert error(again)[:3] == (422, "refused", 3)  # same intakes, of open terms, refused
    assert "imported already" not in error(again)[3] and "enroll GA-T-1" in error(again)[3]
    assert api.ledger.recorder.max_notification_id() == before
