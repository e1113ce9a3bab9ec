"""`report progress`: one client's progress report for a court or parole-board hearing."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import BinaryIO

import click
import orjson

from reentry_ledger.cli.context import LedgerContext, ledger_options, pass_context
from reentry_ledger.cli.files import refuse_the_ledger, write_whole
from reentry_ledger.cli.params import ISO_DATE
from reentry_ledger.cli.reports import report
from reentry_ledger.domain.checks import WINDOW
from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.reports.progress import ProgressReport
from reentry_ledger.reports.progress_output import as_html, as_markdown, write_pdf

FORMATS = ("md", "html", "pdf", "json")
SUFFIXES = {
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".json": "json",
}


# what a file named so gets without --format: Markdown, text that reads as it is
AS_TEXT = ("", ".txt")


def chosen_format(given: str | None, output: Path | None) -> str | None:
    """The format given, else the one the output file's name ends in (Markdown for a name
    ending in none, or .txt), else Markdown; None for a file named as another kind of
    document (`check_output` refuses it)."""
    if given is not None:
        return given
    if output is None:
        return "md"
    suffix = output.suffix.lower()
    if suffix in AS_TEXT or not suffix[1:].isalpha():  # GA-1_as-of_2024.06.30: a name's dots
        return "md"
    return SUFFIXES.get(suffix)


def check_output(db: str | None, output: Path | None, kind: str | None) -> str:
    """Before anything is read: a PDF goes to a file, in a folder that exists, never over
    the ledger, and a file named as a document this report is not written as (out.docx)
    is not written as Markdown. The format."""
    if output is None:
        if kind == "pdf":
            raise InvalidInput("--format pdf writes a file: give it with -o FILE.pdf")
        return kind or "md"
    refuse_the_ledger(db, output, "-o")
    if not output.resolve().parent.is_dir():
        raise InvalidInput(f"-o {str(output)!r}: its folder does not exist")
    if kind is None:
        raise InvalidInput(
            f"-o {str(output)!r}: the report is written as Markdown (.md), HTML (.html), PDF "
            f"(.pdf) or JSON (.json), not as {output.suffix}: name the file so, or give --format"
        )
    return kind


def rendered(document: ProgressReport, kind: str) -> str:
    if kind == "json":  # dataclasses and dates, as orjson writes them
        return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"
    return as_html(document) if kind == "html" else as_markdown(document)


@report.command("progress")
@click.argument("ref")
@click.option(
    "--as-of",
    type=ISO_DATE,
    default=None,
    help=f"What had taken effect by this date (default today, UTC; {WINDOW}).",
)
@click.option(
    "--format",
    "kind",
    type=click.Choice(FORMATS),
    default=None,
    help="md, html, pdf (needs -o) or json (the document's statements and their "
    "events). Default: from -o's suffix, else md.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write to this file (whole or not at all) rather than to stdout.",
)
@click.option(
    "--include-confidential",
    is_flag=True,
    default=False,
    help="Include confidential case notes: for staff of the client's own agency "
    "only (anyone else asking is refused, exit 3).",
)
@ledger_options
@pass_context
def report_progress(
    state: LedgerContext,
    ref: str,
    as_of: date | None,
    kind: str | None,
    output: Path | None,
    include_confidential: bool,
) -> None:
    """Client REF's progress report for a court or parole-board hearing.

    Sections: the term and its conditions, compliance (violations with the officer's
    recommendations and the decisions, dispositions, incentives), contacts, assessments and
    how risk and needs changed, the case plan's goals and their progress, services
    (referrals, programmes, volunteer match), the recommendations on record (restated, never
    judged), and what was retracted. Only what had taken effect by --as-of, as the record
    stands corrected; every statement cites its event numbers, as `timeline` shows them.
    For those who may read the client (not oversight); the reading is logged. Confidential
    case notes are left out unless --include-confidential is given.

    \b
    Example:
      reentry-ledger report progress GA-1 --as-of 2024-06-30
      reentry-ledger report progress GA-1 --as-of 2024-06-30 --format html -o GA-1.html
      reentry-ledger report progress GA-1 --as-of 2024-06-30 -o GA-1.pdf --include-confidential
    """
    kind = check_output(state.db, output, chosen_format(kind, output))
    document = state.ledger.progress_report(
        ref, actor=state.actor_name, as_of=as_of, include_confidential=include_confidential
    )
    if kind == "pdf":
        assert output is not None  # checked above
        write_whole(output, lambda stream: write_pdf(document, stream))
    elif output is None:
        click.echo(rendered(document, kind), nl=False)
    else:
        text = rendered(document, kind).encode()

        def write(stream: BinaryIO) -> None:
            stream.write(text)

        write_whole(output, write)
    if output is not None:
        click.echo(f"progress report written to {output}", err=True)
