"""The web pages: server-rendered (Jinja2 templates in server/templates), readable without
script, over the same application methods as the API, as the signed-in user.

    site.py       who is signed in, their role's navigation and landing page
    csrf.py       the token every form carries, and the cookies that hold its secret
    rendering.py  templates, filters, and refusals as pages (never a traceback)
    forms.py      form values read and checked, each error naming its field
    signin.py     sign in (password or token), sign out
    reports.py    the violation report: table, chart, CSV, definitions
    comparisons.py  the disparity and cohort reports: table, CSV
    clients.py    the caseload, a client's case and timeline
    recording.py  recording a contact, a violation and a response
    audit.py      digest, verify and the access log
"""
