"""Legacy CSV records, turned into events by a TOML mapping (documented in docs/import.md).

Each row's value in `kind_column` picks a rule; the rule names the command the row records and
where each of its fields comes from. Codes are translated by the mapping's tables, keeping the
agency's wording beside our code. Rows may come in any order of clients, each client's in the
order they happened; the whole file is checked against the rules and written in one
transaction, or not at all.
"""

from __future__ import annotations

import hashlib
import io
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from reentry_ledger.application import Ledger
from reentry_ledger.application.recording import Recording
from reentry_ledger.authorization import Actor
from reentry_ledger.domain.checks import DECIMAL_NUMBER, WHOLE_NUMBER
from reentry_ledger.domain.client import ENDINGS_NEEDING_REASON, coded
from reentry_ledger.domain.codes import DEFAULT_CUSTODY_CAPS, ReferralReason, values
from reentry_ledger.domain.errors import (
    ClientNotFound,
    InvalidInput,
    LedgerError,
    RuleViolated,
)
from reentry_ledger.domain.personal import Protect, encrypt
from reentry_ledger.domain.policy import AgencyPolicy
from reentry_ledger.domain.references import check_reference, client_id
from reentry_ledger.ingest.bulk import BulkWriter
from reentry_ledger.ingest.grouped import Row, by_client
from reentry_ledger.ingest.imported import ImportRegister
from reentry_ledger.ingest.rows import RowError, RowRefused, read_rows

PERSON = ("sex", "race", "ethnicity", "birth_year")  # who the client is: a first term's only
FIELDS = {
    "enroll": {"agency", "officer", "supervision", "conditions", "expected_end", "juvenile",
               "start_reason", "age_band", *PERSON},
    "assess": {"instrument", "instrument_version", "score", "risk_level", "needs",
               "responsivity", "strengths"},
    "refer": {"key", "service", "provider", "need"},
    "referral": {"referral", "status", "reason"},
    "contact": {"kind", "note", "confidential", "group_session"},
    "violation": {"key", "technical", "absconding", "new_offence", "violent", "basis",
                  "offence_type", "description"},
    "respond": {"violation", "response", "custody_days", "decided_by", "recommendation"},
    "disposition": {"violation", "disposition", "offence_type"},
    "incentive": {"kind", "note"},
    "discharge": {"outcome", "note", "decision"},
    "reassign": {"officer", "agency"},
    "level": {"level"},
    "conditions": {"add", "remove"},
    "custody": {"reason"},
    "custody-end": set(),
    "abscond": set(),
    "return": set(),
}  # fmt: skip
COMMANDS = tuple(FIELDS)
# Event fields that hold a mapped field's value under another name: an assessment tool not in
# the list is stored as `other`, its name as `instrument_name`; a change of conditions stores
# what it adds and removes as `added` and `removed`.
STORED_AS = {"instrument_name": "instrument", "added": "add", "removed": "remove"}
# Fields a command cannot do without (others may be left out of a rule, or blank in a row).
REQUIRED = {"enroll": ("agency", "supervision"), "assess": ("instrument", "risk_level"),
            "refer": ("service",), "referral": ("referral", "status"),
            "respond": ("violation", "response"), "discharge": ("outcome",),
            "disposition": ("violation", "disposition"), "incentive": ("kind",),
            "reassign": ("officer",), "level": ("level",), "custody": ("reason",)}  # fmt: skip
# Of which a rule must name at least one.
ONE_OF = {"conditions": ("add", "remove")}
# Codes a field takes where its rule names no column, as the command takes them left out
# (`contact --kind`)
DEFAULTS: dict[str, dict[str, str]] = {"contact": {"kind": "casework"}}
CODED = {"supervision", "conditions", "risk_level", "needs", "need", "service", "status",
         "technical",
         "new_offence", "response", "outcome", "kind", "decided_by", "start_reason",
         "age_band", "sex", "race", "ethnicity", "level", "add", "remove", "reason", "basis",
         "offence_type", "disposition"}  # fmt: skip
LISTS = {"conditions", "needs", "technical", "responsivity", "strengths", "add", "remove"}
# Yes/no columns, read strictly: a value that is neither (say `maybe`) refuses the row, as an
# absconding misread as no would go uncounted, a recommendation misread as yes would not be
# counted as a decision. A blank cell is no.
FLAGS = {"juvenile", "absconding", "violent", "confidential", "recommendation"}
# The agency's ids that name an incident or a referral for later rows: (command, what it names)
KEYED = {"violation": "violation", "refer": "referral"}
NUMBERS = {"custody_days", "score"}
DATES = {"expected_end"}
# The client's method each of the other commands calls, with the row's values.
METHODS = {"assess": "assess", "contact": "log_contact", "discharge": "discharge",
           "reassign": "reassign", "level": "change_level", "conditions": "change_conditions",
           "custody": "start_custody", "custody-end": "end_custody", "abscond": "abscond",
           "return": "return_", "incentive": "grant_incentive"}  # fmt: skip
# Fields naming an earlier violation or referral: the agency's own id given by `key` earlier
# in the file, or (with `ids = "ledger"`) the ledger's own (`V2`, as `timeline` shows it).
LINKS = {"violation": "violation", "referral": "referral", "decision": "violation"}
# Fields of a new offence that the event keeps inside it (`new_offence.basis`): an error there
# names the field's own column.
NESTED = ("violent", "basis", "offence_type")


@dataclass(frozen=True)
class Field:
    column: str
    codes: str | None = None
    split: str | None = None
    true: tuple[str, ...] = ("Y", "YES", "TRUE", "1")
    false: tuple[str, ...] = ("N", "NO", "FALSE", "0")
    ids: str = "file"  # for a link (LINKS): "file" (the agency's, by key) or "ledger"
    # for `reason`: the agency's wording a blank cell of a declined or dropped row reads as
    blank: str | None = None


@dataclass(frozen=True)
class Rule:
    kind: str
    command: str
    on: str
    fields: dict[str, Field]


@dataclass(frozen=True)
class Mapping:
    reference: str
    kind_column: str
    date_format: str
    encoding: str
    codes: dict[str, dict[str, str]]
    rules: dict[str, Rule]

    @property
    def columns(self) -> tuple[str, ...]:
        used = {self.reference, self.kind_column}
        for rule in self.rules.values():
            used.add(rule.on)
            used.update(field.column for field in rule.fields.values())
        return tuple(sorted(used))


def load_mapping(path: Path) -> Mapping:
    where = str(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(f"mapping {where}: cannot read it ({error})") from None
    except tomllib.TOMLDecodeError as error:
        raise InvalidInput(f"mapping {where}: not valid TOML ({error})") from None
    missing = [key for key in ("reference", "kind_column", "kinds") if key not in document]
    if missing:
        raise InvalidInput(f"mapping {where}: missing {', '.join(missing)}")
    encoding = document.get("encoding", "utf-8")
    try:  # a text encoding that reads text back (not rot13, "undefined", nor a number)
        io.TextIOWrapper(io.BytesIO(), encoding=encoding)
        "a".encode(encoding).decode(encoding)
    except (LookupError, TypeError, ValueError):  # UnicodeError is a ValueError
        raise InvalidInput(
            f"mapping {where}: encoding {encoding!r} is not a text encoding (e.g. utf-8, "
            "latin-1, cp1252)"
        ) from None
    for key in ("reference", "kind_column"):
        if not isinstance(document[key], str) or not document[key].strip():
            raise InvalidInput(f"mapping {where}: {key} {document[key]!r} is not a column name")
    date_format = document.get("date_format", "%Y-%m-%d")
    check_date_format(date_format, where)
    tables = document.get("codes", {})
    if not isinstance(tables, dict) or not all(isinstance(t, dict) for t in tables.values()):
        raise InvalidInput(f"mapping {where}: [codes] must hold tables (e.g. [codes.risk])")
    if not isinstance(document["kinds"], dict):
        raise InvalidInput(f"mapping {where}: [kinds] must hold tables (e.g. [kinds.INTAKE])")
    try:
        rules = {
            str(kind): parse_rule(str(kind), spec, where, set(tables))
            for kind, spec in document["kinds"].items()
        }
        return Mapping(
            reference=document["reference"],
            kind_column=document["kind_column"],
            date_format=date_format,
            encoding=encoding,
            codes={
                name: {str(k): str(v) for k, v in table.items()} for name, table in tables.items()
            },
            rules=rules,
        )
    except KeyError as error:
        raise InvalidInput(f"mapping {where}: missing key {error}") from None


def check_date_format(date_format: Any, where: str) -> None:
    """A strptime format that reads back a date it writes (not a number, no bad directive)."""
    if not isinstance(date_format, str):
        raise InvalidInput(f"mapping {where}: date_format {date_format!r} is not text")
    try:
        datetime.strptime(date(2001, 2, 3).strftime(date_format), date_format)
    except ValueError as error:
        raise InvalidInput(
            f"mapping {where}: date_format {date_format!r} is not a date format ({error})"
        ) from None


def parse_rule(kind: str, spec: Any, where: str, tables: set[str]) -> Rule:
    if not isinstance(spec, dict):
        raise InvalidInput(f"mapping {where}: kinds.{kind} must be a table (its command, fields)")
    command = spec.get("command")
    if command not in COMMANDS:
        raise InvalidInput(
            f"mapping {where}: kinds.{kind}.command is {command!r}; "
            f"use one of {', '.join(COMMANDS)}"
        )
    fields = {}
    for name, value in spec.items():
        if name in ("command", "on"):
            continue
        if name not in FIELDS[command]:
            raise InvalidInput(
                f"mapping {where}: kinds.{kind}.{name} is not a field of {command} "
                f"(its fields: {', '.join(sorted(FIELDS[command]))})"
            )
        if isinstance(value, str):
            fields[name] = Field(column=value)
        elif isinstance(value, dict) and isinstance(value.get("column"), str):
            named = f"mapping {where}: kinds.{kind}.{name}"
            for option in ("codes", "split", "ids", "blank"):
                if option in value and not isinstance(value[option], str):
                    raise InvalidInput(f"{named}.{option} {value[option]!r} is not text")
            if "codes" in value and value["codes"] not in tables:
                raise InvalidInput(f"{named}.codes: no table [codes.{value['codes']}]")
            true, false = (
                tuple(str(t).upper() for t in words_of(value.get(option, default), named, option))
                for option, default in (("true", Field.true), ("false", Field.false))
            )
            ids = value.get("ids", "file")
            if ids not in ("file", "ledger") or (ids != "file" and name not in LINKS):
                raise InvalidInput(
                    f"mapping {where}: kinds.{kind}.{name}.ids is {ids!r}: only a field naming "
                    'an earlier violation or referral takes ids, "file" (the default: the '
                    'agency\'s ids given by key earlier in the file) or "ledger" (the '
                    "ledger's own, V1, R2)"
                )
            blank = value.get("blank")
            if blank is not None and (
                name != "reason" or command != "referral" or not str(blank).strip()
            ):
                raise InvalidInput(
                    f"mapping {where}: kinds.{kind}.{name}.blank: only a referral's reason "
                    "takes `blank`, the wording a blank cell of a declined or dropped row reads "
                    'as (e.g. "not recorded", translated by a codes table)'
                )
            fields[name] = Field(
                value["column"], value.get("codes"), value.get("split"), true, false, ids, blank
            )
        else:
            raise InvalidInput(f"mapping {where}: kinds.{kind}.{name} must name a column")
    missing = [name for name in REQUIRED.get(command, ()) if name not in fields]
    if missing:
        raise InvalidInput(
            f"mapping {where}: kinds.{kind} ({command}) must name the column of "
            f"{', '.join(missing)}"
        )
    either = ONE_OF.get(command, ())
    if either and not any(name in fields for name in either):
        raise InvalidInput(
            f"mapping {where}: kinds.{kind} ({command}) must name the column of "
            f"{' or '.join(either)}"
        )
    return Rule(kind, command, spec.get("on", "date"), fields)


def words_of(value: Any, named: str, option: str) -> list[Any]:
    """A yes/no column's words: a list, or one word (not its letters)."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list | tuple):
        raise InvalidInput(f"{named}.{option} {value!r} is not a word or a list of words")
    return list(value)


class MappedImport:
    """Each row recorded through the one write path (a Recording), as the actor: refused as
    the command it stands for would be refused."""

    def __init__(
        self, ledger: Ledger, who: Actor, mapping: Mapping, path: Path, writer: BulkWriter
    ) -> None:
        self.ledger = ledger
        self.writer = writer
        self.mapping = mapping
        self.path = path
        self.stored: set[str] = set()  # the file's clients already on the ledger (run)
        self.stored_ids: set[str] = set()  # and their ids
        self.recording = Recording(ledger, who, self.protector, lambda ref: ref in self.stored)
        self.ids: dict[tuple[str, str, str], str] = {}  # (ref, kind of id, agency's id) -> ours
        self.policies: dict[str, AgencyPolicy | None] = {}  # read once per agency
        self.seen_rows: dict[tuple[str, ...], int] = {}
        self.key_lines: dict[tuple[str, str], int] = {}  # (kind of id, agency's id) -> line

    def run(self, refs: list[str], clients: Iterator[tuple[str, list[Row]]]) -> int:
        """Client by client (grouped.py), each handed to the writer once its rows are
        recorded: memory holds one client's rows and events at a time."""
        rows = 0
        self.stored = self.ledger.stored_among(refs)
        self.stored_ids = {str(client_id(ref)) for ref in self.stored}
        for ref, client_rows in clients:
            self.seen_rows, self.ids, self.key_lines = {}, {}, {}  # the client's own
            for line, row in client_rows:
                self.check_not_repeated(line, row)
                self.apply(line, row)
            rows += len(client_rows)
            client = self.recording.clients.pop(ref, None)
            if client is not None:
                self.writer.add(client.collect_events())
        for client in self.recording.clients.values():  # none: each was its own rows'
            self.writer.add(client.collect_events())
        return rows

    def check_not_repeated(self, line: int, row: dict[str, str]) -> None:
        key = tuple(row.values())
        if key in self.seen_rows:
            raise RowError(
                str(self.path), line, None, f"repeats line {self.seen_rows[key]} exactly"
            )
        self.seen_rows[key] = line

    def fail(self, line: int, column: str | None, reason: str) -> RowError:
        return RowError(str(self.path), line, column, reason)

    def apply(self, line: int, row: dict[str, str]) -> None:
        kind = row[self.mapping.kind_column].strip()
        rule = self.mapping.rules.get(kind)
        if rule is None:
            known = ", ".join(sorted(self.mapping.rules))
            raise self.fail(
                line, self.mapping.kind_column, f"unknown kind {kind!r} (mapped: {known})"
            )
        ref = row[self.mapping.reference].strip()
        try:
            check_reference(ref)
        except InvalidInput as error:
            raise self.fail(line, self.mapping.reference, str(error)) from None
        values = {name: self.value(line, row, name, spec) for name, spec in rule.fields.items()}
        self.blank_reason(line, rule, values)
        for name in REQUIRED.get(rule.command, ()):
            if values[name] is None:
                raise self.fail(
                    line, rule.fields[name].column,
                    f"{rule.command} {ref}: the cell is blank, and {rule.command} needs its "
                    f"{name}",
                )  # fmt: skip
        self.check_key_new(line, rule, ref, values.get("key"))
        on = self.date(line, row, rule.on)
        try:
            self.link(ref, rule, values)
            self.record(ref, rule.command, on, dict(values))
        except RowError:
            raise
        except ClientNotFound:
            raise RowRefused(
                str(self.path), line, self.mapping.reference,
                f"{rule.command} {ref}: client {ref!r} is not enrolled (no intake row before "
                "this in the file, nor a client on this ledger that you may record on)",
            ) from None  # fmt: skip
        except RuleViolated as error:  # a violation, goal... not on record too
            raise RowRefused(str(self.path), line, None, f"{rule.command} {ref}: {error}") from None
        except LedgerError as error:
            field = getattr(error, "field", None)
            field = STORED_AS.get(field, field) if field else None
            if field == "new_offence":  # which of its parts: the message says (new_offence.basis)
                part = str(error).split(":", 1)[0].split(".")
                field = part[1] if len(part) > 1 and part[1] in NESTED else field
            spec = rule.fields.get(field) if field else None
            column = spec.column if spec else rule.on if field == "occurred_on" else None
            raise self.fail(line, column, f"{rule.command} {ref}: {error}") from None

    def check_key_new(self, line: int, rule: Rule, ref: str, key: str | None) -> None:
        """An agency's id of an incident or a referral names one of the client's: given
        twice, a later row naming it would be linked to the last, silently."""
        kind = KEYED.get(rule.command)
        if kind is None or key is None:
            return
        first = self.key_lines.setdefault((kind, key), line)
        if first != line:
            raise self.fail(
                line, rule.fields["key"].column,
                f"{rule.command} {ref}: {key!r} was given on line {first} already: an agency's "
                f"id names one {kind}",
            )  # fmt: skip

    def blank_reason(self, line: int, rule: Rule, values: dict[str, Any]) -> None:
        """A declined or dropped row's blank reason, read as the mapping's `blank` wording."""
        spec = rule.fields.get("reason")
        if rule.command != "referral" or spec is None or spec.blank is None:
            return
        status = values.get("status") or {}
        if values["reason"] is None and status.get("code") in ENDINGS_NEEDING_REASON:
            values["reason"] = self.code(line, spec, str(spec.blank).strip())

    def record(self, ref: str, command: str, on: date, values: dict[str, Any]) -> None:
        recording = self.recording
        if command == "enroll":
            self.enroll(ref, on, values)
            return
        key = values.pop("key", None)
        if command == "respond":
            violation = values.pop("violation")
            recording.record(
                ref,
                on,
                lambda c, stamp: c.respond_to_violation(
                    stamp,
                    violation,
                    custody_caps=self.custody_caps(c.state.agency, stamp.on),
                    **values,
                ),
            )
        elif command == "disposition":
            violation = values.pop("violation")
            recording.record(
                ref, on, lambda c, stamp: c.record_disposition(stamp, violation, **values)
            )
        elif command == "referral":
            referral, reason = values.pop("referral"), values.get("reason")
            check_reason(values["status"], reason)
            recording.record(
                ref,
                on,
                lambda c, stamp: c.update_referral(stamp, referral, values["status"], reason),
            )
        elif command == "violation":
            new_id = recording.record(ref, on, lambda c, s: c.record_violation(s, **values))
            self.remember(ref, "violation", key, new_id)
        elif command == "refer":
            new_id = recording.record(ref, on, lambda c, stamp: c.refer(stamp, **values))
            self.remember(ref, "referral", key, new_id)
        else:
            method = METHODS[command]
            for name, code in DEFAULTS.get(command, {}).items():
                if values.get(name) is None:  # no column, or a blank cell
                    values[name] = coded(code)
            required = REQUIRED.get(command, ())  # a blank optional cell: as if left out
            values = {name: v for name, v in values.items() if v is not None or name in required}
            recording.record(ref, on, lambda c, stamp: getattr(c, method)(stamp, **values) and None)

    def enroll(self, ref: str, on: date, values: dict[str, Any]) -> None:
        """A first term (a new client), or a later one for a client whose terms have all
        ended, as `enroll` takes them (Recording.enroll_or_start_term)."""
        person = {name: values.pop(name) for name in PERSON if name in values}
        juvenile = values.pop("juvenile", False)
        if values.get("officer") is None:  # no column, or a blank cell
            values["officer"] = "unknown"
        values.setdefault("agency", "")
        self.recording.enroll_or_start_term(ref, on, values, person, juvenile)

    def custody_caps(self, agency: str, on: date) -> tuple[int, int]:
        """The agency's caps on an officer's custody sanction on a day, as `respond` applies
        them (its policy read once per import)."""
        if agency not in self.policies:
            self.policies[agency] = self.ledger.policy(agency)
        policy = self.policies[agency]
        return DEFAULT_CUSTODY_CAPS if policy is None else policy.caps_on(on)

    def link(self, ref: str, rule: Rule, values: dict[str, Any]) -> None:
        """The row's links to an earlier violation or referral, as the ledger's own ids."""
        for name, spec in rule.fields.items():
            if name not in LINKS or (name == "decision" and values[name] is None):
                continue
            theirs = values[name]
            if spec.ids == "ledger":
                if theirs is None:
                    raise on_field(InvalidInput(f"no {LINKS[name]} id given"), name)
                continue  # the client's own, as the command checks it
            values[name] = self.our_id(ref, LINKS[name], theirs, name)

    def protector(self, client: str) -> Protect:
        """New clients' keys go with the import; clients already stored keep theirs."""
        stored = client in self.stored_ids and client not in self.writer.keys
        key = self.ledger.keys.get(client) if stored else None
        if key is not None:
            return lambda text: encrypt(key, client, text)
        return self.writer.protector(client)

    def remember(self, ref: str, kind: str, theirs: str | None, ours: str | None) -> None:
        if theirs and ours:
            self.ids[ref, kind, theirs] = ours

    def our_id(self, ref: str, kind: str, theirs: str | None, field: str) -> str:
        if not theirs or (ref, kind, theirs) not in self.ids:
            raise on_field(
                InvalidInput(
                    f"no earlier {kind} {theirs!r} for client {ref!r} in this file (a {kind} "
                    f'of an earlier file is named by the ledger\'s own id, with ids = "ledger")'
                ),
                field,
            )
        return self.ids[ref, kind, theirs]

    def date(self, line: int, row: dict[str, str], column: str) -> date:
        text = row[column].strip()
        try:
            return datetime.strptime(text, self.mapping.date_format).date()
        except ValueError as error:
            # written in the form, but no such day (31/02): as a date given on the command line
            why = str(error)
            if why.startswith(("time data", "unconverted data")):
                why = f"is not a date of the form {self.mapping.date_format}"
            else:
                why = f"is not a date ({why})"
            raise self.fail(line, column, f"{text!r} {why}") from None

    def value(self, line: int, row: dict[str, str], name: str, spec: Field) -> Any:
        text = row[spec.column].strip()
        if name in FLAGS:
            if text.upper() in spec.true:
                return True
            if not text or text.upper() in spec.false:
                return False
            raise self.fail(
                line, spec.column,
                f"{text!r} is neither yes ({', '.join(spec.true)}) nor no "
                f"({', '.join(spec.false)}, or blank)",
            )  # fmt: skip
        if not text:
            return [] if name in LISTS else None
        if name in DATES:
            return self.date(line, row, spec.column)
        if name in NUMBERS:  # as written in ASCII digits: not 1_0, nan, 1e400
            whole = name == "custody_days"
            if not (WHOLE_NUMBER if whole else DECIMAL_NUMBER).fullmatch(text):
                said = "a whole number" if whole else "a number"
                raise self.fail(line, spec.column, f"{text!r} is not {said}")
            return int(text) if whole else float(text)
        if name in LISTS:
            parts = [p.strip() for p in text.split(spec.split or ";") if p.strip()]
            return [self.code(line, spec, p) for p in parts] if name in CODED else parts
        if name in CODED:
            return self.code(line, spec, text)
        return text

    def code(self, line: int, spec: Field, text: str) -> dict[str, Any]:
        table = self.mapping.codes.get(spec.codes or "", {})
        if spec.codes and text not in table and text not in table.values():
            raise self.fail(
                line, spec.column,
                f"{text!r} is not in the mapping's codes.{spec.codes} (nor one of our codes)",
            )  # fmt: skip
        ours = table.get(text, text)
        return coded(ours, text if ours != text else None)


def check_reason(status: dict[str, Any] | None, reason: dict[str, Any] | None) -> None:
    """A declined or dropped referral says why: a row without a reason is refused, naming
    the reason column (or asking the rule for one), never given `other` silently."""
    code = (status or {}).get("code")
    if code in ENDINGS_NEEDING_REASON and reason is None:
        raise on_field(
            InvalidInput(
                f"a {code} referral says why: its rule's `reason` column gives one of "
                f"{', '.join(values(ReferralReason))} (a blank cell may read as the mapping's "
                "`blank` text, e.g. not recorded, translated by a codes table)"
            ),
            "reason",
        )


def on_field(error: InvalidInput, field: str) -> InvalidInput:
    """The error, naming the field (so the row's column) at fault."""
    error.field = field
    return error


def may_be_told(ledger: Ledger, who: Actor, importer: str) -> bool:
    """Whether `who` may be told of an import `importer` made (what file, when, by whom): a
    reader of every agency, the single user, or someone of the importer's own agency (one of
    another agency, sending the same bytes, would learn what it recorded)."""
    if who.role is None or who.sees_every_agency:
        return True
    try:
        made_by = ledger.actor(importer)
    except LedgerError:  # no longer a user: their agency unknown
        return False
    return made_by.agency == who.agency


def import_mapped(
    ledger: Ledger,
    who: Actor,
    path: Path,
    mapping_path: Path,
    progress: Callable[[int], None] | None = None,
    signed_in: Callable[[], bool] | None = None,
    again: bool = False,
    name: str | None = None,
) -> tuple[int, int]:
    """(rows read, events written): all of them in one transaction, or none. `signed_in`: is
    the importer's credential still valid (`BulkWriter`). A file imported before is refused
    unless `again` (imported.py): looked up once the file is read and the ledger held, and
    added with its events, under `name` (default: the file's own)."""
    mapping = load_mapping(mapping_path)
    register, digest = ImportRegister(ledger), hashlib.sha256()
    writer = BulkWriter(ledger, progress, by=who, signed_in=signed_in)
    job = MappedImport(ledger, who, mapping, path, writer)
    lines = read_rows(path, mapping.columns, mapping.encoding, digest)
    # The file read through before the transaction begins: no lock is held meanwhile.
    with (
        by_client(lines, lambda row: row[mapping.reference].strip()) as (refs, clients),
        writer.transaction(),
    ):
        # the file whole (its digest with it), the ledger held: an import of the same file
        # committed meanwhile is seen
        before = register.found(digest.hexdigest())
        if before and not again:
            told = all(may_be_told(ledger, who, found.imported_by) for found in before)
            if not told:  # another agency's import: its rows refused as any of theirs would be
                job.run(refs, clients)
            times = (
                f" ({len(before)} times; the last: {before[-1].said()})" if len(before) > 1 else ""
            )
            said = f", as {before[0].said()}{times}" if told else ""
            raise RuleViolated(
                f"{path}: this file was imported already{said}: nothing was written (to import "
                "it once more, give --again; through the API, again=true)"
            )
        rows = job.run(refs, clients)
        create, insert = register.statements()
        writer.execute(create, [()])
        now = datetime.now(UTC).isoformat(timespec="seconds")
        occurrence = max((found.occurrence for found in before), default=-1) + 1
        writer.execute(insert, [(digest.hexdigest(), occurrence, name or path.name, now,
                                 who.name, rows, writer.written)])  # fmt: skip
    return rows, writer.written
