"""Who each client is, as reports may count them: sex, race, ethnicity and birth year, and the
age band a term's start gave where only a band is known (an import's).

These are personal data, kept under the client's key: they are read decrypted as the log is
read, and only while the key lasts. A seal sets them to `unknown` (and the birth year to
nothing): a client sealed before the projection reads its enrolment reads as unknown too, so a
rebuild after a seal gives what catching up did (ADR 0021).
"""

from __future__ import annotations

from collections.abc import Iterable

from reentry_ledger.domain.codes import AgeBand, Ethnicity, Race, Sex, values
from reentry_ledger.domain.events import ClientSealed, Enrolled, TermStarted
from reentry_ledger.projections.base import Projection, Recorded, Statement

UNKNOWN = "unknown"
CODES = {"sex": values(Sex), "race": values(Race), "ethnicity": values(Ethnicity)}
BANDS = values(AgeBand)


class PeopleProjection(Projection):
    name = "people"
    description = "who each client is (sex, race, ethnicity, birth year) and given age bands"
    topics = (Enrolled.TOPIC, TermStarted.TOPIC, ClientSealed.TOPIC)
    tables = {
        "audit_people": "client_id TEXT PRIMARY KEY, sex TEXT NOT NULL, race TEXT NOT NULL, "
        "ethnicity TEXT NOT NULL, birth_year INTEGER",
        # the band a term's start gave (an import's, where the birth year is not known)
        "audit_age_bands": "client_id TEXT NOT NULL, number INTEGER NOT NULL, "
        "age_band TEXT NOT NULL, PRIMARY KEY (client_id, number)",
    }
    personal = True

    def facts(self, event: Recorded) -> Iterable[Statement]:
        if event.topic == ClientSealed.TOPIC:
            yield (
                "UPDATE {audit_people} SET sex = ?, race = ?, ethnicity = ?, birth_year = NULL "
                "WHERE client_id = ?",
                (UNKNOWN, UNKNOWN, UNKNOWN, event.client_id),
            )
            yield (
                "UPDATE {audit_age_bands} SET age_band = ? WHERE client_id = ?",
                (UNKNOWN, event.client_id),
            )
            return
        if event.topic == Enrolled.TOPIC:
            codes = [coded(event, f"person.{name}.code", CODES[name]) for name in CODES]
            yield (
                "INSERT INTO {audit_people} VALUES (?, ?, ?, ?, ?)",
                (event.client_id, *codes, year(event.personal("person.birth_year"))),
            )
        band = event.personal("age_band.code")
        if band is not None:
            yield (
                "INSERT INTO {audit_age_bands} VALUES (?, ?, ?)",
                (event.client_id, event.number, band if band in BANDS else UNKNOWN),
            )


def coded(event: Recorded, path: str, known: list[str]) -> str:
    value = event.personal(path)
    return value if value in known else UNKNOWN


def year(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None
