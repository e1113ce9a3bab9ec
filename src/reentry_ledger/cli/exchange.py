"""Getting records in and out: the demo population, export and import."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import click

from reentry_ledger.cli import cli
from reentry_ledger.cli.context import LedgerContext, ledger_options, pass_context
from reentry_ledger.cli.files import refuse_the_ledger, write_whole
from reentry_ledger.cli.render import Progress
from reentry_ledger.encryption import WRAP_KEY_FILE_ENV_VAR
from reentry_ledger.reports.output import as_table
from reentry_ledger.reports.violations import TABLE_METRICS, ReportRequest

wrap_key_option = click.option(
    "--wrap-key-file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar=WRAP_KEY_FILE_ENV_VAR,
    default=None,
    help="A backup's key file (from `key new`): its client keys are wrapped under it. "
    f"Env: {WRAP_KEY_FILE_ENV_VAR}.",
)


@cli.command()
@click.option("--clients", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same ledger.")
@ledger_options
@pass_context
def demo(state: LedgerContext, clients: int, seed: int) -> None:
    """Build a synthetic ledger into an empty database, then print its audit report.

    Distributions follow published figures (docs/demo.md). The whole population is written in
    one transaction; into a new ledger, one that fails or is interrupted leaves none behind.

    \b
    Example:
      reentry-ledger demo --clients 2000 --seed 7 --db sqlite:///demo.db
    """
    with state.making():  # said once the ledger is there (a new one: once it has its name)
        said, table = demo_report(state, clients, seed)
    click.echo("\n".join(said), err=True)
    click.echo(table, nl=False)


def demo_report(state: LedgerContext, clients: int, seed: int) -> tuple[list[str], str]:
    """What the demo built, and its audit report as a table."""
    progress = Progress("events written", every=1, batches=True)
    built = state.ledger.build_demo(clients, seed, progress, actor=state.actor_name)
    progress.done()
    from reentry_ledger.ingest.demo import reference

    refs = f"{reference(1)} to {reference(built.clients)}"
    said = [
        f"demo: {built.clients} clients ({refs}), {built.events} events",
        "the audit report by risk level (`report violations --by risk`, every definition in "
        "docs/metrics.md): a client counts once in each level held in the range; rates per 100 "
        "person-years at risk",
    ]
    request = ReportRequest(today=state.ledger.clock(), by=("risk",), limits=False)
    groups = state.ledger.reports(actor=state.actor_name).violations(request)["groups"]
    return said, as_table(groups, ["risk", *TABLE_METRICS])


@cli.command("export")
@click.option(
    "--format", "output", type=click.Choice(["jsonl"]), default="jsonl", show_default=True
)
@click.option("-o", "--output-file", type=click.Path(path_type=Path), default=None,
              help="Write here (whole, or not at all) instead of to stdout.")  # fmt: skip
@click.option(
    "--deidentified",
    is_flag=True,
    help="For researchers: pseudonyms, months, codes only (no names, notes or officers).",
)
@click.option(
    "--research-project",
    default=None,
    metavar="NAME",
    help="With --deidentified: pseudonyms stable across exports for this research project "
    "(derived from the ledger's own secret and NAME; auditors). Default: new pseudonyms "
    "for every export.",
)
@click.option(
    "--with-keys",
    is_flag=True,
    help="A backup (custodians): the clients' keys too, wrapped under the key in "
    "--wrap-key-file. Without users, every export carries the keys.",
)
@wrap_key_option
@click.option(
    "--k-anonymity",
    "k",
    type=click.IntRange(min=1),
    default=None,
    metavar="K",
    help="With --deidentified: every released combination of quasi-identifiers holds at "
    "least K clients (default 5; oversight: at least 5).",
)
@click.option("--pseudonym-key", "pseudonym_key", hidden=True, default=None,
              envvar="REENTRY_LEDGER_PSEUDONYM_KEY", expose_value=True)  # fmt: skip
@ledger_options
@pass_context
def export_command(
    state: LedgerContext,
    output: str,
    output_file: Path | None,
    deidentified: bool,
    research_project: str | None,
    k: int | None,
    pseudonym_key: str | None,
    with_keys: bool,
    wrap_key_file: Path | None,
) -> None:
    """Stream every event with its metadata, one JSON object per line, in recorded order.

    Then the clients' keys, then a closing record (the counts and the running digests) that
    `import` checks the file against. With users, an auditor's export carries no keys (it is
    for verification, and restores nothing); a custodian's backup (--with-keys) carries them
    wrapped under a key the custodian holds. Every export is in the access log.

    With --deidentified, client events only: a pseudonym per client (a keyed hash under the
    ledger's own secret, new for every export unless --research-project names one), the
    month each took effect (or its quarter or year), and codes, flags and numbers; no free
    text, names or officers. Quasi-identifiers are generalised until every combination holds
    at least K clients; clients still below K are left out (docs/import.md). Prints to stderr
    `k achieved: N; generalised: M records; suppressed: S clients`.

    \b
    Examples:
      reentry-ledger export -o ledger.jsonl
      reentry-ledger key new > backup.key
      reentry-ledger export --with-keys --wrap-key-file backup.key -o backup.jsonl
      reentry-ledger export --deidentified -o research.jsonl
      reentry-ledger export --deidentified --research-project recid-2025 --k-anonymity 10
    """
    if pseudonym_key is not None:
        raise click.UsageError(
            "--pseudonym-key (and REENTRY_LEDGER_PSEUDONYM_KEY) is no longer accepted: "
            "pseudonyms come from a secret the ledger holds, new for every export; for "
            "pseudonyms stable across exports an auditor names --research-project NAME"
        )
    if not deidentified and (research_project is not None or k is not None):
        raise click.UsageError("--research-project and --k-anonymity go with --deidentified")
    if deidentified and with_keys:
        raise click.UsageError("--with-keys makes a backup: it does not go with --deidentified")
    if output_file is not None:
        refuse_the_ledger(state.db, output_file, "-o")
    progress = Progress("events exported", every=1, batches=True)
    ledger, actor = state.ledger, state.actor_name
    summary = None
    if deidentified:
        research = ledger.deidentified_lines(research_project, k, progress, actor=actor)
        lines: Iterable[bytes] = research
        summary = research.summary
    else:
        lines = ledger.export_lines(
            progress, actor=actor, with_keys=with_keys, wrap_key_file=wrap_key_file
        )
    if output_file is None:
        for line in lines:
            sys.stdout.buffer.write(line)
        sys.stdout.buffer.flush()
    else:
        write_whole(output_file, lambda stream: stream.writelines(lines))
    progress.done()
    if summary is not None:
        click.echo(str(summary), err=True)


@cli.command("import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "kind", type=click.Choice(["jsonl", "csv", "iowa"]), required=True)
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="For csv: which columns and rows make which events (TOML).",
)
@click.option(
    "--again",
    is_flag=True,
    help="For csv: import a file imported before once more (else refused, exit 3).",
)
@wrap_key_option
@ledger_options
@pass_context
def import_command(
    state: LedgerContext,
    source: Path,
    kind: str,
    mapping: Path | None,
    again: bool,
    wrap_key_file: Path | None,
) -> None:
    """Import SOURCE, all or nothing (jsonl and iowa: into an empty ledger).

    \b
    jsonl  a file made by `export`; the copy has the same timelines, reports and export.
           Every hash chain, the digest and the counts of its closing record (its last
           line) are checked first: exit 6 if they do not hold, exit 2 if it has none.
    csv    legacy records, with --mapping naming what each column and row means
           (docs/import.md); into a new or an existing ledger. A file imported before
           (the same bytes) is refused, naming when and by whom, unless --again.
    iowa   the Iowa DoC "3-Year Recidivism for Offenders Released from Prison" CSV
           (rules in docs/iowa.md); ends with what it could not map.

    Into an empty SQLite ledger that nothing else has open, the import holds the file
    to itself until it is done: other commands on it meanwhile wait, then report it busy.
    Into a new ledger (no file there, or no ledger in the schema), one refused, failed or
    interrupted leaves none behind: the file appears when the import is done.

    \b
    Example:
      reentry-ledger --db sqlite:///copy.db import ledger.jsonl --format jsonl
      reentry-ledger import examples/legacy/records.csv --format csv \\
        --mapping examples/legacy/mapping.toml
      reentry-ledger --db sqlite:///iowa.db import iowa-releases.csv --format iowa
    """
    if kind == "csv" and mapping is None:
        raise click.UsageError("--format csv needs --mapping MAPPING.toml")
    if again and kind != "csv":
        raise click.UsageError("--again is for --format csv (jsonl and iowa: into an empty ledger)")
    with state.making():  # said once the ledger is there (a new one: once it has its name)
        said = imported(state, source, kind, mapping, wrap_key_file, again)
    click.echo("\n".join(said), err=True)


def imported(
    state: LedgerContext,
    source: Path,
    kind: str,
    mapping: Path | None,
    wrap_key_file: Path | None,
    again: bool = False,
) -> list[str]:
    """What was imported, in lines to say. Progress counts events checked and written in the
    import's transaction: imported once it commits, at the end (its line ended, whatever
    happens, so that an error starts a line of its own)."""
    progress = Progress("events checked", every=1, batches=True)
    try:
        return imported_with(progress, state, source, kind, mapping, wrap_key_file, again)
    finally:
        progress.done()


def imported_with(
    progress: Progress, state: LedgerContext, source: Path, kind: str, mapping: Path | None,
    wrap_key_file: Path | None, again: bool = False,
) -> list[str]:  # fmt: skip
    ledger, actor = state.ledger, state.actor_name
    if kind == "jsonl":
        with source.open("rb") as stream:
            count = ledger.import_jsonl(
                stream, str(source), progress, actor=actor, wrap_key_file=wrap_key_file
            )
        return [f"imported {count} events from {source}"]
    if kind == "csv" and mapping is not None:  # (a mapping: checked before the ledger opened)
        rows, events = ledger.import_csv(source, mapping, progress, actor=actor, again=again)
        return [f"imported {rows} rows as {events} events from {source}"]
    summary = ledger.import_iowa(source, progress, actor=actor)
    said = [f"imported {summary.clients} clients, {summary.events} events from {source}"]
    if summary.unmapped:
        said.append("could not map (kept as written, counted as unknown or no violation):")
        said += [f"  {column}: {value!r} x {count}"
                 for (column, value), count in sorted(summary.unmapped.items())]  # fmt: skip
    return said
