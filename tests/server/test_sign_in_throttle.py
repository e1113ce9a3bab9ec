"""Password guessing at the sign-in page, as an attacker with no account would try it (found by
a probe of the server): forty wrong passwords in a row were each answered, the right one then
worked at once, and 120 attempts at once (each an Argon2 check of some 64 MiB) took the server
from 230 MB to 2.4 GB and slowed every signed-in user's request twentyfold. A name (and an
address) is refused further attempts for a while after too many failures, before any password
is checked, and only a few checks run at once (ADR 56)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from reentry_ledger.server import throttle
from reentry_ledger.server.auth import SESSION_COOKIE
from reentry_ledger.server.throttle import SignInThrottle
from tests.server.test_pages import Visitor, text_of
from tests.serving import PASSWORD, Served

REFUSED = 429


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(served: Served) -> Clock:
    """The sign-in page's throttle, on a clock the test moves."""
    ticking = Clock()
    served.client.app.state.pages.throttle.clock = ticking
    return ticking


def attempt(served: Served, name: str, password: str) -> Any:
    visitor = Visitor(served)
    return visitor.sign_in(name, password)


def test_a_name_guessed_at_is_held_back_before_its_password_is_checked(
    served: Served, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    for guess in range(throttle.NAME_FAILURES):
        assert attempt(served, "cw-ga", f"guess {guess}").status_code == 401
    checked: list[str] = []
    original = throttle.SignInThrottle.checking

    def counting(self: SignInThrottle) -> Any:
        checked.append("check")
        return original(self)

    monkeypatch.setattr(throttle.SignInThrottle, "checking", counting)
    held = attempt(served, "cw-ga", PASSWORD)  # the right password, too late
    assert held.status_code == REFUSED
    assert "too many failed sign-ins" in text_of(held)
    assert SESSION_COOKIE not in held.headers.get("set-cookie", "")
    assert checked == []  # no Argon2 check spent on it
    # another name is not held back by these failures
    assert attempt(served, "sup-ga", PASSWORD).status_code == 303
    # after the window, the right password signs in again
    clock.now += throttle.WINDOW_SECONDS + 1
    assert attempt(served, "cw-ga", PASSWORD).status_code == 303


def test_a_name_that_does_not_exist_is_held_back_the_same(served: Served, clock: Clock) -> None:
    """The refusal must not tell names that exist from those that do not."""
    for name in ("cw-ga", "nobody-here"):
        for guess in range(throttle.NAME_FAILURES):
            attempt(served, name, f"guess {guess}")
    known, unknown = attempt(served, "cw-ga", "x"), attempt(served, "nobody-here", "x")
    assert known.status_code == unknown.status_code == REFUSED
    assert text_of(known).replace("cw-ga", "?") == text_of(unknown).replace("nobody-here", "?")


def test_one_address_spraying_many_names_is_held_back(
    served: Served, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(throttle, "ADDRESS_FAILURES", 4)  # fewer Argon2 checks to wait for
    for n in range(throttle.ADDRESS_FAILURES):
        attempt(served, f"name-{n}", "Winter2026!")
    assert attempt(served, "cw-ga", PASSWORD).status_code == REFUSED
    clock.now += throttle.WINDOW_SECONDS + 1
    assert attempt(served, "cw-ga", PASSWORD).status_code == 303


def test_a_sign_in_clears_its_names_failures(served: Served, clock: Clock) -> None:
    for guess in range(throttle.NAME_FAILURES - 1):
        attempt(served, "cw-ga", f"typo {guess}")
    assert attempt(served, "cw-ga", PASSWORD).status_code == 303
    for guess in range(throttle.NAME_FAILURES - 1):
        assert attempt(served, "cw-ga", f"typo {guess}").status_code == 401


def test_only_a_few_password_checks_run_at_once() -> None:
    """Each check holds its memory while it runs: more attempts at once wait their turn, and
    past the wait they are answered busy rather than checked."""
    gate = SignInThrottle(wait_seconds=0.2)
    running, most, lock = [0], [0], threading.Lock()
    outcomes: list[str] = []
    together = threading.Barrier(8)

    def check() -> None:
        together.wait()
        try:
            with gate.checking():
                with lock:
                    running[0] += 1
                    most[0] = max(most[0], running[0])
                time.sleep(1.5)  # held well past the others' wait
                with lock:
                    running[0] -= 1
            outcomes.append("checked")
        except throttle.Busy:
            outcomes.append("busy")

    threads = [threading.Thread(target=check) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == throttle.CHECKS_AT_ONCE
    assert outcomes.count("checked") == throttle.CHECKS_AT_ONCE
    assert outcomes.count("busy") == 8 - throttle.CHECKS_AT_ONCE


def test_the_failures_kept_stay_bounded() -> None:
    gate = SignInThrottle()
    for n in range(throttle.KEPT_MOST * 2):
        gate.admitted(f"name-{n}", f"10.0.{n // 250}.{n % 250}")
    assert gate.kept() <= throttle.KEPT_MOST


def test_guesses_sent_together_are_held_back_as_those_sent_one_by_one() -> None:
    """Each attempt counts as it is admitted, not once its check has failed: forty wrong
    passwords sent at once were all checked (found by a review)."""
    gate = SignInThrottle()
    together = threading.Barrier(40)
    admitted: list[bool] = []

    def attempt() -> None:
        together.wait()
        minutes, _ = gate.admitted("cw-ga", "10.0.0.1")
        admitted.append(minutes is None)

    threads = [threading.Thread(target=attempt) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert admitted.count(True) == throttle.NAME_FAILURES
