"""The table of the CLI's commands: each one's module and short help, so that listing them
(`--help`, completion) imports none, and running one imports only its own module.

Checked against the commands themselves (tests/e2e/test_cli_startup.py): each entry's short
help is the command's own `get_short_help_str()` (its first sentence). A new command goes here
too, in its group's table; the test names what is missing or different.
"""

from __future__ import annotations

# name: ("module:attribute" under reentry_ledger.cli, short help)
Entry = tuple[str, str]

COMMANDS: dict[str, Entry] = {
    "abscond": (
        "status:abscond",
        "Record that client REF's whereabouts are unknown from --on, until `return`.",
    ),
    "access-log": (
        "reading:access_log",
        "List who read which client's record, and when, and refused attempts (auditors).",
    ),
    "assess": ("casework:assess", "Record a risk/needs assessment of client REF."),
    "conditions": (
        "status:conditions",
        "Change client REF's conditions by a court or board order: give --add, --remove, or both.",
    ),
    "contact": (
        "casework:contact",
        "Log a contact with client REF: casework or a group session, with a note.",
    ),
    "correct": (
        "casework:correct",
        "Retract event EVENT_NUMBER of client REF (as numbered by `timeline`).",
    ),
    "custody": (
        "status:custody",
        (
            "Record that client REF is in custody from --on (a sanction, a jail hold, a treatment"
            " facility): still supervised, not at risk, until `custody-end`."
        ),
    ),
    "custody-caps": (
        "casework:custody_caps",
        (
            "Show the custody caps in force for AGENCY's officers, or set them (supervisors of "
            "that agency) with --first and --later, in force from --on (default today)."
        ),
    ),
    "custody-end": (
        "status:custody_end",
        "Record that client REF left custody on --on (at risk again from that day).",
    ),
    "demo": (
        "exchange:demo",
        "Build a synthetic ledger into an empty database, then print its audit report.",
    ),
    "digest": (
        "integrity:digest",
        "Print the ledger's head (position and running digest) as one line to publish.",
    ),
    "discharge": ("casework:discharge", "Discharge client REF: its term ends."),
    "disposition": (
        "casework:disposition",
        "Record where the new offence of violation VIOLATION_ID of client REF stands in court.",
    ),
    "enroll": (
        "casework:enroll",
        "Enroll client REF: intake, supervision type and conditions: a term of supervision.",
    ),
    "export": (
        "exchange:export_command",
        "Stream every event with its metadata, one JSON object per line, in recorded order.",
    ),
    "goal": (
        "goals:goal",
        (
            "Add a goal to client REF's case plan (prints its id), or record a goal's progress, "
            "or move it to another place in the plan's order of priority."
        ),
    ),
    "import": (
        "exchange:import_command",
        "Import SOURCE, all or nothing (jsonl and iowa: into an empty ledger).",
    ),
    "incentive": (
        "casework:incentive",
        "Record an incentive for client REF's compliance, during an open term.",
    ),
    "key": (
        "integrity:key",
        "Encryption at rest: every stored event encrypted under the ledger's key.",
    ),
    "level": ("status:level", "Set client REF's supervision level, in force from --on."),
    "match": ("casework:match", "Match client REF with a volunteer (one active match at a time)."),
    "plan": (
        "goals:plan",
        (
            "Revise the case plan of client REF: prioritised goals, each tied to a need (prints "
            "the ids of the goals given, one a line); or, as a supervisor, approve it as it "
            "stands."
        ),
    ),
    "programme": (
        "programmes:programme",
        "An agency's group programmes: places, sessions with attendance, completion.",
    ),
    "projections": (
        "reports:projections",
        "The read models reports are computed from: their position, catch-up, rebuild, verify.",
    ),
    "reassign": (
        "status:reassign",
        "Move client REF's caseload to another officer, and perhaps another agency.",
    ),
    "refer": ("casework:refer", "Refer client REF to a service."),
    "referral": ("casework:referral", "Move referral REFERRAL_ID of client REF to STATUS."),
    "replay": (
        "reading:replay",
        "Rebuild clients' state from their events: client REF, or every client.",
    ),
    "report": (
        "reports:report",
        (
            "Reports computed from the projections (caught up first, so never stale; with "
            "--no-catch-up, as they stand, on a read replica)."
        ),
    ),
    "respond": (
        "casework:respond",
        (
            "Record the response to violation VIOLATION_ID of client REF: the decision, or with "
            "--recommendation the officer's recommendation."
        ),
    ),
    "return": (
        "status:return_",
        "Record that absconded client REF was found, or came back, on --on.",
    ),
    "seal": ("casework:seal", "Seal client REF: destroy the key of its personal data, for good."),
    "serve": (
        "serve:serve",
        (
            "Serve the ledger over HTTP: the JSON API under /api/, the web pages, and the API's "
            "documentation at /docs (OpenAPI at /openapi.json)."
        ),
    ),
    "show": (
        "reading:show",
        (
            "Show client REF as the case stands: who the person is, the current term (its status,"
            " level, officer and agency, conditions, custody and absconding periods), risk, the "
            "case plan's goals (one a line in order of priority: need, text, status, target, and "
            "`overdue` when past its target and still open) and its approval, referrals, "
            "violations (each with its current disposition, the officer's recommendations and the"
            " decision, by whom, and the term a revocation decision ended), incentives, outcome."
        ),
    ),
    "timeline": (
        "reading:timeline",
        "Show the events of client REF in recorded order, numbered from 1.",
    ),
    "unmatch": ("casework:unmatch", "End client REF's active volunteer match."),
    "users": ("users:users", "Users and their roles, kept on the ledger as events."),
    "verify": (
        "integrity:verify",
        "Recompute every hash and the running digest; exit 0 only if all holds.",
    ),
    "violation": ("casework:violation", "Record one violation incident of client REF."),
    "volunteer": (
        "volunteers:volunteer",
        (
            "The agency's volunteer register: befriending volunteers, their skills, training, "
            "availability and supervision."
        ),
    ),
}

# `report`'s subcommands: defined in several modules (each beside what it reports on).
REPORTS: dict[str, Entry] = {
    "caseload": (
        "reports:report_caseload",
        "Clients under supervision on a day, per agency and officer (or other groups).",
    ),
    "cohorts": (
        "reports:report_cohorts",
        (
            "Of the terms starting in each period, how many had a first technical violation, a "
            "first new offence and a revocation within MONTHS of their start, per 100 terms "
            "(Wilson intervals in CSV and JSON)."
        ),
    ),
    "contacts": (
        "programmes:report_contacts",
        "Client-months against the supervision level's contact standard, and contacts by kind.",
    ),
    "discharges": (
        "reports:report_discharges",
        "Discharges by outcome, and as successful, neutral and unsuccessful.",
    ),
    "disparities": (
        "reports:report_disparities",
        (
            "Each group's rate per 100 person-years at risk beside a reference group's, with the "
            "rate ratio and its 95% interval: technical violations, new offences, revocations for"
            " technical violations, by race, ethnicity, sex or age band (docs/metrics.md)."
        ),
    ),
    "due": ("goals:report_due", "A caseworker's work list: what is overdue on a day, per officer."),
    "justice-counts": (
        "reports:report_justice_counts",
        (
            "The Justice Counts supervision metrics the ledger can fill, month by month, with the"
            " framework's metric keys, breakdown labels and columns (docs/metrics.md, \"Justice "
            'Counts").'
        ),
    ),
    "needs": (
        "needs:report_needs",
        (
            "Of the clients assessed with each criminogenic need (an assessment dated in the "
            "range finding it; a client's first), the share referred to a matching service within"
            " 30 and 90 days of the assessment, and whose matching referral started and "
            "completed; matching referrals per client."
        ),
    ),
    "programmes": (
        "programmes:report_programmes",
        "Per programme: places begun, sessions held, attendance and completion.",
    ),
    "progress": (
        "progress:report_progress",
        "Client REF's progress report for a court or parole-board hearing.",
    ),
    "referrals": (
        "reports:report_referrals",
        (
            "Referrals made in the range, by service: how many were accepted, started, completed,"
            " dropped, and the median days from referral to start."
        ),
    ),
    "responses": (
        "reports:report_responses",
        "Incentives beside sanctions per 100 person-years at risk, by group, with their ratio.",
    ),
    "violations": (
        "reports:report_violations",
        "Technical violations against new offences, revocations each drives, by group.",
    ),
    "volunteer-supervision": (
        "volunteers:report_volunteer_supervision",
        (
            "Volunteers' supervision: active volunteers and volunteer-months in the range (a "
            "calendar month each volunteer was on the register for a day of), those with at least"
            " one supervision session, the share, and sessions (individual, group: one for each "
            "volunteer present) per volunteer-month."
        ),
    ),
    "volunteers": (
        "reports:report_volunteers",
        "Volunteer matches begun and ended in the range, active at its end, median days matched.",
    ),
}

# Subgroups listed from a table too, by name (the others are whole in their one module).
SUBCOMMANDS: dict[str, dict[str, Entry]] = {"report": REPORTS}
