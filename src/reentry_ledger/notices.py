"""Notices (what the CLI prints as "Note: ...") as the server sends them beside an answer, in
one header: each percent-encoded, as an HTTP header holds Latin-1 at most and no line break,
where a notice names what a user typed (an agency beyond Latin-1 made the server answer 500 to
a write it had made). Plain ASCII text is sent as it is, but for `%` and `|`."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote, unquote

HEADER = "X-Ledger-Notice"
SEPARATOR = " | "
# printable ASCII left as it is: all but `%` (the escapes' own) and `|` (the separator's)
KEPT = "".join(chr(code) for code in range(0x20, 0x7F) if chr(code) not in "%|")


def header_value(notices: Sequence[str]) -> str:
    return SEPARATOR.join(quote(notice, safe=KEPT) for notice in notices)


def notices_of(value: str) -> list[str]:
    """The notices a header's value holds (`header_value`)."""
    return [unquote(notice) for notice in value.split(SEPARATOR)]
