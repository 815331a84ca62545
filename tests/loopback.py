"""Free loopback ports for servers a test starts (and stops). A module of its own so that
folders with their own conftest.py (tests/system) can import it too."""

import socket


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
