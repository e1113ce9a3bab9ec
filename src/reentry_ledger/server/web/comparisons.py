"""The disparity and cohort reports as `report disparities` and `report cohorts` give them: a
form of the command's options, the table it prints (small counts hidden as it hides them,
oversight's range snapped as the service snaps it), and the CSV of `--format csv`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import QueryParams

from reentry_ledger import notices
from reentry_ledger.domain.codes import values
from reentry_ledger.domain.errors import InvalidInput
from reentry_ledger.reports.cohorts import FOLLOW, START_PERIODS
from reentry_ledger.reports.disparities import CODES, METRICS, DisparityRequest, parse_metrics
from reentry_ledger.reports.output import as_csv
from reentry_ledger.reports.periods import UNITS
from reentry_ledger.reports.service import CohortTable, Table
from reentry_ledger.reports.suppression import legend
from reentry_ledger.server.web import forms
from reentry_ledger.server.web.rendering import PageRoute, render, shown
from reentry_ledger.server.web.reports import local, notes
from reentry_ledger.server.web.site import Site, Visitor

MOST_MONTHS = 240  # as the CLI's --follow


def query(pairs: list[tuple[str, Any]]) -> str:
    """Filters as a page address's query: only the values given (no personal data)."""
    return urlencode([(key, str(value)) for key, value in pairs if value])


@dataclass(frozen=True)
class DisparityFilters:
    by: str = "race"
    reference: str | None = None
    metrics: tuple[str, ...] = ()
    period: str | None = None
    first: date | None = None
    last: date | None = None
    known_at: datetime | None = None
    suppress_below: int | None = None

    @classmethod
    def read(cls, params: QueryParams) -> DisparityFilters:
        by = forms.choice("Compare by", params.get("by"), tuple(CODES)) or "race"
        filters = cls(
            by=by,
            reference=forms.choice("Reference group", params.get("reference"), values(CODES[by])),
            metrics=forms.choices("Rates", params.getlist("metric"), tuple(METRICS)),
            period=forms.choice("Period", params.get("period"), UNITS),
            first=forms.day("From", params.get("from")),
            last=forms.day("To", params.get("to")),
            known_at=forms.moment("As known at", params.get("known_at")),
            suppress_below=forms.whole("Hide counts below", params.get("k"), minimum=2),
        )
        if filters.first and filters.last and filters.first > filters.last:
            raise InvalidInput(f"From {filters.first} is after To {filters.last}")
        return filters

    def query(self) -> str:
        return query([("by", self.by), ("reference", self.reference),
                      *(("metric", metric) for metric in self.metrics),
                      ("period", self.period), ("from", self.first), ("to", self.last),
                      ("known_at", self.known_at and local(self.known_at)),
                      ("k", self.suppress_below)])  # fmt: skip

    def table(self, site: Site, visitor: Visitor) -> Table:
        with site.service.use() as ledger:
            request = DisparityRequest(
                today=ledger.clock(),
                by=self.by,
                reference=self.reference,
                metrics=parse_metrics(self.metrics),
                period=self.period,
                first=self.first,
                last=self.last,
                suppress_below=self.suppress_below,
            )
            return ledger.reports(actor=visitor.name).disparities(request, self.known_at)


@dataclass(frozen=True)
class CohortFilters:
    start_period: str = "year"
    follow: int = FOLLOW
    by_month: bool = False
    known_at: datetime | None = None
    suppress_below: int | None = None

    @classmethod
    def read(cls, params: QueryParams) -> CohortFilters:
        follow = forms.whole("Months followed", params.get("follow"), minimum=1) or FOLLOW
        if follow > MOST_MONTHS:
            raise InvalidInput(f"Months followed: {follow} is more than {MOST_MONTHS}")
        return cls(
            start_period=forms.choice("Start period", params.get("start_period"), START_PERIODS)
            or "year",
            follow=follow,
            by_month=params.get("by_month") == "yes",
            known_at=forms.moment("As known at", params.get("known_at")),
            suppress_below=forms.whole("Hide counts below", params.get("k"), minimum=2),
        )

    def query(self) -> str:
        return query([("start_period", self.start_period), ("follow", self.follow),
                      ("by_month", "yes" if self.by_month else None),
                      ("known_at", self.known_at and local(self.known_at)),
                      ("k", self.suppress_below)])  # fmt: skip

    def table(self, site: Site, visitor: Visitor) -> CohortTable:
        with site.service.use() as ledger:
            reports = ledger.reports(actor=visitor.name)
            return reports.cohorts(
                self.start_period, self.follow, self.by_month, self.known_at, self.suppress_below
            )


@dataclass(frozen=True)
class Page:
    """One of the two reports: its address, template and form, and the columns its table
    shows (the command's table columns)."""

    name: str
    template: str
    read: Callable[[QueryParams], DisparityFilters | CohortFilters]
    columns: Callable[[Table], tuple[str, ...]]
    labels: int  # the columns that name a group, not a number
    choices: dict[str, Any] = field(default_factory=dict)


PAGES = (
    Page(
        "disparities",
        "disparities.html",
        DisparityFilters.read,
        lambda table: table.columns,
        3,
        {"codes": CODES, "metrics": METRICS, "units": UNITS},
    ),
    Page(
        "cohorts",
        "cohorts.html",
        CohortFilters.read,
        lambda table: table.shown_columns if isinstance(table, CohortTable) else table.columns,
        2,
        {"start_periods": START_PERIODS, "follow": FOLLOW},
    ),
)


def add_page(router: APIRouter, site: Site, page: Page) -> None:
    @router.get(f"/reports/{page.name}", name=f"{page.name}_page")
    def report_page(request: Request) -> HTMLResponse:
        visitor = site.visitor(request)
        chosen = {key: request.query_params.getlist(key) for key in request.query_params}
        context: dict[str, Any] = {"chosen": chosen, **page.choices}
        try:
            filters = page.read(request.query_params)
            table = filters.table(site, visitor)
        except InvalidInput as error:
            message = forms.as_the_form_says(error)
            return render(request, page.template, 400, **context, error=message, table=None)
        columns = page.columns(table)
        rows = [[shown(row.get(column)) for column in columns] for row in table.rows]
        return render(
            request, page.template, **context, error=None, table=table, columns=columns,
            rows=rows, labels=page.labels, query=filters.query(),
            notes=notes(table.snapped, visitor, filters.suppress_below),
            withheld=legend(table.rows, columns),
        )  # fmt: skip

    @router.get(f"/reports/{page.name}.csv", name=f"{page.name}_csv")
    def report_csv(request: Request) -> Response:
        visitor = site.visitor(request)
        table = page.read(request.query_params).table(site, visitor)
        headers = {"Content-Disposition": f'attachment; filename="{page.name}.csv"'}
        if table.snapped:
            headers[notices.HEADER] = notices.header_value([table.snapped.describe()])
        text = as_csv(table.rows, table.columns)
        return Response(text, media_type="text/csv; charset=utf-8", headers=headers)


def routes(site: Site) -> APIRouter:
    router = APIRouter(route_class=PageRoute, include_in_schema=False)
    for page in PAGES:
        add_page(router, site, page)
    return router
