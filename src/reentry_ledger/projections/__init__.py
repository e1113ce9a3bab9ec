"""Read models built from the event log: fact tables an analyst can query with SQL.

Each projection keeps its own position in the library's tracking table, written in the same
transaction as the rows it derives from a page of events, so it applies each event exactly once
and can resume after a crash. Reports catch every projection they read up before reading.
"""
