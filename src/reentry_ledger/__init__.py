"""reentry-ledger: an event-sourced case ledger for community corrections and reentry casework."""

__version__ = "0.8.0"
