"""A caseload (`list_clients`: the web caseload page, `GET /api/clients`) reads only the clients
the projections, as they stand, ever put with the reader's agency, and every client with an
event they have not taken in (ADR 53, as the work list does): it read every client of the
ledger from its events, 47 s for a caseworker of an agency with no client in the
million-event demo. The caseload is the one read from every client, page by page."""

from __future__ import annotations

from unittest import mock

import pytest

from reentry_ledger.application import Ledger
from reentry_ledger.application.reads import Reads
from reentry_ledger.ingest.demo import build_demo
from reentry_ledger.projections.runner import ProjectionRunner
from tests.integration.test_work_list_candidates import moved_around_a_catch_up


@pytest.fixture
def demo(db_url: str) -> Ledger:
    ledger = Ledger(db_url)
    build_demo(ledger, clients=60, seed=11)
    ledger.add_user("aud", "auditor", None, actor="aud")
    for agency in ("AG1", "AG2", "AG9"):
        ledger.add_user(f"sup-{agency}", "supervisor", agency, actor="aud")
        ledger.add_user(f"cw-{agency}", "caseworker", agency, actor="aud")
    return ledger


def caseload(ledger: Ledger, actor: str, limit: int = 7) -> list[list[str]]:
    """Every page of `actor`'s caseload, as the references listed on each."""
    pages, after = [], 0
    while True:
        listed = ledger.list_clients(actor=actor, after=after, limit=limit)
        pages.append([client.ref for client in listed.clients])
        if listed.next_after is None:
            return pages
        after = listed.next_after


def read_from_every_client(ledger: Ledger, actor: str) -> list[list[str]]:
    with mock.patch.object(Reads, "listing_candidates", return_value=None):
        return caseload(ledger, actor)


def test_a_caseload_through_the_projections_is_the_one_read_from_every_client(
    demo: Ledger,
) -> None:
    ledger = demo
    moved_before, moved_after = caseload(ledger, "sup-AG1")[0][:2]
    moved_around_a_catch_up(ledger, moved_before, moved_after)
    for actor in ("sup-AG1", "cw-AG2", "cw-AG9", "aud"):
        assert caseload(ledger, actor) == read_from_every_client(ledger, actor), actor
    ag2 = [ref for page in caseload(ledger, "cw-AG2") for ref in page]
    assert {moved_before, moved_after} <= set(ag2)
    assert not {moved_before, moved_after} & {r for p in caseload(ledger, "cw-AG1") for r in p}
    assert caseload(ledger, "cw-AG9") == [[]]


def test_a_caseload_reads_only_the_clients_it_could_list(demo: Ledger) -> None:
    ledger = demo
    ProjectionRunner(ledger).catch_up()
    with mock.patch.object(ledger, "get_client", wraps=ledger.get_client) as read:
        assert caseload(ledger, "cw-AG9", limit=50) == [[]]  # an agency with no client
        assert read.call_count == 0
        listed = sum(map(len, caseload(ledger, "cw-AG2", limit=50)))
    assert 0 < listed <= read.call_count <= 15  # 12 clients began in AG2, of 60


def test_a_projection_past_the_head_of_the_log_is_not_asked(demo: Ledger) -> None:
    # a tracking position moved past the head (a damaged projection, `projections status`)
    # would take the events after it as taken in: a client enrolled since left off the list
    from tests.integration.test_projection_damage import move_position

    ledger = demo
    ProjectionRunner(ledger).catch_up()
    head = ProjectionRunner(ledger, workers=0).head()
    for name in ("clients", "status"):
        move_position(ledger, name, head + 500)
    ledger.enroll("AG2-NEW", actor="sup-AG2", agency="AG2", officer="o", supervision="parole",
                  start=ledger.clock())  # fmt: skip
    listed = [ref for page in caseload(ledger, "cw-AG2") for ref in page]
    assert "AG2-NEW" in listed
    assert caseload(ledger, "cw-AG2") == read_from_every_client(ledger, "cw-AG2")
