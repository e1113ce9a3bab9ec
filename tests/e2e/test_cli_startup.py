"""The CLI starts without importing what the command does not need: `--help` lists every command
from a table (cli/commands.py) without importing one, and reading a client on SQLite never
loads the PostgreSQL driver or the charts. The table is checked against the commands."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

import reentry_ledger.cli
from reentry_ledger.cli import LazyCommands, cli
from reentry_ledger.cli.commands import COMMANDS, SUBCOMMANDS, Entry

SRC = Path(__file__).resolve().parents[2] / "src"
# Never needed to list the commands, nor to read a client on SQLite.
HEAVY = ("psycopg", "eventsourcing.postgres", "matplotlib", "fastapi", "uvicorn", "argon2",
         "fpdf", "jinja2", "hypothesis")  # fmt: skip
# Imported when the command that needs them runs, never to read a client (ADR 0030).
NOT_TO_READ_A_CLIENT = {"reentry_ledger.reports.progress"}
MODULES_AFTER = """
import sys
from reentry_ledger.cli import main
try:
    main()
except SystemExit as done:
    if done.code:
        raise
print("\\n".join(sorted(sys.modules)), file=sys.stderr)
"""


def modules_imported_by(tmp_path: Path, *args: str) -> set[str]:
    """The modules a fresh interpreter has imported once `reentry-ledger ARGS` is done."""
    result = subprocess.run(
        [sys.executable, "-c", MODULES_AFTER, *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(SRC), "REENTRY_LEDGER_ACTOR": "jdoe", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return set(result.stderr.split())


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY or m.startswith(HEAVY))


def test_help_imports_no_command_and_no_driver_chart_server_or_hashing(tmp_path: Path) -> None:
    modules = modules_imported_by(tmp_path, "--help")
    assert heavy(modules) == []
    assert not [m for m in modules if m.startswith(("pydantic", "reentry_ledger.application"))]
    commands = [m for m in modules if m.startswith("reentry_ledger.cli.")]
    assert sorted(commands) == ["reentry_ledger.cli.commands", "reentry_ledger.cli.context"]


@pytest.mark.parametrize(
    "command", [["show", "GA-1"], ["timeline", "GA-1"], ["report", "violations"]]
)
def test_reading_a_client_or_a_report_on_sqlite_imports_no_postgres_driver_nor_charts(
    tmp_path: Path, command: list[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'ledger.db'}"
    enroll = ["--db", db, "--actor", "jdoe", "enroll", "GA-1", "--agency", "GA", "--officer",
              "o-1", "--supervision", "parole"]  # fmt: skip
    enrolled = subprocess.run(
        [sys.executable, "-c", "from reentry_ledger.cli import main; main()", *enroll],
        capture_output=True,
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert enrolled.returncode == 0, enrolled.stderr
    modules = modules_imported_by(tmp_path, "--db", db, *command)
    assert heavy(modules) == []
    if command[0] in ("show", "timeline"):
        assert sorted(modules & NOT_TO_READ_A_CLIENT) == []


PLUGINS_AFTER = """
import os
from reentry_ledger.cli import main
try:
    main()
except SystemExit as done:
    if done.code:
        raise
print(repr(os.environ.get("PYDANTIC_DISABLE_PLUGINS")))
"""


@pytest.mark.parametrize(("given", "after"), [(None, "'__all__'"), ("", "''"), ("x", "'x'")])
def test_the_command_turns_pydantic_plugins_off_unless_the_user_says_otherwise(
    tmp_path: Path, given: str | None, after: str
) -> None:
    env = {"PYTHONPATH": str(SRC), "REENTRY_LEDGER_ACTOR": "jdoe", "PATH": "/usr/bin:/bin"}
    if given is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = given
    result = subprocess.run(
        [sys.executable, "-c", PLUGINS_AFTER, "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == after


def cli_modules() -> list[str]:
    path = reentry_ledger.cli.__path__
    return [f"reentry_ledger.cli.{info.name}" for info in pkgutil.iter_modules(path)]


def tables() -> list[tuple[click.Group, dict[str, Entry]]]:
    """Each lazily listed group with its table, every command module imported."""
    for module in cli_modules():
        importlib.import_module(module)
    groups: list[tuple[click.Group, dict[str, Entry]]] = [(cli, COMMANDS)]
    for name, table in SUBCOMMANDS.items():
        group = cli.commands[name]
        assert isinstance(group, click.Group)
        groups.append((group, table))
    return groups


def test_the_command_table_lists_exactly_the_commands_the_modules_define() -> None:
    for group, table in tables():
        assert isinstance(group.commands, LazyCommands)
        assert sorted(group.commands.registered) == sorted(table), group.name


def test_each_table_entry_names_its_command_and_its_short_help() -> None:
    for group, table in tables():
        for name, (where, short_help) in table.items():
            module, _, attribute = where.partition(":")
            command = getattr(importlib.import_module(f"reentry_ledger.cli.{module}"), attribute)
            assert group.commands[name] is command, f"{name}: the table names {where}"
            assert short_help == command.get_short_help_str(limit=10**6), (
                f"cli/commands.py: the short help of {name!r} should read "
                f"{command.get_short_help_str(limit=10**6)!r}"
            )


def test_the_root_help_lists_the_commands_as_loaded_commands_would() -> None:
    for width in (60, 80, 120):
        shown = cli.get_help(click.Context(cli, info_name="reentry-ledger", terminal_width=width))
        with click.Context(cli, info_name="reentry-ledger", terminal_width=width) as ctx:
            formatter = ctx.make_formatter()
            click.Group.format_commands(cli, ctx, formatter)  # click's own: every command loaded
        assert shown.endswith(formatter.getvalue().rstrip("\n"))


BUILT_ON_IMPORT = """
from pydantic import BaseModel
import reentry_ledger.domain.events as events

def every(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from every(sub)

print(sorted({m.__name__ for m in every(BaseModel)
              if m.__module__ == events.__name__ and m.__pydantic_complete__}))
"""


def test_importing_the_events_builds_no_events_validator_until_one_is_read() -> None:
    """Each event's model is built on first use (`defer_build`), so a command pays only for the
    kinds of event it reads. A default written as a model instance would build its model on
    import; only the generic `Coded` is built, by pydantic itself when it is parametrised."""
    result = subprocess.run(
        [sys.executable, "-c", BUILT_ON_IMPORT],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['Coded']"
