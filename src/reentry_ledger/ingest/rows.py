"""Reading CSV rows so that every fault names the file, the line and the column."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from reentry_ledger.domain.errors import InvalidInput, RuleViolated


def where(source: str, line: int, column: str | None) -> str:
    return f"{source}, line {line}" + (f", column {column!r}" if column else "")


class RowError(InvalidInput):
    """A row that is malformed (exit 2)."""

    def __init__(self, source: str, line: int, column: str | None, reason: str) -> None:
        super().__init__(f"{where(source, line, column)}: {reason}")


class RowRefused(RuleViolated):
    """A row refused by a rule or by the importer's role (exit 3): the import stores nothing."""

    def __init__(self, source: str, line: int, column: str | None, reason: str) -> None:
        super().__init__(f"{where(source, line, column)}: {reason}")


class Digesting(io.RawIOBase):
    """A binary file read through, every byte added to `digest` as it is read: the digest
    is of the bytes the rows are read from (a pipe is read once)."""

    def __init__(self, raw: BinaryIO, digest: Any) -> None:
        self.raw, self.digest = raw, digest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        got = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        if got:
            self.digest.update(memoryview(buffer)[:got])
        return got or 0


def read_rows(
    path: Path, required: tuple[str, ...], encoding: str = "utf-8", digest: Any = None
) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) for each data row; the header is line 1. A UTF-8 file may
    start with a byte-order mark (as spreadsheets save it). `digest` (a hashlib object), if
    given, takes every byte read: the whole file's once its last row is read."""
    source = str(path)
    reading = "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding
    try:
        with (
            path.open("rb", buffering=0) as raw,
            io.TextIOWrapper(
                io.BufferedReader(Digesting(raw, digest) if digest is not None else raw),
                encoding=reading,
                newline="",
            ) as stream,
        ):
            reader = csv.reader(stream, strict=True)
            header = next(reader, None)
            if header is None:
                raise RowError(source, 1, None, "the file is empty (no header row)")
            twice = next((name for n, name in enumerate(header) if name in header[:n]), None)
            if twice is not None:  # its values would be read from one of them, silently
                raise RowError(source, 1, twice, "the header names it twice")
            missing = [column for column in required if column not in header]
            if missing:
                raise RowError(source, 1, None, f"missing column(s): {', '.join(missing)}")
            while True:
                start = reader.line_num + 1  # the row's first line (a quoted cell spans more)
                try:
                    cells = next(reader, None)
                except csv.Error as error:
                    raise RowError(source, start, None, malformed(error)) from None
                if cells is None:
                    return
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
        line, at = undecodable(path, reading)
        raise InvalidInput(
            f"{where(source, line, None)}: not valid {encoding} text at byte {at:,} "
            f"({error.reason}); save the file as UTF-8 or name its encoding"
        ) from None
    except UnicodeError as error:  # a stream the encoding cannot start with (utf-16, no mark)
        raise InvalidInput(f"{source}: not {encoding} text ({error})") from None
    except csv.Error as error:  # the header's own
        raise RowError(source, 1, None, malformed(error)) from None


def undecodable(path: Path, encoding: str) -> tuple[int, int]:
    """The line and the place in the file (from 0) of the first byte `encoding` cannot
    decode. The reader's own error places it in the chunk it was decoding, not the file."""
    decoder = codecs.getincrementaldecoder(encoding)()
    number = offset = 0
    with path.open("rb") as stream:
        for number, raw in enumerate(stream, start=1):
            try:
                decoder.decode(raw)
            except UnicodeDecodeError as error:
                return number, offset + error.start
            offset += len(raw)
    held, _ = decoder.getstate()  # the file ends part-way through a character
    return number, offset - len(held)


# what the reader says of a quote left open: it reads on to the end of the file
UNCLOSED = ("unexpected end of data", "field larger than field limit")


def malformed(error: csv.Error) -> str:
    said = f"malformed CSV ({error})"
    if str(error).startswith(UNCLOSED):
        return f"{said}: a quote opened on this line is not closed"
    return said
