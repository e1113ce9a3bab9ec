"""A ledger written before terms existed (by the release before them: its export and its
published digest are kept in tests/fixtures) keeps working: it verifies against that digest,
its enrolments read as term 1, and its clients can start a second term."""

from __future__ import annotations

import json
from pathlib import Path

from reentry_ledger.reports.violations import DEFINITIONS_VERSION

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXPORT = FIXTURES / "ledger-before-terms.jsonl"
DIGEST = FIXTURES / "ledger-before-terms.digest"


def restored(run) -> None:  # type: ignore[no-untyped-def]
    result = run("import", str(EXPORT), "--format", "jsonl", actor="legacy")
    assert result.exit_code == 0, result.output


def test_an_old_ledger_verifies_against_the_digest_published_before_terms(run) -> None:  # type: ignore[no-untyped-def]
    restored(run)
    result = run("verify", "--against", str(DIGEST), actor="legacy")
    assert result.exit_code == 0, result.output
    assert "matches the digest at position 7" in result.output


def test_old_enrolments_read_as_term_one_with_nothing_known_of_the_person(run) -> None:  # type: ignore[no-untyped-def]
    restored(run)
    timeline = json.loads(run("timeline", "GA-1", "--json", actor="legacy").stdout)
    enrolled = timeline[0]["data"]
    assert enrolled["person"] == {"sex": None, "race": None, "ethnicity": None,
                                  "birth_year": None}  # fmt: skip
    assert enrolled["start_reason"] is None
    report = json.loads(
        run(
            "report",
            "violations",
            "--by",
            "term",
            "--to",
            "2023-12-31",
            "--format",
            "json",
            actor="legacy",
        ).stdout
    )
    assert [group["term"] for group in report["groups"]] == ["first"]
    assert report["definitions_version"] == DEFINITIONS_VERSION


def test_a_client_discharged_before_terms_existed_starts_a_second_term(run) -> None:  # type: ignore[no-untyped-def]
    restored(run)
    again = run("enroll", "GA-1", "--agency", "GA", "--officer", "o-9", "--supervision",
                "probation", "--start", "2024-02-01", actor="legacy")  # fmt: skip
    assert again.exit_code == 0, again.output
    open_term = run("enroll", "GB-1", "--agency", "GB", "--officer", "o-2", "--supervision",
                    "probation", "--start", "2024-02-01", actor="legacy")  # fmt: skip
    assert open_term.exit_code == 3
    assert "still under supervision" in open_term.output
    assert run("verify", actor="legacy").exit_code == 0
