"""What a report can group by (docs/metrics.md, "Dimensions"), defined once.

The client's own dimensions are columns of `audit_clients` (the clients projection), taken from
the enrolment; the violation report adds the risk level in force on a day and the period.
"""

from __future__ import annotations

CLIENT_DIMENSIONS = ("agency", "officer", "supervision", "juvenile")
DIMENSIONS = (*CLIENT_DIMENSIONS, "risk", "period")  # in the order groups are sorted by
RISK_ORDER = {"unassessed": 0, "low": 1, "moderate": 2, "high": 3, "very_high": 4}
