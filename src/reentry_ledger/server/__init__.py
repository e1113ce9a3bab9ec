"""The HTTP server (`reentry-ledger serve`): authenticated access for agency staff and
oversight bodies, over the same application layer as the CLI (ADR 0019).

    app.py         the FastAPI application: routes, security headers, lifespan
    service.py     the ledger a process serves, one request at a time
    auth.py        who a request comes from: tokens, sessions, a trusted proxy
    errors.py      errors as JSON, with the CLI's exit codes
    api.py         command and read endpoints, made from contract.ENDPOINTS
    operations.py  reports, integrity, replay, exports, imports, projections
    pages.py       the web pages
"""
