"""The command line runs pydantic without looking for pydantic plugins (ADR 0030).

The ledger uses no pydantic plugin. Pydantic looks for them the first time it builds a
validator, scanning every installed package's entry points, unless the documented variable
`PYDANTIC_DISABLE_PLUGINS` turns plugins off. `without_plugin_scan()` sets it to `__all__`
where the user has not set it; a user who sets it (e.g. empty: every plugin) keeps that.
"""

from __future__ import annotations

import os

VARIABLE = "PYDANTIC_DISABLE_PLUGINS"


def without_plugin_scan() -> None:
    os.environ.setdefault(VARIABLE, "__all__")
