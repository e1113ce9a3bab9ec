"""Iowa prison releases and three-year returns, as one client each (rules in docs/iowa.md).

Any file of this publication imports the same way: values it does not recognise are kept as
written, mapped to `unknown` (or, for a return type, to no violation; for a new offence's type,
to none), and counted in the summary of what could not be mapped; they never refuse the import.
A return is a revocation decision (by the Board of Parole or a court) that ends the term.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from reentry_ledger.application import Ledger
from reentry_ledger.authorization import Actor
from reentry_ledger.domain.checks import EARLIEST
from reentry_ledger.domain.client import Client, CodedInput, Stamp, coded
from reentry_ledger.domain.references import client_id
from reentry_ledger.ingest.bulk import BulkWriter
from reentry_ledger.ingest.rows import RowError, read_rows

FOLLOW_UP_DAYS = 1095
REQUIRED = ("Fiscal Year Released", "Main Supervising District", "Release Type",
            "Days to Return", "Recidivism Type", "New Offense Classification")  # fmt: skip
DETAILS = ("Fiscal Year Released", "Recidivism Reporting Year", "Race - Ethnicity",
           "Age At Release ", "Sex", "Offense Classification", "Offense Type",
           "Offense Subtype", "Target Population", "Return to Prison",
           "New Offense Classification", "New Offense Type", "New Offense Sub Type")  # fmt: skip
# The new offence's type (Iowa's own five types are our codes, docs/iowa.md).
OFFENCE_TYPES = {
    "Violent": "violent",
    "Property": "property",
    "Drug": "drug",
    "Public Order": "public_order",
    "Other": "other",
}
# Who decides a return: the Board of Parole for a release to parole, and for a special
# sentence, whose violations follow the parole procedures (Iowa Code 903B.2; chapter 908);
# a court for anyone else (released with no supervision, or of unknown supervision).
DECIDED_BY = {"parole": "parole_board", "post_release": "parole_board"}
EXACT_RELEASE_TYPES = {
    "Paroled w/Immediate Discharge": "reentry",
    "Interstate Compact Parole": "parole",
}
START_REASONS = {
    "parole": "release_to_parole",
    "post_release": "release_to_post_release",
    "reentry": "other",  # released at the end of the sentence: no supervision
}
RACES = {
    "White": "white",
    "Black": "black",
    "American Indian or Alaska Native": "american_indian_alaska_native",
    "Asian or Pacific Islander": "asian",
}
ETHNICITIES = {"Hispanic": "hispanic", "Non-Hispanic": "not_hispanic"}
SEXES = {"Male": "male", "Female": "female"}
AGE_BANDS = {
    "Under 25": "under_25",
    "25-34": "25_34",
    "35-44": "35_44",
    "45-54": "45_54",
    "55 and Older": "55_and_older",
}
FOLLOW_UP_END = (
    "end of the Iowa file's three-year follow-up: the file does not say when supervision ended"
)


@dataclass
class IowaSummary:
    clients: int = 0
    events: int = 0
    unmapped: Counter[tuple[str, str]] = field(default_factory=Counter)


def supervision_for(release_type: str) -> str | None:
    """Our supervision type for a Release Type, or None when it has no rule (-> unknown)."""
    text = release_type.strip()
    if text in EXACT_RELEASE_TYPES:
        return EXACT_RELEASE_TYPES[text]
    if text.startswith(("Parole", "Paroled to Detainer")):
        return "parole"
    if text.startswith("Discharged"):
        return "reentry"
    if text.endswith("Special Sentence"):
        return "post_release"
    return None


def start_reason_for(supervision: str | None) -> str | None:
    """The term's start reason for our supervision type (None when the type is unknown)."""
    return START_REASONS.get(supervision or "")


def race_and_ethnicity(text: str) -> tuple[CodedInput, CodedInput]:
    """Our race and ethnicity for a "Race - Ethnicity" value, each beside its part of the
    file's wording (`unknown` where a part is blank or has no rule):
    "White - Non-Hispanic" -> white ("White"), not_hispanic ("Non-Hispanic")."""
    race, _, ethnicity = (part.strip() for part in text.partition(" -"))
    return (
        coded(RACES.get(race, "unknown"), race or None),
        coded(ETHNICITIES.get(ethnicity, "unknown"), ethnicity or None),
    )


def offence_type_for(text: str) -> str | None:
    """Our offence type for a New Offense Type, or None when it has no rule (no type)."""
    return OFFENCE_TYPES.get(text.strip())


def deciding_body(supervision: str | None) -> str:
    """Who decides a return (a revocation) for a release to this supervision."""
    return DECIDED_BY.get(supervision or "", "court")


def severity_for(classification: str) -> str:
    if "Felony" in classification:
        return "felony"
    if "Misdemeanor" in classification:
        return "misdemeanor"
    return "unknown"


def release_date(fiscal_year: int) -> date:
    """1 January of the fiscal year's name: the middle of the year July to June."""
    return date(fiscal_year, 1, 1)


def reference(fiscal_year: int, row_number: int) -> str:
    return f"IA-{fiscal_year}-{row_number}"


class IowaImport:
    def __init__(self, path: Path, who: Actor, today: date, writer: BulkWriter) -> None:
        self.path = path
        self.who = who
        self.today = today
        self.writer = writer
        self.summary = IowaSummary()

    def clients(self) -> Iterator[Client]:
        for row_number, (line, row) in enumerate(read_rows(self.path, REQUIRED), start=1):
            yield self.client(row_number, line, row)

    def fail(self, line: int, column: str, reason: str) -> RowError:
        return RowError(str(self.path), line, column, reason)

    def client(self, row_number: int, line: int, row: dict[str, str]) -> Client:
        year_text = row["Fiscal Year Released"].strip()
        if not year_text.isdigit():
            raise self.fail(line, "Fiscal Year Released", f"{year_text!r} is not a year")
        released = release_date(int(year_text))
        if not EARLIEST <= released <= self.today:
            raise self.fail(
                line, "Fiscal Year Released",
                f"{year_text} is not a fiscal year the ledger takes (released {released}: "
                f"dates run from {EARLIEST} to today, {self.today})",
            )  # fmt: skip
        ref = reference(int(year_text), row_number)
        self.protect = self.writer.protector(str(client_id(ref)))
        district = row["Main Supervising District"].strip()
        if not district:
            self.summary.unmapped["Main Supervising District", "(blank)"] += 1
        self.who.check_enrols_in(district or "unknown")
        release_type = row["Release Type"]
        supervision = supervision_for(release_type)
        if supervision is None:
            self.summary.unmapped["Release Type", release_type.strip() or "(blank)"] += 1
        reason = start_reason_for(supervision)
        client = Client.enroll(
            ref,
            self.stamp(released),
            agency=district or "unknown",
            officer="unknown",
            supervision=coded(supervision or "unknown", release_type.strip() or None),
            details={name.strip(): row[name] for name in DETAILS if name in row},
            start_reason=None if reason is None else coded(reason, release_type.strip()),
            person=self.person(row),
            age_band=self.coded_value(row, "Age At Release ", AGE_BANDS),
        )
        if not self.record_return(client, line, row, released, supervision):
            self.close_follow_up(client, released)
        self.summary.clients += 1
        self.summary.events += client.version
        return client

    def person(self, row: dict[str, str]) -> dict[str, Any]:
        """Sex, race and ethnicity, each code beside the file's own wording."""
        text = row.get("Race - Ethnicity", "").strip()
        race, ethnicity = race_and_ethnicity(text)
        if "unknown" in (race["code"], ethnicity["code"]):
            self.summary.unmapped["Race - Ethnicity", text or "(blank)"] += 1
        return {"sex": self.coded_value(row, "Sex", SEXES), "race": race, "ethnicity": ethnicity}

    def coded_value(self, row: dict[str, str], column: str, codes: dict[str, str]) -> CodedInput:
        text = row.get(column, "").strip()
        if text not in codes:
            self.summary.unmapped[column.strip(), text or "(blank)"] += 1
        return coded(codes.get(text, "unknown"), text or None)

    def close_follow_up(self, client: Client, released: date) -> None:
        """No return: the term ends on the last day of the three-year follow-up (not yet when
        that day is still to come), so that it is not open for ever."""
        end = released + timedelta(days=FOLLOW_UP_DAYS)
        if end <= self.today:
            client.discharge(self.stamp(end), outcome=coded("other"), note=FOLLOW_UP_END)

    def record_return(
        self,
        client: Client,
        line: int,
        row: dict[str, str],
        released: date,
        supervision: str | None,
    ) -> bool:
        """A `Tech` or `New` row's return: its violation and the revocation decision, which
        ends the term (attributed to that violation, the term's only one). Whether there was
        one."""
        kind = row["Recidivism Type"].strip()
        if kind not in ("Tech", "New"):
            if kind != "No Recidivism":
                self.summary.unmapped["Recidivism Type", kind or "(blank)"] += 1
            return False
        days_text = row["Days to Return"].strip()
        flagged = None
        if not days_text:
            days, flagged = FOLLOW_UP_DAYS, "Days to Return missing: dated at the end of follow-up"
            self.summary.unmapped["Days to Return", f"(blank, {kind})"] += 1
        elif days_text.isdigit():
            days = int(days_text)
        else:
            raise self.fail(line, "Days to Return", f"{days_text!r} is not a number of days")
        if days > FOLLOW_UP_DAYS:  # the file's returns are those within it (its README)
            raise self.fail(
                line, "Days to Return",
                f"{days} is past the three-year follow-up (0 to {FOLLOW_UP_DAYS} days)",
            )  # fmt: skip
        returned = released + timedelta(days=days)
        if returned > self.today:
            raise self.fail(
                line, "Days to Return", f"{days} days after release is {returned}, after today"
            )
        stamp = self.stamp(returned)
        if kind == "Tech":
            violation = client.record_violation(
                stamp, technical=[coded("other_condition", "Tech")], description=flagged
            )
        else:
            violation = client.record_violation(
                stamp,
                new_offence=self.new_offence_severity(row),
                basis=coded("conviction", "New"),
                offence_type=self.new_offence_type(row),
                description=flagged,
            )
        release_type = row["Release Type"].strip()
        client.respond_to_violation(
            stamp,
            violation,
            response=coded("revocation", "Return to Prison: Yes"),
            decided_by=coded(deciding_body(supervision), release_type or None),
        )
        return True

    def new_offence_severity(self, row: dict[str, str]) -> CodedInput:
        wording = row["New Offense Classification"].strip()
        severity = severity_for(wording)
        if severity == "unknown":
            self.summary.unmapped["New Offense Classification", wording or "(blank)"] += 1
        return coded(severity, wording or None)

    def new_offence_type(self, row: dict[str, str]) -> CodedInput | None:
        """The New Offense Type as our code beside its wording; none where it has no rule
        (counted), or where the file has no such column."""
        if "New Offense Type" not in row:
            return None
        wording = row["New Offense Type"].strip()
        code = offence_type_for(wording)
        if code is None:
            self.summary.unmapped["New Offense Type", wording or "(blank)"] += 1
            return None
        return coded(code, wording)

    def stamp(self, on: date) -> Stamp:
        return Stamp(on=on, by=self.who.name, today=self.today, protect=self.protect)


def import_iowa(
    ledger: Ledger, path: Path, who: Actor, progress: Callable[[int], None] | None = None
) -> IowaSummary:
    """All rows in one transaction, into an empty ledger; any bad row stores nothing.
    Each client's agency (its district) is one the actor may enrol into, as for `enroll`."""
    writer = BulkWriter(ledger)
    job = IowaImport(path, who, ledger.clock(), writer)
    writer.require_empty()
    with writer.transaction():
        for client in job.clients():
            events = client.collect_events()
            writer.add(events)
            if progress:
                progress(len(events))
    return job.summary
