"""The violation report as the CLI's `report violations` gives it: a table with the CLI's
columns and small counts hidden as it hides them, a chart drawn by reports/chart.py, the CSV
of `--format csv`, and the definitions (docs/metrics.md) beside them."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime
from importlib.resources import files
from io import BytesIO
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import QueryParams

from reentry_ledger import notices
from reentry_ledger.authorization import raised_floor_note
from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.reports import chart
from reentry_ledger.reports.dimensions import DIMENSIONS
from reentry_ledger.reports.periods import UNITS
from reentry_ledger.reports.shown import DOCUMENT, Shown
from reentry_ledger.reports.snapping import Snapped
from reentry_ledger.reports.suppression import legend
from reentry_ledger.reports.violations import TABLE_METRICS, ReportRequest
from reentry_ledger.server.web import forms
from reentry_ledger.server.web.rendering import PageRoute, render, shown
from reentry_ledger.server.web.site import Site, Visitor

# The rates drawn in the chart: the table shows their 95% intervals beside them.
WITH_INTERVALS = tuple(metric for metric, _, _ in chart.SERIES)
_drawing = threading.Lock()  # matplotlib's figures are not drawn by two threads at once
GROUPS_PAGE = 500  # groups a page of the report shows (its CSV and chart have them all)


def local(moment: datetime) -> str:
    """A UTC moment as `<input type=datetime-local>` shows it."""
    return moment.replace(tzinfo=None).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Filters:
    by: tuple[str, ...] = ()
    period: str | None = None
    first: date | None = None
    last: date | None = None
    known_at: datetime | None = None
    suppress_below: int | None = None

    @classmethod
    def read(cls, params: QueryParams) -> Filters:
        filters = cls(
            by=forms.choices("Group by", params.getlist("by"), DIMENSIONS),
            period=forms.choice("Period", params.get("period"), UNITS),
            first=forms.day("From", params.get("from")),
            last=forms.day("To", params.get("to")),
            known_at=forms.moment("As known at", params.get("known_at")),
            suppress_below=forms.whole("Hide counts below", params.get("k"), minimum=2),
        )
        if filters.first and filters.last and filters.first > filters.last:
            raise InvalidInput(f"From {filters.first} is after To {filters.last}")
        return filters

    def request(self, today: date) -> ReportRequest:
        return ReportRequest(
            today=today,
            by=self.by,
            period=self.period,
            first=self.first,
            last=self.last,
            suppress_below=self.suppress_below,
        )

    def query(self) -> str:
        """The filters as a page address's query: no personal data, only these values."""
        pairs: list[tuple[str, str]] = [("by", dimension) for dimension in self.by]
        for key, value in (
            ("period", self.period),
            ("from", self.first),
            ("to", self.last),
            ("known_at", self.known_at and local(self.known_at)),
            ("k", self.suppress_below),
        ):
            if value:
                pairs.append((key, str(value)))
        return urlencode(pairs)


@dataclass(frozen=True)
class Page:
    """Which of a report's groups a page shows: page `number` of `pages`, of `total` groups."""

    number: int
    pages: int
    total: int

    @classmethod
    def of(cls, total: int, number: int | None) -> Page:
        """Page `number` (none: the first) of a report of `total` groups; refused past its last."""
        pages = max(1, -(-total // GROUPS_PAGE))
        number = number or 1
        if number > pages:
            raise InvalidInput(f"Page {number} is past the last page of this report ({pages})")
        return cls(number, pages, total)

    @property
    def start(self) -> int:
        return (self.number - 1) * GROUPS_PAGE

    @property
    def end(self) -> int:
        return min(self.total, self.start + GROUPS_PAGE)

    def links(self, query: str) -> list[tuple[str, str]]:
        """The pages around this one, as (label, address), for the same filters."""
        around = [("First page", 1), ("Previous page", self.number - 1)] if self.number > 1 else []
        if self.number < self.pages:
            around += [("Next page", self.number + 1), ("Last page", self.pages)]
        joined = f"{query}&" if query else ""
        return [(label, f"/reports/violations?{joined}page={n}") for label, n in around]


@dataclass(frozen=True)
class Report:
    request: ReportRequest
    groups: list[dict[str, Any]]
    snapped: Snapped | None


def violations(site: Site, visitor: Visitor, filters: Filters) -> Report:
    """The report as the signed-in user may see it (refused without the REPORT permission):
    its groups those of the document the API sends, read back where it was kept (ADR 47)."""
    request, made, snapped = violations_shown(site, visitor, filters, DOCUMENT)
    groups = made.groups if made.groups is not None else orjson.loads(made.text)["groups"]
    return Report(request, groups, snapped)


def violations_csv(site: Site, visitor: Visitor, filters: Filters) -> tuple[str, Snapped | None]:
    """The report as `--format csv` prints it, and what its range was snapped to."""
    _, made, snapped = violations_shown(site, visitor, filters, "csv")
    return made.text, snapped


def violations_shown(
    site: Site, visitor: Visitor, filters: Filters, output: str
) -> tuple[ReportRequest, Shown, Snapped | None]:
    """The report as `output` shows it, read back while the projections stand where they were
    when it was last shown (ADR 47), as asked, and what its range was snapped to."""
    with site.service.use() as ledger:
        request = filters.request(ledger.clock())
        reports = ledger.reports(actor=visitor.name)
        made, snapped = reports.violations_shown(request, filters.known_at, output=output)
    return request, made, snapped


def notes(snapped: Snapped | None, visitor: Visitor, asked: int | None) -> list[str]:
    """What the page says of how it was made: the range snapped to whole months, a K below
    the role's floor raised to it (as the CLI tells it)."""
    raised = raised_floor_note(visitor.role, asked, "Hide counts below")
    return [note for note in (snapped and snapped.describe(), raised) if note]


def table_cell(row: dict[str, Any], column: str) -> str:
    """A cell as the CLI shows it; a charted rate with its interval when it has one."""
    text = shown(row.get(column))
    low, high = row.get(f"{column}_low"), row.get(f"{column}_high")
    if column in WITH_INTERVALS and all(isinstance(v, int | float) for v in (low, high)):
        text += f" [{shown(low)}, {shown(high)}]"
    return text


def routes(site: Site) -> APIRouter:
    router = APIRouter(route_class=PageRoute, include_in_schema=False)

    @router.get("/reports/violations")
    def report_page(request: Request) -> HTMLResponse:
        visitor = site.visitor(request)
        chosen = {key: request.query_params.getlist(key) for key in request.query_params}
        page: dict[str, Any] = {"chosen": chosen, "dimensions": DIMENSIONS, "units": UNITS}
        try:
            filters = Filters.read(request.query_params)
            number = forms.whole("Page", request.query_params.get("page"), minimum=1)
            report = violations(site, visitor, filters)
            paged = Page.of(len(report.groups), number)
        except InvalidInput as error:
            message = forms.as_the_form_says(error)
            return render(request, "report.html", 400, **page, error=message, report=None)
        columns = [*report.request.dimensions, *TABLE_METRICS]
        groups = report.groups[paged.start : paged.end]
        rows = [[table_cell(row, column) for column in columns] for row in groups]
        return render(
            request, "report.html", **page, error=None, report=report, columns=columns,
            rows=rows, query=filters.query(), paged=paged, page_links=paged.links(filters.query()),
            notes=notes(report.snapped, visitor, filters.suppress_below),
            withheld=legend(groups, columns), no_chart=chart.too_many(paged.total),
        )  # fmt: skip

    @router.get("/reports/violations.csv")
    def report_csv(request: Request) -> Response:
        visitor = site.visitor(request)
        text, snapped = violations_csv(site, visitor, Filters.read(request.query_params))
        headers = {"Content-Disposition": 'attachment; filename="violations.csv"'}
        if snapped:
            headers[notices.HEADER] = notices.header_value([snapped.describe()])
        return Response(text, media_type="text/csv; charset=utf-8", headers=headers)

    @router.get("/reports/violations/chart.svg")
    def report_chart(request: Request) -> Response:
        visitor = site.visitor(request)
        report = violations(site, visitor, Filters.read(request.query_params))
        chart.check_groups(len(report.groups), "the chart")  # the page asks for none
        stream = BytesIO()
        with _drawing:
            chart.draw(report.groups, report.request.dimensions, stream, "svg")
        return Response(stream.getvalue(), media_type="image/svg+xml")

    @router.get("/definitions")
    def definitions(request: Request) -> HTMLResponse:
        site.visitor(request)
        text = (files("reentry_ledger.server") / "static" / "metrics.md").read_text("utf-8")
        return render(request, "definitions.html", text=text)

    return router
