"""The command line runs pydantic without its plugin scan, unless the user turns plugins on
(pydantic_plugins.py, ADR 0030). Each case runs in a fresh interpreter: it is about imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
VALIDATE = """
import os, sys
from reentry_ledger.pydantic_plugins import without_plugin_scan
without_plugin_scan()
from pydantic import BaseModel
class Thing(BaseModel):
    name: str
assert Thing.model_validate({"name": "x"}).name == "x"
loader = type(sys.modules["pydantic.plugin._loader"]).__name__
print(os.environ["PYDANTIC_DISABLE_PLUGINS"] or "(empty)", loader, "importlib.metadata" in sys.modules)
"""


def run(code: str, **variables: str) -> str:
    env = {"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin", **variables}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_with_the_variable_unset_plugins_are_off_and_importlib_metadata_is_not_imported() -> None:
    assert run(VALIDATE) == "__all__ PluginsOff False"


@pytest.mark.parametrize("value", ["1", "true", "__all__"])
def test_plugins_turned_off_by_the_user_stay_off_without_the_scan(value: str) -> None:
    assert run(VALIDATE, PYDANTIC_DISABLE_PLUGINS=value) == f"{value} PluginsOff False"


@pytest.mark.parametrize("value", ["", "some_plugin"])
def test_plugins_left_on_by_the_user_get_pydantics_own_loader(value: str) -> None:
    assert run(VALIDATE, PYDANTIC_DISABLE_PLUGINS=value) == f"{value or '(empty)'} module True"


def test_anything_else_asked_of_the_stand_in_loads_pydantics_own_loader() -> None:
    code = """
import os, sys
from reentry_ledger.pydantic_plugins import without_plugin_scan
without_plugin_scan()
from pydantic.plugin._loader import PYDANTIC_ENTRY_POINT_GROUP
print(PYDANTIC_ENTRY_POINT_GROUP, type(sys.modules["pydantic.plugin._loader"]).__name__)
os.environ["PYDANTIC_DISABLE_PLUGINS"] = ""
from pydantic.plugin._loader import get_plugins
print(list(get_plugins()))
"""
    assert run(code).splitlines() == ["pydantic module", "[]"]


def test_plugins_turned_on_after_the_stand_in_took_its_place_are_looked_for() -> None:
    code = """
import os, sys
from reentry_ledger.pydantic_plugins import without_plugin_scan
without_plugin_scan()
stand_in = sys.modules["pydantic.plugin._loader"]
os.environ["PYDANTIC_DISABLE_PLUGINS"] = ""
print(list(stand_in.get_plugins()), type(sys.modules["pydantic.plugin._loader"]).__name__)
"""
    assert run(code) == "[] module"
