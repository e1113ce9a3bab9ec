"""The progress report (reports/progress.py) as Markdown, HTML or PDF.

Each statement ends with the events it rests on, "(event 12)" or "(events 3, 7)". Texts from
the record are made safe for each form: control characters written out as escapes (as every
text printed for people), Markdown's and HTML's own characters escaped, so a note can neither
start a heading nor run a script. The PDF is drawn by fpdf2 in DejaVu Sans, the font
matplotlib ships (ADR 0023), so any text the font covers prints as written.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, BinaryIO

from reentry_ledger.reports.output import escaped
from reentry_ledger.reports.progress import ProgressReport, Section, Statement

if TYPE_CHECKING:
    from fpdf import FPDF

TITLE = "Progress report"


def cited(statement: Statement) -> str:
    """The citation a statement ends with ("" when it rests on no event: an absence)."""
    events = statement.events
    if not events:
        return ""
    word = "event" if len(events) == 1 else "events"
    return f" ({word} {', '.join(map(str, events))})"


def heading(report: ProgressReport) -> str:
    name = f" ({report.name})" if report.name else ""
    return f"{TITLE}: client {report.ref}{name}"


def preamble(report: ProgressReport) -> list[str]:
    notes = (
        "Confidential case notes are included."
        if report.confidential_notes
        else "Confidential case notes are left out."
    )
    return [
        f"As of {report.as_of}: only what had taken effect by that date, as the record "
        "stands corrected (retracted events left out).",
        f"Prepared on {report.prepared_on} by {report.prepared_by}, from the ledger's events; "
        f"each statement cites the events it rests on. {notes}",
    ]


# --- Markdown --------------------------------------------------------------------------------

_MARKDOWN = re.compile(r"([\\`*\[\]<>|&#!])")


def md(text: str) -> str:
    """A text as Markdown shows it literally: one line, its markup characters escaped."""
    return _MARKDOWN.sub(r"\\\1", escaped(text))


def as_markdown(report: ProgressReport) -> str:
    lines = [f"# {md(heading(report))}", "", *(md(line) + "  " for line in preamble(report))]
    for section in report.sections:
        lines += ["", f"## {md(section.title)}", ""]
        if section.note:
            lines += [f"_{md(section.note)}_", ""]
        for statement in section.statements:
            indent = "  " if statement.detail else ""
            lines.append(f"{indent}- {md(statement.text)}{cited(statement)}")
    return "\n".join(lines) + "\n"


# --- HTML ------------------------------------------------------------------------------------

STYLE = (
    "body{font-family:sans-serif;max-width:48em;margin:2em auto;line-height:1.4}"
    "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.5em;border-bottom:1px solid #999}"
    ".events{color:#555;white-space:nowrap}.note{font-style:italic}"
)


def h(text: str) -> str:
    return html.escape(escaped(text), quote=True)


def html_statements(statements: tuple[Statement, ...]) -> list[str]:
    """A list, with each statement's details in a list of their own under it."""
    lines, open_details = ["<ul>"], False
    for statement in statements:
        if statement.detail and not open_details:
            lines.append("<ul>")
            open_details = True
        elif not statement.detail and open_details:
            lines.append("</ul>")
            open_details = False
        events = cited(statement).strip()
        span = f' <span class="events">{h(events)}</span>' if events else ""
        lines.append(f"<li>{h(statement.text)}{span}</li>")
    if open_details:
        lines.append("</ul>")
    return [*lines, "</ul>"]


def html_section(section: Section) -> list[str]:
    lines = [f"<h2>{h(section.title)}</h2>"]
    if section.note:
        lines.append(f'<p class="note">{h(section.note)}</p>')
    return lines + html_statements(section.statements)


def as_html(report: ProgressReport) -> str:
    title = h(heading(report))
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8">',
        f"<title>{title}, as of {report.as_of}</title>",
        f"<style>{STYLE}</style></head>",
        "<body>",
        f"<h1>{title}</h1>",
        *(f"<p>{h(line)}</p>" for line in preamble(report)),
    ]
    for section in report.sections:
        lines += html_section(section)
    return "\n".join([*lines, "</body>", "</html>"]) + "\n"


# --- PDF -------------------------------------------------------------------------------------


def font_files() -> tuple[str, str]:
    """DejaVu Sans, regular and bold, as matplotlib (a dependency already) ships them."""
    from pathlib import Path

    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return str(folder / "DejaVuSans.ttf"), str(folder / "DejaVuSans-Bold.ttf")


def write_pdf(report: ProgressReport, stream: BinaryIO) -> None:
    stream.write(bytes(as_pdf(report)))


def as_pdf(report: ProgressReport) -> bytearray:
    from fpdf import FPDF

    footer = f"{report.ref}, as of {report.as_of}"

    class Document(FPDF):
        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("DejaVu", size=8)
            self.cell(0, 10, f"{footer}: page {self.page_no()} of {{nb}}", align="C")

    pdf = Document(format="A4")
    regular, bold = font_files()
    pdf.add_font("DejaVu", "", regular)
    pdf.add_font("DejaVu", "B", bold)
    pdf.set_title(f"{TITLE}: client {report.ref}, as of {report.as_of}")
    pdf.set_creator("reentry-ledger")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 14)
    paragraph(pdf, heading(report), 7)
    pdf.set_font("DejaVu", size=9)
    for line in preamble(report):
        paragraph(pdf, line, 4.5)
    for section in report.sections:
        pdf_section(pdf, section)
    return bytearray(pdf.output())


def paragraph(pdf: FPDF, text: str, height: float, indent: float = 0) -> None:
    pdf.set_x(pdf.l_margin + indent)
    pdf.multi_cell(0, height, escaped(text), new_x="LMARGIN", new_y="NEXT")


def pdf_section(pdf: FPDF, section: Section) -> None:
    pdf.ln(3)
    pdf.set_font("DejaVu", "B", 11)
    paragraph(pdf, section.title, 6)
    pdf.set_font("DejaVu", size=9.5)
    if section.note:
        paragraph(pdf, section.note, 4.5)
    for statement in section.statements:
        indent = 10 if statement.detail else 4
        mark = "-" if statement.detail else "\u2022"
        paragraph(pdf, f"{mark} {statement.text}{cited(statement)}", 4.8, indent)
