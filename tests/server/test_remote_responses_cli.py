"""Issue 17's commands through the server (REENTRY_LEDGER_URL): a recommendation, a refused
officer's revocation, an incentive, a court's decision that ends the term (and says so), a
refused discharge after it, a disposition after the term, and an agency's custody caps print
the same, and exit alike, as from the database."""

from __future__ import annotations

from tests.server.test_remote_cli import both_write, local, same, twins
from tests.serving import Live

ON = ("--on", "2025-06-01")


def test_responses_dispositions_and_incentives_confirm_the_same_through_the_server(
    live: Live,
) -> None:
    twins(live.ledger)
    violation = both_write(live, "cw-ga", "violation", "{ref}", *ON, "--new-offence", "felony",
                           "--basis", "charge", "--offence-type", "drug", code=0)  # fmt: skip
    assert violation.stdout == "V1\n"
    both_write(live, "cw-ga", "respond", "{ref}", "V1", "revocation", *ON, code=3)  # the officer's
    both_write(live, "cw-ga", "respond", "{ref}", "V1", "revocation", *ON, "--recommendation",
               code=0)  # fmt: skip
    both_write(live, "cw-ga", "incentive", "{ref}", *ON, "--kind", "commendation", code=0)
    decided = both_write(live, "cw-ga", "respond", "{ref}", "V1", "revocation", "--on",
                         "2025-06-10", "--by", "court", code=0)  # fmt: skip
    assert decided.stderr.replace("GA-3", "REF").splitlines()[1] == (
        "Note: term 1 of client 'REF' ended on 2025-06-10: revoked_new_offence (the revocation "
        "decision on V1, attributed to the term's most serious violation in the 365 days before "
        "it); a reinstatement is the correction of event 5"
    )
    both_write(live, "cw-ga", "discharge", "{ref}", "--on", "2025-06-11", "--outcome",
               "successful", code=3)  # fmt: skip
    both_write(live, "cw-ga", "disposition", "{ref}", "V1", "dismissed", "--on", "2025-07-01",
               code=0)  # fmt: skip
    state = [
        local(live, "cw-ga", "show", ref).stdout.replace(ref, "REF") for ref in ("GA-3", "GA-4")
    ]
    assert state[0] == state[1]
    assert (
        "status       revoked (revoked_new_offence on 2025-06-10, by the decision on V1)\n"
        in (state[0])
    )
    same(live, "cw-ga", "timeline", "GA-4", code=0)
    same(live, "cw-ga", "show", "GA-4", "--json", code=0)


def test_custody_caps_print_the_same_through_the_server(live: Live) -> None:
    shown = same(live, "cw-ga", "custody-caps", "GA", code=0)
    assert "(the defaults: the agency has set none)" in shown.stdout
    same(live, "cw-ga", "custody-caps", "GA", "--first", "5", "--later", "9", code=3)
    same(live, "ovs", "custody-caps", "GA", code=3)
    same(live, "sup-ga", "custody-caps", "GA", "--first", "5", "--later", "9", code=0)
    same(live, "sup-ga", "custody-caps", "GA", "--first", "9", "--later", "5", code=2)
    caps = same(live, "aud", "custody-caps", "GA", "--json", code=0)
    assert '"first": 5' in caps.stdout and '"agency_set": true' in caps.stdout
