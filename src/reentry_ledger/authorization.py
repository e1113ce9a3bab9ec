"""What each role may do: the policy. Enforced by the application for every command, on
every path (commands, imports, the demo); front ends hold no permission logic.

A ledger that has never had users runs in single-user mode: any named actor acts, holding
every role. Once a user has been added, only users act, for good. A refusal says what was
refused and never anything about the record: a client of another agency is "not found",
exactly as one that does not exist.

Who the actor is, is what the front end says: on the CLI against a database, a name anyone
holding the database's credentials can type (ADR 0009, ADR 0017).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from reentry_ledger.domain.directory import AGENCY_ROLES, Directory, Role
from reentry_ledger.domain.errors import RuleViolated


class Permission(StrEnum):
    WRITE = "record casework"
    CORRECT = "correct recorded events"
    SEAL = "seal a client's personal data"
    READ_CLIENT = "read client records"
    REPORT = "run aggregate reports"
    OPERATE = "operate the ledger (replay, projections, import, demo)"
    AUDIT = "audit the ledger (verify, digest, access log, full export)"
    EXPORT_DEIDENTIFIED = "export de-identified data"
    NAME_RESEARCH_KEY = "name a research project for stable pseudonyms"
    MANAGE_USERS = "manage users"
    BACKUP = "back up the ledger with its client keys"
    SET_POLICY = "set an agency's policy (custody caps)"
    APPROVE_PLAN = "approve case plans"
    TRANSFER = "move a client to another agency"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CASEWORKER: frozenset({Permission.WRITE, Permission.READ_CLIENT, Permission.REPORT}),
    Role.SUPERVISOR: frozenset(
        {
            Permission.WRITE,
            Permission.CORRECT,
            Permission.SEAL,
            Permission.READ_CLIENT,
            Permission.REPORT,
            Permission.OPERATE,
            Permission.MANAGE_USERS,
            Permission.SET_POLICY,
            Permission.APPROVE_PLAN,
            Permission.TRANSFER,
        }
    ),
    Role.AUDITOR: frozenset(
        {
            Permission.READ_CLIENT,
            Permission.REPORT,
            Permission.OPERATE,
            Permission.AUDIT,
            Permission.EXPORT_DEIDENTIFIED,
            Permission.NAME_RESEARCH_KEY,
            Permission.MANAGE_USERS,
        }
    ),
    Role.OVERSIGHT: frozenset({Permission.REPORT, Permission.EXPORT_DEIDENTIFIED}),
    # Holds the backups: the one role that takes client keys out, wrapped under its own key.
    Role.CUSTODIAN: frozenset({Permission.BACKUP}),
}
OVERSIGHT_SUPPRESS_BELOW = 10


def suppression_floor(role: str | None) -> int | None:
    """The least K a role's reports are shown with (counts below it hidden), if any."""
    return OVERSIGHT_SUPPRESS_BELOW if role == Role.OVERSIGHT else None


def raised_floor_note(role: str | None, asked: int | None, option: str) -> str | None:
    """What to tell a user who asked (with `option`) for a K below the role's floor: the
    report is shown with the floor instead."""
    floor = suppression_floor(role)
    if asked is None or floor is None or asked >= floor:
        return None
    return (
        f"{option} {asked} is below the {role} role's floor: counts from 1 to {floor - 1} are "
        "hidden"
    )


class NotPermitted(RuleViolated):
    """Refused for who the actor is, not for anything about a record."""


@dataclass(frozen=True)
class Actor:
    name: str
    role: Role | None  # None: single-user mode, every role
    agency: str | None = None

    def may(self, permission: Permission) -> bool:
        return self.role is None or permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> Actor:
        if not self.may(permission):
            raise NotPermitted(f"{self.name} ({self.role}) may not {permission}")
        return self

    def check_enrols_in(self, agency: str) -> None:
        """Agency staff enrol their own agency's clients only."""
        if self.role in AGENCY_ROLES and agency != self.agency:
            raise NotPermitted(f"{self.name} may enroll clients of agency {self.agency} only")

    def check_transfers(self) -> None:
        """Moving a case to another agency hands its record to that agency's staff, and out
        of sight of its own: a supervisor's act (ADR 55)."""
        if not self.may(Permission.TRANSFER):
            raise NotPermitted(
                f"{self.name} ({self.role}) may not {Permission.TRANSFER}: a supervisor of "
                "the client's agency does"
            )

    def check_sets_policy_of(self, agency: str) -> None:
        """A supervisor sets its own agency's policy only."""
        self.require(Permission.SET_POLICY)
        if self.role in AGENCY_ROLES and agency != self.agency:
            raise NotPermitted(f"{self.name} may set the policy of agency {self.agency} only")

    def check_manages(self, role: str, agency: str | None, directory: Directory) -> None:
        """Who may add or remove whom: auditors anyone; a supervisor its own agency's
        caseworkers and supervisors, and the first auditor of a ledger that has none."""
        self.require(Permission.MANAGE_USERS)
        if self.role != Role.SUPERVISOR:
            return
        if role in AGENCY_ROLES and agency == self.agency:
            return
        if role == Role.AUDITOR and not directory.has(Role.AUDITOR):
            return
        raise NotPermitted(
            f"{self.name} (supervisor) may manage caseworkers and supervisors "
            f"of agency {self.agency} only (and add the first auditor, while there is none)"
        )

    @property
    def sees_every_agency(self) -> bool:
        """Single-user mode and auditors see every agency's clients (`sees`)."""
        return self.role is None or self.role == Role.AUDITOR

    def sees(self, agency: str) -> bool:
        """May this actor see the records of this agency's clients at all?"""
        if self.sees_every_agency:
            return True
        return self.role in AGENCY_ROLES and agency == self.agency

    def reads_confidential(self, agency: str) -> bool:
        """Confidential case notes: the casework staff of the client's own agency only."""
        return self.role is None or (self.role in AGENCY_ROLES and agency == self.agency)

    @property
    def default_suppression(self) -> int | None:
        return suppression_floor(self.role)


def actor_named(name: str, directory: Directory | None) -> Actor:
    if directory is None:
        return Actor(name, None)
    user = directory.users.get(name)
    if user is None:
        raise NotPermitted(
            f"unknown actor {name!r}: this ledger has users; ask a supervisor or auditor "
            "to add you (`users add`)"
        )
    return Actor(user.name, user.role, user.agency)
