"""``tillbox simprinter``: the virtual ESC/POS printer as a process of its own (development).

It listens where config's printer.host/port say, so printerd reaches it exactly as it would
a network printer; its paper roll and fault switches live under <data>/sim/printer, where the
web UI shows and flips them.
"""

from __future__ import annotations

import logging

from drivers.printer.simulated import SimulatedPrinter

from .daemon import Daemon

log = logging.getLogger(__name__)


def serve(cfg) -> None:
    if cfg.printer.backend != "simulated":
        raise SystemExit("tillbox simprinter: printer.backend is not 'simulated'")
    daemon = Daemon("simprinter")
    daemon.install_signals()
    with SimulatedPrinter(cfg.sim_dir / "printer", host=cfg.printer.host,
                          port=cfg.printer.port) as printer:
        printer.start()
        daemon.ready(f"simulated printer on {cfg.printer.host}:{printer.port}")
        while not daemon.sleep(1.0):
            daemon.alive()
    log.info("simulated printer stopped")
