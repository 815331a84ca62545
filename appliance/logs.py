"""Logging set-up shared by every tillbox process.

Module loggers for the code, plus the ``audit`` logger for money events (sales, refunds, voids,
price overrides, drawer opens, shift closes). Every process starts its log with a header line
(version, config path, platform) so a log file sent from a shop says what produced it.
"""

from __future__ import annotations

import logging
import platform
import sys

from . import __version__


def setup(level: str = "INFO", process: str = "tillbox", config_source=None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Money events are always kept, whatever the module log level.
    logging.getLogger("audit").setLevel(logging.INFO)
    # `kill -USR1` writes every thread's stack to the journal: how to see where a daemon
    # that stopped answering is stuck, without stopping it.
    import faulthandler
    import signal
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    logging.getLogger(__name__).info(
        "%s %s starting: config %s, Python %s on %s", process, __version__,
        config_source or "(defaults)", platform.python_version(), platform.platform())
