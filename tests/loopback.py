"""Free loopback ports for servers a test starts (and stops). A module of its own so that
folders with their own conftest.py (tests/system) can import it too."""

import socket


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoopbackServer:
    """A WSGI app served by waitress on 127.0.0.1 in a thread, stopped the way core stops:
    every connection closed (a screen's event stream keeps waitress's loop alive), the loop
    ended, in-flight requests finished."""

    def __init__(self, app, *, threads: int = 4, port: int = 0):
        import threading

        from waitress.server import create_server
        self.app = app
        self.server = create_server(app, host="127.0.0.1", port=port, threads=threads)
        self.port = self.server.effective_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        try:
            self.server.run()
        except OSError:   # its sockets closed under it by close()
            if not self._stopping.is_set():
                raise

    def close(self) -> None:
        from waitress import wasyncore
        self._stopping.set()
        # As core does (services/core.py): end the screens' event streams first, or each
        # holds a worker until its next heartbeat and the dispatcher's shutdown times out.
        events = getattr(self.app, "config", {}).get("EVENTS")
        if events is not None:
            events.close()
        wasyncore.close_all(self.server._map, ignore_all=True)
        self._thread.join(5)
        self.server.task_dispatcher.shutdown(timeout=3)
