"""A legacy CSV records every event of the revocation model: recommendations and decisions by
the officer, a court or a board (graduated responses, custody within the agency's caps,
revocations that end the term), new offences with their basis and type, dispositions (after
the term too), incentives and discharges citing a decision. A row the command would refuse is
refused with its line, and nothing of the file is written."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from reentry_ledger.application import Ledger
from reentry_ledger.cli import cli
from reentry_ledger.domain.client import coded
from reentry_ledger.domain.events import ViolationResponded
from reentry_ledger.domain.recording import Stamp, keep, next_event
from tests.builders import recorded

MAPPING = """
reference = "ref"
kind_column = "kind"

[codes.body]
PO = "officer"
CT = "court"
PB = "parole_board"

[codes.otype]
VIOL = "violent"
PROP = "property"
DRUG = "drug"

[codes.disposition]
P = "pending"
C = "convicted"
D = "dismissed"
A = "acquitted"

[kinds.intake]
command = "enroll"
agency = "agency"
officer = "officer"
supervision = "code"

[kinds.breach]
command = "violation"
key = "id"
technical = "code"

[kinds.offence]
command = "violation"
key = "id"
new_offence = "code"
basis = "basis"
offence_type = { column = "otype", codes = "otype" }

[kinds.respond]
command = "respond"
violation = "id"
response = "code"
custody_days = "days"
decided_by = { column = "by", codes = "body" }
recommendation = "rec"

[kinds.court]
command = "disposition"
violation = "id"
disposition = { column = "code", codes = "disposition" }
offence_type = { column = "otype", codes = "otype" }

[kinds.reward]
command = "incentive"
kind = "code"
note = "note"

[kinds.close]
command = "discharge"
outcome = "code"
note = "note"
"""

HEADER = "ref,kind,date,agency,officer,code,id,days,by,rec,basis,otype,note"
ROWS = [
    # GA-1, probation: each technical violation gets one of the graduated decisions, by the
    # officer; incentives for compliance; a successful discharge.
    "GA-1,intake,2024-01-02,GA,o-1,probation,,,,,,,",  # line 2
    "GA-1,breach,2024-02-01,,,failure_to_report,T1,,,,,,",  # 3
    "GA-1,respond,2024-02-03,,,warning,T1,,PO,,,,",  # 4
    "GA-1,breach,2024-03-01,,,positive_drug_test,T2,,,,,,",  # 5
    "GA-1,respond,2024-03-02,,,increased_reporting,T2,,PO,N,,,",  # 6
    "GA-1,breach,2024-04-01,,,curfew,T3,,,,,,",  # 7
    "GA-1,respond,2024-04-02,,,curfew,T3,,PO,no,,,",  # 8
    "GA-1,breach,2024-05-01,,,curfew,T4,,,,,,",  # 9
    "GA-1,respond,2024-05-02,,,electronic_monitoring,T4,,,,,,",  # 10: blank `by`: officer
    "GA-1,breach,2024-06-01,,,missed_programme,T5,,,,,,",  # 11
    "GA-1,respond,2024-06-02,,,community_service,T5,,PO,,,,",  # 12
    "GA-1,breach,2024-07-01,,,positive_drug_test,T6,,,,,,",  # 13
    "GA-1,respond,2024-07-02,,,treatment_referral,T6,,PO,,,,",  # 14
    "GA-1,breach,2024-08-01,,,failure_to_report,T7,,,,,,",  # 15
    # a later technical violation: the officer's cap is 30 days (the first's is 14)
    "GA-1,respond,2024-08-02,,,custody_sanction,T7,20,PO,,,,",  # 16
    "GA-1,breach,2024-09-01,,,failure_to_report,T8,,,,,,",  # 17
    "GA-1,respond,2024-09-02,,,continuance,T8,,PO,,,,",  # 18
    "GA-1,reward,2024-10-01,,,reduced_reporting,,,,,,,three clean months",  # 19
    "GA-1,reward,2024-11-01,,,commendation,,,,,,,",  # 20
    "GA-1,close,2024-12-31,,,successful,,,,,,,",  # 21
    # GB-1, parole: an arrest for a violent offence; the officer recommends revocation, the
    # board decides it (the term ends); the charge is pending, then a conviction, after it.
    "GB-1,intake,2024-01-05,GB,o-2,parole,,,,,,,",  # 22
    "GB-1,offence,2024-05-01,,,felony,N1,,,,arrest,VIOL,",  # 23
    "GB-1,respond,2024-05-10,,,revocation,N1,,PO,Y,,,",  # 24
    "GB-1,respond,2024-05-20,,,revocation,N1,180,PB,,,,",  # 25
    "GB-1,court,2024-05-25,,,P,N1,,,,,,",  # 26
    "GB-1,court,2024-09-01,,,C,N1,,,,,VIOL,",  # 27
    # GC-1, probation: the officer recommends revocation, the court continues instead; a
    # charge later dismissed; discharged as absconded.
    "GC-1,intake,2024-01-08,GC,o-3,probation,,,,,,,",  # 28
    "GC-1,breach,2024-03-01,,,failure_to_report,T1,,,,,,",  # 29
    "GC-1,respond,2024-03-05,,,revocation,T1,,PO,yes,,,",  # 30
    "GC-1,respond,2024-03-20,,,continuance,T1,,CT,,,,",  # 31
    "GC-1,offence,2024-04-01,,,misdemeanor,N2,,,,charge,PROP,",  # 32
    "GC-1,court,2024-06-01,,,D,N2,,,,,,",  # 33
    "GC-1,close,2024-07-01,,,absconded,,,,,,,",  # 34
]


@pytest.fixture
def run(db_url: str):  # type: ignore[no-untyped-def]
    runner = CliRunner()
    env = {"REENTRY_LEDGER_DB": db_url, "REENTRY_LEDGER_ACTOR": "migrator"}

    def invoke(*args: str) -> Result:
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


def import_rows(  # type: ignore[no-untyped-def]
    run, tmp_path: Path, rows: list[str], name: str = "records", mapping: str = MAPPING
) -> Result:
    mapping_path = tmp_path / f"{name}.toml"
    mapping_path.write_text(mapping, encoding="utf-8")
    path = tmp_path / f"{name}.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return run("import", str(path), "--format", "csv", "--mapping", str(mapping_path))


def test_every_response_offence_disposition_and_incentive_imports_as_recorded(
    run, tmp_path: Path, db_url: str
) -> None:  # type: ignore[no-untyped-def]
    result = import_rows(run, tmp_path, ROWS)
    assert result.exit_code == 0, result.output
    assert "imported 33 rows as 33 events" in result.stderr  # one event a row

    ledger = Ledger(db_url)
    try:
        first = ledger.get_client("GA-1").state
        second = ledger.get_client("GB-1").state
        third = ledger.get_client("GC-1").state
    finally:
        ledger.close()

    # GA-1: eight decisions, by the officer, in the graduated order; no recommendation.
    decisions = [first.violations[f"V{n}"].decision for n in range(1, 9)]
    assert [d.response for d in decisions if d] == [
        "warning", "increased_reporting", "curfew", "electronic_monitoring",
        "community_service", "treatment_referral", "custody_sanction", "continuance",
    ]  # fmt: skip
    assert {(d.decided_by, d.recommendation) for d in decisions if d} == {("officer", False)}
    assert decisions[6] and decisions[6].custody_days == 20
    assert first.incentives == [
        (date(2024, 10, 1), "reduced_reporting"),
        (date(2024, 11, 1), "commendation"),
    ]
    assert (first.outcome, first.discharged_on) == ("successful", date(2024, 12, 31))

    # GB-1: the board's revocation ends the term; the officer's stays a recommendation.
    offence = second.violations["V1"]
    assert (offence.new_offence, offence.basis, offence.offence_type) == (
        "felony",
        "arrest",
        "violent",
    )
    assert [(r.response, r.decided_by) for r in offence.recommendations] == [
        ("revocation", "officer")
    ]
    assert offence.decision and (offence.decision.decided_by, offence.decision.custody_days) == (
        "parole_board",
        180,
    )
    assert (second.outcome, second.discharged_on) == ("revoked_new_offence", date(2024, 5, 20))
    assert second.revoked_by == "V1"
    # both dispositions after the term ended; the latest holds
    assert offence.dispositions == [(date(2024, 5, 25), "pending"), (date(2024, 9, 1), "convicted")]
    assert offence.disposition == "convicted"

    # GC-1: the court does not follow the officer's recommendation; the charge is dismissed.
    technical = third.violations["V1"]
    assert [r.response for r in technical.recommendations] == ["revocation"]
    assert technical.decision and (technical.decision.response, technical.decision.decided_by) == (
        "continuance",
        "court",
    )
    charge = third.violations["V2"]
    assert (charge.basis, charge.offence_type, charge.disposition) == (
        "charge",
        "property",
        "dismissed",
    )
    assert (third.outcome, third.revoked_by) == ("absconded", None)

    # the agency's wording stays beside the code
    events = json.loads(run("timeline", "GB-1", "--json").stdout)
    assert [e["type"] for e in events] == [
        "Enrolled",
        "ViolationRecorded",
        "ViolationResponded",
        "ViolationResponded",
        "DispositionRecorded",
        "DispositionRecorded",
    ]
    assert events[1]["data"]["new_offence"]["offence_type"] == {
        "code": "violent",
        "raw_text": "VIOL",
    }
    assert events[3]["data"]["decided_by"] == {"code": "parole_board", "raw_text": "PB"}
    assert events[3]["data"]["term_outcome"] == "revoked_new_offence"
    assert events[4]["data"]["disposition"] == {"code": "pending", "raw_text": "P"}


def refused(run, tmp_path: Path, rows: list[str], mapping: str = MAPPING) -> Result:  # type: ignore[no-untyped-def]
    """Imports `rows` after a first client is on the ledger; asserts nothing was written."""
    existing = import_rows(run, tmp_path, ["GZ-1,intake,2024-01-02,GZ,o-9,parole,,,,,,,"], "a")
    assert existing.exit_code == 0, existing.output
    before = recorded(run("export").stdout)
    result = import_rows(run, tmp_path, rows, "bad", mapping)
    assert "Traceback" not in result.output
    assert recorded(run("export").stdout) == before
    return result


def test_an_officers_revocation_decision_is_refused_naming_its_line_and_nothing_is_imported(
    run, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    rows = [*ROWS[:23], "GB-1,respond,2024-05-10,,,revocation,N1,,PO,N,,,", *ROWS[23:]]
    result = refused(run, tmp_path, rows)
    assert result.exit_code == 3, result.output
    assert (
        "bad.csv, line 25: respond GB-1: a revocation is decided by a court or a parole board"
    ) in result.stderr
    assert run("show", "GA-1").exit_code == 4  # not even the rows before it


# GB-1's intake (line 2) and offence N1 (line 3), then the bad row (line 4); a mapping without a
# codes table takes our codes only, so the offence's own row is bad there (line 3).
BAD_CODES = {
    "a disposition not in the mapping's codes": (
        MAPPING,
        ["GB-1,court,2024-05-25,,,X,N1,,,,,,"],
        "line 4, column 'code': 'X' is not in the mapping's codes.disposition",
    ),
    "a disposition that is not one of ours": (
        MAPPING.replace(
            'disposition = { column = "code", codes = "disposition" }', 'disposition = "code"'
        ),
        ["GB-1,court,2024-05-25,,,quashed,N1,,,,,,"],
        "line 4, column 'code': disposition GB-1: disposition: Input should be 'pending'",
    ),
    "a basis that is not one of ours": (
        MAPPING,
        ["GB-1,offence,2024-05-01,,,felony,N2,,,,suspicion,,"],
        "line 4, column 'basis': violation GB-1: new_offence.basis: Input should be 'arrest'",
    ),
    "an offence type that is not one of ours": (
        MAPPING.replace(
            'offence_type = { column = "otype", codes = "otype" }\n\n[kinds.respond]',
            'offence_type = "otype"\n\n[kinds.respond]',
        ),
        ["GB-1,offence,2024-05-01,,,felony,N1,,,,arrest,traffic,"],
        "line 3, column 'otype': violation GB-1: new_offence.offence_type: Input should be "
        "'violent', 'property', 'drug', 'public_order' or 'other'",
    ),
    "an incentive that is not one of ours": (
        MAPPING,
        ["GB-1,reward,2024-05-01,,,gift_card,,,,,,,"],
        "line 4, column 'code': incentive GB-1: kind: Input should be 'reduced_reporting'",
    ),
    "a recommendation neither yes nor no": (
        MAPPING,
        ["GB-1,respond,2024-05-10,,,revocation,N1,,PO,yse,,,"],
        "line 4, column 'rec': 'yse' is neither yes (Y, YES, TRUE, 1) nor no (N, NO, FALSE, 0, "
        "or blank)",
    ),
    "a deciding body that is not one of ours": (
        MAPPING.replace('decided_by = { column = "by", codes = "body" }', 'decided_by = "by"'),
        ["GB-1,respond,2024-05-10,,,revocation,N1,,judge,,,,"],
        "line 4, column 'by': respond GB-1: decided_by: Input should be 'officer', 'court' or "
        "'parole_board'",
    ),
    "a disposition of an incident not in the file": (
        MAPPING,
        ["GB-1,court,2024-05-25,,,P,N9,,,,,,"],
        "line 4, column 'id': disposition GB-1: no earlier violation 'N9'",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_CODES))
def test_an_unknown_code_names_its_line_and_column_and_nothing_is_imported(
    run, tmp_path: Path, name: str
) -> None:  # type: ignore[no-untyped-def]
    mapping, bad, message = BAD_CODES[name]
    before = ROWS[20:21] if "line 3" in message else ROWS[20:22]
    result = refused(run, tmp_path, [*before, *bad, *ROWS[22:]], mapping)
    assert result.exit_code == 2, result.output
    assert f"bad.csv, {message}" in result.stderr, result.stderr
    assert run("show", "GB-1").exit_code == 4


def test_an_officers_custody_sanction_stays_within_the_agencys_own_cap(
    run, tmp_path: Path, db_url: str
) -> None:  # type: ignore[no-untyped-def]
    ledger = Ledger(db_url)
    try:
        # below the default 14 / 30
        ledger.set_custody_caps("GA", 7, 21, actor="migrator", on=date(2020, 1, 1))
    finally:
        ledger.close()
    first = ["GA-1,intake,2024-01-02,GA,o-1,probation,,,,,,,", ROWS[1]]
    over = [*first, "GA-1,respond,2024-02-03,,,custody_sanction,T1,10,PO,,,,"]  # line 4
    result = refused(run, tmp_path, over)
    assert result.exit_code == 3, result.output
    assert (
        "bad.csv, line 4: respond GA-1: a custody sanction of 10 days for a first technical "
        "violation is over the agency's cap of 7 days"
    ) in result.stderr
    # the court may decide more; the officer may recommend it
    by_court = [*first, "GA-1,respond,2024-02-03,,,custody_sanction,T1,10,CT,,,,"]
    assert import_rows(run, tmp_path, by_court, "court").exit_code == 0
    recommended = [
        "GA-2,intake,2024-01-02,GA,o-1,probation,,,,,,,",
        "GA-2,breach,2024-02-01,,,failure_to_report,T1,,,,,,",
        "GA-2,respond,2024-02-03,,,custody_sanction,T1,10,PO,Y,,,",
    ]
    assert import_rows(run, tmp_path, recommended, "recommended").exit_code == 0


LEGACY_CLOSE = """
reference = "ref"
kind_column = "kind"

[kinds.close]
command = "discharge"
outcome = "code"
decision = { column = "id", ids = "ledger" }

[kinds.court]
command = "disposition"
violation = { column = "id", ids = "ledger" }
disposition = "code"
"""


def test_a_later_file_cites_the_ledgers_own_violation_ids(run, tmp_path: Path, db_url: str) -> None:  # type: ignore[no-untyped-def]
    ledger = Ledger(db_url)
    try:
        ledger.enroll("GA-9", actor="migrator", start=date(2024, 1, 2), agency="GA",
                      officer="o-1", supervision="parole")  # fmt: skip
        ledger.record_violation("GA-9", actor="migrator", on=date(2024, 3, 1),
                                technical=("curfew",))  # fmt: skip
        ledger.record_violation("GA-9", actor="migrator", on=date(2024, 3, 2),
                                new_offence="misdemeanor")  # fmt: skip
        # as the first round stored it: the officer's revocation, a decision that ended nothing
        client = ledger.get_client("GA-9")
        stamp = Stamp(on=date(2024, 3, 5), by="migrator", today=date.today())
        keep(client, next_event(client, ViolationResponded, stamp, violation_id="V1",
                                response=coded("revocation"), decided_by=coded("officer")))  # fmt: skip
        ledger.save_with_keys(client, {})
    finally:
        ledger.close()

    not_revoked = import_rows(
        run, tmp_path, ["GA-9,close,2024-03-20,,,revoked_technical,V2,,,,,,"], "bad", LEGACY_CLOSE
    )
    assert not_revoked.exit_code == 3, not_revoked.output
    assert "line 2: discharge GA-9: violation V2 of client 'GA-9' has no revocation decision" in (
        not_revoked.stderr
    )
    rows = [
        "GA-9,close,2024-03-20,,,revoked_technical,V1,,,,,,",  # carries out the legacy decision
        "GA-9,court,2024-06-01,,,dismissed,V2,,,,,,",  # after the term ended
    ]
    result = import_rows(run, tmp_path, rows, "later", LEGACY_CLOSE)
    assert result.exit_code == 0, result.output
    events = json.loads(run("timeline", "GA-9", "--json").stdout)
    assert events[-2]["data"]["decision"] == "V1"
    assert events[-2]["data"]["outcome"]["code"] == "revoked_technical"
    assert (events[-1]["data"]["violation_id"], events[-1]["data"]["disposition"]["code"]) == (
        "V2",
        "dismissed",
    )


def test_only_a_link_to_a_violation_or_referral_takes_ids(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mapping = LEGACY_CLOSE.replace('decision = { column = "id", ids = "ledger" }',
                                   'decision = { column = "id", ids = "theirs" }')  # fmt: skip
    result = import_rows(run, tmp_path, [], "bad", mapping)
    assert result.exit_code == 2
    assert "kinds.close.decision.ids is 'theirs'" in result.stderr
    outcome = LEGACY_CLOSE.replace(
        'outcome = "code"', 'outcome = { column = "code", ids = "ledger" }'
    )
    result = import_rows(run, tmp_path, [], "bad2", outcome)
    assert result.exit_code == 2
    assert "kinds.close.outcome.ids is 'ledger'" in result.stderr
