"""Where the shared data sets are; tests that need them skip without them, except under CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
IOWA = SHARED / "iowa" / "iowa-releases-fy2010-2013.csv"


def require(path: Path) -> Path:
    if path.exists():
        return path
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true requires the shared data set {path}")
    pytest.skip(reason=f"the shared data set {path} is not here")
    raise AssertionError  # unreachable: skip raises
