"""The HTTP API's contract: one endpoint per application command, shared by the server (which
serves it) and the CLI's client for a server (which calls it), so the two cannot drift apart.

Each endpoint names the application method it calls; its parameters are that method's own
(read from its signature, less `actor`, which is always the authenticated user), sent as a JSON
body (POST, PUT, DELETE) or as query parameters (GET). Results are the method's own result,
turned to JSON and back by pydantic from its annotation. No web framework is imported here:
the CLI loads this module for every command sent to a server.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

# Errors, as HTTP answers and as the CLI's exit codes (which every error body carries too).
STATUS_BY_ERROR = {
    "invalid_input": 400,  # exit 2
    "too_large": 413,  # exit 2: a body larger than the endpoint takes
    "unauthenticated": 401,  # exit 3
    "not_permitted": 403,  # exit 3
    "refused": 422,  # exit 3: a rule of the record refused it (e.g. a second decision)
    "not_found": 404,  # exit 4
    "conflict": 409,  # exit 5: a lost race, or an If-Match that no longer holds
    "verification_failed": 409,  # exit 6
    "failed": 500,  # exit 1
}
EXIT_BY_ERROR = {
    "invalid_input": 2,
    "too_large": 2,
    "unauthenticated": 3,
    "not_permitted": 3,
    "refused": 3,
    "not_found": 4,
    "conflict": 5,
    "verification_failed": 6,
    "failed": 1,
}


@dataclass(frozen=True)
class Endpoint:
    method: str  # the application's method (Ledger.<method>)
    verb: str  # GET, POST, PUT or DELETE
    path: str  # its path parameters are the method's own (e.g. {ref})
    summary: str
    tag: str
    writes_client: bool = False  # a write to one existing client: takes If-Match
    omit: tuple[str, ...] = ()  # the method's parameters not offered over HTTP

    @property
    def path_params(self) -> tuple[str, ...]:
        return tuple(part[1:-1] for part in self.path.split("/") if part.startswith("{"))

    @property
    def in_query(self) -> bool:
        """GET takes its parameters in the query string; the others, in a JSON body (so no
        free text, such as a user's removal reason, lands in a URL or a log)."""
        return self.verb == "GET"


def client_write(method: str, path: str, summary: str) -> Endpoint:
    return Endpoint(method, "POST", "/api/clients/{ref}" + path, summary, "casework", True)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "enroll",
        "POST",
        "/api/clients",
        "Enroll a client (event number 1), or start the next term of a client whose term "
        "has ended.",
        "casework",
        omit=("details",),
    ),
    client_write("assess", "/assessments", "Record a risk/needs assessment."),
    client_write("revise_plan", "/plans", "Revise the case plan: goals in order of priority."),
    client_write(
        "add_goal", "/goals", "Add a goal to the case plan: its id is the result's `new_id`."
    ),
    client_write("progress_goal", "/goals/{goal_id}/progress", "Record where a goal stands."),
    client_write(
        "reorder_goal", "/goals/{goal_id}/priority", "Move a goal to another place in the plan."
    ),
    client_write(
        "approve_plan", "/plans/approvals", "Approve the case plan as it stands (supervisors)."
    ),
    client_write("refer", "/referrals", "Refer the client to a service."),
    client_write(
        "update_referral", "/referrals/{referral_id}/status", "Move a referral to a status."
    ),
    client_write("log_contact", "/contacts", "Log a contact: casework or a group session."),
    client_write("match_volunteer", "/volunteer-matches", "Match the client with a volunteer."),
    client_write("end_volunteer_match", "/volunteer-matches/end", "End the active match."),
    client_write("record_violation", "/violations", "Record one violation incident."),
    client_write(
        "respond_to_violation",
        "/violations/{violation_id}/responses",
        "Record the response to a violation: the officer's recommendation (`recommendation`), "
        "or the decision (one per violation). A revocation is decided by a court or a parole "
        "board, and ends the term.",
    ),
    client_write(
        "record_disposition",
        "/violations/{violation_id}/dispositions",
        "Record where a violation's new offence stands in court (also after the term ended).",
    ),
    client_write("grant_incentive", "/incentives", "Record an incentive for compliance."),
    client_write(
        "discharge",
        "/discharge",
        "Discharge the client. A revoked outcome cites (`decision`) a revocation decided "
        "before decisions ended terms.",
    ),
    client_write(
        "reassign",
        "/reassignments",
        "Move the caseload to another officer, and perhaps another agency (a supervisor's act; "
        "the old agency then reads the record only as it stood up to the move).",
    ),
    client_write("change_level", "/level", "Set the supervision level in force from a date."),
    client_write(
        "change_conditions", "/conditions", "Add and remove conditions (a court or board order)."
    ),
    client_write("start_custody", "/custody", "The client is in custody from a date."),
    client_write("end_custody", "/custody/end", "The client left custody on a date."),
    client_write("abscond", "/absconding", "The client's whereabouts are unknown from a date."),
    client_write("record_return", "/absconding/return", "The absconded client returned."),
    client_write("correct", "/corrections", "Retract one of the client's events."),
    client_write("seal", "/seal", "Seal the client: destroy the key of its personal data."),
    Endpoint(
        "add_programme",
        "POST",
        "/api/programmes",
        "Add one of the agency's group programmes (its staff).",
        "casework",
    ),
    Endpoint(
        "list_programmes",
        "GET",
        "/api/programmes",
        "The programmes of the agencies you see, with their sessions and attendance.",
        "reads",
    ),
    Endpoint(
        "enrol_in_programme",
        "POST",
        "/api/programmes/{programme}/places",
        "Give clients (`refs`) places in a programme of their agency: all of them, or none.",
        "casework",
    ),
    Endpoint(
        "record_programme_session",
        "POST",
        "/api/programmes/{programme}/sessions",
        "Record a session: who attended, who missed it (default: every other client holding "
        "an open place); on the programme and each client in one transaction.",
        "casework",
    ),
    client_write(
        "end_programme_place",
        "/programmes/{programme}/end",
        "End the client's place in a programme: completed, dropped_out or removed.",
    ),
    Endpoint(
        "list_clients",
        "GET",
        "/api/clients",
        "The clients you may see, in order of enrolment, a page at a time (access-logged).",
        "reads",
    ),
    Endpoint("client_state", "GET", "/api/clients/{ref}", "The case as it stands.", "reads"),
    Endpoint(
        "timeline",
        "GET",
        "/api/clients/{ref}/timeline",
        "The client's events: as of a date, or as known at a moment.",
        "reads",
    ),
    Endpoint(
        "progress_report",
        "GET",
        "/api/clients/{ref}/progress-report",
        "The client's progress report for a hearing, as of a date: its sections and "
        "statements, each citing its events (the CLI renders it as Markdown, HTML or PDF). "
        "Confidential case notes only with `include_confidential`, for the client's own "
        "agency's staff (access-logged).",
        "reads",
    ),
    Endpoint(
        "custody_caps_in_force",
        "GET",
        "/api/agencies/{agency}/custody-caps",
        "The caps (days) on the custody an agency's officer alone may decide for a technical "
        "violation: its own, else the defaults.",
        "policy",
    ),
    Endpoint(
        "set_custody_caps",
        "PUT",
        "/api/agencies/{agency}/custody-caps",
        "Set the agency's custody caps (its supervisors): `first` for a term's first technical "
        "violation, `later` for each later one.",
        "policy",
    ),
    Endpoint(
        "register_volunteer",
        "POST",
        "/api/volunteers",
        "Register a volunteer of an agency (its staff's own); returns its id (VOL1, ...).",
        "volunteers",
    ),
    Endpoint(
        "list_volunteers",
        "GET",
        "/api/volunteers",
        "The volunteer register as you may see it, with open matches and capacity left.",
        "volunteers",
    ),
    Endpoint(
        "train_volunteer",
        "POST",
        "/api/volunteers/{volunteer_id}/training",
        "Record that a volunteer completed (further) training.",
        "volunteers",
    ),
    Endpoint(
        "supervise_volunteers",
        "POST",
        "/api/volunteers/supervision",
        "Record a supervision session of one volunteer (individual) or several (group).",
        "volunteers",
    ),
    Endpoint(
        "volunteer_leaves",
        "POST",
        "/api/volunteers/{volunteer_id}/leaving",
        "Record that a volunteer left the register.",
        "volunteers",
    ),
    Endpoint(
        "suggest_volunteers",
        "GET",
        "/api/clients/{ref}/volunteer-suggestions",
        "Volunteers of the client's agency with capacity left, by how many of its needs their "
        "skills meet (access-logged).",
        "volunteers",
    ),
    Endpoint(
        "list_users",
        "GET",
        "/api/users",
        "The users, their roles and agencies (a supervisor: its agency's).",
        "users",
    ),
    Endpoint("add_user", "POST", "/api/users", "Add a user with a role.", "users"),
    Endpoint("remove_user", "DELETE", "/api/users/{name}", "Remove a user.", "users"),
    Endpoint(
        "issue_token",
        "POST",
        "/api/users/{name}/tokens",
        "Issue a bearer token for a user (returned once).",
        "users",
    ),
    Endpoint(
        "revoke_tokens",
        "DELETE",
        "/api/users/{name}/tokens",
        "Revoke a user's tokens (one, or all) and end their web sessions.",
        "users",
    ),
    Endpoint(
        "set_password",
        "PUT",
        "/api/users/{name}/password",
        "Set a user's password for the web pages.",
        "users",
    ),
    Endpoint(
        "access_log_page",
        "GET",
        "/api/access-log",
        "Who read which client's record, and when (auditors), a page at a time.",
        "audit",
    ),
)


@dataclass(frozen=True)
class Parameter:
    name: str
    annotation: Any
    default: Any  # inspect.Parameter.empty when required


def parameters(function: Callable[..., Any], endpoint: Endpoint) -> list[Parameter]:
    """The method's parameters offered over HTTP, with their resolved types: all but self,
    actor, progress reporters and the endpoint's omissions (path parameters included)."""
    hints = type_hints(function)
    result = []
    for parameter in inspect.signature(function).parameters.values():
        if parameter.name in ("self", "actor", "progress", *endpoint.omit):
            continue
        result.append(Parameter(parameter.name, hints[parameter.name], parameter.default))
    return result


def result_type(function: Callable[..., Any]) -> Any:
    return type_hints(function)["return"]


def type_hints(function: Callable[..., Any]) -> dict[str, Any]:
    """The method's annotations, resolved. A module that imports a type it names only in
    annotations when it is used (so that commands which do not use it do not load it) lists it
    in `ANNOTATION_TYPES`, name to `module:attribute`: it is imported here."""
    module = sys.modules[function.__module__]
    deferred: dict[str, str] = getattr(module, "ANNOTATION_TYPES", {})
    names = {}
    for name, where in deferred.items():
        path, _, attribute = where.partition(":")
        names[name] = getattr(importlib.import_module(path), attribute)
    return typing.get_type_hints(function, localns=names)


def listed(annotation: Any) -> Any:
    """A result type as JSON carries it: an iterator of things is a list of them."""
    if typing.get_origin(annotation) is Iterator:
        return list[typing.get_args(annotation)[0]]  # type: ignore[misc]
    return annotation
