"""What operators and auditors do with a whole ledger: replay, verify and publish its digest,
export and import it, build a demo, run its projections and reports. Each checks the actor's
permission here, before it touches anything; the modules that do the work stay free of it.
Those modules are imported when used, so a command loads only what it needs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from reentry_ledger.application.access import AccessLog, refusals_logged
from reentry_ledger.authorization import Actor, Permission
from reentry_ledger.domain.client import Client
from reentry_ledger.domain.directory import Role
from reentry_ledger.domain.errors import InvalidInput

if TYPE_CHECKING:
    from reentry_ledger.application import Ledger
    from reentry_ledger.export.deidentified import DeidentifiedExport
    from reentry_ledger.ingest.demo import DemoReport
    from reentry_ledger.ingest.iowa import IowaSummary
    from reentry_ledger.projections.runner import ProjectionRunner
    from reentry_ledger.projections.verify import Finding
    from reentry_ledger.reports.service import Reports
    from reentry_ledger.verification import Digest, Verification

Progress = Callable[[int], None] | None
# k-anonymity of the de-identified export: the default, and oversight's floor
DEFAULT_K = OVERSIGHT_K = 5


@dataclass(frozen=True)
class ReplayReport:
    clients: int
    events: int


class Operations(AccessLog):
    @property
    def whole(self) -> Ledger:
        """This ledger, as the modules that work on a whole ledger take it."""
        return cast("Ledger", self)

    @refusals_logged("replay")
    def replay(
        self, ref: str | None = None, progress: Progress = None, *, actor: str | None
    ) -> ReplayReport:
        """Rebuild clients' state from their events; one client in memory at a time. A replay
        reads every client's record: it is access-logged."""
        who = self.require(actor, Permission.OPERATE)
        if ref:
            # another agency's client is not found; one that moved away, as it stood then
            client = self.client_for(who, ref)
            self.log_read(who, client, "replay", None, None)
            client.state  # noqa: B018 - folding the events is the work being done
            if progress:
                progress(len(client.history))
            return ReplayReport(clients=1, events=len(client.history))
        self.log_ledger_read(who, "replay")
        clients = events = 0
        for aggregate_id in self.client_ids():
            with self.unbroken(aggregate_id):
                replayed: Client = self.repository.get(aggregate_id)
            replayed.state  # noqa: B018 - folding the events is the work being done
            clients += 1
            events += replayed.version
            if progress:
                progress(replayed.version)
        return ReplayReport(clients=clients, events=events)

    def verify(
        self, against: Digest | None = None, progress: Progress = None, *, actor: str | None
    ) -> Verification:
        from reentry_ledger.verification import verify

        self.require(actor, Permission.AUDIT)
        if self.directory() is not None and self.mapper.cipher is None:
            self.notices.append(
                "this ledger has users but no ledger key (REENTRY_LEDGER_KEY): the clients' "
                "keys lie in plaintext beside their ciphertext, so whoever can read the "
                "database can read the personal data (a seal still erases it)"
            )
        return verify(self.whole, against, progress)

    def export_lines(
        self,
        progress: Progress = None,
        *,
        actor: str | None,
        with_keys: bool = False,
        wrap_key_file: Path | None = None,
    ) -> Iterator[bytes]:
        """Every event, as JSON lines, ending with its closing record; access-logged.

        With users, an auditor's export carries no client keys (it is for verification: no
        role may take out what decrypts what it may not read). A backup (`with_keys`) is the
        custodian's, its keys wrapped under a key the custodian holds. In single-user mode an
        export carries the keys (wrapped, if a wrap key is given) and restores whole."""
        from reentry_ledger.encryption import wrap_key_from
        from reentry_ledger.export.full import KeyCustody, export_lines

        who = self.actor(actor)
        wrap_key = wrap_key_from(wrap_key_file) if wrap_key_file else None
        if who.role is None:
            custody = KeyCustody("wrapped" if wrap_key else "plain", wrap_key)
        elif with_keys:
            who.require(Permission.BACKUP)
            if wrap_key is None:
                raise InvalidInput(
                    "--with-keys needs --wrap-key-file: client keys leave the ledger only "
                    "wrapped under a key their custodian holds"
                )
            custody = KeyCustody("wrapped", wrap_key)
        else:
            who.require(Permission.AUDIT)
            custody = KeyCustody("none")
        head = self.recorder.max_notification_id() or 0  # the ledger as it was when asked
        reads_head = self.access_store.head()
        self.log_ledger_read(who, "export" if custody.mode == "none" else "export with keys")
        return export_lines(self.whole, progress, custody, upto=head, reads_upto=reads_head)

    def deidentified_lines(
        self,
        research_project: str | None = None,
        k: int | None = None,
        progress: Progress = None,
        *,
        actor: str | None,
    ) -> DeidentifiedExport:
        """The research export (its lines, then its `summary`). Pseudonyms come from the
        ledger's own secret: fresh for each export, or stable for a research project, which
        only a role that may name one (an auditor) can ask for. k is at least DEFAULT_K for
        oversight (asked lower, it is raised), 1 at the least for anyone."""
        from reentry_ledger.export.deidentified import DeidentifiedExport
        from reentry_ledger.ledger_secrets import PSEUDONYMS, LedgerSecrets

        who = self.require(actor, Permission.EXPORT_DEIDENTIFIED)
        if research_project is not None:
            who.require(Permission.NAME_RESEARCH_KEY)
            checked_name(research_project, "research project name")
        if k is not None and k < 1:
            raise InvalidInput(f"k must be at least 1, not {k}")
        floor = OVERSIGHT_K if who.role == Role.OVERSIGHT else 1
        k = max(k or DEFAULT_K, floor)
        secret = LedgerSecrets(self).secret(PSEUDONYMS)
        project = f"research project {research_project}, " if research_project else ""
        self.log_ledger_read(who, f"export --deidentified ({project}k={k})")
        return DeidentifiedExport(self.whole, secret, k, research_project, progress)

    def import_jsonl(
        self, lines: Iterator[bytes], source: str, progress: Progress = None, *,
        actor: str | None, wrap_key_file: Path | None = None,
    ) -> int:  # fmt: skip
        """A restore: one operator action into an empty ledger. The file is checked, not each
        event's author's permissions (an empty ledger has no users to hold them). A backup's
        keys are unwrapped with the key in `wrap_key_file`."""
        from reentry_ledger.encryption import wrap_key_from
        from reentry_ledger.ingest.jsonl import import_lines

        self.require(actor, Permission.OPERATE)
        wrap_key = wrap_key_from(wrap_key_file) if wrap_key_file else None
        return import_lines(self.whole, lines, source, progress, wrap_key=wrap_key)

    def import_csv(
        self,
        source: Path,
        mapping: Path,
        progress: Progress = None,
        *,
        actor: str | None,
        signed_in: Callable[[], bool] | None = None,
        again: bool = False,
        name: str | None = None,
    ) -> tuple[int, int]:
        """Legacy records: each row is recorded through the one write path, as the command it
        stands for would be, by this actor; the first refused row refuses the whole file.
        `signed_in`: is the credential the import was asked with (a server's token) still
        valid, asked again once the import holds the ledger, as its actor is (ADR 60). A file
        imported before is refused unless `again` (ADR 62); `name`: the file's name as its
        sender gave it (a server's upload), else its own."""
        from reentry_ledger.ingest.mapped import import_mapped

        if self.backend.in_memory:
            raise InvalidInput(
                f"--db {self.backend.url}: a CSV import reads the ledger while it writes (a "
                "returning client's terms, an agency's policy), which a ledger in memory, one "
                "connection held by the write, cannot: import into a file (sqlite:///PATH)"
            )
        who = self.csv_importer(actor)
        return import_mapped(self.whole, who, source, mapping, progress, signed_in, again, name)

    def csv_importer(self, actor: str | None) -> Actor:
        """The actor, if it may import legacy records at all (asked before a file is taken)."""
        return self.writer(actor, Permission.OPERATE).require(Permission.WRITE)

    def import_iowa(
        self, source: Path, progress: Progress = None, *, actor: str | None
    ) -> IowaSummary:
        from reentry_ledger.ingest.iowa import import_iowa

        who = self.writer(actor, Permission.OPERATE).require(Permission.WRITE)
        return import_iowa(self.whole, source, who, progress)

    def build_demo(
        self, clients: int, seed: int, progress: Progress = None, *, actor: str | None
    ) -> DemoReport:
        from reentry_ledger.ingest.demo import build_demo

        self.require(actor, Permission.OPERATE).require(Permission.WRITE)
        return build_demo(self.whole, clients, seed, progress)

    def projection_runner(
        self, names: tuple[str, ...] = (), page_size: int | None = None, *, actor: str | None
    ) -> ProjectionRunner:
        """The projections' runner (status, catch-up, rebuild), for operators."""
        from reentry_ledger.projections.catalogue import PROJECTIONS, projection_named
        from reentry_ledger.projections.runner import PAGE_SIZE, ProjectionRunner

        self.require(actor, Permission.OPERATE)
        chosen = [projection_named(name) for name in names] if names else list(PROJECTIONS)
        return ProjectionRunner(self.whole, chosen, page_size=page_size or PAGE_SIZE)

    def verify_projections(
        self, names: tuple[str, ...] = (), page_size: int | None = None, *, actor: str | None
    ) -> list[Finding]:
        """Each projection built again into scratch tables and compared with its own."""
        from reentry_ledger.projections.catalogue import projection_named
        from reentry_ledger.projections.runner import PAGE_SIZE, ProjectionRunner
        from reentry_ledger.projections.verify import verify

        self.require(actor, Permission.OPERATE)
        chosen = [projection_named(name).name for name in names]
        return verify(ProjectionRunner(self.whole, page_size=page_size or PAGE_SIZE), chosen)

    def reports(self, *, actor: str | None, catch_up: bool = True) -> Reports:
        """Every aggregate report, as this actor may see it (from the projections as they
        stand, without catching them up, if `catch_up` is false: a read replica)."""
        from reentry_ledger.reports.service import Reports

        return Reports(self.whole, actor, catch_up=catch_up)


def checked_name(value: str, what: str) -> str:
    """A name as every event's names are checked (domain/checks.py), or InvalidInput."""
    from pydantic import TypeAdapter, ValidationError

    from reentry_ledger.domain.checks import Name

    try:
        return TypeAdapter(Name).validate_python(value)
    except ValidationError as error:
        raise InvalidInput(f"{what} {value!r}: {error.errors()[0]['msg']}") from None
