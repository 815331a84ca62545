"""One box's open stores: the ledger, master data and the order engine, built from config."""

from __future__ import annotations

import threading

from .clock import SystemClock
from .config import Config
from .keys import device_token_path, private_token
from .ledger import Ledger
from .master import MasterData
from .members import MemberService
from .migrations import migrate
from .orders import OrderEngine
from .printing import PrintQueue
from .aftersales import AfterSales
from .customers import CustomerData
from .fulfilment import Fulfilment
from .notify import Outbox, install as install_notifications
from .returns import Returns
from .finance import Finance
from .promotions.commands import PromotionAdmin
from .reports import Reports
from .shifts import ShiftDesk
from .stock.purchasing import Purchasing
from .stock.counts import Stocktake
from .stock.levels import StockService


class Box:
    def __init__(self, config: Config, clock=None, *, background_checkpoints: bool = False):
        self.config = config
        config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o750)
        _refuse_half_restored(config.data_dir)
        migrate(config)   # after a package upgrade postinst did this already; refuses newer data
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
        open_services(self, self.ledger, self.master, config.shop.timezone)
        self.device_token = private_token(device_token_path(config.data_dir))
        self.receipt_key = private_token(config.data_dir / "receipt.key")
        self.orders.ereceipt_mac = self._ereceipt_mac
        #: Base of links printed on receipts (the e-receipt QR): somewhere phones on the shop
        #: Wi-Fi can reach, or "" for no QR (see public_url_for).
        self.public_url = public_url_for(config)
        #: The notification outbox; only the real ledger queues (training never notifies).
        self.notifications = Outbox(self.ledger, self.master, config)
        install_notifications(self)
        #: The training stack (培训模式, docs/training.md): built on first use, closed with us.
        self._training = None
        self._training_lock = threading.Lock()

    is_training = False

    def _ereceipt_mac(self, order_id: str) -> str:
        from .printing.documents import ereceipt_token
        return ereceipt_token(self.receipt_key, order_id).partition(".")[2]

    def training(self, *, create: bool = True):
        """The training stack over data_dir/training.db; with ``create=False`` only if it
        is open already or its ledger exists (printerd's poll must not make one)."""
        from .training import TRAINING_LEDGER, TrainingBox
        with self._training_lock:
            if self._training is None:
                if not create and not (self.config.data_dir / TRAINING_LEDGER).exists():
                    return None
                self._training = TrainingBox(self)
            return self._training

    def close(self) -> None:
        with self._training_lock:
            if self._training is not None:
                self._training.close()
                self._training = None
        self.master.close()
        self.ledger.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _refuse_half_restored(data_dir) -> None:
    """A restore cut short (a power cut while it moved files) leaves its marker: starting
    now could begin a new, empty ledger where the old one was moved aside."""
    from .backup import RESTORE_MARKER
    from .errors import Conflict
    from .i18n import _
    if (data_dir / RESTORE_MARKER).exists():
        raise Conflict(_("a restore into {path} was cut short: run the same `tillbox restore"
                         " FILE --force` again, or put back the files kept in"
                         " backups/replaced-* and delete {marker} (docs/backup.md)",
                         path=str(data_dir), marker=RESTORE_MARKER))


def open_services(box, ledger, master, timezone: str) -> None:
    """The services the web API uses, over one ledger (the real one, or training's)."""
    box.orders = OrderEngine(ledger, master, timezone=timezone)
    box.members = MemberService(ledger, master, timezone)
    box.promotions = PromotionAdmin(ledger)
    box.purchasing = Purchasing(ledger, master, timezone)
    box.counts = Stocktake(ledger, master, timezone)
    box.stock = StockService(ledger, master, timezone)
    box.printing = PrintQueue(ledger)
    box.shifts = ShiftDesk(ledger, master, timezone)
    box.reports = Reports(ledger, master, timezone)
    box.finance = Finance(ledger, master, timezone, reports=box.reports)
    box.customers = CustomerData(ledger, timezone)
    box.returns = Returns(ledger, master, timezone, orders=box.orders)
    box.aftersales = AfterSales(ledger, master, timezone)
    box.fulfilment = Fulfilment(ledger, master, timezone, orders=box.orders)


LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def public_url_for(config: Config, addresses=None) -> str:
    """web.public_url, else the address core listens on, else (listening everywhere) the
    box's first network address; "" when only loopback would do: a QR code no phone can open
    helps nobody."""
    web = config.web
    if web.public_url:
        return web.public_url.rstrip("/")
    host = web.host
    if host in ("0.0.0.0", "::", ""):
        if addresses is None:
            from services.tls import lan_addresses
            addresses = lan_addresses()
        host = next((a for a in addresses if a not in LOOPBACK_HOSTS
                     and not a.startswith("127.")), "")
    if not host or host in LOOPBACK_HOSTS:
        return ""
    if ":" in host:
        host = f"[{host}]"
    if web.https_port:
        return f"https://{host}" + ("" if web.https_port == 443 else f":{web.https_port}")
    return f"http://{host}" + ("" if web.port == 80 else f":{web.port}")
