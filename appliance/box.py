"""One box's open stores: the ledger, master data and the order engine, built from config."""

from __future__ import annotations

from .clock import SystemClock
from .config import Config
from .keys import device_token_path, private_token
from .ledger import Ledger
from .master import MasterData
from .orders import OrderEngine
from .printing import PrintQueue


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
        self.printing = PrintQueue(self.ledger)
        self.device_token = private_token(device_token_path(config.data_dir))
        self.receipt_key = private_token(config.data_dir / "receipt.key")
        #: Base of links printed on receipts (the e-receipt QR); core sets it to an address
        #: phones on the shop Wi-Fi can reach.
        self.public_url = "" if config.web.host in ("0.0.0.0", "::") else \
            config.core_url if not config.web.https_port else \
            f"https://{config.web.host}:{config.web.https_port}"

    def close(self) -> None:
        self.master.close()
        self.ledger.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
