"""Reading CSV rows so that every fault names the file, the line and the column."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from reentry_ledger.domain.errors import InvalidInput


class RowError(InvalidInput):
    def __init__(self, source: str, line: int, column: str | None, reason: str) -> None:
        where = f"{source}, line {line}" + (f", column {column!r}" if column else "")
        super().__init__(f"{where}: {reason}")


def read_rows(
    path: Path, required: tuple[str, ...], encoding: str = "utf-8"
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) for each data row; the header is line 1."""
    source = str(path)
    try:
        with path.open(encoding=encoding, newline="") as stream:
            reader = csv.reader(stream, strict=True)
            header = next(reader, None)
            if header is None:
                raise RowError(source, 1, None, "the file is empty (no header row)")
            missing = [column for column in required if column not in header]
            if missing:
                raise RowError(source, 1, None, f"missing column(s): {', '.join(missing)}")
            for cells in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) != len(header):
                    raise RowError(
                        source, line, None,
                        f"{len(cells)} fields where the header has {len(header)} "
                        "(a truncated or malformed row)",
                    )  # fmt: skip
                yield line, dict(zip(header, cells, strict=True))
    except UnicodeDecodeError as error:
        raise InvalidInput(
            f"{source}: not valid {encoding} text at byte {error.start} ({error.reason}); "
            "save the file as UTF-8 or name its encoding"
        ) from None
    except csv.Error as error:
        raise InvalidInput(f"{source}: malformed CSV: {error}") from None
