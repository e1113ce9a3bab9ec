"""Server load: C staff at once (one caseworker each, of two agencies) against the real server,
`reentry-ledger serve --workers W` on a loopback port, for D seconds: a mix of reads (the case,
the timeline) and writes (a contact, some with If-Match, so some lose a race and are answered
409). Prints requests/s and p50/p95/p99 latency, reads and writes apart; counts every answer by
status (5xx, unexpected statuses, busy answers and requests left unanswered are failures, and
printed); then checks that every write answered 2xx is stored exactly once, under the number it
was answered with, and that no refused write is stored. The raw baseline, in the same run, is
the same mix of application calls (authentication and the method) in one process and one
thread, without HTTP, on a ledger built alike; beside both, `contact` and `timeline` as CLI
processes. Exits non-zero on any failure or difference.

    python -m benchmarks.server_load [--backend sqlite|postgresql|both] [--clients 50]
        [--seconds 120] [--workers 1 2] [--clients-enrolled 200] [--postgres postgresql://…/test]
        [--keepalive 2] [--no-record]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from benchmarks.common import cli, percentile, record
from reentry_ledger.application import Ledger
from reentry_ledger.application.recording import expecting
from reentry_ledger.backends import connect_postgres, parse_db_url
from reentry_ledger.domain.errors import Conflict

SCRIPT = Path(sys.executable).parent / "reentry-ledger"
HOST = "127.0.0.1"  # loopback only: the benchmark sends real tokens in the clear
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
AGENCIES = ("GA", "GB")
MARKER = "load-"  # every benchmark note starts so; the rest makes it unique
# The mix: what a member of staff does next, and how often.
MIX = {"show": 0.3, "timeline": 0.3, "contact": 0.2, "contact-if-match": 0.2}
READS = ("show", "timeline")
KEEPALIVE = 2.0  # under the server's 5 s: see docs/performance.md, "Server under load"
# 409 answers that are the protocol working (a stale If-Match, a lost race), not failures.
EXPECTED_CONFLICTS = {"moved on": "409 stale If-Match", "recorded first": "409 lost race"}


# --- the ledger and its staff ---------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """One member of staff: a caseworker with a token, and the clients of their agency."""

    index: int
    name: str
    token: str
    refs: tuple[str, ...]


@dataclass(frozen=True)
class Staffed:
    url: str
    members: tuple[Member, ...]
    supervisors: dict[str, str]  # agency: its supervisor, who reads confidential notes back
    refs: tuple[str, ...]


def staffed_ledger(url: str, staff: int, enrolled: int) -> Staffed:
    """An auditor, a supervisor per agency, `staff` caseworkers (agencies in turn, each with a
    token) and `enrolled` clients (agencies in turn), through the application."""
    ledger = Ledger(url)
    ledger.add_user("aud", "auditor", None, actor="aud")
    supervisors = {agency: f"sup-{agency.lower()}" for agency in AGENCIES}
    for agency, name in supervisors.items():
        ledger.add_user(name, "supervisor", agency, actor="aud")
    refs: dict[str, list[str]] = {agency: [] for agency in AGENCIES}
    start = ledger.clock() - timedelta(days=200)
    for number in range(enrolled):
        agency = AGENCIES[number % len(AGENCIES)]
        ref = f"{agency}-{number + 1:04d}"
        ledger.enroll(
            ref,
            actor=supervisors[agency],
            start=start,
            agency=agency,
            officer="o-1",
            supervision="probation",
        )
        refs[agency].append(ref)
    members = []
    for index in range(staff):
        agency = AGENCIES[index % len(AGENCIES)]
        name = f"cw-{agency.lower()}-{index:03d}"
        ledger.add_user(name, "caseworker", agency, actor="aud")
        token = ledger.issue_token(name, actor="aud")
        members.append(Member(index, name, token, tuple(refs[agency])))
    ledger.close()
    every_ref = tuple(ref for agency in AGENCIES for ref in refs[agency])
    return Staffed(url, tuple(members), supervisors, every_ref)


@contextmanager
def fresh_url(backend: str, postgres: str) -> Iterator[str]:
    """An empty ledger's URL: a SQLite file in a temporary folder, or a new PostgreSQL schema
    (dropped afterwards)."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="reentry-load-") as folder:
            yield f"sqlite:///{folder}/ledger.db"
        return
    schema = f"bench_load_{uuid.uuid4().hex[:10]}"
    try:
        yield f"{postgres}?schema={schema}"
    finally:
        with connect_postgres(parse_db_url(postgres)) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# --- the mix --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    op: str
    ref: str
    if_match: int | None = None
    marker: str | None = None  # a write's note
    confidential: bool = True

    @property
    def kind(self) -> str:
        return "read" if self.op in READS else "write"


@dataclass
class Staff:
    """What one member does next: a random client of their agency and an operation from MIX;
    an If-Match write expects the last event number this member saw of that client."""

    member: Member
    rng: random.Random
    seen: dict[str, int] = field(default_factory=dict)
    writes: int = 0

    def next(self) -> Request:
        op = self.rng.choices(list(MIX), weights=list(MIX.values()))[0]
        ref = self.rng.choice(self.member.refs)
        if op in READS:
            return Request(op, ref)
        self.writes += 1
        marker = f"{MARKER}{self.member.index}-{self.writes}"
        expected = self.seen.get(ref) if op == "contact-if-match" else None
        return Request(op, ref, expected, marker, confidential=self.writes % 2 == 0)


@dataclass(frozen=True)
class Write:
    ref: str
    marker: str
    outcome: str  # "200", "409 lost race", ..., or "no answer: ..."
    number: int | None  # the event number an accepted write was answered with


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"read": [], "write": []})
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (kind, outcome)
    failures: list[str] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    elapsed: float = 0.0
    cpu: str = ""
    started: float = field(default_factory=time.perf_counter)

    def add(
        self, request: Request, answer: str, seconds: float | None, number: int | None = None
    ) -> None:
        """One answer: "200", "409 lost race", "500 <its message>", "no answer: <error>"."""
        outcome = re.sub(r"'[^']*'", "'…'", answer)  # counted apart from the client it names
        self.outcomes[request.kind, outcome] += 1
        if seconds is not None:
            self.latencies[request.kind].append(seconds)
        if request.marker is not None:
            self.writes.append(Write(request.ref, request.marker, outcome, number))
        if failed(outcome) and len(self.failures) < 20:
            at = time.perf_counter() - self.started
            self.failures.append(f"{request.op} {request.ref}, at {at:.1f} s: {answer}")

    @property
    def requests(self) -> int:
        return sum(self.outcomes.values())

    @property
    def failure_count(self) -> int:
        return sum(count for (_, outcome), count in self.outcomes.items() if failed(outcome))


def failed(outcome: str) -> bool:
    return not outcome.startswith("2") and outcome not in EXPECTED_CONFLICTS.values()


def conflict_outcome(message: str) -> str:
    """A 409's kind: the protocol working (stale If-Match, lost race), or a busy database."""
    for words, outcome in EXPECTED_CONFLICTS.items():
        if words in message:
            return outcome
    return f"409 {message}"


# --- the server, and its load ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(url: str, workers: int, log: Path) -> Iterator[tuple[str, int]]:
    """`reentry-ledger serve` as a user starts it, until its workers are ready: its address and
    process group (its workers' too). Stopped with SIGTERM at the end; the group killed if it
    has not stopped within 30 s."""
    port = free_port()
    serve = f"serve --host {HOST} --port {port} --workers {workers}"
    command = [str(SCRIPT), "--db", url, *serve.split()]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_until_ready(process, log, workers)
        yield f"http://{HOST}:{port}", process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            print("the server did not stop within 30 s of SIGTERM: killed")
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_until_ready(process: subprocess.Popen[bytes], log: Path, workers: int) -> None:
    deadline = time.monotonic() + 60
    while log.read_text(errors="replace").count("Application startup complete") < workers:
        if process.poll() is not None or time.monotonic() > deadline:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
            raise SystemExit(f"the server did not start:\n{tail}")
        time.sleep(0.1)


def server_errors(log: Path) -> list[str]:
    """The server log's errors and warnings, answers of 5xx, and workers that died (uvicorn
    kills a worker that misses its health check, and starts another)."""
    lines = log.read_text(errors="replace").splitlines()
    noted = ("ERROR", "WARNING", "Traceback", "locked", "Exception", '" 5', "died")
    return [line for line in lines if any(word in line for word in noted)]


async def staff_at_work(
    http: httpx.AsyncClient, staff: Staff, deadline: float, tally: Tally
) -> None:
    headers = {"Authorization": f"Bearer {staff.member.token}"}
    while time.monotonic() < deadline:
        request = staff.next()
        started = time.perf_counter()
        try:
            answer = await send(http, request, headers)
        except httpx.HTTPError as error:
            cause = error.__cause__ or error.__context__
            why = f"{type(error).__name__} {error} ({type(cause).__name__}: {cause})"
            tally.add(request, f"no answer: {why}", None)
            continue
        seconds = time.perf_counter() - started
        if etag := answer.headers.get("etag"):
            staff.seen[request.ref] = int(etag.strip('"'))
        if answer.is_success:
            number = answer.json()["number"] if request.kind == "write" else None
            tally.add(request, str(answer.status_code), seconds, number)
        elif answer.status_code == 409:
            tally.add(request, conflict_outcome(message(answer)), seconds)
        else:
            tally.add(request, f"{answer.status_code} {message(answer)}", seconds)


def send(
    http: httpx.AsyncClient, request: Request, headers: dict[str, str]
) -> Coroutine[Any, Any, httpx.Response]:
    path = f"/api/clients/{request.ref}"
    if request.op == "show":
        return http.get(path, headers=headers)
    if request.op == "timeline":
        return http.get(f"{path}/timeline", headers=headers)
    if request.if_match is not None:
        headers = {**headers, "If-Match": f'"{request.if_match}"'}
    body = {"note": request.marker, "kind": "casework", "confidential": request.confidential}
    return http.post(f"{path}/contacts", json=body, headers=headers)


def message(answer: httpx.Response) -> str:
    try:
        return str(answer.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return answer.text[:200]


async def load(base: str, staffed: Staffed, settings: Settings, seed: int) -> Tally:
    tally = Tally()
    limits = httpx.Limits(
        max_connections=len(staffed.members),
        max_keepalive_connections=None,
        keepalive_expiry=settings.keepalive,
    )
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        tally.started = time.perf_counter()
        deadline = time.monotonic() + settings.seconds
        crew = [Staff(m, random.Random(seed * 1000 + m.index)) for m in staffed.members]
        await asyncio.gather(*(staff_at_work(http, s, deadline, tally) for s in crew))
        tally.elapsed = time.perf_counter() - tally.started
    return tally


# --- CPU, while the load runs ---------------------------------------------------------------


def cpu_ticks(group: int) -> tuple[int, int, int]:
    """Jiffies: the machine's busy and total (/proc/stat), and the process group's (server)."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    ours = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError, IndexError, ValueError):
            parts = stat.read_text().rsplit(")", 1)[1].split()
            if int(parts[2]) == group:
                ours += int(parts[11]) + int(parts[12])
    return sum(fields) - idle, sum(fields), ours


def cpu_shares(
    before: tuple[int, int, int], after: tuple[int, int, int], wall: float, generator: float
) -> str:
    """Cores used during the run: the server's processes, the load generator (seconds of CPU),
    and everything else on the machine (PostgreSQL, and any other work)."""
    busy, total, server = (a - b for a, b in zip(after, before, strict=True))
    cores = os.cpu_count() or 1
    hertz = os.sysconf("SC_CLK_TCK")
    used = {"server": server / hertz / wall, "load generator": generator / wall}
    used["everything else"] = max(0.0, busy / max(total, 1) * cores - sum(used.values()))
    shares = ", ".join(f"{name} {share:.2f}" for name, share in used.items())
    return f"cores busy of {cores}: {shares}"


# --- exactly once ---------------------------------------------------------------------------


def stored_markers(staffed: Staffed) -> dict[str, list[tuple[str, int]]]:
    """Every benchmark note in the ledger: where (client, event number), read back through the
    application as each agency's supervisor (who reads its confidential notes)."""
    ledger = Ledger(staffed.url)
    found: dict[str, list[tuple[str, int]]] = {}
    for ref in staffed.refs:
        reader = staffed.supervisors[ref.split("-")[0]]
        for entry in ledger.timeline(ref, actor=reader):
            note = entry.data.get("note", "")
            if entry.type == "ContactLogged" and note.startswith(MARKER):
                found.setdefault(note, []).append((ref, entry.number))
    ledger.close()
    return found


def differences(writes: list[Write], found: dict[str, list[tuple[str, int]]]) -> list[str]:
    """Accepted writes lost, doubled, misplaced or misnumbered; refused writes stored; stored
    notes never sent. A write left unanswered may be stored once or not at all."""
    problems = []
    sent = {write.marker for write in writes}
    for write in writes:
        places = found.get(write.marker, [])
        if write.outcome.startswith("2"):
            if len(places) != 1:
                problems.append(f"{write.marker} (accepted) stored {len(places)} times: {places}")
            elif places[0] != (write.ref, write.number):
                answered = (write.ref, write.number)
                problems.append(f"{write.marker} answered as {answered}, stored as {places[0]}")
        elif write.outcome.startswith("no answer"):
            if len(places) > 1:
                problems.append(f"{write.marker} (unanswered) stored {len(places)} times")
        elif places:
            problems.append(f"{write.marker} answered {write.outcome!r}, yet stored: {places}")
    problems += [
        f"{marker} stored, never sent: {places}"
        for marker, places in found.items()
        if marker not in sent
    ]
    return problems


def check_exactly_once(staffed: Staffed, tally: Tally) -> bool:
    problems = differences(tally.writes, stored_markers(staffed))
    accepted = sum(1 for write in tally.writes if write.outcome.startswith("2"))
    if not problems:
        print(f"exactly once: OK ({accepted:,} writes)")
        return True
    print(f"exactly once: {len(problems)} difference(s) among {accepted:,} accepted writes")
    for problem in problems[:30]:
        print(f"  {problem}")
    return False


# --- the raw baseline: the same mix, in process -----------------------------------------------


def in_process(staffed: Staffed, seconds: float, seed: int) -> Tally:
    """The mix as application calls in one thread: the member's token authenticated, then the
    method, the staff taking turns."""
    ledger = Ledger(staffed.url)
    crew = [Staff(m, random.Random(seed * 1000 + m.index)) for m in staffed.members]
    tally = Tally()
    deadline = time.monotonic() + seconds
    turn = 0
    while time.monotonic() < deadline:
        staff = crew[turn % len(crew)]
        turn += 1
        request = staff.next()
        began = time.perf_counter()
        try:
            number = call(ledger, staff, request)
            tally.add(request, "200", time.perf_counter() - began, number)
        except Conflict as error:
            tally.add(request, conflict_outcome(str(error)), time.perf_counter() - began)
    tally.elapsed = time.perf_counter() - tally.started
    ledger.close()
    return tally


def call(ledger: Ledger, staff: Staff, request: Request) -> int | None:
    who = ledger.authenticate_bearer(staff.member.token)
    if request.op == "show":
        ledger.client_state(request.ref, actor=who)
        return None
    if request.op == "timeline":
        staff.seen[request.ref] = ledger.timeline(request.ref, actor=who)[-1].number
        return None
    with expecting(request.if_match):
        recorded = ledger.log_contact(
            request.ref,
            actor=who,
            note=request.marker or "",
            kind="casework",
            confidential=request.confidential,
        )
    staff.seen[request.ref] = recorded.number
    return recorded.number


# --- the CLI, beside ----------------------------------------------------------------------------


def cli_calls(staffed: Staffed, runs: int) -> dict[str, list[float]]:
    """Seconds of `contact` and `timeline` as CLI processes (process start included), by the
    first member on their first client."""
    member = staffed.members[0]
    base = [str(SCRIPT), "--db", staffed.url, "--actor", member.name]
    commands = {
        "contact": [*base, "contact", member.refs[0], "--note", f"{MARKER}cli"],
        "timeline": [*base, "timeline", member.refs[0]],
    }
    return {
        name: [timed_process(command) for _ in range(runs)] for name, command in commands.items()
    }


def timed_process(command: list[str]) -> float:
    started = time.perf_counter()
    cli(command)
    return time.perf_counter() - started


# --- figures ------------------------------------------------------------------------------------


def ms(samples: list[float]) -> str:
    if not samples:
        return "no answers"
    p50, p95, p99 = (percentile(samples, share) * 1000 for share in (0.5, 0.95, 0.99))
    return f"p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms"


def rate(tally: Tally, kind: str | None = None) -> float:
    count = sum(n for (k, _), n in tally.outcomes.items() if kind is None or k == kind)
    return count / tally.elapsed if tally.elapsed else 0.0


def outcomes(tally: Tally, kind: str) -> str:
    found = sorted((o, n) for (k, o), n in tally.outcomes.items() if k == kind)
    return ", ".join(f"{outcome}: {count:,}" for outcome, count in found) or "none"


def report(label: str, tally: Tally) -> None:
    print(
        f"{label}: {tally.requests:,} requests in {tally.elapsed:.1f} s: "
        f"{rate(tally):,.1f} requests/s, {ms(tally.latencies['read'] + tally.latencies['write'])}"
    )
    for kind in ("read", "write"):
        print(
            f"  {kind}s {rate(tally, kind):,.1f}/s, {ms(tally.latencies[kind])}; "
            f"{outcomes(tally, kind)}"
        )
    if tally.cpu:
        print(f"  cpu: {tally.cpu}")
    print(f"  failures: {tally.failure_count:,}")
    for line in tally.failures:
        print(f"    {line}")


def rows_for(label: str, tally: Tally, baseline: Tally, exact: bool) -> list[tuple[str, str, str]]:
    every = tally.latencies["read"] + tally.latencies["write"]
    ratio = f"{rate(tally) / rate(baseline):.2f}x in-process ({rate(baseline):,.0f} calls/s)"
    check = "exactly once: OK" if exact else "exactly once: DIFFERENCES"
    return [
        (f"{label}: all", f"{rate(tally):,.0f} requests/s; {ms(every)}", ratio),
        (
            f"{label}: reads",
            f"{rate(tally, 'read'):,.0f}/s; {ms(tally.latencies['read'])}",
            outcomes(tally, "read"),
        ),
        (
            f"{label}: writes",
            f"{rate(tally, 'write'):,.0f}/s; {ms(tally.latencies['write'])}",
            f"{outcomes(tally, 'write')}; {check}",
        ),
        (f"{label}: failures, CPU", f"{tally.failure_count:,} failures", tally.cpu),
    ]


# --- a run ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    clients: int
    seconds: float
    workers: list[int]
    enrolled: int
    baseline_seconds: float
    cli_runs: int
    postgres: str
    keepalive: float


def measure(backend: str, settings: Settings) -> tuple[list[tuple[str, str, str]], bool]:
    """The baseline, the CLI beside it, and a server run per worker count, each on a fresh
    ledger; their figures for the results table, and whether all held."""
    name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[backend]
    build = lambda url: staffed_ledger(url, settings.clients, settings.enrolled)  # noqa: E731
    with fresh_url(backend, settings.postgres) as url:
        staffed = build(url)
        baseline = in_process(staffed, settings.baseline_seconds, seed=1)
        report(f"{name}, in-process, one thread (raw baseline)", baseline)
        cli = cli_calls(staffed, settings.cli_runs)
    every = baseline.latencies["read"] + baseline.latencies["write"]
    rows = [
        (
            f"{name}, in-process, one thread, {baseline.elapsed:.0f} s (raw baseline)",
            f"{rate(baseline):,.0f} calls/s; {ms(every)}",
            "authentication + the method",
        )
    ]
    for command, samples in cli.items():
        per_second = 1 / statistics.mean(samples)
        print(f"{name}, `{command}` as a CLI call: {ms(samples)}; {per_second:.1f} calls/s")
        rows.append(
            (
                f"{name}, `{command}` as a CLI call ({len(samples)} runs)",
                f"{per_second:.1f} calls/s; {ms(samples)}",
                "process start included",
            )
        )
    held = True
    for workers in settings.workers:
        label = f"{name}, {workers} worker(s), {settings.clients} clients, {settings.seconds:.0f} s"
        with fresh_url(backend, settings.postgres) as url:
            tally, exact = served_run(build(url), workers, settings, label)
        rows += rows_for(label, tally, baseline, exact)
        held = held and exact and tally.failure_count == 0
    return rows, held


def served_run(
    staffed: Staffed, workers: int, settings: Settings, label: str
) -> tuple[Tally, bool]:
    with tempfile.TemporaryDirectory(prefix="reentry-load-log-") as folder:
        log = Path(folder) / "server.log"
        with serving(staffed.url, workers, log) as (base, group):
            before, ours = cpu_ticks(group), time.process_time()
            tally = asyncio.run(load(base, staffed, settings, seed=2))
            generator = time.process_time() - ours
            tally.cpu = cpu_shares(before, cpu_ticks(group), tally.elapsed, generator)
        report(label, tally)
        errors = server_errors(log)
        if errors or tally.failure_count:
            kept = Path(tempfile.gettempdir()) / f"reentry-load-{time.strftime('%H%M%S')}.log"
            shutil.copyfile(log, kept)
            print(f"  the server's log, kept as {kept}: {len(errors):,} line(s) of note")
            for line in errors[:15]:
                print(f"    {line}")
    return tally, check_exactly_once(staffed, tally)


def postgres_problem(url: str) -> str | None:
    try:
        with connect_postgres(parse_db_url(url)):
            return None
    except Exception as error:
        return f"{type(error).__name__}: {error}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--clients", type=int, default=50, help="staff at once (default 50)")
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[2])
    parser.add_argument("--clients-enrolled", type=int, default=200)
    parser.add_argument(
        "--baseline-seconds",
        type=float,
        default=None,
        help="the in-process run (default: --seconds, at most 30)",
    )
    parser.add_argument("--cli-runs", type=int, default=10)
    parser.add_argument("--postgres", default=POSTGRES)
    parser.add_argument(
        "--keepalive",
        type=float,
        default=KEEPALIVE,
        help=f"seconds the clients keep an idle connection (default {KEEPALIVE})",
    )
    parser.add_argument("--host", default=HOST, help="127.0.0.1 only: loopback")
    parser.add_argument(
        "--no-record",
        action="store_true",
        help="print the figures; leave docs/performance.md as it is",
    )
    args = parser.parse_args()
    if args.host != HOST:
        parser.error(f"--host {args.host!r}: this benchmark runs on loopback only ({HOST})")
    if args.clients < 1 or args.seconds <= 0 or args.clients_enrolled < len(AGENCIES):
        parser.error("--clients and --seconds must be positive, --clients-enrolled at least 2")
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and (problem := postgres_problem(args.postgres)):
        if args.backend == "postgresql":
            raise SystemExit(f"PostgreSQL at {args.postgres} cannot be reached: {problem}")
        print(f"PostgreSQL skipped: {args.postgres} cannot be reached ({problem})")
        backends.remove("postgresql")
    settings = Settings(
        args.clients,
        args.seconds,
        args.workers,
        args.clients_enrolled,
        args.baseline_seconds or min(args.seconds, 30.0),
        args.cli_runs,
        args.postgres,
        args.keepalive,
    )
    rows: list[tuple[str, str, str]] = []
    held = True
    for backend in backends:
        measured, ok = measure(backend, settings)
        rows += measured
        held = held and ok
    if not args.no_record:
        record("server_load", rows)
    if not held:
        raise SystemExit("the server failed under load, or a write was not stored exactly once")


if __name__ == "__main__":
    main()
