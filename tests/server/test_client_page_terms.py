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
