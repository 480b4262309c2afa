"""Loaded by every Python process of the test run (via PYTHONPATH): no network, ever.

Any attempt to reach another machine raises, so a test passes only if redact works offline,
including CLI subprocesses and worker processes. Loopback (this machine) stays open: the
Dask tests run a real scheduler and workers on 127.0.0.1.
"""

import ipaddress
import socket

_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex
_create_connection = socket.create_connection
_getaddrinfo = socket.getaddrinfo
MESSAGE = "network access blocked during tests (redact must work offline)"


def _local(host) -> bool:
    if host in (None, "", "localhost", b"localhost"):
        return True
    try:
        return ipaddress.ip_address(host.decode() if isinstance(host, bytes) else host).is_loopback
    except ValueError:
        return False


def _guarded(original):
    def connect(self, address):
        if self.family == socket.AF_UNIX or _local(address[0]):
            return original(self, address)
        raise OSError(MESSAGE)

    return connect


def _guarded_create_connection(address, *args, **kwargs):
    if _local(address[0]):
        return _create_connection(address, *args, **kwargs)
    raise OSError(MESSAGE)


def _numeric(host) -> bool:
    try:
        ipaddress.ip_address(host.decode() if isinstance(host, bytes) else host)
        return True
    except ValueError:
        return False


def _guarded_getaddrinfo(host, *args, **kwargs):
    # a numeric address (e.g. 0.0.0.0 to listen on) needs no DNS; names other than localhost do
    if _local(host) or _numeric(host):
        return _getaddrinfo(host, *args, **kwargs)
    raise OSError(MESSAGE)


socket.socket.connect = _guarded(_connect)
socket.socket.connect_ex = _guarded(_connect_ex)
socket.create_connection = _guarded_create_connection
socket.getaddrinfo = _guarded_getaddrinfo
