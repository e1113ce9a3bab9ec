"""The cohort report on the Iowa file gives, per fiscal year of release, the file's own
three-year Tech and New shares exactly, counted here from the CSV with the standard library."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from reentry_ledger.cli import cli
from tests.shared_data import IOWA, require


def shares_from_the_csv(path: Path) -> dict[str, Counter[str]]:
    """Per fiscal year released: releases, `Tech` and `New` returns (all within three years)."""
    counts: dict[str, Counter[str]] = {}
    with path.open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            counter = counts.setdefault(f"FY{row['Fiscal Year Released']}", Counter())
            counter["terms"] += 1
            counter[row["Recidivism Type"]] += 1
    return counts


def per_100(part: int, whole: int) -> float:
    return round(100 * part / whole, 4)


def test_cohorts_by_fiscal_year_give_the_files_three_year_tech_and_new_shares(
    tmp_path: Path,
) -> None:
    path = require(IOWA)
    env = {"REENTRY_LEDGER_DB": f"sqlite:///{tmp_path}/iowa.db", "REENTRY_LEDGER_ACTOR": "importer"}
    runner = CliRunner()
    imported = runner.invoke(cli, ["import", str(path), "--format", "iowa"], env=env)
    assert imported.exit_code == 0, imported.output
    result = runner.invoke(
        cli,
        ["report", "cohorts", "--start-period", "fiscal_year", "--follow", "36",
         "--format", "json"],
        env=env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    groups = {group["start_period"]: group for group in document["groups"]}
    expected = shares_from_the_csv(path)
    assert set(groups) == set(expected) == {"FY2010", "FY2011", "FY2012", "FY2013"}
    for year, counts in expected.items():
        group = groups[year]
        assert (group["terms"], group["incomplete"]) == (counts["terms"], 0), year
        assert group["technical"] == counts["Tech"], year
        assert group["new_offence"] == counts["New"], year
        assert group["revoked"] == counts["Tech"] + counts["New"], year
        assert group["technical_per_100"] == per_100(counts["Tech"], counts["terms"]), year
        assert group["new_offence_per_100"] == per_100(counts["New"], counts["terms"]), year
    assert expected["FY2010"] == Counter(terms=3716, Tech=413, New=714, **{"No Recidivism": 2589})

    by_month = runner.invoke(
        cli,
        ["report", "cohorts", "--start-period", "fiscal_year", "--by-month", "--format", "json"],
        env=env,
    )
    rows = json.loads(by_month.stdout)["groups"]
    last = {r["start_period"]: r for r in rows if r["month"] == 36}
    assert {year: r["technical"] for year, r in last.items()} == {
        year: counts["Tech"] for year, counts in expected.items()
    }
