"""The interactive API documentation works on a closed network: every file it loads comes
from this server, and its policy allows no other origin's script."""

from __future__ import annotations

import re

from tests.serving import Served


def test_the_docs_page_loads_only_this_servers_files(served: Served) -> None:
    page = served.client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(source.startswith("/") for source in sources), sources
    for source in sources:
        assert served.client.get(source).status_code == 200, source
    policy = page.headers["content-security-policy"]
    assert "http" not in policy and "'unsafe-inline'" not in policy
    assert "script-src 'self' 'sha256-" in policy
