"""A mapped CSV import calls the client's own command for each row (ingest/mapped.py), with
the fields its rule names. A field the command cannot do without that a rule may leave out
made the row's call fail as a Python error: a contact rule with no `kind` column (optional in
docs/import.md, as `contact --kind` is) stopped the import with "unexpected TypeError" (exit 1;
500 from the server), found by a probe of the server."""

from __future__ import annotations

import inspect

from reentry_ledger.domain.client import Client
from reentry_ledger.ingest.mapped import DEFAULTS, METHODS, REQUIRED


def test_every_field_a_mapped_command_cannot_do_without_is_required_or_given_a_default() -> None:
    called = {**METHODS, "violation": "record_violation", "refer": "refer"}
    for command, method in called.items():
        parameters = inspect.signature(getattr(Client, method)).parameters.values()
        needed = {p.name for p in parameters if p.kind is p.KEYWORD_ONLY and p.default is p.empty}
        allowed = {*REQUIRED.get(command, ()), *DEFAULTS.get(command, {})}
        assert needed <= allowed, f"{command}: {sorted(needed - allowed)} may be left out"
