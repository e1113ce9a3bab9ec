"""The home of every import: whatever brings events into a ledger from outside it.

`jsonl` takes back a file made by `export` (reentry_ledger.export.full). Legacy CSV through a
mapping, the Iowa releases file and the demo writer are to move here too; until then they live
in `reentry_ledger.importers` and `reentry_ledger.demo`. Every import goes through
`reentry_ledger.bulk` (one transaction) and `reentry_ledger.workers` (checking in worker
processes).
"""
