"""A synthetic population whose shape follows published figures (sources in docs/demo.md).

Deterministic for a seed: each client draws from its own generators seeded by (seed, number),
one for its supervision and one for its casework, so the ledger is the same whatever the batch
size or backend. Every event goes through its aggregate (a client's, a programme's, a
volunteer's), so the rules hold exactly as for events a caseworker records.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from reentry_ledger.application import Ledger
from reentry_ledger.domain.client import Client, Stamp, coded
from reentry_ledger.domain.codes import (
    CONTACT_STANDARDS,
    DEFAULT_CUSTODY_CAPS,
    NEED_SERVICES,
    NEED_SKILLS,
    Need,
    VolunteerSkill,
    values,
)
from reentry_ledger.domain.errors import RuleViolated
from reentry_ledger.domain.personal import Protect
from reentry_ledger.domain.programme import Programme, new_programme
from reentry_ledger.domain.references import client_id
from reentry_ledger.domain.state import CaseState, add_months
from reentry_ledger.domain.volunteer import new_volunteer, volunteer_uuid
from reentry_ledger.ingest.bulk import BulkWriter, Row, protector, row
from reentry_ledger.workers import available, chunked, ordered_map

SUPERVISION = {
    "probation": 0.70,
    "parole": 0.18,
    "post_release": 0.05,
    "community_order": 0.04,
    "reentry": 0.03,
}
RISK = {"low": 0.30, "moderate": 0.40, "high": 0.22, "very_high": 0.08}
# Monthly chances of an incident, by risk level (see docs/demo.md for how they were set).
TECHNICAL_PER_MONTH = {"low": 0.010, "moderate": 0.022, "high": 0.040, "very_high": 0.060}
NEW_OFFENCE_PER_MONTH = {"low": 0.003, "moderate": 0.007, "high": 0.013, "very_high": 0.020}
ABSCONDING_PER_MONTH = {"low": 0.001, "moderate": 0.003, "high": 0.006, "very_high": 0.010}
# The service a referral for each need goes to: one that meets the need (codes.NEED_SERVICES).
SERVICE_FOR_NEED = {
    "substance_use": "substance_use",
    "school_work": "employment",
    "family_marital": "family",
    "antisocial_associates": "befriending",
    "leisure_recreation": "befriending",
    "antisocial_cognition": "mental_health",
    "antisocial_personality": "mental_health",
    "criminal_history": "legal_aid",
}
CONDITIONS = [
    "report_weekly",
    "report_monthly",
    "drug_testing",
    "curfew",
    "electronic_monitoring",
    "no_travel",
    "residence",
    "employment",
    "programme_attendance",
    "pay_fees",
    "no_contact",
]
BREACH_FOR_CONDITION = {
    "report_weekly": "failure_to_report",
    "report_monthly": "failure_to_report",
    "drug_testing": "positive_drug_test",
    "curfew": "curfew",
    "electronic_monitoring": "electronic_monitoring",
    "no_travel": "travel_without_permission",
    "residence": "moved_without_permission",
    "employment": "other_condition",
    "programme_attendance": "missed_programme",
    "pay_fees": "unpaid_fees",
    "no_contact": "no_contact_breach",
}
AGENCIES = 5
# Who the people are (docs/demo.md): BJS characteristics of adults on probation (2014) and on
# parole (2010), race and Hispanic origin as BJS counts them (Hispanic of any race, the races
# non-Hispanic); the shares with a known value.
SEX = {"probation": {"male": 0.75, "female": 0.25}, "parole": {"male": 0.88, "female": 0.12}}
ORIGIN = {
    "probation": {"white": 0.54, "black": 0.30, "hispanic": 0.13,
                  "american_indian_alaska_native": 0.01, "asian": 0.01, "multiple": 0.01},
    "parole": {"white": 0.42, "black": 0.39, "hispanic": 0.18,
               "american_indian_alaska_native": 0.01, "asian": 0.01},
}  # fmt: skip
RACE_OF_HISPANIC = {"white": 0.5, "other": 0.3, "unknown": 0.2}  # calibration assumption
# Age at the start of a term: BJS, entries to state parole in 1999 (Reentry Trends in the U.S.).
AGE = {(18, 24): 0.163, (25, 29): 0.190, (30, 34): 0.197, (35, 39): 0.192, (40, 44): 0.135,
       (45, 54): 0.102, (55, 70): 0.021}  # fmt: skip
LEVEL_FOR_RISK = {"low": "low", "moderate": "medium", "high": "high", "very_high": "maximum"}
# Monthly chances of a change of status (calibration assumptions, docs/demo.md).
REASSIGN_PER_MONTH = 0.02  # another officer of the agency
TRANSFER_PER_MONTH = 0.002  # another agency
CONDITIONS_PER_MONTH = 0.03  # a court or board order adds or removes a condition
ADMINISTRATIVE_PER_MONTH = 0.02  # a low-level client moved to administrative supervision
TREATMENT_PER_MONTH = 0.003  # a stay in a residential treatment facility
JAIL_HOLD_ON_NEW_OFFENCE = 0.5  # held until the decision
ANOTHER_TERM = {"revoked": 0.45, "ended": 0.06}  # after a revocation; after any other end

# Responses and revocations (docs/demo.md, "Responses"). The share of violations a court or
# board revokes, by kind: set so that revocations for technical violations alone are roughly
# twice those for new offences, as for prison admissions (CSG Justice Center, Confined and
# Costly, 2019: about 45% of admissions for supervision violations, nearly a quarter for
# technical violations alone); a felony more than a misdemeanour. Calibration assumption.
REVOKED_SHARE = {"technical": 0.30, "absconding": 0.45, "misdemeanor": 0.35, "felony": 0.65}
# A revocation starts as the officer's recommendation; the court or board follows it in this
# share, and decides something else otherwise (illustrative assumption). So the officer
# recommends revocation for REVOKED_SHARE / FOLLOWED of the violations.
FOLLOWED = 0.8
NOT_FOLLOWED = {"continuance": 0.4, "treatment_referral": 0.25, "custody_sanction": 0.2,
                "electronic_monitoring": 0.15}  # illustrative assumption  # fmt: skip
REVOCATION_DAYS = (90, 180, 365)  # prison time on a revocation (illustrative assumption)
COURT_CUSTODY_DAYS = (30, 45, 60)  # a court's or board's custody sanction: over the caps
# The officer's own decision on a violation it does not take to the court or board: the
# graduated responses, mildest most often (illustrative assumption). A custody sanction stays
# within the Pennsylvania caps (Act 44 of 2023: 14 days for a first technical violation, 30 for
# a later one; DEFAULT_CUSTODY_CAPS), the caps in force for an agency that set none.
OFFICER_RESPONSES = {"warning": 0.30, "increased_reporting": 0.15, "curfew": 0.08,
                     "electronic_monitoring": 0.07, "community_service": 0.08,
                     "treatment_referral": 0.12, "custody_sanction": 0.12,
                     "continuance": 0.08}  # fmt: skip
CUSTODY_DAYS = (2, 3, 5, 7, 14, 21, 30)  # those within the cap are drawn alike
# Who decides what the officer cannot: a parole board for parole and post-release
# supervision, a court otherwise (Morrissey v. Brewer, 1972; Gagnon v. Scarpelli, 1973).
DECIDED_BY = {"parole": "parole_board", "post_release": "parole_board"}
# A new offence: its type in the shares of the Iowa file's own `New` returns (FY2010-2013:
# property 959, drug 913, public order 804, violent 608, other 138 of 3,422 typed); violent
# when its type is. What it rests on when the officer records it: illustrative assumption.
OFFENCE_TYPE = {"property": 0.280, "drug": 0.267, "public_order": 0.235, "violent": 0.178,
                "other": 0.040}  # fmt: skip
BASIS = {"arrest": 0.55, "charge": 0.30, "conviction": 0.15}
# How the charge ends (a disposition 60 to 365 days later, illustrative): after an arrest as
# BJS followed felony arrests (The Prosecution of Felony Arrests, 1988: of 100 arrests 54
# convicted, 45 rejected, dismissed or diverted, 1 acquitted); after a charge as BJS followed
# filed felony cases (Felony Defendants in Large Urban Counties, 2004: 68% convicted within a
# year, 59% of a felony and 9% of a misdemeanour; acquittals taken as 1%, the rest dismissed).
# Half of them are first recorded as pending, 7 to 30 days after the violation (illustrative).
DISPOSITION = {
    "arrest": {"convicted": 0.54, "dismissed": 0.45, "acquitted": 0.01},
    "charge": {"convicted": 0.68, "dismissed": 0.31, "acquitted": 0.01},
}
PENDING_FIRST = 0.5
# Incentives for compliance: a month without a violation, in the community, brings one in this
# share, set so the demo gives about four incentives per sanction overall, the ratio the
# graduated-responses literature recommends (Wodahl, Garland, Culhane & McCarty, Criminal
# Justice and Behavior 38(4), 2011: best outcomes at four or more rewards per sanction). The
# kinds: illustrative assumption.
INCENTIVE_PER_COMPLIANT_MONTH = 0.13
INCENTIVES = {"commendation": 0.45, "reduced_reporting": 0.25, "level_reduced": 0.12,
              "curfew_lifted": 0.08, "early_discharge_recommended": 0.10}  # fmt: skip
LOWER_LEVEL = {"maximum": "high", "high": "medium", "medium": "low"}
# An absconder not found again: the term ends at its expected end, `absconded`
# (illustrative assumption).
NOT_FOUND = 0.15

# --- Casework (issue 18; docs/demo.md, "Casework"). Drawn from the client's second generator,
# seeded by (seed, number, "casework"), so the supervision story above draws as it would
# without it. Every figure here is an illustrative or calibration assumption unless the docs
# name a source.
EARLY_DAYS = 3 * 365 + 30  # programmes added and volunteers registered this long before today
# A goal per need, with a target 3, 6, 9 or 12 months on; a fifth of plans are recorded as a
# plan revision (`plan --goal`: no targets), the rest goal by goal (`goal add --target`).
GOAL_TARGET_MONTHS = (3, 6, 9, 12)
PLAN_AS_REVISION = 0.2
GOAL_TEXT = {
    "criminal_history": "settle outstanding fines and records",
    "antisocial_personality": "practise problem solving in daily life",
    "antisocial_cognition": "challenge thinking that excuses offending",
    "antisocial_associates": "spend time with people who do not offend",
    "family_marital": "mend ties with family",
    "school_work": "find and keep work or schooling",
    "leisure_recreation": "take up a regular prosocial activity",
    "substance_use": "stay sober and complete treatment",
}
# Each month, an open goal moves on: where it stands, and the chances of each next status
# (`in_progress` again is a progress note).
GOAL_STEPS = {
    "not_started": {"in_progress": 0.45},
    "in_progress": {"achieved": 0.09, "abandoned": 0.03, "in_progress": 0.15},
}
REORDER_PER_MONTH = 0.03  # an open goal moved to first place
APPROVED = 0.9  # plans a supervisor approves, 1 to 14 days later
APPROVAL_DAYS = (1, 14)
# A reassessment finds a new need (a plan revision adds its goal, first) or reorders the plan.
NEW_NEED_AT_REASSESSMENT = 0.25
REVISED_AT_REASSESSMENT = 0.15
# Needs referred to a service, by risk level: more services for higher risk (the risk
# principle); a referral serves the need's goal in half of them, the need alone otherwise.
REFERRED = {"low": 0.45, "moderate": 0.6, "high": 0.75, "very_high": 0.85}
REFERRAL_FOR_GOAL = 0.5
REFERRAL_STEPS = {
    "made": {"accepted": 0.75, "declined": 0.25},
    "accepted": {"started": 0.85, "dropped": 0.15},
    "started": {"completed": 0.65, "dropped": 0.35},
}
REFERRAL_MOVES = 0.5  # each month, of open referrals
REASONS = {
    "declined": {"no_capacity": 0.35, "ineligible": 0.30, "client_declined": 0.25, "other": 0.10},
    "dropped": {"no_show": 0.40, "client_declined": 0.20, "moved": 0.10, "no_capacity": 0.10,
                "ineligible": 0.05, "other": 0.15},
}  # fmt: skip
# Contacts: one is due every so many days, by the supervision level: as often as
# codes.CONTACT_STANDARDS asks, counting 28 days a month (so calendar months mostly meet it),
# each drawn 0 to 3 days sooner; one due is made in CONTACT_MADE of cases (never while in
# custody or absconded).
CONTACT_GAP = {
    level: 28 * months // contacts
    for level, (contacts, months) in CONTACT_STANDARDS.items()
    if contacts
}
CONTACT_GAP["administrative"] = 90  # the standard asks none: one a quarter or so
CONTACT_MADE = 0.9
CONTACT_KINDS = {"office": 0.50, "home": 0.18, "field": 0.10, "phone_video": 0.17,
                 "casework": 0.05}  # fmt: skip
COLLATERAL_PER_MONTH = 0.15  # a contact with family, an employer or a provider
# Group programmes of every agency: name, service, sessions planned, weekdays held (0 Monday).
PROGRAMMES = (
    ("Thinking for a Change", "mental_health", 25, (0, 3)),
    ("Employment readiness", "employment", 10, (1,)),
    ("Recovery group", "substance_use", 16, (2,)),
)
PROGRAMME_PLACE = 0.5  # clients with a need the programme meets who get a place
PLACE_AFTER_DAYS = (7, 35)  # the place begins this many days after the assessment
ATTENDANCE = (0.55, 0.95)  # each place's chance of attending a session, drawn alike
DROPPED_AFTER_MISSES = 3  # misses in a row
REMOVED_PER_SESSION = 0.005
COMPLETED_ATTENDANCE = 0.6  # the share of sessions attended to complete the programme
# Volunteers: a register per agency, one volunteer for every ten of its clients (at least
# two), registered on the early date, trained 1 to 8 weeks before; 1 to 3 skills, capacity 1
# to 3 (weights 0.5, 0.3, 0.2). Monthly group supervision (first Tuesday; each present in
# 85%), one to one in 10% of volunteer-months, further training in 3%; 1% a month leave.
CLIENTS_PER_VOLUNTEER = 10
CAPACITY = {"1": 0.5, "2": 0.3, "3": 0.2}
GROUP_PRESENT = 0.85
INDIVIDUAL_PER_MONTH = 0.10
TRAINED_PER_MONTH = 0.03
LEAVES_PER_MONTH = 0.01
LEAVING = ("moved away", "work commitments", "health", "personal reasons")
AVAILABILITY = ("weekday evenings", "weekends", "weekday daytime", "flexible")
FIRST_NAMES = ("Anna", "Ben", "Carla", "David", "Elif", "Femi", "Grace", "Hugo", "Iris",
               "Jonas", "Kofi", "Lena", "Marco", "Nadia", "Omar", "Petra", "Ravi", "Sara",
               "Tom", "Ursula", "Victor", "Wen", "Yusuf", "Zoe")  # fmt: skip
# Volunteer matches: 3% of client-months start one (with a registered volunteer of the
# client's agency whose skills meet one of its needs, drawn by capacity; in 5%, and where
# none fits, one named); 8% of open matches end each month, and a match ends when its
# volunteer leaves.
MATCH_PER_MONTH = 0.03
NAMED_MATCH = 0.05  # a volunteer not on the register, matched by name as before issue 18
MATCH_ENDS = 0.08
MATCH_ENDINGS = {"completed": 0.50, "failed": 0.15, "taken_back": 0.15, "client_withdrew": 0.12,
                 "volunteer_withdrew": 0.08}  # fmt: skip
SUPERVISOR = "{agency}-sup"  # the agency's supervisor and coordinating professional


@dataclass(frozen=True)
class DemoReport:
    clients: int
    events: int


START_REASON = {"parole": "release_to_parole", "post_release": "release_to_post_release"}
REVOKED = {"revoked_technical", "revoked_new_offence", "absconded"}
DISCHARGE_OUTCOMES = {"successful": 0.82, "early": 0.08, "transferred": 0.05, "death": 0.01,
                      "other": 0.04}  # fmt: skip
AGE_WEIGHTS = {str(band): share for band, share in AGE.items()}
AGE_BANDS_BY_NAME = {str(band): band for band in AGE}


def weighted(rng: random.Random, table: dict[str, float]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]


@dataclass(frozen=True)
class VolunteerPlan:
    """One volunteer of the demo's register, as the stories need it to match clients."""

    volunteer_id: str
    agency: str
    skills: tuple[str, ...]
    capacity: int
    left_on: date | None

    def active_on(self, day: date) -> bool:
        return self.left_on is None or day < self.left_on


Register = dict[str, tuple[VolunteerPlan, ...]]  # each agency's volunteers, in order of id
# Sessions a run of stories held: (agency, programme, day's ordinal) -> [attended, missed].
SessionCounts = dict[tuple[str, str, int], list[int]]


def early(today: date) -> date:
    """The day programmes were added and volunteers registered: before any enrolment."""
    return today - timedelta(days=EARLY_DAYS)


def reference(number: int) -> str:
    """The demo's client `number` (from 1)'s reference."""
    return f"DEMO-{number:07d}"


def volunteer_register(seed: int, today: date, clients: int) -> Register:
    """Every agency's volunteers, ids VOL1, VOL2, ... in order of registration (agency by
    agency, as application/volunteers.py assigns them: across agencies)."""
    rng = random.Random(f"{seed}:volunteers")
    per_agency = max(2, clients // AGENCIES // CLIENTS_PER_VOLUNTEER)
    registered, number = early(today), 0
    register: Register = {}
    for agency_number in range(1, AGENCIES + 1):
        agency, plans = f"AG{agency_number}", []
        for _ in range(per_agency):
            number += 1
            skills = tuple(sorted(rng.sample(values(VolunteerSkill), rng.randint(1, 3))))
            capacity = int(weighted(rng, CAPACITY))
            stays = rng.expovariate(-math.log(1 - LEAVES_PER_MONTH) / 30.44)
            left_on = registered + timedelta(days=1 + int(stays))
            plans.append(VolunteerPlan(f"VOL{number}", agency, skills, capacity,
                                       left_on if left_on <= today else None))  # fmt: skip
        register[agency] = tuple(plans)
    return register


@dataclass
class Place:
    """A client's place in a programme, as the story keeps it."""

    programme: str
    planned: int
    weekdays: tuple[int, ...]
    begun: date
    attends: float
    held: int = 0
    attended: int = 0
    missed_in_row: int = 0


def away_on(state: CaseState, day: date) -> bool:
    """In custody or absconded on `day` (as recorded so far)."""
    return any(p.since <= day and (p.until is None or day < p.until) for p in state.periods)


class ClientStory:
    """Draws one client's supervision, month by month, from enrolment to discharge or today."""

    def __init__(
        self,
        number: int,
        seed: int,
        today: date,
        officers_per_agency: int,
        protect: Callable[[str], Protect] | None = None,
        register: Register | None = None,
        sessions: SessionCounts | None = None,
    ) -> None:
        self.rng = random.Random(f"{seed}:{number}")
        self.work = random.Random(f"{seed}:{number}:casework")  # casework draws (issue 18)
        self.register = register or {}
        self.sessions: SessionCounts = {} if sessions is None else sessions
        self.number = number
        self.today = today
        self.agency = f"AG{number % AGENCIES + 1}"
        self.officer = f"{self.agency}-o{self.rng.randrange(officers_per_agency) + 1:03d}"
        self.last_recorded = datetime(2000, 1, 1, tzinfo=UTC)
        self.ref = reference(number)
        self.protect = protect(str(client_id(self.ref))) if protect else None
        self.officers = officers_per_agency
        self.status_on = date.min  # the term's latest change of status: the next is not before
        # The courts' dispositions still to come: (date, violation, disposition, type).
        self.due: list[tuple[date, str, str, str]] = []
        self.technical_in_term = 0  # the term's technical violations so far (for the caps)
        self.violated = False  # whether this month brought a violation
        # The term's casework: its needs, the goal for each need, programme places begun and
        # to begin, the next contact due, the plan's approval to come, and the day through
        # which the days' casework is told.
        self.needs: list[str] = []
        self.goal_for: dict[str, str] = {}
        self.places: dict[str, Place] = {}
        self.places_due: list[tuple[date, str]] = []
        self.next_contact: date | None = None
        self.approve_on: date | None = None
        self.told_to = date.min

    def stamp(self, on: date, rng: random.Random | None = None, by: str | None = None) -> Stamp:
        """Recorded on the day or a few days later, in office hours, never before the last."""
        rng = rng or self.rng
        lag = timedelta(
            days=rng.choice([0, 0, 0, 1, 1, 2, 3, 7]),
            seconds=rng.randrange(8 * 3600, 18 * 3600),
        )
        at = max(datetime.combine(on, time(), UTC) + lag, self.last_recorded + timedelta(seconds=1))
        at = min(at, datetime.combine(self.today, time(23, 59), UTC))
        self.last_recorded = at
        return Stamp(on=on, by=by or self.officer, today=self.today, at=at, protect=self.protect)

    def work_stamp(self, on: date, by: str | None = None) -> Stamp:
        """A casework event's stamp, drawn from the casework generator."""
        return self.stamp(on, self.work, by)

    def tell(self) -> Client:
        rng = self.rng
        start = self.today - timedelta(days=rng.randrange(30, 3 * 365))
        supervision = weighted(rng, SUPERVISION)
        conditions = rng.sample(CONDITIONS, rng.randint(1, 4))
        juvenile = rng.random() < 0.08
        client = Client.enroll(
            self.ref,
            self.stamp(start),
            agency=self.agency,
            officer=self.officer,
            supervision=coded(supervision),
            conditions=[coded(c) for c in conditions],
            expected_end=start + timedelta(days=rng.choice([365, 548, 730, 1095])),
            juvenile=juvenile,
            start_reason=coded(START_REASON.get(supervision, "new_sentence")),
            person=self._person(supervision, start, juvenile),
        )
        while True:
            next_start = self._term(client, start)
            if next_start is None or client.state.term >= 3:  # at most three terms
                self._dispositions(client, self.today)
                return client
            self._dispositions(client, next_start - timedelta(days=1))
            start = next_start
            supervision = (
                "parole" if client.state.outcome in REVOKED else weighted(rng, SUPERVISION)
            )
            self._new_officer(rng.random() < 0.3)
            client.start_term(
                self.stamp(start),
                agency=self.agency,
                officer=self.officer,
                supervision=coded(supervision),
                conditions=[coded(c) for c in rng.sample(CONDITIONS, rng.randint(1, 4))],
                expected_end=start + timedelta(days=rng.choice([365, 548, 730])),
                start_reason=coded(
                    "release_to_parole" if supervision == "parole" else "new_sentence"
                ),
            )

    def _person(self, supervision: str, start: date, juvenile: bool) -> dict[str, Any]:
        """Sex, race, ethnicity and birth year, as BJS counts people on probation or parole;
        a few left unknown, as records have them."""
        rng = self.rng
        group = "parole" if supervision in ("parole", "post_release") else "probation"
        origin = weighted(rng, ORIGIN[group])
        hispanic = origin == "hispanic"
        race = weighted(rng, RACE_OF_HISPANIC) if hispanic else origin
        low, high = (14, 17) if juvenile else AGE_BANDS_BY_NAME[weighted(rng, AGE_WEIGHTS)]
        person: dict[str, Any] = {
            "sex": coded(weighted(rng, SEX[group])) if rng.random() > 0.01 else None,
            "race": coded(race) if rng.random() > 0.03 else None,
            "ethnicity": coded("hispanic" if hispanic else "not_hispanic")
            if rng.random() > 0.05
            else None,
            "birth_year": start.year - rng.randint(low, high) if rng.random() > 0.02 else None,
        }
        return person

    def _new_officer(self, other_agency: bool) -> None:
        if other_agency:
            self.agency = (
                f"AG{(int(self.agency[2:]) + self.rng.randrange(AGENCIES - 1)) % AGENCIES + 1}"
            )
        officer = self.officer
        while officer == self.officer and (self.officers > 1 or other_agency):
            officer = f"{self.agency}-o{self.rng.randrange(self.officers) + 1:03d}"
        self.officer = officer

    def _term(self, client: Client, start: date) -> date | None:
        """One term, from its start to its discharge (or today); returns the start of the
        client's next term, if there is one to tell."""
        rng = self.rng
        self.status_on = start
        self.technical_in_term = 0
        risk = weighted(rng, RISK)
        needs = rng.sample(values(Need), rng.randint(1, 3))
        day = start + timedelta(days=rng.randint(0, 14))
        if day > self.today:
            return None
        client.assess(
            self.stamp(day),
            instrument="ORAS",
            risk_level=coded(risk),
            needs=[coded(n) for n in needs],
        )
        self._plan(client, day, needs)
        self._level(client, day, LEVEL_FOR_RISK[risk])
        self.referrals: list[str] = []
        for need in needs:
            self._refer(client, need, day, risk)
        self._places_for(needs, day)
        end = client.state.expected_end or self.today
        while True:
            day += timedelta(days=rng.randint(20, 40))
            if day > min(end, self.today):
                break
            if self._month(client, day, risk):
                return self._next_term(client, "revoked")
            if not self._at_large(client, day):
                continue
            if rng.random() < 0.08:  # reassessment
                order = list(RISK)
                risk = order[max(0, min(3, order.index(risk) + rng.choice([-1, 0, 1])))]
                new_need = self._new_need()
                client.assess(
                    self.stamp(day),
                    instrument="ORAS",
                    risk_level=coded(risk),
                    needs=[coded(n) for n in self.needs],
                )
                self._level(client, day, LEVEL_FOR_RISK[risk])
                self._revise(client, day, new_need, risk)
            self._status_changes(client, day, risk)
        self._days(client, min(end, self.today))  # the casework of the days since the last
        if end > self.today:
            return None
        absconded = client.state.status == "absconded"
        outcome = "absconded" if absconded else weighted(rng, DISCHARGE_OUTCOMES)
        client.discharge(
            self.stamp(max(end, client.state.last_effective_on or end)), outcome=coded(outcome)
        )
        return self._next_term(client, "ended")

    def _next_term(self, client: Client, how: str) -> date | None:
        """A later term: parole after the prison time of a revocation, or a new sentence."""
        if self.rng.random() >= ANOTHER_TERM[how]:
            return None
        ended = client.state.discharged_on
        assert ended is not None
        away = self.rng.choice([90, 180, 365]) if how == "revoked" else self.rng.randint(90, 540)
        start = ended + timedelta(days=away + self.rng.randint(0, 30))
        return start if start <= self.today - timedelta(days=30) else None

    def _on(self, day: date) -> date | None:
        """The date a change of status takes, not before the term's latest; None if that is
        after today."""
        on = max(day, self.status_on)
        if on > self.today:
            return None
        self.status_on = on
        return on

    def _level(self, client: Client, day: date, level: str) -> None:
        if client.state.level != level and (on := self._on(day)):
            client.change_level(self.stamp(on), level=coded(level))

    def _status_changes(self, client: Client, day: date, risk: str) -> None:
        """A month's changes of caseload, level, conditions or custody for treatment."""
        rng = self.rng
        if rng.random() < REASSIGN_PER_MONTH + TRANSFER_PER_MONTH and (on := self._on(day)):
            moved = rng.random() < TRANSFER_PER_MONTH / (REASSIGN_PER_MONTH + TRANSFER_PER_MONTH)
            before = (self.agency, self.officer)
            self._new_officer(moved)
            if self.agency != before[0]:  # places in the old agency's programmes end
                for programme in list(self.places):
                    self._end_place(client, programme, on, "removed")
                self.places_due = []
            if (self.agency, self.officer) != before:
                client.reassign(self.stamp(on), officer=self.officer, agency=self.agency)
        if risk == "low" and rng.random() < ADMINISTRATIVE_PER_MONTH:
            self._level(client, day, "administrative")
        if rng.random() < CONDITIONS_PER_MONTH and (on := self._on(day)):
            held = client.state.conditions
            if len(held) > 1 and rng.random() < 0.5:
                client.change_conditions(self.stamp(on), remove=[coded(rng.choice(held))])
            else:
                added = rng.choice([c for c in CONDITIONS if c not in held])
                client.change_conditions(self.stamp(on), add=[coded(added)])
        if rng.random() < TREATMENT_PER_MONTH:
            self._custody(client, day, "treatment_facility", rng.randint(28, 90))

    def _custody(self, client: Client, day: date, reason: str, days: int | None) -> None:
        """In custody from `day` for `days` (None: until something else ends it)."""
        on = self._on(day)
        if on is None:
            return
        client.start_custody(self.stamp(on), reason=coded(reason))
        if days is not None:
            self._release(client, on + timedelta(days=days))

    def _release(self, client: Client, day: date) -> None:
        if day <= self.today:
            self.status_on = max(day, self.status_on)
            client.end_custody(self.stamp(self.status_on))

    def _month(self, client: Client, day: date, risk: str) -> bool:
        """One month of supervision; True when it ends in a revocation decision."""
        rng = self.rng
        self._dispositions(client, day)
        self._days(client, day)
        self._casework(client, day)
        if rng.random() < 0.01 and client.version > 2:  # an entry made in error, retracted
            client.log_contact(self.stamp(day), kind=coded("casework"), note="wrong client")
            client.correct(self.stamp(day), client.version, "entered on the wrong client")
        if not self._at_large(client, day):
            return False
        self.violated = False
        if self._violations(client, day, risk):
            return True
        compliant = not self.violated and client.state.status == "active"
        if compliant and rng.random() < INCENTIVE_PER_COMPLIANT_MONTH:
            self._incentive(client, day)
        return False

    def _incentive(self, client: Client, day: date) -> None:
        """A reward for a month of compliance; lifting a curfew or lowering the level also
        changes the term (a change of status)."""
        state = client.state
        kind = weighted(self.rng, INCENTIVES)
        liftable = "curfew" in state.conditions and len(state.conditions) > 1
        if kind == "curfew_lifted" and not liftable:
            kind = "commendation"
        if kind == "level_reduced" and state.level not in LOWER_LEVEL:
            kind = "commendation"
        end = state.expected_end
        if kind == "early_discharge_recommended" and (end is None or (end - day).days > 90):
            kind = "commendation"
        on = self._on(day) if kind in ("curfew_lifted", "level_reduced") else day
        if on is None:
            return
        client.grant_incentive(self.stamp(on), kind=coded(kind))
        if kind == "curfew_lifted":
            client.change_conditions(self.stamp(on), remove=[coded("curfew")])
        elif kind == "level_reduced" and state.level is not None:
            client.change_level(self.stamp(on), level=coded(LOWER_LEVEL[state.level]))

    def _dispositions(self, client: Client, until: date) -> None:
        """The courts' dispositions due by `until` (none after today), in order of date, none
        dated before the client's latest event (so events stay in order of effect)."""
        if not self.due:
            return
        later = []
        for on, violation, disposition, offence_type in sorted(self.due):
            if on > min(until, self.today):
                later.append((on, violation, disposition, offence_type))
                continue
            client.record_disposition(
                self.stamp(max(on, client.state.last_effective_on or on)),
                violation,
                disposition=coded(disposition),
                offence_type=coded(offence_type) if disposition == "convicted" else None,
            )
        self.due = later

    def _at_large(self, client: Client, day: date) -> bool:
        """In the community on `day`: neither in custody nor absconded, then or since."""
        return client.state.status == "active" and day >= self.status_on

    # --- casework (issue 18): drawn from self.work ----------------------------------------

    def _plan(self, client: Client, day: date, needs: list[str]) -> None:
        """The term's case plan: a goal for each need, most with a target date, recorded goal
        by goal or as one plan revision; a supervisor approves it soon after, mostly. The
        term's casework starts afresh."""
        work = self.work
        self.needs, self.goal_for = list(needs), {}
        self.places, self.places_due, self.told_to = {}, [], day
        self.approve_on = None
        self.next_contact = day + timedelta(days=work.randint(1, 10))
        if work.random() < PLAN_AS_REVISION:
            goals = [(coded(need), GOAL_TEXT[need]) for need in needs]
            ids = client.revise_plan(self.work_stamp(day), goals=goals)
            self.goal_for.update(zip(needs, ids, strict=True))
        else:
            for need in needs:
                months = work.choice(GOAL_TARGET_MONTHS)
                self.goal_for[need] = client.add_goal(
                    self.work_stamp(day),
                    need=coded(need),
                    description=GOAL_TEXT[need],
                    target=add_months(day, months),
                )
        self._to_approve(day)

    def _to_approve(self, day: date) -> None:
        if self.work.random() < APPROVED:
            self.approve_on = day + timedelta(days=self.work.randint(*APPROVAL_DAYS))

    def _new_need(self) -> str | None:
        """A need a reassessment finds that the term's needs lacked, or None."""
        work = self.work
        if work.random() >= NEW_NEED_AT_REASSESSMENT or len(self.needs) == len(Need):
            return None
        need = work.choice([n for n in values(Need) if n not in self.needs])
        self.needs.append(need)
        return need

    def _revise(self, client: Client, day: date, new_need: str | None, risk: str) -> None:
        """After a reassessment: a new need's goal takes first place in a plan revision (and
        may be referred), or the plan's last open goal moves up; approved again, mostly."""
        if new_need is not None:
            (goal,) = client.revise_plan(
                self.work_stamp(day), goals=[(coded(new_need), GOAL_TEXT[new_need])]
            )
            self.goal_for[new_need] = goal
            self._refer(client, new_need, day, risk)
        elif len(open_plan := client.state.open_plan) > 1 and (
            self.work.random() < REVISED_AT_REASSESSMENT
        ):
            client.revise_plan(self.work_stamp(day), goals=[open_plan[-1]])
        else:
            return
        self._to_approve(day)

    def _refer(self, client: Client, need: str, day: date, risk: str) -> None:
        """A referral for a need, by the risk level's chance: for the need's goal, or the
        need alone."""
        work = self.work
        if work.random() >= REFERRED[risk]:
            return
        service = coded(SERVICE_FOR_NEED[need])
        goal = self.goal_for.get(need)
        goal_open = goal is not None and goal in client.state.open_plan
        if goal_open and work.random() < REFERRAL_FOR_GOAL:
            referral = client.refer(self.work_stamp(day), service=service, goal_id=goal)
        else:
            referral = client.refer(self.work_stamp(day), service=service, need=coded(need))
        self.referrals.append(referral)

    def _places_for(self, needs: list[str], day: date) -> None:
        """Places to begin in the agency's programmes that meet one of the needs."""
        for name, service, _, _ in PROGRAMMES:
            meets = any(service in NEED_SERVICES[need] for need in needs)
            if meets and self.work.random() < PROGRAMME_PLACE:
                begins = day + timedelta(days=self.work.randint(*PLACE_AFTER_DAYS))
                self.places_due.append((begins, name))

    def _casework(self, client: Client, day: date) -> None:
        """A month's casework on its last day: referrals, goals, a collateral contact,
        volunteer matches."""
        work = self.work
        self._advance_referrals(client, day)
        self._goals(client, day)
        if work.random() < COLLATERAL_PER_MONTH:
            client.log_contact(
                self.work_stamp(day),
                kind=coded("collateral"),
                note="spoke with family, employer or provider",
                confidential=work.random() < 0.7,
            )
        match = client.state.active_match
        if match is None and work.random() < MATCH_PER_MONTH:
            self._match(client, day)
        elif match is not None and work.random() < MATCH_ENDS:
            ending = weighted(work, MATCH_ENDINGS)
            client.end_volunteer_match(self.work_stamp(day), ending=coded(ending))

    def _advance_referrals(self, client: Client, day: date) -> None:
        work = self.work
        for referral in self.referrals:
            step = REFERRAL_STEPS.get(client.state.referrals[referral].status)
            if step and work.random() < REFERRAL_MOVES:
                chosen = weighted(work, step)
                reason = coded(weighted(work, REASONS[chosen])) if chosen in REASONS else None
                client.update_referral(self.work_stamp(day), referral, coded(chosen), reason)

    def _goals(self, client: Client, day: date) -> None:
        """Each open goal may move on; now and then one is moved to first place."""
        work = self.work
        state = client.state
        for goal_id in state.open_plan:
            step = GOAL_STEPS[state.goals[goal_id].status]
            draw, status = work.random(), None
            for candidate, chance in step.items():
                if draw < chance:
                    status = candidate
                    break
                draw -= chance
            if status is not None:
                client.progress_goal(self.work_stamp(day), goal_id, status=coded(status))
        open_plan = client.state.open_plan
        if len(open_plan) > 1 and work.random() < REORDER_PER_MONTH:
            client.reorder_goal(self.work_stamp(day), work.choice(open_plan[1:]), priority=1)

    def _match(self, client: Client, day: date) -> None:
        """A volunteer match: a registered volunteer of the client's agency whose skills
        meet one of its needs, active that day; else one named (not on the register)."""
        work = self.work
        fitting = [
            (volunteer, met)
            for volunteer in self.register.get(client.state.agency, ())
            if volunteer.active_on(day)
            and (met := [n for n in self.needs if NEED_SKILLS[n] & set(volunteer.skills)])
        ]
        if fitting and work.random() >= NAMED_MATCH:
            weights = [volunteer.capacity for volunteer, _ in fitting]
            volunteer, met = work.choices(fitting, weights=weights)[0]
            client.match_volunteer(
                self.work_stamp(day),
                volunteer_id=volunteer.volunteer_id,
                needs=[coded(need) for need in met],
            )
        else:
            named = f"v-{work.randrange(500):03d}"
            client.match_volunteer(self.work_stamp(day), volunteer=named)

    def _days(self, client: Client, until: date) -> None:
        """The days' casework after the last told through `until`, in order of date: the
        plan's approval, programme places begun, contacts due, sessions held, a match ended
        by its volunteer leaving."""
        day = self.told_to
        while day < until:
            day += timedelta(days=1)
            self._day(client, day)
        self.told_to = max(self.told_to, until)

    def _day(self, client: Client, day: date) -> None:
        work, state = self.work, client.state
        if self.approve_on == day:
            self.approve_on = None
            if state.open_plan and not state.plan_approved_as_it_stands:
                by = SUPERVISOR.format(agency=state.agency)
                client.approve_plan(self.work_stamp(day, by=by))
        if self.places_due and self.places_due[0][0] <= day:
            self._begin_places(client, day)
        if self.next_contact is not None and day >= self.next_contact:
            gap = CONTACT_GAP.get(state.level or "")
            if gap is not None and work.random() < CONTACT_MADE and not away_on(state, day):
                client.log_contact(
                    self.work_stamp(day),
                    kind=coded(weighted(work, CONTACT_KINDS)),
                    note="contact",
                    confidential=work.random() < 0.7,
                )
            self.next_contact = day + timedelta(days=max(1, (gap or 30) - work.randint(0, 3)))
        match = state.active_match
        if match is not None and match.volunteer_id is not None:
            volunteer = self._volunteer(state.agency, match.volunteer_id)
            if volunteer is not None and volunteer.left_on == day:
                client.end_volunteer_match(self.work_stamp(day), ending=coded("volunteer_withdrew"))
        for place in list(self.places.values()):
            if day.weekday() in place.weekdays and day > place.begun:
                self._session(client, place, day)

    def _volunteer(self, agency: str, volunteer_id: str) -> VolunteerPlan | None:
        for volunteers in (self.register.get(agency, ()), *self.register.values()):
            for volunteer in volunteers:
                if volunteer.volunteer_id == volunteer_id:
                    return volunteer
        return None

    def _begin_places(self, client: Client, day: date) -> None:
        due = [name for on, name in self.places_due if on <= day]
        self.places_due = [(on, name) for on, name in self.places_due if on > day]
        for name, service, planned, weekdays in PROGRAMMES:
            if name in due and name not in self.places:
                client.enrol_in_programme(
                    self.work_stamp(day), programme=name, service=coded(service)
                )
                attends = self.work.uniform(*ATTENDANCE)
                self.places[name] = Place(name, planned, weekdays, day, attends)

    def _session(self, client: Client, place: Place, day: date) -> None:
        """A session of the programme: attended or missed (always, in custody or absconded),
        counted for the programme's own record; then the place may end."""
        work = self.work
        came = not away_on(client.state, day) and work.random() < place.attends
        client.record_session(self.work_stamp(day), programme=place.programme, attended=came)
        key = (client.state.agency, place.programme, day.toordinal())
        counts = self.sessions.setdefault(key, [0, 0])
        counts[0 if came else 1] += 1
        place.held += 1
        place.attended += came
        place.missed_in_row = 0 if came else place.missed_in_row + 1
        outcome = None
        if work.random() < REMOVED_PER_SESSION:
            outcome = "removed"
        elif place.missed_in_row >= DROPPED_AFTER_MISSES:
            outcome = "dropped_out"
        elif place.held >= place.planned:
            completed = place.attended >= COMPLETED_ATTENDANCE * place.held
            outcome = "completed" if completed else "dropped_out"
        if outcome is not None:
            self._end_place(client, place.programme, day, outcome)

    def _end_place(self, client: Client, programme: str, day: date, outcome: str) -> None:
        client.end_programme(self.work_stamp(day), programme=programme, outcome=coded(outcome))
        del self.places[programme]

    def _violations(self, client: Client, day: date, risk: str) -> bool:
        """At most one violation this month, and what is decided on it; True when a
        revocation decision ends the term."""
        rng = self.rng
        kind = None
        if rng.random() < NEW_OFFENCE_PER_MONTH[risk]:
            kind = "new_offence"
        elif rng.random() < ABSCONDING_PER_MONTH[risk]:
            kind = "absconding"
        elif rng.random() < TECHNICAL_PER_MONTH[risk]:
            kind = "technical"
        if kind is None:
            return False
        self.violated = True
        held = False
        if kind == "new_offence":
            violation, share = self._new_offence(client, day)
            held = rng.random() < JAIL_HOLD_ON_NEW_OFFENCE
            if held:
                self._custody(client, day, "jail_hold", None)
        else:
            breach = [coded(BREACH_FOR_CONDITION[rng.choice(client.state.conditions)])]
            violation = client.record_violation(
                self.stamp(day), technical=breach, absconding=kind == "absconding"
            )
            share = REVOKED_SHARE[kind]
        first_technical = kind == "technical" and self.technical_in_term == 0
        self.technical_in_term += kind == "technical"
        answered = day + timedelta(days=rng.randint(1, 21))
        if kind == "absconding":
            if (gone := self._on(day)) is None:
                return False
            client.abscond(self.stamp(gone))
            back = gone + timedelta(days=rng.randint(3, 60))
            if rng.random() < NOT_FOUND or back > self.today:
                return False  # still absconded: nothing decided yet
            self.status_on = back
            client.return_(self.stamp(back))
            answered = back + timedelta(days=rng.randint(1, 14))
        if answered > self.today:
            return False
        if rng.random() < share / FOLLOWED:
            return self._hearing(client, violation, answered, held)
        response = weighted(rng, OFFICER_RESPONSES)
        days = None
        if response == "custody_sanction":
            cap = DEFAULT_CUSTODY_CAPS[0 if first_technical else 1]
            days = rng.choice([d for d in CUSTODY_DAYS if d <= cap])
        self._decide(client, violation, answered, response, days, "officer", held)
        return False

    def _new_offence(self, client: Client, day: date) -> tuple[str, float]:
        """A new offence, its basis and type, and the court's dispositions to come."""
        rng = self.rng
        severity = "felony" if rng.random() < 0.45 else "misdemeanor"
        offence_type = weighted(rng, OFFENCE_TYPE)
        basis = weighted(rng, BASIS)
        violation = client.record_violation(
            self.stamp(day),
            new_offence=coded(severity),
            violent=offence_type == "violent",
            basis=coded(basis),
            offence_type=coded(offence_type),
        )
        if basis in DISPOSITION:
            if rng.random() < PENDING_FIRST:
                on = day + timedelta(days=rng.randint(7, 30))
                self.due.append((on, violation, "pending", offence_type))
            on = day + timedelta(days=rng.randint(60, 365))
            self.due.append((on, violation, weighted(rng, DISPOSITION[basis]), offence_type))
        return violation, REVOKED_SHARE[severity]

    def _hearing(self, client: Client, violation: str, on: date, held: bool) -> bool:
        """The officer recommends revocation; the court or board decides a week to four
        later: a revocation, which ends the term (True), or something else."""
        rng = self.rng
        last = client.state.last_effective_on
        if last is not None and on < last:
            on = last  # a decision on an earlier violation came after this one's answer
        if on > self.today:
            return False
        client.respond_to_violation(
            self.stamp(on), violation, response=coded("revocation"), recommendation=True
        )
        decided = on + timedelta(days=rng.randint(7, 28))
        if decided > self.today:
            return False  # the hearing is still to come
        body = DECIDED_BY.get(client.state.supervision, "court")
        if rng.random() < FOLLOWED:
            client.respond_to_violation(
                self.stamp(decided),
                violation,
                response=coded("revocation"),
                custody_days=rng.choice(REVOCATION_DAYS),
                decided_by=coded(body),
            )  # the decision ends the term, and any hold with it
            return True
        response = weighted(rng, NOT_FOLLOWED)
        days = rng.choice(COURT_CUSTODY_DAYS) if response == "custody_sanction" else None
        self._decide(client, violation, decided, response, days, body, held)
        return False

    def _decide(
        self,
        client: Client,
        violation: str,
        on: date,
        response: str,
        days: int | None,
        body: str,
        held: bool,
    ) -> None:
        """A decision that leaves the term open: the hold ends with it; a custody sanction
        is served from it."""
        if held:
            self._release(client, on)
        client.respond_to_violation(
            self.stamp(on),
            violation,
            response=coded(response),
            custody_days=days,
            decided_by=coded(body),
        )
        if days and client.state.status == "active":
            self._custody(client, on, "sanction", days)


def officers_for(clients: int) -> int:
    return max(1, clients // AGENCIES // 60)  # caseloads of about sixty


def story(
    number: int,
    seed: int,
    today: date,
    officers: int,
    protect: Callable[[str], Protect] | None = None,
    register: Register | None = None,
    sessions: SessionCounts | None = None,
) -> Client:
    try:
        return ClientStory(number, seed, today, officers, protect, register, sessions).tell()
    except RuleViolated as error:  # a story the rules refuse is a bug in the story
        raise AssertionError(f"demo client {number} broke a rule: {error}") from error


@dataclass(frozen=True)
class Told:
    """A run of clients' stories as rows to store, the personal-data keys they made, and the
    programme sessions they attended or missed: (agency, programme, day's ordinal, attended,
    missed)."""

    rows: list[Row]
    keys: list[tuple[str, bytes]]
    sessions: list[tuple[str, str, int, int, int]] = field(default_factory=list)


def tell(work: tuple[int, date, int, Register, list[int]]) -> Told:
    """Tell the stories of some clients. Runs in a worker process: plain data in and out."""
    seed, today, officers, register, numbers = work
    keys: dict[str, bytes] = {}
    made: list[tuple[str, bytes]] = []
    sessions: SessionCounts = {}

    def protect(client: str) -> Protect:
        return protector(keys, client, lambda owner, key: made.append((owner, key)))

    rows = [
        row(event)
        for number in numbers
        for event in story(
            number, seed, today, officers, protect, register, sessions
        ).collect_events()
    ]
    held = [
        (agency, name, day, attended, missed)
        for (agency, name, day), (attended, missed) in sessions.items()
    ]
    return Told(rows, made, held)


def build_demo(
    ledger: Ledger,
    clients: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> DemoReport:
    """Write the whole population in one transaction, into an empty ledger.

    Worker processes tell the stories, a run of clients at a time; this one writes them,
    after the agencies' programmes and volunteer registers, and then the programmes' sessions
    with the attendance the stories counted."""
    writer = BulkWriter(ledger)
    writer.require_empty()
    today, officers = ledger.clock(), officers_for(clients)
    register = volunteer_register(seed, today, clients)
    work = (
        (seed, today, officers, register, numbers)
        for numbers in chunked(range(1, clients + 1), 100)
    )
    sessions: SessionCounts = {}
    with writer.transaction():
        programmes = agency_programmes(today)
        for volunteers in register.values():
            for volunteer in volunteers:
                protect = writer.protector(str(volunteer_uuid(volunteer.volunteer_id)))
                writer.add(volunteer_events(volunteer, seed, today, protect))
        for programme in programmes.values():
            writer.add(programme.collect_events())
        for told in ordered_map(tell, work, workers or available()):
            writer.add_rows(told.rows)
            for client, key in told.keys:
                writer.add_key(client, key)
            for agency, name, day, attended, missed in told.sessions:
                counts = sessions.setdefault((agency, name, day), [0, 0])
                counts[0] += attended
                counts[1] += missed
            if progress:
                progress(len(told.rows))
        for (agency, name, day), (attended, missed) in sorted(
            sessions.items(), key=lambda item: (item[0][2], item[0][0], item[0][1])
        ):
            on = date.fromordinal(day)
            stamp = Stamp(on=on, by=SUPERVISOR.format(agency=agency), today=today,
                          at=datetime.combine(on, time(18), UTC))  # fmt: skip
            programmes[agency, name].hold_session(stamp, attended=attended, missed=missed)
        for programme in programmes.values():
            writer.add(programme.collect_events())
    return DemoReport(clients=clients, events=writer.written)


def agency_programmes(today: date) -> dict[tuple[str, str], Programme]:
    """Every agency's programmes (PROGRAMMES), added on the early date."""
    on = early(today)
    at = datetime.combine(on, time(9), UTC)
    programmes = {}
    for number in range(1, AGENCIES + 1):
        agency = f"AG{number}"
        for name, service, sessions, _ in PROGRAMMES:
            programme = new_programme(agency, name, at)
            stamp = Stamp(on=on, by=SUPERVISOR.format(agency=agency), today=today, at=at)
            programme.add(stamp, agency=agency, name=name, service=service, sessions=sessions)
            programmes[agency, name] = programme
    return programmes


def first_tuesday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(1 - first.weekday()) % 7)


def volunteer_events(plan: VolunteerPlan, seed: int, today: date, protect: Protect) -> list[Any]:
    """A volunteer's record: registered on the early date, supervised in the agency's monthly
    group session (when present) and now and then one to one, trained again now and then,
    and leaving on its day, if it left."""
    rng = random.Random(f"{seed}:{plan.volunteer_id}")
    registered = early(today)
    volunteer = new_volunteer(plan.volunteer_id, datetime.combine(registered, time(9), UTC))
    coordinator = SUPERVISOR.format(agency=plan.agency)
    moments = iter(range(10**6))

    def stamp(on: date) -> Stamp:
        at = datetime.combine(on, time(10), UTC) + timedelta(seconds=next(moments))
        return Stamp(on=on, by=coordinator, today=today, at=at, protect=protect)

    volunteer.register(
        stamp(registered),
        plan.volunteer_id,
        plan.agency,
        name=f"{rng.choice(FIRST_NAMES)} {chr(ord('A') + rng.randrange(26))}.",
        skills=plan.skills,
        trained_on=registered - timedelta(days=rng.randint(7, 56)),
        availability=rng.choice(AVAILABILITY),
        capacity=plan.capacity,
    )
    until = min(today, plan.left_on - timedelta(days=1)) if plan.left_on else today
    year, month = registered.year, registered.month
    while True:
        month, year = (1, year + 1) if month == 12 else (month + 1, year)
        group = first_tuesday(year, month)
        if group > until:
            break
        if rng.random() < GROUP_PRESENT:
            volunteer.supervise(stamp(group), "group", coordinator)
        if rng.random() < TRAINED_PER_MONTH and group + timedelta(days=7) <= until:
            volunteer.train(stamp(group + timedelta(days=7)))
        if rng.random() < INDIVIDUAL_PER_MONTH and group + timedelta(days=14) <= until:
            volunteer.supervise(stamp(group + timedelta(days=14)), "individual", coordinator,
                                "one to one: the volunteer's matches")  # fmt: skip
    if plan.left_on is not None:
        volunteer.leave(stamp(plan.left_on), rng.choice(LEAVING))
    return list(volunteer.collect_events())
