"""A report's counts kept part by part of the clients (ADR 33, "Later"): asked again after new
events, only the parts holding their clients are counted, the rest read back, with the figures
counting every client gives. A part is current only while none of its clients has an event
since, read from the event log: a page written deletes the parts of its clients where an event
could change an earlier day than its own (so a seal caught up leaves no count made while the
client was known) and leaves the others to be mended (ADR 38); a clear deletes them all."""

from __future__ import annotations

import contextlib
import random
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any
from unittest import mock

import pytest

from reentry_ledger.application import Ledger
from reentry_ledger.domain.errors import RuleViolated
from reentry_ledger.ingest.demo import build_demo
from reentry_ledger.ledger_secrets import PROJECTION_IDS, LedgerSecrets
from reentry_ledger.projections.base import keyed_client_id
from reentry_ledger.projections.catalogue import projection_named
from reentry_ledger.projections.runner import ProjectionRunner
from reentry_ledger.projections.store import ANSWER_PARTS, ProjectionStore
from reentry_ledger.reports import answers, tallies
from reentry_ledger.reports.service import Reports
from reentry_ledger.reports.violations import ReportRequest
from tests.builders import START, TODAY, execute, kept_parts
from tests.reference_report import counted_afresh


@pytest.fixture(autouse=True)
def parted() -> Iterator[None]:
    """Reports on these small ledgers counted part by part, as past `PARTS_FROM` events."""
    with mock.patch.object(tallies, "PARTS_FROM", 0):
        yield


def ask(ledger: Ledger, *by: str, **asked: Any) -> Any:
    return Reports(ledger, "jdoe").violations(ReportRequest(today=TODAY, by=by, **asked))["groups"]


@contextlib.contextmanager
def parts_counted() -> Iterator[list[str]]:
    """The parts the reports inside count (in order)."""
    counted: list[str] = []
    real = tallies.part_ranges

    def spy(parts: list[str]) -> list[tallies.ClientRange]:
        counted.extend(parts)
        return real(parts)

    with mock.patch.object(tallies, "part_ranges", spy):
        yield counted


def demo(ledger: Ledger) -> Ledger:
    build_demo(ledger, clients=40, seed=3)
    ProjectionRunner(ledger).catch_up()
    return ledger


def record_violation(ledger: Ledger, first: int = 1) -> str:
    """A technical violation of the first demo client, from number `first`, still supervised;
    its fine part (the first two characters of its id as the projections key it)."""
    for n in range(first, 41):
        with contextlib.suppress(RuleViolated):  # discharged by then
            ledger.record_violation(
                f"DEMO-{n:07d}", actor="t", on=date(2025, 12, 1), technical=("curfew",)
            )
            client = ledger.get_client(f"DEMO-{n:07d}").id
            return keyed_client_id(LedgerSecrets(ledger).secret(PROJECTION_IDS), client)[:2]
    raise AssertionError("no demo client to record a violation for")


def parts_of(rows: list[tuple[Any, ...]]) -> set[str]:
    return {row[1] for row in rows}


def runs_of(parts: list[str]) -> int:
    """How many runs of consecutive parts `parts` (in order) make."""
    numbers = [int(part, 16) for part in parts]
    return sum(1 for n, number in enumerate(numbers) if n == 0 or number != numbers[n - 1] + 1)


@pytest.mark.parametrize(
    ("by", "period", "everyone"),
    [
        (("agency",), "quarter", answers.PARTS),  # some hundreds of groups: 16 parts
        (("risk",), None, answers.FINE_PARTS),  # a few: 256, each 1/256 of the clients
        ((), "year", answers.FINE_PARTS),
    ],
)
def test_after_new_events_a_report_counts_only_the_parts_of_their_clients(
    ledger: Ledger, by: tuple[str, ...], period: str | None, everyone: tuple[str, ...]
) -> None:
    demo(ledger)
    with parts_counted() as first:
        before = ask(ledger, *by, period=period)
    assert sorted(first) == list(everyone)  # every part counted, each kept
    assert parts_of(kept_parts(ledger)) == {*everyone, ""}  # and the whole beside them (ADR 39)

    fine = record_violation(ledger)
    ProjectionRunner(ledger).catch_up()
    # the part of the client recorded for is left, to be counted again (from the violation's
    # period, where the report is split by period: ADR 38)
    assert parts_of(kept_parts(ledger)) == {*everyone, ""}
    with parts_counted() as counted:
        after = ask(ledger, *by, period=period)
    assert counted == [fine[: len(everyone[0])]]
    with counted_afresh():
        assert after == ask(ledger, *by, period=period)
    assert after != before
    assert parts_of(kept_parts(ledger)) == {*everyone, ""}  # kept again, the new one too


@pytest.mark.parametrize("fine_groups", [tallies.FINE_GROUPS, 0])  # 256 parts, then 16
def test_a_seal_caught_up_deletes_the_parts_that_counted_the_client(
    ledger: Ledger, fine_groups: int
) -> None:
    # An operator reading the database after a seal and its catch-up (no report since) finds
    # no part counted while the client's race was on the record, of either length; the other
    # parts stay
    with mock.patch.object(tallies, "FINE_GROUPS", fine_groups):
        sealed_and_caught_up(ledger)


def sealed_and_caught_up(ledger: Ledger) -> None:
    for ref, race, born in (("GA-1", "asian", 1980), ("GA-2", "white", 1990)):
        ledger.enroll(ref, actor="jdoe", start=START, agency="GA", officer="o-17",
                      supervision="parole", race=race, birth_year=born)  # fmt: skip
    ProjectionRunner(ledger).catch_up()
    groups = ask(ledger, "race", last=date(2025, 1, 19))
    assert [g["race"] for g in groups] == ["asian", "white"]
    assert "asian" in str(kept_parts(ledger))
    others = [row for row in kept_parts(ledger) if "asian" not in str(row)]

    ledger.seal("GA-1", actor="jdoe", reason="court order 12")
    ProjectionRunner(ledger).catch_up()
    assert "asian" not in str(kept_parts(ledger))
    assert kept_parts(ledger) == others
    with parts_counted() as counted:
        groups = ask(ledger, "race", last=date(2025, 1, 19))
    assert len(counted) == 1
    assert [g["race"] for g in groups] == ["unknown", "white"]
    with counted_afresh():
        assert groups == ask(ledger, "race", last=date(2025, 1, 19))


def test_a_page_written_without_deleting_parts_is_found_in_the_event_log(ledger: Ledger) -> None:
    # a catch-up by a version that knew nothing of parts (it empties only the whole answers)
    demo(ledger)
    ask(ledger, "risk")
    record_violation(ledger)
    real = ProjectionStore.forget_answers

    def whole_only(
        store: ProjectionStore, cursor: Any, parts: Any = None, topics: Any = ()
    ) -> None:
        real(store, cursor, ())  # the whole answers, no part

    with mock.patch.object(ProjectionStore, "forget_answers", whole_only):
        ProjectionRunner(ledger).catch_up()
    assert parts_of(kept_parts(ledger)) == {*answers.FINE_PARTS, ""}  # none deleted
    with parts_counted() as counted:
        after = ask(ledger, "risk")
    assert len(counted) == 1  # the part of the client recorded for, found in the log
    with counted_afresh():
        assert after == ask(ledger, "risk")


def test_a_rebuild_deletes_every_part(ledger: Ledger) -> None:
    demo(ledger)
    ask(ledger, "risk")
    assert kept_parts(ledger)
    ProjectionRunner(ledger).rebuild(["violations"])
    assert kept_parts(ledger) == []
    with parts_counted() as counted:
        ask(ledger, "risk")
    assert sorted(counted) == list(answers.FINE_PARTS)


@pytest.mark.parametrize("name", ["violations", "clients", "status"])
def test_parts_counted_while_a_projection_was_built_from_empty_are_counted_again(
    ledger: Ledger, name: str
) -> None:
    # a rebuild stages its rows out of sight and has no position until it puts them in
    # place: a report (in another process, caught up just before the rebuild began) counted
    # its empty tables meanwhile; its parts must not be read back once the build is in place
    demo(ledger)
    ProjectionStore(ledger).clear(projection_named(name))

    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("interrupted")

    with (
        mock.patch.object(ProjectionStore, "finish_build", interrupted),
        contextlib.suppress(RuntimeError),
    ):
        ProjectionRunner(ledger, page_size=10, stage_from=1, workers=0).catch_up()
    with mock.patch.object(Reports, "catch_up", lambda self: None):
        ask(ledger, "agency")
    ProjectionRunner(ledger, page_size=10, stage_from=1, workers=0).catch_up()  # in place
    found = ask(ledger, "agency")
    with counted_afresh():
        assert found == ask(ledger, "agency")


def test_parts_kept_at_other_versions_or_clears_are_counted_again(ledger: Ledger) -> None:
    # the parts' rows say they were kept at another clear of a projection (a rebuild by a
    # process that deleted no part): every part is counted again, none read back
    demo(ledger)
    expected = ask(ledger, "risk")
    execute(ledger, f"UPDATE {{{ANSWER_PARTS}}} SET standing = 'another'", [ANSWER_PARTS])
    execute(ledger, "UPDATE {audit_violations} SET category = 'technical'", ["audit_violations"])
    execute(ledger, "DELETE FROM {report_kept_answers}", ["report_kept_answers"])
    with parts_counted() as counted:
        damaged = ask(ledger, "risk")
    assert sorted(counted) == list(answers.FINE_PARTS)
    assert damaged != expected  # counted from the rows as they stand, not read back


def test_a_page_landing_while_parts_are_counted_counts_every_client_again(
    ledger: Ledger, db_url: str
) -> None:
    # the kept parts were read; before the others are counted, another process records and
    # catches up a client of a part read back: the report gives the figures of one state
    demo(ledger)
    ask(ledger, "agency")
    fine = record_violation(ledger)
    ProjectionRunner(ledger).catch_up()
    real, calls = tallies.consistent_rows, iter(range(100))

    def page_meanwhile(*args: Any, **kwargs: Any) -> Any:
        if next(calls) == 0:
            other = Ledger(db_url, clock=lambda: TODAY)
            for first in range(2, 41):  # another client's: in another part, as a rule
                another = record_violation(other, first)
                ProjectionRunner(other).catch_up()
                if another != fine:
                    break
            other.close()
        return real(*args, **kwargs)

    with mock.patch.object(tallies, "consistent_rows", page_meanwhile):
        found = ask(ledger, "agency")
    with counted_afresh():
        assert found == ask(ledger, "agency")


def test_a_report_with_many_groups_is_kept_whole_not_by_part(ledger: Ledger) -> None:
    demo(ledger)
    with mock.patch.object(tallies, "PART_GROUPS", 10):
        with parts_counted() as counted:
            ask(ledger, "officer", period="month")
        assert counted == []
    # no part of the clients: the whole only, as the part of every client (a report split by
    # period, to be mended after new events: ADR 37)
    assert [row[1] for row in kept_parts(ledger)] == [""]
    with mock.patch.object(answers, "PART_GROUPS_MOST", 1):
        ask(ledger, "agency")  # counted by part, too many groups to keep each part's
    assert [row[1] for row in kept_parts(ledger)] == [""]  # none of its own


def test_only_the_parts_of_the_latest_answers_are_kept(ledger: Ledger) -> None:
    demo(ledger)
    with mock.patch.object(answers, "PARTS_MOST", 1):
        ask(ledger, "agency")
        ask(ledger, "risk")
        assert len({row[0] for row in kept_parts(ledger)}) == 1  # the digest of the latest
        record_violation(ledger)
        ProjectionRunner(ledger).catch_up()
        with parts_counted() as counted:
            ask(ledger, "risk")
        assert len(counted) == 1  # the parts of the latest read back
        with parts_counted() as counted:
            ask(ledger, "agency")
        assert sorted(counted) == list(answers.FINE_PARTS)  # let go: counted again


def within(client: str, ranges: list[tallies.ClientRange]) -> bool:
    return any(
        (low is None or client >= low) and (high is None or client < high) for low, high in ranges
    )


@pytest.mark.parametrize("everyone", [answers.PARTS, answers.FINE_PARTS])
def test_every_id_falls_in_the_range_of_its_part_and_no_other(everyone: tuple[str, ...]) -> None:
    for _ in range(2_000):
        client = str(uuid.uuid4())
        found = [part for part in everyone if within(client, tallies.part_ranges([part]))]
        assert found == [client[: len(everyone[0])]]


def test_the_ranges_of_some_parts_hold_their_ids_in_few_ranges() -> None:
    # the parts a report counts again after new events: runs of consecutive parts in one range,
    # and no more than MOST_RANGES ranges (the parts between the nearest runs counted too)
    randomly = random.Random(19)
    for everyone in (answers.PARTS, answers.FINE_PARTS):
        assert tallies.part_ranges(list(everyone)) == [(None, None)]
        for _ in range(200):
            chosen = sorted(randomly.sample(everyone, randomly.randint(1, len(everyone))))
            ranges = tallies.part_ranges(chosen)
            assert len(ranges) <= min(len(chosen), tallies.MOST_RANGES)
            runs = runs_of(chosen)
            for _ in range(50):
                client = str(uuid.uuid4())
                if client[: len(everyone[0])] in chosen:
                    assert within(client, ranges)
                elif runs <= tallies.MOST_RANGES:  # not joined: those parts alone
                    assert not within(client, ranges)


def test_ranges_are_cut_where_the_side_by_side_ranges_are() -> None:
    sides = tallies.id_ranges(3)  # cut at 55 and aa: inside the parts 5 and a
    assert tallies.cut_at([(None, None)], sides) == sides
    assert tallies.cut_at([("4", "b"), ("c", None)], sides) == [("4", "55"), ("55", "aa"),
                                                                ("aa", "b"), ("c", None)]  # fmt: skip
    assert tallies.cut_at([("55", "56")], sides) == [("55", "56")]
    # no empty range: the ids of the part 8 start at 80
    assert tallies.cut_at([("8", "9")], tallies.id_ranges(2)) == [("8", "9")]
    assert tallies.cut_at([("4", "6"), ("c", "d")], tallies.id_ranges(8)) == [
        ("4", "6"), ("c", "d")]  # fmt: skip


def test_a_part_counted_alone_is_halved_to_run_side_by_side() -> None:
    # after one event, one part is counted again: over two ranges on two processors, which
    # hold its ids and no other part's
    assert tallies.spread([("3", "4")], 2) == [("3", "38"), ("38", "4")]
    assert tallies.spread([(None, "1")], 4) == [(None, "040"), ("040", "08"), ("08", "0c0"),
                                                ("0c0", "1")]  # fmt: skip
    assert tallies.spread([("f", None), ("1", "2")], 2) == [("f", None), ("1", "2")]
    for _ in range(2_000):
        client = str(uuid.uuid4())
        for part in ("0", "7", "f", "a3"):
            halves = tallies.spread(tallies.part_ranges([part]), 2)
            assert [within(client, [half]) for half in halves].count(True) == (
                1 if client.startswith(part) else 0
            )


def statements_run() -> Any:
    """A spy on the statements a report runs: each call's count, in order."""
    counts: list[int] = []
    real = tallies.consistent_rows

    def spy(store: Any, asked: Any, *args: Any, **kwargs: Any) -> Any:
        counts.append(len(asked))
        return real(store, asked, *args, **kwargs)

    return counts, mock.patch.object(tallies, "consistent_rows", spy)


def test_many_scattered_parts_are_counted_over_few_ranges(ledger: Ledger) -> None:
    # after events of clients in parts far apart, the parts are not counted a range each
    # (each range costs its statements' fixed work): at most MOST_RANGES, then cut where the
    # side-by-side ranges are, and the figures are those of counting every client
    demo(ledger)
    ask(ledger, "risk")
    for first in range(1, 30, 3):
        record_violation(ledger, first)
    ProjectionRunner(ledger).catch_up()
    counts, spying = statements_run()
    with mock.patch.object(tallies, "MOST_RANGES", 2), spying, parts_counted() as counted:
        after = ask(ledger, "risk")
    sides = len(tallies.client_parts(ProjectionStore(ledger)))
    runs = runs_of(counted)
    assert runs > 2  # more runs of parts than ranges allowed
    assert len(counts) == 1 and counts[0] <= 2 * (2 + sides - 1)  # two statements a range
    with counted_afresh():
        assert after == ask(ledger, "risk")


PARTS_FROM = tallies.PARTS_FROM  # as a build past which reports are parted has it


@contextlib.contextmanager
def build(parts: str) -> Iterator[None]:
    """A build that keeps a report by 256 parts ("fine"), by 16 ("coarse") or whole."""
    with (
        mock.patch.object(tallies, "PARTS_FROM", PARTS_FROM if parts == "whole" else 0),
        mock.patch.object(tallies, "FINE_GROUPS", 0 if parts == "coarse" else tallies.FINE_GROUPS),
    ):
        yield


@pytest.mark.parametrize(("first", "second"), [("fine", "coarse"), ("coarse", "fine"),
                                               ("fine", "whole"), ("whole", "coarse")])  # fmt: skip
def test_a_part_left_to_be_mended_is_not_taken_as_current_by_another_builds_answer(
    ledger: Ledger, first: str, second: str
) -> None:
    """Two builds (a rolling deploy that parts a report otherwise) ask the same report. A
    violation leaves the first build's part of its client to be mended (ADR 38); the second
    build keeps its own answer; after a violation of another client, the first build asks
    again. The review found the second build's answer stamping every part of the report as
    current at its state, the first build's stale part among them, which was then read back
    (the first violation missing from its quarter)."""
    demo(ledger)
    with build(first):
        ask(ledger, period="quarter")
    x, y = apart(ledger)
    for client, asking in ((x, second), (y, first)):
        ledger.record_violation(client, actor="t", on=TODAY, technical=("curfew",))
        ProjectionRunner(ledger).catch_up()
        with build(asking):
            found = ask(ledger, period="quarter")
        with counted_afresh():
            assert found == ask(ledger, period="quarter")


def apart(ledger: Ledger) -> tuple[str, str]:
    """Two demo clients still supervised, in different parts (of either length)."""
    secret = LedgerSecrets(ledger).secret(PROJECTION_IDS)
    found: dict[str, str] = {}  # by part: a client in it
    for n in range(1, 41):
        client = ledger.get_client(f"DEMO-{n:07d}")
        if not client.state.is_discharged:
            found.setdefault(keyed_client_id(secret, client.id)[:1], f"DEMO-{n:07d}")
    assert len(found) > 1, "no two clients in different parts"
    return found[min(found)], found[max(found)]


@pytest.mark.parametrize("fine_first", [True, False])
def test_parts_kept_by_a_build_that_cut_them_otherwise_are_not_read_back(
    ledger: Ledger, fine_first: bool
) -> None:
    # two builds that part the same report differently (a rolling deploy that changes how
    # few groups make fine parts): the other's parts are counted again, never added to these
    demo(ledger)
    fine, coarse = (
        mock.patch.object(tallies, "FINE_GROUPS", 60),
        mock.patch.object(tallies, "FINE_GROUPS", 0),
    )
    first, then = (fine, coarse) if fine_first else (coarse, fine)
    with first:
        ask(ledger, "risk")
    record_violation(ledger)
    ProjectionRunner(ledger).catch_up()
    with then:
        found = ask(ledger, "risk")
    with counted_afresh():
        assert found == ask(ledger, "risk")


def test_most_parts_counted_again_run_side_by_side(ledger: Ledger) -> None:
    # 15 of 16 parts counted again: in as many ranges as a whole count, cut where its
    # side-by-side ranges are (three processors: at 55 and aa), not in two long ones
    demo(ledger)
    ranges: list[tallies.ClientRange] = []
    real = tallies.Query.of_clients

    def spy(query: tallies.Query, clients: tallies.ClientRange) -> Any:
        ranges.append(clients)
        return real(query, clients)

    with mock.patch.object(tallies, "processors", lambda: 3):
        ask(ledger, "agency", period="quarter")  # 16 parts
        kept = sorted(parts_of(kept_parts(ledger)))
        execute(ledger, f"DELETE FROM {{{ANSWER_PARTS}}} WHERE part <> '{kept[-1]}'",
                [ANSWER_PARTS])  # fmt: skip
        execute(ledger, "DELETE FROM {report_kept_answers}", ["report_kept_answers"])
        with mock.patch.object(tallies.Query, "of_clients", spy), parts_counted() as counted:
            again = ask(ledger, "agency", period="quarter")
        with counted_afresh():
            assert again == ask(ledger, "agency", period="quarter")
    assert len(counted) == 15
    assert ranges == [(None, "55"), ("55", "aa"), ("aa", kept[-1])]


@pytest.mark.parametrize("by", [("agency",), ("risk",)])
def test_parts_cut_by_the_side_by_side_ranges_add_up(ledger: Ledger, by: tuple[str, ...]) -> None:
    # on three processors the side-by-side ranges cut the parts 5 and a in two: each part's
    # sums are those of both its pieces, counted whole and again after new events
    with mock.patch.object(tallies, "processors", lambda: 3):
        demo(ledger)
        first = ask(ledger, *by, period="quarter")
        with counted_afresh():
            assert first == ask(ledger, *by, period="quarter")
        for n in range(1, 41, 4):
            with contextlib.suppress(AssertionError):
                record_violation(ledger, n)
        ProjectionRunner(ledger).catch_up()
        after = ask(ledger, *by, period="quarter")
        with counted_afresh():
            assert after == ask(ledger, *by, period="quarter")


@contextlib.contextmanager
def sums_read() -> Iterator[list[int]]:
    """How many kept sums (an answer's, or a part's) the reports inside read back."""
    read: list[int] = []
    real = answers.loaded

    def spy(answer: str) -> Any:
        read.append(1)
        return real(answer)

    with mock.patch.object(answers, "loaded", spy):
        yield read


@pytest.mark.parametrize(
    ("by", "period"), [(("risk",), None), (("officer",), None), (("agency",), "quarter")]
)
def test_after_new_events_a_report_kept_by_part_reads_back_its_whole_and_the_moved_parts(
    ledger: Ledger, by: tuple[str, ...], period: str | None
) -> None:
    # ADR 39: the whole is kept beside the parts; asked again after a violation, the report
    # reads back that whole and the part of the client recorded for (its old sums, taken
    # away, its new ones added): not every other part. Twice: the second from the whole the
    # first kept
    demo(ledger)
    ask(ledger, *by, period=period)
    assert "" in parts_of(kept_parts(ledger))  # the whole, beside the parts
    first = 1
    for _ in range(2):
        fine = record_violation(ledger, first)
        ProjectionRunner(ledger).catch_up()
        with sums_read() as read, parts_counted() as counted:
            after = ask(ledger, *by, period=period)
        assert counted == [fine[: len(counted[0])]]
        assert len(read) == 2  # the whole and the moved part
        with counted_afresh():
            assert after == ask(ledger, *by, period=period)
        first += 1


def test_officers_are_counted_by_the_finer_parts(ledger: Ledger) -> None:
    # a thousand groups or so: kept by 256 parts, so that after a few events a few 256ths of
    # the clients are counted again (ADR 39)
    demo(ledger)
    with parts_counted() as counted:
        ask(ledger, "officer")
    assert sorted(counted) == list(answers.FINE_PARTS)
