"""The server's fixtures (tests/serving.py), for every test in this folder."""

from tests.serving import live, served  # noqa: F401
