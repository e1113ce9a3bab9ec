"""Legacy CSV import: peak resident memory and rows a second of `import --format csv` (the
mapping of examples/legacy/) into a new SQLite ledger, of a file of each size asked for, its
rows ordered by date (clients interleaved, as an export by date lists them); against a raw
process that reads the same file with the csv module alone. Memory that stays level from one
size to the next is the point: the import holds one client's rows and events at a time.

    python -m benchmarks.legacy_import [--rows 100000 1000000] [--postgres postgresql://…/test]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from benchmarks.common import record
from benchmarks.ingest import drop_schema
from benchmarks.memory import SCRIPT, peak

MAPPING = Path(__file__).resolve().parent.parent / "examples" / "legacy" / "mapping.toml"
HEADER = "case_no,record,date,office,officer,detail,list,ref_no,days\n"
ROWS_PER_CLIENT = 11  # an intake, an assessment, four breaches and their decisions, a close
# Its own peak, as it ends (it may end before a sample of /proc catches it): VmHWM, as
# ru_maxrss keeps the peak of the process it was forked from.
RAW_READ = """
import csv, sys
with open(sys.argv[1], newline="") as stream:
    for row in csv.reader(stream):
        pass
with open("/proc/self/status") as status:
    print(next(line.split()[1] for line in status if line.startswith("VmHWM")))
"""


def raw_read(path: Path) -> tuple[float, float]:
    """Peak resident memory (MB) and seconds of reading `path` with the csv module."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", RAW_READ, str(path)], check=True,
                          capture_output=True)  # fmt: skip
    return int(done.stdout) / 1024, time.perf_counter() - started


def legacy_file(rows: int, folder: Path) -> Path:
    """A file of about `rows` rows in the example mapping's format, ordered by date."""
    chance = random.Random(7)
    written: list[tuple[date, int, str]] = []
    for number in range(max(1, rows // ROWS_PER_CLIENT)):
        on = date(2018, 1, 1) + timedelta(days=chance.randrange(2000))
        for days, text in client_rows(chance):
            on += timedelta(days=days)
            line = f"NW-{number:07d},{text.format(on.strftime('%d/%m/%Y'))}\n"
            written.append((on, number, line))
    written.sort(key=lambda each: (each[0], each[1]))  # a client's own dates rise: its order kept
    path = folder / f"legacy-{rows}.csv"
    with path.open("w") as stream:
        stream.write(HEADER)
        stream.writelines(text for _, _, text in written)
    return path


def client_rows(chance: random.Random) -> list[tuple[int, str]]:
    """(days after the row before, the row after its reference, `{}` for its date)."""
    rows = [(0, "INTAKE,{},North,jt,PROB,report_weekly;drug_testing,,"),
            (3, "ASSESS,{},,ORAS,H,substance_use;school_work,,")]  # fmt: skip
    for breach in range(4):
        rows.append((chance.randrange(5, 60), f"BREACH,{{}},,,,UA+,B-{breach},"))
        rows.append((2, f"DECISION,{{}},,PO,{chance.choice('WCT')},,B-{breach},"))
    return [*rows, (30, "CLOSE,{},,,COMP,,,")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for size in args.rows:
            path = legacy_file(size, Path(folder))
            rows = sum(1 for _ in path.open()) - 1
            raw, raw_seconds = raw_read(path)
            schema = f"bench_legacy_{uuid.uuid4().hex[:8]}"  # new, dropped afterwards
            targets = [("SQLite", f"sqlite:///{folder}/ledger-{size}.db")]
            if args.postgres:
                targets.append(("PostgreSQL", f"{args.postgres}?schema={schema}"))
            for backend, url in targets:
                command = [str(SCRIPT), "--db", url, "--actor", "benchmark", "import", str(path),
                           "--format", "csv", "--mapping", str(MAPPING)]  # fmt: skip
                try:
                    megabytes, seconds = peak(command)
                finally:
                    if backend == "PostgreSQL":
                        drop_schema(args.postgres, schema)
                label = f"legacy CSV import ({backend}, {rows:,} rows: {rows:,} events)"
                print(f"{label}: peak {megabytes:.0f} MB, {rows / seconds:,.0f} rows/s; "
                      f"raw read {raw:.0f} MB, {rows / raw_seconds:,.0f} rows/s")  # fmt: skip
                results.append((label, f"peak {megabytes:.0f} MB; {rows / seconds:,.0f} rows/s",
                                f"{megabytes / raw:.1f}x a raw csv read ({raw:.0f} MB; "
                                f"{rows / raw_seconds:,.0f} rows/s)"))  # fmt: skip
    record("legacy_import", results)


if __name__ == "__main__":
    main()
