"""What a report can group by (docs/metrics.md, "Dimensions"), defined once.

The client's own dimensions are columns of `audit_clients` (the clients projection), taken from
the enrolment; the violation report adds the risk level in force on a day and the period.
"""

from __future__ import annotations

CLIENT_DIMENSIONS = ("agency", "officer", "supervision", "juvenile")
PEOPLE_DIMENSIONS = ("sex", "race", "ethnicity", "age_band")  # only as bands, above the floor
# in the order groups are sorted by
DIMENSIONS = (*CLIENT_DIMENSIONS, *PEOPLE_DIMENSIONS, "term", "level", "risk", "period")
RISK_ORDER = {"unassessed": 0, "low": 1, "moderate": 2, "high": 3, "very_high": 4}
LEVEL_ORDER = {"unset": 0, "maximum": 1, "high": 2, "medium": 3, "low": 4, "administrative": 5,
               "unsupervised": 6}  # fmt: skip
AGE_ORDER = {"under_25": 0, "25_34": 1, "35_44": 2, "45_54": 3, "55_and_older": 4, "unknown": 5}
ORDERS = {"risk": RISK_ORDER, "level": LEVEL_ORDER, "age_band": AGE_ORDER}
