"""A report's own facts beside each page of `FactReader.pages()`: read for the page's range of
client ids, as known at the report's moment."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from reentry_ledger.reports.facts import ClientFacts, FactReader
from reentry_ledger.reports.known_at import known, positional


def with_facts(
    reader: FactReader, table: str, columns: str
) -> Iterator[tuple[ClientFacts, list[tuple]]]:
    """Each client, with its rows of `table` (occurred_on, number, `columns`...) in order."""
    for page in reader.pages():  # each of one part of the clients, if the reader reads some
        where, params = positional(known, reader.known_at)
        found: dict[str, list[tuple]] = defaultdict(list)
        for client_id, *values in reader.store.rows(
            f"SELECT client_id, occurred_on, number, {columns} FROM {{{table}}} "
            f"WHERE client_id >= ? AND client_id <= ? AND {where} ORDER BY client_id, number",
            (page[0].client_id, page[-1].client_id, *params),
            [table],
        ):
            found[client_id].append(tuple(values))
        for client in page:
            yield client, found.get(client.client_id, [])
