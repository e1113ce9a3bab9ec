"""Sign-in attempts held back (ADR 56): password guessing at the sign-in page.

A password is checked with Argon2, which takes some 64 MiB and a good part of a core while it
runs: that is what makes a stolen hash slow to guess, and what made the sign-in page a way to
exhaust the server (120 attempts at once took it from 230 MB to 2.4 GB). So:

- **A name, or an address, with too many failed sign-ins is held back** for the rest of the
  window, before any password is checked: `NAME_FAILURES` failures of one name (known or not:
  the refusal says nothing of whether it exists) or `ADDRESS_FAILURES` from one address
  within `WINDOW_SECONDS`. An attempt counts as a failure as it is admitted (guesses sent at
  once are held back as those sent one by one); a sign-in takes it back and clears its
  name's failures. Held back, the right password is refused too, as a guess would be (429).
- **At most `CHECKS_AT_ONCE` passwords are checked at once**; an attempt that cannot start
  within `wait_seconds` is answered busy (503) unchecked.

The failures are kept in this process's memory (at most `KEPT_MOST` names and addresses, the
oldest forgotten first), so a restart forgets them, and servers behind one load balancer each
count their own. Behind a proxy every attempt comes from the proxy's address (the server does
not read forwarded addresses): its address limit is then the whole site's, which a guesser can
use to hold everyone's password sign-in back for a window (a token from `users token` still
signs in). Tokens are not held back: one is 128 random bits, never guessed.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

WINDOW_SECONDS = 15 * 60
NAME_FAILURES = 10  # of one name within the window
ADDRESS_FAILURES = 50  # from one address within the window
CHECKS_AT_ONCE = 2
WAIT_SECONDS = 10.0  # for a turn to check a password
KEPT_MOST = 10_000  # names and addresses whose failures are kept


class Busy(Exception):
    """Too many passwords are being checked: try again."""


class SignInThrottle:
    def __init__(
        self, clock: Callable[[], float] = time.monotonic, wait_seconds: float = WAIT_SECONDS
    ) -> None:
        self.clock = clock
        self.wait_seconds = wait_seconds
        self._lock = threading.Lock()
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._checks = threading.BoundedSemaphore(CHECKS_AT_ONCE)

    def admitted(self, name: str, address: str) -> tuple[int | None, float]:
        """Whether `name` may try a password from `address` now: (None, the attempt's time),
        the attempt counted at once as a failure (`succeeded` takes it back), so that guesses
        sent together are held back as those sent one by one; else (the minutes until it may,
        0)."""
        now = self.clock()
        keys = ((_name(name), NAME_FAILURES), (_address(address), ADDRESS_FAILURES))
        with self._lock:
            waits = [wait for key, most in keys if (wait := self._until(key, most, now))]
            if waits:
                return max(1, math.ceil(max(waits) / 60)), 0.0
            for key, _ in keys:
                times = self._failures.pop(key, None) or deque()
                times.append(now)
                self._failures[key] = times  # the latest last
            while len(self._failures) > KEPT_MOST:
                self._failures.popitem(last=False)
        return None, now

    def succeeded(self, name: str, address: str, at: float) -> None:
        """The attempt admitted at `at` signed in: its name's failures are cleared, and the
        attempt is no failure of its address."""
        with self._lock:
            self._failures.pop(_name(name), None)
            times = self._failures.get(_address(address))
            if times is not None and at in times:
                times.remove(at)

    def kept(self) -> int:
        with self._lock:
            return len(self._failures)

    @contextmanager
    def checking(self) -> Iterator[None]:
        """A turn to check a password (Busy if none comes within the wait)."""
        if not self._checks.acquire(timeout=self.wait_seconds):
            raise Busy
        try:
            yield
        finally:
            self._checks.release()

    def _until(self, key: str, most: int, now: float) -> float | None:
        """Seconds until `key` has fewer than `most` failures in the window (None: it has)."""
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - WINDOW_SECONDS:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        if len(times) < most:
            return None
        return times[len(times) - most] + WINDOW_SECONDS - now


def _name(name: str) -> str:
    return "name:" + name.strip().casefold()


def _address(address: str) -> str:
    return "address:" + address
