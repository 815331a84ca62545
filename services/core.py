"""core: the web UI, /api/v1 and the order engine; the only writer of ledger.db.

Served by waitress (a production WSGI server with a thread pool sized for SSE screens). The
watchdog is fed from a thread that checks the ledger answers, so a wedged database stops the
pings and systemd restarts the process.
"""

from __future__ import annotations

import ctypes
import logging
import signal
import threading

from waitress import wasyncore
from waitress.server import create_server

from appliance.box import Box
from appliance.config import Config
from webui.app import create_app

from . import sdnotify

log = logging.getLogger(__name__)


def _watchdog(box: Box, stop: threading.Event) -> None:
    interval = sdnotify.watchdog_interval()
    if interval is None:
        return
    while not stop.wait(interval):
        try:
            box.ledger.head()
        except Exception:  # noqa: BLE001 - any failure means: stop feeding the watchdog
            log.exception("ledger check failed; not feeding the watchdog")
            continue
        sdnotify.notify("WATCHDOG=1")


def _device_ticks(app, stop: threading.Event, every: float = 5.0) -> None:
    from webui.app import device_tick
    while not stop.wait(every):
        try:
            device_tick(app)
        except Exception:  # noqa: BLE001 - the next tick tries again; selling goes on
            log.exception("device tick failed")


def _return_large_blocks_to_the_os() -> None:
    """Each PIN check (scrypt) takes 16 MiB; glibc would keep it in the worker thread's arena
    for good, about 16 MiB per web thread (280 MiB measured with 20 sign-ins). Blocks of 1 MiB
    and more are mmapped instead, and go back to the system when freed."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to tune
        return
    m_mmap_threshold = -3
    if not libc.mallopt(m_mmap_threshold, 1 << 20):
        log.warning("could not set the malloc mmap threshold")


def _start_https(config: Config, app) -> "object":
    """HTTPS through cheroot (waitress has no TLS), with the box's own certificate."""
    from cheroot import wsgi

    from . import tls
    files = tls.ensure_certificates(config.data_dir / "tls", config.shop.device_id,
                                    tls.box_names(config.web.tls_names))
    server = wsgi.Server((config.web.host, config.web.https_port), app,
                         numthreads=config.web.threads, server_name="tillbox")
    server.ssl_adapter = tls.lazy_handshake_adapter(files.cert, files.key)
    server.prepare()  # binds now, so a port in use fails start-up, not later
    threading.Thread(target=server.serve, name="https", daemon=True).start()
    log.info("core listening on https://%s:%s", config.web.host, config.web.https_port)
    return server


def serve(config: Config) -> None:
    _return_large_blocks_to_the_os()
    box = Box(config, background_checkpoints=True)
    from appliance.replace import catch_up_cursor   # issue 11: a rebuild's cursor, if left
    catch_up_cursor(config, config.ledger_path)
    app = create_app(box)
    full_app = app
    # A new box: open the setup page (and print its slip) until the owner has set it up.
    from webui.setup import start as open_setup
    open_setup(app)
    events = app.config["EVENTS"]
    https = None
    if config.web.https_port:
        from webui.plain_http import create_plain_app, with_device_api
        https = _start_https(config, app)
        # plain HTTP: the CA page, health, redirects; and the daemons' device calls
        app = with_device_api(create_plain_app(box), app)
    server = create_server(app, host=config.web.host, port=config.web.port,
                           threads=config.web.threads, ident="tillbox")
    stop = threading.Event()

    def shutdown(signum, _frame):
        log.info("signal %d: stopping core", signum)
        sdnotify.notify("STOPPING=1")
        stop.set()
        events.close()
        # Close every connection, not only the listening socket: waitress's loop runs while
        # any channel is open, and a keep-alive or long-poll one would hold the stop.
        wasyncore.close_all(server._map, ignore_all=True)
        if https is not None:
            https.stop()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    threading.Thread(target=_watchdog, args=(box, stop), name="watchdog", daemon=True).start()
    threading.Thread(target=_device_ticks, args=(full_app, stop), name="devices",
                     daemon=True).start()
    log.info("core listening on http://%s:%s", config.web.host, server.effective_port)
    sdnotify.notify(f"READY=1\nSTATUS=serving on port {server.effective_port}")
    try:
        server.run()
    except OSError:
        if not stop.is_set():
            raise
    finally:
        stop.set()
        server.task_dispatcher.shutdown(timeout=3)  # in-flight requests end before the ledger
        box.close()
        log.info("core stopped")
