"""An import's file is handed to its workers as blocks of whole lines: every line reaches
exactly one block, whole, and each block knows the number of its first line."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st

from reentry_ledger.ingest import jsonl

lines_ = st.lists(st.binary(max_size=40).map(lambda text: text.replace(b"\n", b" ")), max_size=60)


def numbered(blocks: list[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
    """Each line of the blocks with the number its block gives it."""
    return [
        (first + index, line)
        for first, block in blocks
        for index, line in enumerate(block.split(b"\n")[:-1])
    ]


@given(lines=lines_, size=st.integers(min_value=1, max_value=200))
def test_blocks_of_a_file_hold_every_line_whole_under_its_number(
    lines: list[bytes], size: int
) -> None:
    data = b"".join(line + b"\n" for line in lines)
    jsonl.BLOCK, kept = size, jsonl.BLOCK
    try:
        blocks = list(jsonl.blocks(io.BytesIO(data)))
    finally:
        jsonl.BLOCK = kept
    assert b"".join(block for _, block in blocks) == data
    assert numbered(blocks) == list(enumerate(lines, start=1))


@given(lines=lines_)
def test_lines_given_one_by_one_make_the_same_lines_as_a_file(lines: list[bytes]) -> None:
    with_ends = [line + b"\n" for line in lines]
    from_lines = numbered(list(jsonl.blocks(with_ends)))
    assert from_lines == numbered(list(jsonl.blocks(io.BytesIO(b"".join(with_ends)))))
    assert numbered(list(jsonl.blocks(lines))) == from_lines  # line ends are added


def test_a_last_line_without_its_end_is_read() -> None:
    assert list(jsonl.blocks(io.BytesIO(b"a\nb"))) == [(1, b"a\n"), (2, b"b")]
