"""Reports for supervisors and oversight, computed from the projections' fact tables."""
