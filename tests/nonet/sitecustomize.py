"""Loaded by every Python process of the test run (via PYTHONPATH): no network, ever.

Any attempt to open a non-local socket raises, so a test passes only if redact works
offline, including CLI subprocesses and worker processes.
"""

import socket

_connect = socket.socket.connect


def _guarded_connect(self, address):
    if self.family == socket.AF_UNIX:
        return _connect(self, address)
    raise OSError("network access blocked during tests (redact must work offline)")


def _blocked(*args, **kwargs):
    raise OSError("network access blocked during tests (redact must work offline)")


socket.socket.connect = _guarded_connect
socket.socket.connect_ex = _guarded_connect
socket.create_connection = _blocked
socket.getaddrinfo = _blocked
