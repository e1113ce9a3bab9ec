"""Sealing leaves nothing: a marker planted in every free-text field of a client is found
nowhere once it is sealed, on either backend, while the ledger still verifies and every report
still counts the client.

The fields planted are checked against the events' own list of personal fields (`PERSONAL`),
so a personal field added later fails here until this test plants a marker in it too.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from reentry_ledger.application import Ledger
from reentry_ledger.backends import parse_db_url
from reentry_ledger.domain.events import EVENT_CLASSES
from tests.builders import TODAY, projection_contents
from tests.conftest import POSTGRES_URL

MARK = "QZXMARK"


def mark(field: str) -> str:
    return f"{MARK}-{field}"


def raw(code: str, field: str) -> dict[str, str]:
    """A coded value with the agency's wording, which is free text too."""
    return {"code": code, "raw_text": mark(field)}


def plant(ledger: Ledger, ref: str) -> None:
    """One client with a marker in every free-text field the commands take."""
    actor = "sup"
    ledger.enroll(
        ref, actor=actor, start=date(2025, 1, 6), agency="GA", officer="o-17",
        supervision=raw("parole", "supervision"), conditions=(raw("curfew", "condition"),),
        details={"address": mark("details")}, name=mark("name"),
        start_reason=raw("new_sentence", "start_reason"), sex=raw("female", "sex"),
        race=raw("asian", "race"), ethnicity=raw("not_hispanic", "ethnicity"), birth_year=1985,
        age_band=raw("35_44", "age_band"),  # as the year makes it
    )  # fmt: skip
    ledger.assess(
        ref, actor=actor, on=date(2025, 1, 7), instrument=mark("instrument"),
        instrument_version=mark("instrument_version"),
        risk_level=raw("high", "risk"), needs=(raw("substance_use", "need"),),
        responsivity=(mark("responsivity"),), strengths=(mark("strength"),),
    )  # fmt: skip
    ledger.revise_plan(
        ref, actor=actor, on=date(2025, 1, 8),
        goals=[(raw("substance_use", "goal_need"), mark("goal"))],
        model=raw("assertive", "model"),
    )  # fmt: skip
    ledger.refer(ref, actor=actor, on=date(2025, 1, 9), service=raw("housing", "service"),
                 provider=mark("provider"), need=raw("school_work", "referral_need"))  # fmt: skip
    ledger.update_referral(ref, "R1", raw("declined", "status"), actor=actor, on=date(2025, 1, 10),
                           reason=raw("no_capacity", "referral_reason"))  # fmt: skip
    ledger.log_contact(
        ref, actor=actor, on=date(2025, 1, 11), kind=raw("group", "kind"),
        note=mark("note"), group_session=mark("group_session"),
    )  # fmt: skip
    ledger.match_volunteer(ref, actor=actor, on=date(2025, 1, 12), volunteer=mark("volunteer"),
                           needs=(raw("family_marital", "match_need"),))  # fmt: skip
    ledger.end_volunteer_match(ref, actor=actor, on=date(2025, 1, 13),
                               ending=raw("failed", "ending"), reason=mark("match_reason"))  # fmt: skip
    ledger.record_violation(
        ref, actor=actor, on=date(2025, 1, 14), technical=(raw("curfew", "technical"),),
        new_offence=raw("misdemeanor", "severity"), basis=raw("charge", "basis"),
        offence_type=raw("drug", "offence_type"), description=mark("description"),
    )  # fmt: skip
    ledger.respond_to_violation(
        ref, "V1", raw("sanction", "response"), actor=actor, on=date(2025, 1, 15),
        custody_days=2, decided_by=raw("court", "decided_by"),
    )  # fmt: skip
    ledger.log_contact(ref, actor=actor, on=date(2025, 1, 16), note="entered twice")
    ledger.correct(ref, 11, actor=actor, on=date(2025, 1, 16), reason=mark("correction"))
    goal = ledger.add_goal(ref, actor=actor, on=date(2025, 1, 16), need=raw("school_work", "goal2_need"),
                           description=mark("goal2"), target=date(2025, 6, 1)).new_id  # fmt: skip
    assert goal is not None
    ledger.progress_goal(ref, goal, actor=actor, on=date(2025, 1, 16),
                         status=raw("in_progress", "goal_status"), note=mark("progress"))  # fmt: skip
    ledger.reorder_goal(ref, goal, actor=actor, on=date(2025, 1, 16), priority=1)
    ledger.approve_plan(ref, actor=actor, on=date(2025, 1, 16))
    ledger.add_programme("Anger", actor=actor, service="family", agency="GA", on=date(2025, 1, 6))
    ledger.enrol_in_programme("Anger", [ref], actor=actor, on=date(2025, 1, 16))
    ledger.record_programme_session(
        "Anger", actor=actor, on=date(2025, 1, 16), attended=[ref], agency="GA"
    )
    ledger.record_programme_session(
        "Anger", actor=actor, on=date(2025, 1, 17), missed=[ref], agency="GA"
    )
    ledger.end_programme_place(ref, "Anger", actor=actor, on=date(2025, 1, 16),
                               outcome=raw("completed", "programme_outcome"))  # fmt: skip
    day = date(2025, 1, 16)
    ledger.reassign(ref, actor=actor, on=day, officer="o-18")
    ledger.change_level(ref, actor=actor, on=day, level=raw("high", "level"))
    ledger.change_conditions(ref, actor=actor, on=day, add=(raw("residence", "added"),),
                             remove=(raw("curfew", "removed"),))  # fmt: skip
    ledger.start_custody(ref, actor=actor, on=day, reason=raw("jail_hold", "custody_reason"))
    ledger.end_custody(ref, actor=actor, on=day)
    ledger.abscond(ref, actor=actor, on=day)
    ledger.record_return(ref, actor=actor, on=day)
    ledger.record_disposition(ref, "V1", raw("pending", "disposition"), actor=actor, on=day,
                              offence_type=raw("drug", "disposition_type"))  # fmt: skip
    ledger.grant_incentive(ref, actor=actor, on=day, kind=raw("commendation", "incentive"),
                           note=mark("incentive_note"))  # fmt: skip
    ledger.discharge(ref, actor=actor, on=date(2025, 1, 17), outcome=raw("successful", "outcome"),
                     note=mark("discharge_note"))  # fmt: skip
    ledger.enroll(
        ref, actor=actor, start=date(2025, 1, 18), agency="GA", officer="o-17",
        supervision=raw("probation", "term_supervision"),
        conditions=(raw("curfew", "term_condition"),),
        start_reason=raw("reinstated", "term_start_reason"), age_band=raw("35_44", "term_band"),
    )  # fmt: skip


# Personal codes and numbers, not free text: they hold no marker, and must be unreadable (or
# `[sealed]`) once sealed, which the stored bytes and the timelines show (a code is ciphertext).
PERSONAL_CODES = {"person.sex.code", "person.race.code", "person.ethnicity.code",
                  "person.birth_year", "age_band.code"}  # fmt: skip


def at(value: Any, path: list[str]) -> list[Any]:
    """Every value at a dotted path, through lists."""
    if isinstance(value, list):
        return [found for item in value for found in at(item, path)]
    if not path:
        return [value]
    if not isinstance(value, dict) or value.get(path[0]) is None:
        return []
    return at(value[path[0]], path[1:])


@pytest.fixture
def read(run):  # type: ignore[no-untyped-def]
    """What a command prints, run as `sup` with no ledger key (the conftest's CLI)."""

    def invoke(*args: str) -> str:
        result = run(*args, actor="sup", REENTRY_LEDGER_KEY="")
        assert result.exit_code == 0, result.output
        return str(result.stdout)

    return invoke


def stored_bytes(db_url: str, tmp_path: Path) -> str:
    """Everything the database holds: every file of the SQLite ledger (the database, its
    write-ahead log), or a pg_dump of the schema with its byte columns (hex) decoded."""
    if db_url.startswith("sqlite"):
        files = sorted(tmp_path.glob("ledger.db*"))
        assert files
        return b"".join(path.read_bytes() for path in files).decode("latin-1")
    pg_dump = shutil.which("pg_dump") or next(
        iter(sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))), None
    )
    if pg_dump is None:
        pytest.skip("pg_dump is not installed")
    schema = parse_db_url(db_url).schema
    server = POSTGRES_URL.split("?")[0]
    dumped = subprocess.run(
        [str(pg_dump), "-n", str(schema), server], check=True, capture_output=True
    )
    text = dumped.stdout.decode("latin-1")
    return re.sub(
        r"\\\\x([0-9a-f]+)", lambda hexed: bytes.fromhex(hexed[1]).decode("latin-1"), text
    )


def test_a_sealed_client_leaves_no_free_text_anywhere(read, db_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ledger = Ledger(db_url, clock=lambda: TODAY)
    try:
        plant(ledger, "S-1")
        ledger.enroll("S-2", actor="sup", start=date(2025, 1, 6), agency="GA", officer="o-17",
                      supervision="probation", name="Still Readable")  # fmt: skip
    finally:
        ledger.close()

    # every personal field of every event the client has was planted (and reads back)
    events = json.loads(read("timeline", "S-1", "--json"))
    by_type: dict[str, Any] = {}
    for event in events:
        by_type.setdefault(event["type"], event["data"])  # the first of each kind
    for event_class in EVENT_CLASSES:
        if event_class.__name__ not in by_type:
            continue
        for path in event_class.PERSONAL:
            values = at(by_type[event_class.__name__], path.split("."))
            if path in PERSONAL_CODES:
                assert values and all(MARK not in str(v) for v in values), path
                continue
            assert values and all(MARK in str(v) for v in values), (event_class.__name__, path)
    planted = [t for t in by_type if t != "ClientSealed"]
    assert len(planted) == len(EVENT_CLASSES) - 1  # every kind of event but the seal
    assert '"officer":"o-17"' in stored_bytes(db_url, tmp_path)  # the events, as stored

    caseload = read("report", "caseload", "--on", "2025-01-16", "--format", "json")
    violations = read("report", "violations", "--format", "json")
    digest = read("digest").strip()
    read("seal", "S-1", "--ground", "court_order", "--reference", "CO-2026/114")

    seen = {
        "timeline": read("timeline", "S-1"),
        "timeline --json": read("timeline", "S-1", "--json"),
        "show": read("show", "S-1"),
        "show --json": read("show", "S-1", "--json"),
        "export": read("export"),
        "export --deidentified": read("export", "--deidentified"),
        "access-log": read("access-log", "--json"),
    }
    read("projections", "catch-up")
    ledger = Ledger(db_url, clock=lambda: TODAY)
    try:
        seen["projection tables"] = json.dumps(projection_contents(ledger))
    finally:
        ledger.close()
    seen["stored bytes"] = stored_bytes(db_url, tmp_path)
    leaks = {where: sorted(set(re.findall(f"{MARK}-(\\w+)", text))) for where, text in seen.items()
             if MARK in text}  # fmt: skip
    assert not leaks, leaks

    enrolled = json.loads(seen["timeline --json"])[0]["data"]
    assert enrolled["person"]["race"]["code"] == "[sealed]"
    assert enrolled["person"]["birth_year"] == "[sealed]"
    sealed = json.loads(seen["timeline --json"])[-1]
    assert sealed["type"] == "ClientSealed"
    assert sealed["data"]["ground"]["code"] == "court_order"
    assert sealed["data"]["reference"] == "CO-2026/114"
    assert "Still Readable" in read("show", "S-2")
    assert read("verify", "--against", digest).startswith("verified")
    assert read("report", "caseload", "--on", "2025-01-16", "--format", "json") == caseload
    assert read("report", "violations", "--format", "json") == violations
