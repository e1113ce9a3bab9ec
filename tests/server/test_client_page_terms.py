"""The client's web page says what `show` says of the current term: its number, status (with
any custody or absconding), level, officer and agency, conditions and periods, and who the
person is."""

from __future__ import annotations

from datetime import date

from tests.server.test_pages import signed_in, text_of
from tests.serving import Served


def test_the_client_page_shows_the_term_as_show_does(served: Served) -> None:
    ledger = served.ledger
    ledger.enroll("GA-1", actor="cw-ga", start=date(2025, 1, 2), agency="GA", officer="o-1",
                  supervision="parole", sex="male", birth_year=1970)  # fmt: skip
    ledger.discharge("GA-1", actor="cw-ga", on=date(2025, 3, 1), outcome="successful")
    ledger.enroll("GA-1", actor="cw-ga", start=date(2025, 4, 1), agency="GA", officer="o-2",
                  supervision="probation", conditions=("curfew",), start_reason="new_sentence")  # fmt: skip
    ledger.change_level("GA-1", actor="cw-ga", on=date(2025, 4, 2), level="low")
    ledger.reassign("GA-1", actor="cw-ga", on=date(2025, 4, 3), officer="o-3")
    ledger.start_custody("GA-1", actor="cw-ga", on=date(2025, 5, 1), reason="jail_hold")
    page = text_of(signed_in(served, "cw-ga").get("/clients/GA-1"))
    assert "Person sex male, race unknown, ethnicity unknown, born 1970" in page
    assert "Term 2 (of 2) from 2025-04-01, start reason new_sentence" in page
    assert "Status in custody (jail_hold) since 2025-05-01" in page
    assert "Agency GA, officer o-3" in page
    assert "Level low" in page
    assert "Conditions curfew" in page
    assert "Periods in custody (jail_hold) since 2025-05-01 " in page


def test_the_agency_a_client_left_learns_nothing_of_what_the_new_one_records(
    served: Served,
) -> None:
    """The agency a client moved away from reads the record as it stood at the move; the
    number a write's If-Match carries (the API's ETag, the page's forms) was the whole
    record's last event, which grew with every event the new agency recorded."""
    ledger = served.ledger
    ledger.enroll("GA-7", actor="cw-ga", start=date(2025, 1, 2), agency="GA", officer="o-1",
                  supervision="parole")  # fmt: skip
    ledger.reassign("GA-7", actor="sup-ga", on=date(2025, 2, 1), officer="o-9", agency="GB")
    before = served.get("cw-ga", "/api/clients/GA-7")
    page_before = signed_in(served, "cw-ga").get("/clients/GA-7").text
    for day in (3, 4, 5):
        ledger.log_contact("GA-7", actor="cw-gb", on=date(2025, 2, day), note="GB's own")
    after = served.get("cw-ga", "/api/clients/GA-7")
    page_after = signed_in(served, "cw-ga").get("/clients/GA-7").text
    assert before.status_code == after.status_code == 200
    assert "ETag" not in after.headers and after.json() == before.json()
    assert 'name="expected"' not in page_after  # no forms: GA's writes would be refused
    assert page_after.count("GB's own") == page_before.count("GB's own") == 0
    holder = served.get("cw-gb", "/api/clients/GA-7")
    assert holder.headers["ETag"] == '"5"'  # the agency holding it still gets its number
