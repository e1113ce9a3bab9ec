"""The volunteer commands as a user types them (issue 18)."""

from __future__ import annotations

import json
from typing import Any


def test_register_match_and_list_a_volunteer(run: Any) -> None:
    run("enroll", "GA-1", "--agency", "GA", "--officer", "o", "--supervision", "parole",
        "--start", "2025-01-02")  # fmt: skip
    run("assess", "GA-1", "--on", "2025-01-05", "--instrument", "ORAS", "--risk", "high",
        "--need", "substance_use")  # fmt: skip
    registered = run("volunteer", "register", "--name", "Vera V", "--skill", "recovery_support",
                     "--agency", "GA", "--on", "2025-01-03")  # fmt: skip
    assert (registered.exit_code, registered.stdout) == (0, "VOL1\n")
    suggested = run("volunteer", "suggest", "GA-1", "--json")
    assert [s["volunteer_id"] for s in json.loads(suggested.stdout)] == ["VOL1"]
    assert run("match", "GA-1", "--volunteer", "VOL1", "--on", "2025-02-01").exit_code == 0
    [vera] = json.loads(run("volunteer", "list", "--json").stdout)
    assert (vera["name"], vera["open_matches"], vera["matched_clients"]) == ("Vera V", 1, ["GA-1"])
    supervised = run("volunteer", "supervise", "VOL1", "--kind", "individual", "--on",
                     "2025-02-03")  # fmt: skip
    assert supervised.exit_code == 0


def test_a_volunteer_not_on_the_register_is_not_found(run: Any) -> None:
    run("enroll", "GA-1", "--agency", "GA", "--officer", "o", "--supervision", "parole",
        "--start", "2025-01-02")  # fmt: skip
    refused = run("match", "GA-1", "--volunteer", "VOL7", "--on", "2025-02-01")
    assert refused.exit_code == 4
    assert refused.stderr == "Error: no volunteer 'VOL7' on the register of agency GA\n"
    assert run("match", "GA-1", "--volunteer", "v-204", "--on", "2025-02-01").exit_code == 0
    taken_back = run("unmatch", "GA-1", "--ending", "term_ended", "--on", "2025-02-02")
    assert taken_back.exit_code == 2
