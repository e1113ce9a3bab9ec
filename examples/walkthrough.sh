#!/usr/bin/env bash
# A client's supervision from intake to discharge, recorded on a fresh SQLite ledger, then read
# back: the full timeline, the timeline as of a date, and the case as it stands.
# Usage: bash examples/walkthrough.sh [LEDGER_FILE]   (default: walkthrough.db, recreated)
set -euo pipefail

db_file=${1:-walkthrough.db}
rm -f "$db_file"
export REENTRY_LEDGER_DB="sqlite:///$db_file" REENTRY_LEDGER_ACTOR=jdoe
say() { printf '\n\033[1m# %s\033[0m\n' "$*" >&2; }

say "Intake: parole, two conditions"
reentry-ledger enroll GA-1 --agency GA --officer o-17 --supervision parole \
  --start 2024-01-10 --expected-end 2025-01-09 --condition report_weekly --condition drug_testing
reentry-ledger assess GA-1 --on 2024-01-15 --instrument ORAS --risk high \
  --need substance_use --need school_work --strength "supportive sister"
reentry-ledger plan GA-1 --on 2024-01-16 --goal "substance_use:complete outpatient treatment" \
  --goal "school_work:stable work within six months"

say "Referral to housing (prints its id) and its progress"
referral=$(reentry-ledger refer GA-1 --on 2024-01-20 --service housing --provider "Harbour House")
reentry-ledger referral GA-1 "$referral" accepted --on 2024-01-25
reentry-ledger contact GA-1 --on 2024-02-02 --note "Moved into Harbour House; first meeting there"
reentry-ledger match GA-1 --on 2024-02-10 --volunteer v-204 --need family_marital

say "A missed report (technical violation), answered with a short sanction"
violation=$(reentry-ledger violation GA-1 --on 2024-03-01 --technical failure_to_report)
reentry-ledger respond GA-1 "$violation" sanction --on 2024-03-05 --custody-days 3

say "A new offence entered on the wrong client (event 10), then retracted: both stay on record"
reentry-ledger violation GA-1 --on 2024-06-01 --new-offence misdemeanor > /dev/null
reentry-ledger correct GA-1 10 --reason "entered on the wrong client"
reentry-ledger discharge GA-1 --on 2024-12-31 --outcome successful

say "A write after discharge is refused (exit 3) and changes nothing"
reentry-ledger violation GA-1 --on 2025-01-05 --technical curfew || echo "exit code $?" >&2

say "The timeline: every event, numbered, with who recorded it and when"
reentry-ledger timeline GA-1
say "The timeline as it stood on 2024-02-01"
reentry-ledger timeline GA-1 --as-of 2024-02-01
say "The case as it stands"
reentry-ledger show GA-1
say "Replay every client from its events"
reentry-ledger replay
say "The audit report: technical violations against new offences, by risk level and year"
reentry-ledger report violations --by risk --period year
