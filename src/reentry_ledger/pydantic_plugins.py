"""The command line runs pydantic without looking for pydantic plugins (ADR 0030).

The ledger uses no pydantic plugin. Pydantic looks for them the first time it builds a validator:
its loader (`pydantic.plugin._loader`) imports `importlib.metadata` (with `email`, `zipfile`,
`csv`, `socket`...) and then scans every installed package's entry points, unless
`PYDANTIC_DISABLE_PLUGINS` turns plugins off, and even then it imports `importlib.metadata`.
Together that was about as long as starting a bare interpreter.

`without_plugin_scan()` sets `PYDANTIC_DISABLE_PLUGINS=__all__` where the user has not set the
variable, and then, plugins being off, puts a stand-in for the loader in its place, which answers
`get_plugins()` with no plugins, as pydantic's own loader does when they are off. Anything else
asked of it, or plugins turned on meanwhile, loads pydantic's own loader in its place. A user who
sets the variable to anything that leaves plugins on (e.g. empty: every plugin) gets pydantic's
own loader, untouched.
"""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType
from typing import Any

VARIABLE = "PYDANTIC_DISABLE_PLUGINS"
LOADER = "pydantic.plugin._loader"
OFF = ("__all__", "1", "true")  # the values by which pydantic's loader turns every plugin off


def without_plugin_scan() -> None:
    os.environ.setdefault(VARIABLE, "__all__")
    if os.environ[VARIABLE] in OFF and LOADER not in sys.modules:
        sys.modules[LOADER] = PluginsOff(LOADER)


class PluginsOff(ModuleType):
    """Stands for pydantic's plugin loader while plugins are off."""

    def get_plugins(self) -> Any:
        if os.environ.get(VARIABLE) in OFF:
            return ()
        return self.loader().get_plugins()

    def loader(self) -> Any:
        """Pydantic's own loader, imported now in place of this one."""
        if sys.modules.get(LOADER) is self:
            del sys.modules[LOADER]
        return importlib.import_module(LOADER)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # what the import system asks of any module (`__path__`)
            raise AttributeError(name)
        return getattr(self.loader(), name)
