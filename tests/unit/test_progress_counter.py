"""What long work shows on a terminal: `events imported: 2,000` counted in events, where work
reports batch by batch; `replayed clients: 2 (110 events)` where it reports item by item. It
read `events imported: 1 (2,000 events)`, a batch counted as if it were an event (found by an
operator's probe)."""

from __future__ import annotations

import pytest

from reentry_ledger.cli.render import Progress


def shown(capsys: pytest.CaptureFixture[str], progress: Progress, *calls: int) -> str:
    progress.enabled = True  # as on a terminal
    for units in calls:
        progress(units)
    return capsys.readouterr().err.rsplit("\r", 1)[-1]


def test_work_reported_in_batches_counts_its_events(capsys: pytest.CaptureFixture[str]) -> None:
    assert shown(capsys, Progress("events imported", every=1, batches=True), 2000, 500) == (
        "events imported: 2,500"
    )


def test_work_reported_item_by_item_counts_items_and_events(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert shown(capsys, Progress("replayed clients", every=1), 55, 55) == (
        "replayed clients: 2 (110 events)"
    )


def test_the_line_left_when_the_work_is_done_holds_the_final_count(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`replay` counted every thousandth client, and its line stayed at the last thousand."""
    progress = Progress("replayed clients", every=1000)
    progress.enabled = True
    for _ in range(2500):
        progress(3)
    progress.done()
    assert capsys.readouterr().err.rsplit("\r", 1)[-1] == "replayed clients: 2,500 (7,500 events)\n"


def test_nothing_is_shown_when_not_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    progress = Progress("events imported", every=1, batches=True)
    progress.enabled = False  # stderr piped
    progress(2000)
    progress.done()
    assert capsys.readouterr().err == ""
