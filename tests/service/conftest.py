"""Fixtures of the service tests (the server itself is in service_server.py)."""

from service_server import server  # noqa: F401
