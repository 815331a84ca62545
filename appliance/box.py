"""One box's open stores: the ledger, master data and the order engine, built from config."""

from __future__ import annotations

from .clock import SystemClock
from .config import Config
from .ledger import Ledger
from .master import MasterData
from .orders import OrderEngine


class Box:
    def __init__(self, config: Config, clock=None, *, background_checkpoints: bool = False):
        self.config = config
        config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o750)
        self.clock = clock or SystemClock(config.clock.sync_flag, config.clock.assume_synced)
        self.ledger = Ledger(config.ledger_path, device_id=config.shop.device_id,
                             store_id=config.shop.store_id, clock=self.clock)
        if background_checkpoints:
            self.ledger.start_background_checkpoints()
        try:
            self.master = MasterData(config.master_dir)
        except BaseException:
            self.ledger.close()
            raise
        self.orders = OrderEngine(self.ledger, self.master, timezone=config.shop.timezone)

    def close(self) -> None:
        self.master.close()
        self.ledger.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
