"""GET /api/reports/violations takes `window` and `exclude_dismissed` as `report violations`
takes --window and --exclude-dismissed, and answers the document the command prints."""

from __future__ import annotations

from datetime import date

from reentry_ledger.application import Ledger
from tests.server.test_operations_api import cli_json, error
from tests.serving import Served


def revoked_while_charged(ledger: Ledger) -> None:
    """GB-9: a charge on 1 Mar, later dismissed; a curfew breach on 20 Mar, revoked by the
    court on 1 Apr (31 days after the charge)."""
    ledger.enroll(
        "GB-9", actor="cw-gb", start=date(2025, 1, 10), agency="GB", officer="o-9",
        supervision="parole",
    )  # fmt: skip
    ledger.record_violation(
        "GB-9", actor="cw-gb", on=date(2025, 3, 1), new_offence="felony", basis="charge"
    )
    ledger.record_violation("GB-9", actor="cw-gb", on=date(2025, 3, 20), technical=("curfew",))
    ledger.respond_to_violation(
        "GB-9", "V2", "revocation", actor="cw-gb", on=date(2025, 4, 1), decided_by="court"
    )
    ledger.record_disposition("GB-9", "V1", "dismissed", actor="cw-gb", on=date(2025, 5, 1))


def test_the_window_and_dismissed_offences_set_aside_as_the_cli_takes_them(
    served: Served,
) -> None:
    revoked_while_charged(served.ledger)
    kinds = ("revocations_technical", "revocations_new_offence", "new_offences")
    for params, options, expected in (
        ({}, (), (0, 1, 1)),  # the charge is in the 365 days before the decision
        ({"window": 30}, ("--window", "30"), (1, 0, 1)),  # not in 30: the named breach
        ({"exclude_dismissed": "true"}, ("--exclude-dismissed",), (1, 0, 0)),
    ):
        answer = served.get("aud", "/api/reports/violations", params=params)
        assert answer.status_code == 200, answer.text
        printed = cli_json(served, "aud", "report", "violations", *options, "--format", "json")
        assert answer.json() == printed
        [group] = printed["groups"]
        assert tuple(group[kind] for kind in kinds) == expected, params


def test_a_window_of_no_days_is_refused(served: Served) -> None:
    status, kind, code, message = error(
        served.get("aud", "/api/reports/violations", params={"window": 0})
    )
    assert (status, kind, code) == (400, "invalid_input", 2) and "window" in message


def test_oversight_is_refused_another_window(served: Served) -> None:
    """Windows a day apart, compared, tell one revoked term's violations apart (ADR 18's
    differencing): oversight counts in the default window only, through the API too."""
    revoked_while_charged(served.ledger)
    status, kind, code, message = error(
        served.get("ovs", "/api/reports/violations", params={"window": 30})
    )
    assert (status, kind, code) == (403, "not_permitted", 3) and "--window" in message
    default = served.get("ovs", "/api/reports/violations", params={"window": 365})
    assert default.status_code == 200, default.text
