"""Write docs/cli.md from the commands' own --help, so the reference never drifts.

Usage: python scripts/cli_reference.py [--check]   (--check exits 1 if docs/cli.md is stale)
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from reentry_ledger.cli import cli

TARGET = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def help_text(args: list[str]) -> str:
    command: click.Command = cli
    for name in args:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    name = " ".join(["reentry-ledger", *args])
    with click.Context(command, info_name=name, **cli.context_settings) as ctx:
        ctx.terminal_width = 100
        ctx.max_content_width = 100
        return command.get_help(ctx)


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for name, command in sorted(group.commands.items()):
        paths.append((*prefix, name))
        if isinstance(command, click.Group):
            paths.extend(command_paths(command, (*prefix, name)))
    return paths


def reference() -> str:
    parts = [
        "# Command-line reference",
        "",
        "Generated from `--help` by `scripts/cli_reference.py`; do not edit by hand.",
        "",
        "```",
        help_text([]),
        "```",
    ]
    for path in command_paths(cli):
        parts += ["", f"## {' '.join(path)}", "", "```", help_text(list(path)), "```"]
    return "\n".join(parts) + "\n"


def main() -> int:
    text = reference()
    if "--check" in sys.argv:
        return 0 if TARGET.exists() and TARGET.read_text() == text else 1
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
