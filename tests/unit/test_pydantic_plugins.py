"""The command line runs pydantic without its plugin scan, unless the user turns plugins on
(pydantic_plugins.py, ADR 0030). Each case runs in a fresh interpreter, as the command does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
# pydantic's loader records, once per process, whether it looked for plugins: with plugins
# off it never reads the entry points (`_plugins` stays empty and `_loading_plugins` False)
VALIDATE = """
import os
from reentry_ledger.pydantic_plugins import without_plugin_scan
without_plugin_scan()
from pydantic import BaseModel
class Thing(BaseModel):
    name: str
assert Thing.model_validate({"name": "x"}).name == "x"
from pydantic.plugin import _loader
scanned = _loader._plugins is not None
print(os.environ["PYDANTIC_DISABLE_PLUGINS"] or "(empty)", "scanned" if scanned else "not scanned")
"""


def run(code: str, **variables: str) -> str:
    env = {"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin", **variables}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_with_the_variable_unset_plugins_are_off_and_not_looked_for() -> None:
    assert run(VALIDATE) == "__all__ not scanned"


@pytest.mark.parametrize("value", ["1", "true", "__all__"])
def test_plugins_turned_off_by_the_user_stay_off(value: str) -> None:
    assert run(VALIDATE, PYDANTIC_DISABLE_PLUGINS=value) == f"{value} not scanned"


@pytest.mark.parametrize("value", ["", "some_plugin"])
def test_plugins_left_on_by_the_user_are_looked_for(value: str) -> None:
    assert run(VALIDATE, PYDANTIC_DISABLE_PLUGINS=value) == f"{value or '(empty)'} scanned"
