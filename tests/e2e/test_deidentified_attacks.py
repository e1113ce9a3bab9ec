"""Attacks on the de-identified export, each run as the oversight role that tried it, on both
backends: linking pseudonyms back to references, singling clients out by their
quasi-identifiers, and free text carried out in a coded-looking field."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections import Counter
from collections.abc import Callable

import pytest
from click.testing import Result

from reentry_ledger.domain.references import client_id

CLIENTS = 200
REFS = [f"DEMO-{number:07d}" for number in range(CLIENTS + 2)]
Run = Callable[..., Result]


@pytest.fixture
def demo(run: Run) -> Run:
    """A demo ledger, one client sealed, then an auditor and an oversight user."""
    assert run("demo", "--clients", str(CLIENTS), "--seed", "1").exit_code == 0
    assert run("seal", "DEMO-0000003", "--reason", "expungement order").exit_code == 0
    assert run("users", "add", "aud", "--role", "auditor").exit_code == 0
    assert run("users", "add", "ov", "--role", "oversight", actor="aud").exit_code == 0
    return run


def records(result: Result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def pseudonyms(result: Result) -> set[str]:
    return {record["client"] for record in records(result)}


def linked(released: set[str], keys: list[bytes]) -> set[str]:
    """The old attack: a keyed hash of each reference's name-based UUID (and plain hashes of
    the reference and its UUID), under every key the attacker could know."""
    guesses = set()
    for ref in REFS:
        for text in (str(client_id(ref)), ref):
            guesses.add("P-" + hashlib.sha256(text.encode()).hexdigest()[:20])
            for key in keys:
                guesses.add("P-" + hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:20])
    return guesses & released


def test_oversight_cannot_choose_the_pseudonym_key(demo: Run) -> None:
    refused = demo("export", "--deidentified", "--pseudonym-key", "k1", actor="ov")
    assert refused.exit_code == 2
    assert "--research-project" in refused.output and refused.stdout == ""
    by_env = demo("export", "--deidentified", actor="ov", REENTRY_LEDGER_PSEUDONYM_KEY="k1")
    assert by_env.exit_code == 2 and "REENTRY_LEDGER_PSEUDONYM_KEY" in by_env.output


def test_no_pseudonym_links_back_to_a_reference_sealed_ones_included(demo: Run) -> None:
    released = pseudonyms(demo("export", "--deidentified", "--k-anonymity", "5", actor="ov"))
    research = pseudonyms(demo("export", "--deidentified", "--research-project", "recid",
                               "--k-anonymity", "1", actor="aud"))  # fmt: skip
    assert len(research) == CLIENTS  # every client, the sealed one too
    keys = [b"k1", b"", b"recid", b"research:recid", b"pseudonyms"]
    assert linked(released, keys) == set()
    assert linked(research, keys) == set()


def test_pseudonyms_rotate_per_export_unless_a_research_project_is_named(demo: Run) -> None:
    first = pseudonyms(demo("export", "--deidentified", actor="ov"))
    second = pseudonyms(demo("export", "--deidentified", actor="ov"))
    assert first and second and not first & second
    project = ("export", "--deidentified", "--research-project", "recid-2025")
    stable = pseudonyms(demo(*project, actor="aud"))
    assert stable == pseudonyms(demo(*project, actor="aud"))
    other = ("export", "--deidentified", "--research-project", "another")
    assert not stable & pseudonyms(demo(*other, actor="aud"))
    assert not stable & first


def histories_in_order(result: Result) -> list[list[tuple]]:
    """Each client's records without its pseudonym, clients in the order the file gives them."""
    clients: dict[str, list[tuple]] = {}
    for record in records(result):
        history = clients.setdefault(record["client"], [])
        history.append((record["number"], record["type"], record["month"], str(record["data"])))
    return list(clients.values())


def test_two_exports_cannot_be_linked_by_the_order_of_their_lines(demo: Run) -> None:
    """Records in recorded order made line N the same client in every export (and, with the
    order of enrolment, named it): the order is now that of each export's own pseudonyms."""
    first = histories_in_order(demo("export", "--deidentified", actor="ov"))
    second = histories_in_order(demo("export", "--deidentified", actor="ov"))
    assert len(first) == len(second) > 20
    same_place = sum(a == b for a, b in zip(first, second, strict=True))
    assert same_place < len(first) // 4, f"{same_place} of {len(first)} clients kept their place"
    assert sorted(map(str, first)) == sorted(map(str, second))  # the same clients, reordered


def test_oversight_may_not_name_a_research_project(demo: Run) -> None:
    refused = demo("export", "--deidentified", "--research-project", "recid", actor="ov")
    assert refused.exit_code == 3 and refused.stdout == ""


def released_combinations(lines: list[dict]) -> Counter[tuple]:
    """Each client's quasi-identifiers as the export shows them: its enrolment's fields and
    month, and the months its terms ended (its discharges and revocation decisions)."""
    combination: dict[str, tuple] = {}
    for record in lines:
        data = record["data"]
        if record["type"] == "Enrolled":
            conditions = tuple(data["conditions"]) if data["conditions"] is not None else None
            combination[record["client"]] = (
                data["agency"], data["supervision"], data["juvenile"], record["month"],
                data["expected_end"], conditions, data["condition_count"],
            )  # fmt: skip
        elif record["type"] == "Discharged" or (
            record["type"] == "ViolationResponded" and record["data"]["term_outcome"]
        ):
            combination[record["client"]] += (record["month"],)
    return Counter(combination.values())


SUMMARY = re.compile(r"k achieved: (\d+); generalised: (\d+) records; suppressed: (\d+) clients")


@pytest.mark.parametrize(("asked", "k"), [((), 5), (("--k-anonymity", "2"), 5),
                                          (("--k-anonymity", "7"), 7)])  # fmt: skip
def test_every_released_combination_holds_k_clients(demo: Run, asked: tuple, k: int) -> None:
    result = demo("export", "--deidentified", *asked, actor="ov")
    lines = records(result)
    groups = released_combinations(lines)
    assert groups and min(groups.values()) >= k
    summary = SUMMARY.search(result.stderr)
    assert summary is not None, result.stderr
    achieved, generalised, suppressed = map(int, summary.groups())
    assert achieved == min(groups.values())
    assert suppressed == CLIENTS - sum(groups.values())
    coarse = {r["client"] for r in lines if r["type"] == "Enrolled"
              and (len(r["month"]) != 7 or r["data"]["conditions"] is None)}  # fmt: skip
    assert generalised == sum(r["client"] in coarse for r in lines) > 0


def test_an_auditor_may_lower_k_and_sees_every_client(demo: Run) -> None:
    result = demo("export", "--deidentified", "--k-anonymity", "1", actor="aud")
    assert sum(released_combinations(records(result)).values()) == CLIENTS
    assert "generalised: 0 records; suppressed: 0 clients" in result.stderr


@pytest.fixture
def free_text(run: Run) -> Run:
    """Five clients alike, each assessed with a name and birth date typed as the instrument."""
    for number in range(1, 6):
        ref = f"GA-{number}"
        enrolled = run("enroll", ref, "--agency", "GA", "--officer", "o-1", "--supervision",
                       "parole", "--start", "2024-01-10")  # fmt: skip
        assert enrolled.exit_code == 0
        assessed = run("assess", ref, "--on", "2024-01-15", "--instrument",
                       "J. Q. DOB 1980-02-03", "--risk", "high")  # fmt: skip
        assert assessed.exit_code == 0
    assert run("assess", "GA-1", "--on", "2024-01-16", "--instrument", "LSI-R",
               "--risk", "high").exit_code == 0  # fmt: skip
    assert run("users", "add", "aud", "--role", "auditor").exit_code == 0
    assert run("users", "add", "ov", "--role", "oversight", actor="aud").exit_code == 0
    return run


def test_free_text_in_a_coded_looking_field_leaves_as_other(free_text: Run) -> None:
    result = free_text("export", "--deidentified", actor="ov")
    assert "J. Q." not in result.stdout and "1980" not in result.stdout
    instruments = [r["data"]["instrument"] for r in records(result) if r["type"] == "Assessed"]
    assert sorted(instruments) == ["LSI-R"] + ["other"] * 5
