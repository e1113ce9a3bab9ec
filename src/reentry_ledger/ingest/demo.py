"""A synthetic population whose shape follows published figures (sources in docs/demo.md).

Deterministic for a seed: each client draws from its own generator seeded by (seed, number), so
the ledger is the same whatever the batch size or backend. Every event goes through the client
aggregate, so the rules hold exactly as for events a caseworker records.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from reentry_ledger.application import Ledger
from reentry_ledger.domain.client import Client, Stamp, coded
from reentry_ledger.domain.codes import DEFAULT_CUSTODY_CAPS, Need, ReferralReason, values
from reentry_ledger.domain.errors import RuleViolated
from reentry_ledger.domain.personal import Protect
from reentry_ledger.domain.references import client_id
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
SERVICE_FOR_NEED = {
    "substance_use": "substance_use",
    "school_work": "employment",
    "family_marital": "family",
    "antisocial_associates": "befriending",
    "leisure_recreation": "befriending",
    "antisocial_cognition": "mental_health",
    "antisocial_personality": "mental_health",
    "criminal_history": "housing",
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


class ClientStory:
    """Draws one client's supervision, month by month, from enrolment to discharge or today."""

    def __init__(
        self,
        number: int,
        seed: int,
        today: date,
        officers_per_agency: int,
        protect: Callable[[str], Protect] | None = None,
    ) -> None:
        self.rng = random.Random(f"{seed}:{number}")
        self.number = number
        self.today = today
        self.agency = f"AG{number % AGENCIES + 1}"
        self.officer = f"{self.agency}-o{self.rng.randrange(officers_per_agency) + 1:03d}"
        self.last_recorded = datetime(2000, 1, 1, tzinfo=UTC)
        self.ref = f"DEMO-{number:07d}"
        self.protect = protect(str(client_id(self.ref))) if protect else None
        self.officers = officers_per_agency
        self.status_on = date.min  # the term's latest change of status: the next is not before
        # The courts' dispositions still to come: (date, violation, disposition, type).
        self.due: list[tuple[date, str, str, str]] = []
        self.technical_in_term = 0  # the term's technical violations so far (for the caps)
        self.violated = False  # whether this month brought a violation

    def stamp(self, on: date) -> Stamp:
        """Recorded on the day or a few days later, in office hours, never before the last."""
        lag = timedelta(
            days=self.rng.choice([0, 0, 0, 1, 1, 2, 3, 7]),
            seconds=self.rng.randrange(8 * 3600, 18 * 3600),
        )
        at = max(datetime.combine(on, time(), UTC) + lag, self.last_recorded + timedelta(seconds=1))
        at = min(at, datetime.combine(self.today, time(23, 59), UTC))
        self.last_recorded = at
        return Stamp(on=on, by=self.officer, today=self.today, at=at, protect=self.protect)

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
        client.revise_plan(
            self.stamp(day),
            goals=[(coded(need), f"work on {need.replace('_', ' ')}") for need in needs],
        )
        self._level(client, day, LEVEL_FOR_RISK[risk])
        referrals = self._refer(client, needs, day)
        end = client.state.expected_end or self.today
        while True:
            day += timedelta(days=rng.randint(20, 40))
            if day > min(end, self.today):
                break
            if self._month(client, day, risk, referrals):
                return self._next_term(client, "revoked")
            if not self._at_large(client, day):
                continue
            if rng.random() < 0.08:  # reassessment
                order = list(RISK)
                risk = order[max(0, min(3, order.index(risk) + rng.choice([-1, 0, 1])))]
                client.assess(self.stamp(day), instrument="ORAS", risk_level=coded(risk))
                self._level(client, day, LEVEL_FOR_RISK[risk])
            self._status_changes(client, day, risk)
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

    def _refer(self, client: Client, needs: list[str], day: date) -> list[tuple[str, date]]:
        referrals = []
        for need in needs:
            if self.rng.random() < 0.6:
                referral = client.refer(self.stamp(day), service=coded(SERVICE_FOR_NEED[need]))
                referrals.append((referral, day))
        return referrals

    def _month(
        self, client: Client, day: date, risk: str, referrals: list[tuple[str, date]]
    ) -> bool:
        """One month of supervision; True when it ends in a revocation decision."""
        rng = self.rng
        self._dispositions(client, day)
        if client.state.status != "absconded":
            client.log_contact(
                self.stamp(day),
                kind=coded("casework"),
                note="monthly contact",
                confidential=rng.random() < 0.7,
            )
        self._advance_referrals(client, day, referrals)
        if rng.random() < 0.01 and client.version > 2:  # an entry made in error, retracted
            client.log_contact(self.stamp(day), kind=coded("casework"), note="wrong client")
            client.correct(self.stamp(day), client.version, "entered on the wrong client")
        if rng.random() < 0.03 and client.state.active_match is None:
            client.match_volunteer(self.stamp(day), volunteer=f"v-{rng.randrange(500):03d}")
        elif client.state.active_match and rng.random() < 0.08:
            client.end_volunteer_match(
                self.stamp(day),
                ending=coded(weighted(rng, {"completed": 0.6, "failed": 0.2, "taken_back": 0.2})),
            )
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

    def _advance_referrals(
        self, client: Client, day: date, referrals: list[tuple[str, date]]
    ) -> None:
        for referral, _ in referrals:
            status = client.state.referrals[referral].status
            step = {
                "made": {"accepted": 0.75, "declined": 0.25},
                "accepted": {"started": 0.85, "dropped": 0.15},
                "started": {"completed": 0.65, "dropped": 0.35},
            }.get(status)
            if step and self.rng.random() < 0.5:
                chosen = weighted(self.rng, step)
                # why, for a decline or drop: varied by day, drawing nothing from the rng (so
                # the rest of the population stays as it was)
                why = values(ReferralReason)[day.toordinal() % len(ReferralReason)]
                reason = coded(why) if chosen in ("declined", "dropped") else None
                client.update_referral(self.stamp(day), referral, coded(chosen), reason)

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
) -> Client:
    try:
        return ClientStory(number, seed, today, officers, protect).tell()
    except RuleViolated as error:  # a story the rules refuse is a bug in the story
        raise AssertionError(f"demo client {number} broke a rule: {error}") from error


@dataclass(frozen=True)
class Told:
    """A run of clients' stories as rows to store, and the personal-data keys they made."""

    rows: list[Row]
    keys: list[tuple[str, bytes]]


def tell(work: tuple[int, date, int, list[int]]) -> Told:
    """Tell the stories of some clients. Runs in a worker process: plain data in and out."""
    seed, today, officers, numbers = work
    keys: dict[str, bytes] = {}
    made: list[tuple[str, bytes]] = []

    def protect(client: str) -> Protect:
        return protector(keys, client, lambda owner, key: made.append((owner, key)))

    rows = [
        row(event)
        for number in numbers
        for event in story(number, seed, today, officers, protect).collect_events()
    ]
    return Told(rows, made)


def build_demo(
    ledger: Ledger,
    clients: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> DemoReport:
    """Write the whole population in one transaction, into an empty ledger.

    Worker processes tell the stories, a run of clients at a time; this one writes them."""
    writer = BulkWriter(ledger)
    writer.require_empty()
    today, officers = ledger.clock(), officers_for(clients)
    work = ((seed, today, officers, numbers) for numbers in chunked(range(1, clients + 1), 100))
    with writer.transaction():
        for told in ordered_map(tell, work, workers or available()):
            writer.add_rows(told.rows)
            for client, key in told.keys:
                writer.add_key(client, key)
            if progress:
                progress(len(told.rows))
    return DemoReport(clients=clients, events=writer.written)
