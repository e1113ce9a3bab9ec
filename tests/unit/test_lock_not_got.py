"""A write that waited past PostgreSQL's lock timeout (an import holds the event table until
it commits) is told as busy, exit 5 (409 from the server), as SQLite's busy wait is: it was
reported as the database failing, exit 1 and a 500 (found by an operator's probe)."""

from __future__ import annotations

import pytest
from eventsourcing.persistence import OperationalError
from psycopg import errors

from reentry_ledger.cli.errors import EXIT_CONFLICT, EXIT_FAILED, report
from reentry_ledger.contention import lock_not_got


def raised_from(cause: Exception) -> OperationalError:
    """As the library raises a driver's error: its own, from the driver's."""
    try:
        raise OperationalError(str(cause)) from cause
    except OperationalError as error:
        return error


def test_a_lock_timeout_is_a_lock_not_got_and_told_as_busy(
    capsys: pytest.CaptureFixture[str],
) -> None:
    timed_out = raised_from(errors.LockNotAvailable("canceling statement due to lock timeout"))
    assert lock_not_got(timed_out)
    assert report(timed_out, debug=False, database="postgresql://x/y") == EXIT_CONFLICT
    said = capsys.readouterr().err
    assert "the ledger is busy" in said and "could not be used" not in said
    assert "empty ledger" not in said  # an import into one that is not empty holds it too


def test_another_database_fault_is_not_told_as_busy(capsys: pytest.CaptureFixture[str]) -> None:
    full = raised_from(errors.DiskFull("could not extend file"))
    assert not lock_not_got(full)
    assert report(full, debug=False, database="postgresql://x/y") == EXIT_FAILED
    assert "the database at postgresql://x/y could not be used" in capsys.readouterr().err
