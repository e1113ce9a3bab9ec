"""The home of every import: whatever brings events into a ledger from outside it.

    jsonl.py    a file made by `export` (reentry_ledger.export.full), checked whole first
    mapped.py   legacy CSV records, through a TOML mapping, row by row through the one
                write path (reentry_ledger.application.recording)
    iowa.py     the Iowa releases file
    demo.py     the synthetic population
    rows.py     reading CSV rows, and naming a bad one by file, line and column
    bulk.py     the writer they share: one transaction, the driver's fastest insert

Checking runs in worker processes (reentry_ledger.workers) where the work is large.
"""
