"""`python -m reentry_ledger.cli`: the same as the `reentry-ledger` command."""

from reentry_ledger.cli import main

if __name__ == "__main__":
    main()
