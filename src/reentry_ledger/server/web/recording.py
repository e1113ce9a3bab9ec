"""Recording on a client from the pages: a contact, a violation, a violation's response (a
recommendation or the decision), a new offence's disposition, an incentive.
Each form posts to the same application method as the API, as the signed-in user, expecting
the client's last event to be the one the page showed (its If-Match): a lost race is shown as
a conflict. A refused form is shown again beside its error, its values kept; a recorded one
answers with the address of the page that shows it (with the event's number only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from reentry_ledger.application import Ledger, Recorded
from reentry_ledger.authorization import NotPermitted
from reentry_ledger.contract import STATUS_BY_ERROR
from reentry_ledger.domain.codes import (
    GRADUATED_RESPONSES,
    ContactKind,
    DecidingBody,
    Disposition,
    Incentive,
    NewOffenceBasis,
    OffenceSeverity,
    OffenceType,
    TechnicalViolation,
    values,
)
from reentry_ledger.domain.errors import (
    ClientNotFound,
    Conflict,
    InvalidInput,
    LedgerError,
    RuleViolated,
)
from reentry_ledger.server.errors import error_kind
from reentry_ledger.server.web import csrf, forms
from reentry_ledger.server.web.rendering import TITLES, PageRoute, path, render
from reentry_ledger.server.web.site import Site

CHOICES = {
    "kinds": values(ContactKind),
    "technical": values(TechnicalViolation),
    "severities": [s for s in values(OffenceSeverity) if s != OffenceSeverity.UNKNOWN],
    "bases": values(NewOffenceBasis),
    "offence_types": values(OffenceType),
    "responses": [response.value for response in GRADUATED_RESPONSES],
    "deciders": values(DecidingBody),
    "dispositions": values(Disposition),
    "incentives": values(Incentive),
}
DEFAULTS: dict[str, dict[str, Any]] = {
    "contact": {"on": "", "kind": "casework", "note": "", "confidential": True,
                "group_session": ""},
    "violation": {"on": "", "technical": [], "absconding": False, "new_offence": "",
                  "violent": False, "basis": "", "offence_type": "", "description": ""},
    "response": {"on": "", "response": "", "custody_days": "", "decided_by": "officer",
                 "recommendation": False},
    "disposition": {"on": "", "disposition": "", "offence_type": ""},
    "incentive": {"on": "", "kind": "", "note": ""},
}  # fmt: skip
TITLE = {"contact": "Record a contact", "violation": "Record a violation",
         "response": "Record the response to a violation",
         "disposition": "Record where a new offence stands in court",
         "incentive": "Record an incentive"}  # fmt: skip

Write = Callable[[Ledger, str], Recorded]  # records as the user named
NONE_TICKED = Form([])  # checkboxes: a list of the ticked values


def last_event(ledger: Ledger, ref: str, name: str) -> str:
    """The number of the client's last event, for a form's If-Match, where the user's agency
    holds the client (else none, "": `Ledger.last_event_held`): asked only after the
    application let the user read the client."""
    number = ledger.last_event_held(ref, actor=name)
    return "" if number is None else str(number)


def expected_number(text: str) -> int:
    number = forms.whole("Last event", text, minimum=1)
    if number is None:
        raise InvalidInput("the form does not say the client's last event: open the client again")
    return number


def text(value: str) -> str:
    """Free text as typed: a browser sends each line break as CR LF."""
    return value.replace("\r\n", "\n")


def routes(site: Site) -> APIRouter:
    router = APIRouter(route_class=PageRoute, include_in_schema=False)

    def record(
        request: Request, ref: str, form: str, given: dict[str, Any], token: str,
        expected: str, make: Callable[[], Write], then: str, violation_id: str | None = None,
    ) -> Response:  # fmt: skip
        """Check the form's token, then record as the signed-in user; the form again if
        refused (a refusal for who the user is, or a client they may not see, is a page)."""
        visitor = site.visitor(request)
        csrf.check(request, token)
        try:
            number = expected_number(expected)
            write = make()  # the form's values, read and checked
            with site.service.use(number) as ledger:
                recorded = write(ledger, visitor.name)
        except NotPermitted:
            raise
        except LedgerError as error:
            if isinstance(error, ClientNotFound):
                with site.service.use() as ledger:
                    if not ledger.moved_away_from(ref, actor=visitor.name):
                        raise  # another agency's, or none: a page, as if it did not exist
                error = RuleViolated(
                    f"client {ref!r} has moved to another agency since you opened it: your "
                    "agency reads its record as it stood at the move, and records on it no "
                    "more. Nothing was recorded"
                )
            latest = None
            if isinstance(error, Conflict):  # the form now expects what the client holds now
                with site.service.use() as ledger:
                    latest = ledger.latest_held(ref, actor=visitor.name)
                expected = str(latest.number) if latest else ""
            kind = error_kind(error)
            return render(
                request, "record.html", STATUS_BY_ERROR[kind], ref=ref, form=form,
                title=TITLE[form], values={**DEFAULTS[form], **given}, expected=expected,
                error=str(error), error_title=TITLES[kind], choices=CHOICES,
                violation_id=violation_id, conflict=isinstance(error, Conflict),
                latest=latest, yours=latest is not None and latest.recorded_by == visitor.name,
            )  # fmt: skip
        return RedirectResponse(f"{then}?recorded={recorded.number}", status_code=303)

    @router.post("/clients/{ref:path}/contacts")
    def contact(
        request: Request, ref: str, on: str = Form(""), kind: str = Form(""),
        note: str = Form(""), confidential: str = Form(""), group_session: str = Form(""),
        expected: str = Form(""), token: str = Form("", alias=csrf.FIELD),
    ) -> Response:  # fmt: skip
        given = {"on": on, "kind": kind, "note": note, "confidential": bool(confidential),
                 "group_session": group_session}  # fmt: skip

        def make() -> Write:
            day = forms.day("Date", on)
            chosen = forms.choice("Kind", kind, CHOICES["kinds"]) or "casework"
            session = group_session.strip() or None
            return lambda ledger, actor: ledger.log_contact(
                ref, actor=actor, on=day, kind=chosen, note=text(note),
                confidential=bool(confidential), group_session=session,
            )  # fmt: skip

        then = f"/clients/{path(ref)}/timeline"
        return record(request, ref, "contact", given, token, expected, make, then)

    @router.post("/clients/{ref:path}/violations")
    def violation(
        request: Request, ref: str, on: str = Form(""), technical: list[str] = NONE_TICKED,
        absconding: str = Form(""), new_offence: str = Form(""), violent: str = Form(""),
        basis: str = Form(""), offence_type: str = Form(""), description: str = Form(""),
        expected: str = Form(""), token: str = Form("", alias=csrf.FIELD),
    ) -> Response:  # fmt: skip
        given = {"on": on, "technical": technical, "absconding": bool(absconding),
                 "new_offence": new_offence, "violent": bool(violent), "basis": basis,
                 "offence_type": offence_type, "description": description}  # fmt: skip

        def make() -> Write:
            day = forms.day("Date", on)
            breached = forms.choices("Conditions breached", technical, CHOICES["technical"])
            offence = forms.choice("New offence", new_offence, CHOICES["severities"])
            rests_on = forms.choice("Basis", basis, CHOICES["bases"])
            kind = forms.choice("Offence type", offence_type, CHOICES["offence_types"])
            told = text(description) if description.strip() else None
            return lambda ledger, actor: ledger.record_violation(
                ref, actor=actor, on=day, technical=breached, absconding=bool(absconding),
                new_offence=offence, violent=bool(violent), basis=rests_on, offence_type=kind,
                description=told,
            )  # fmt: skip

        then = f"/clients/{path(ref)}"
        return record(request, ref, "violation", given, token, expected, make, then)

    @router.post("/clients/{ref:path}/violations/{violation_id}/responses")
    def response(
        request: Request, ref: str, violation_id: str, on: str = Form(""),
        decision: str = Form("", alias="response"), custody_days: str = Form(""),
        decided_by: str = Form(""), recommendation: str = Form(""), expected: str = Form(""),
        token: str = Form("", alias=csrf.FIELD),
    ) -> Response:  # fmt: skip
        given = {"on": on, "response": decision, "custody_days": custody_days,
                 "decided_by": decided_by, "recommendation": bool(recommendation)}  # fmt: skip

        def make() -> Write:
            chosen = forms.choice("Response", decision, CHOICES["responses"])
            if chosen is None:
                raise InvalidInput(f"Response: choose one of {', '.join(CHOICES['responses'])}")
            days = forms.whole("Custody days", custody_days)
            by = forms.choice("Decided by", decided_by, CHOICES["deciders"]) or "officer"
            day = forms.day("Date", on)
            return lambda ledger, actor: ledger.respond_to_violation(
                ref, violation_id, chosen, actor=actor, on=day, custody_days=days,
                decided_by=by, recommendation=bool(recommendation),
            )  # fmt: skip

        then = f"/clients/{path(ref)}"
        return record(request, ref, "response", given, token, expected, make, then, violation_id)

    @router.post("/clients/{ref:path}/violations/{violation_id}/dispositions")
    def disposition(
        request: Request, ref: str, violation_id: str, on: str = Form(""),
        disposition: str = Form(""), offence_type: str = Form(""), expected: str = Form(""),
        token: str = Form("", alias=csrf.FIELD),
    ) -> Response:  # fmt: skip
        given = {"on": on, "disposition": disposition, "offence_type": offence_type}

        def make() -> Write:
            chosen = forms.choice("Disposition", disposition, CHOICES["dispositions"])
            if chosen is None:
                raise InvalidInput(
                    f"Disposition: choose one of {', '.join(CHOICES['dispositions'])}"
                )
            kind = forms.choice("Offence type", offence_type, CHOICES["offence_types"])
            day = forms.day("Date", on)
            return lambda ledger, actor: ledger.record_disposition(
                ref, violation_id, chosen, actor=actor, on=day, offence_type=kind
            )

        then = f"/clients/{path(ref)}"
        return record(request, ref, "disposition", given, token, expected, make, then, violation_id)

    @router.post("/clients/{ref:path}/incentives")
    def incentive(
        request: Request, ref: str, on: str = Form(""), kind: str = Form(""),
        note: str = Form(""), expected: str = Form(""), token: str = Form("", alias=csrf.FIELD),
    ) -> Response:  # fmt: skip
        given = {"on": on, "kind": kind, "note": note}

        def make() -> Write:
            chosen = forms.choice("Incentive", kind, CHOICES["incentives"])
            if chosen is None:
                raise InvalidInput(f"Incentive: choose one of {', '.join(CHOICES['incentives'])}")
            day = forms.day("Date", on)
            told = text(note) if note.strip() else None
            return lambda ledger, actor: ledger.grant_incentive(
                ref, actor=actor, on=day, kind=chosen, note=told
            )

        then = f"/clients/{path(ref)}"
        return record(request, ref, "incentive", given, token, expected, make, then)

    return router
