"""The training stack: the real box's services over the training ledger.

What differs from the real :class:`appliance.box.Box`, and why:

- ``ledger``: data_dir/training.db, its own device id, so its seq and hashes never mix with
  the real journal and uplinkd (which reads only ledger.db) never sends it to head office.
- ``master``: the real catalog, staff and settings, read-only (a trainee must not change the
  shop), with ``orders.allow_negative_stock`` on: the training ledger never received stock,
  and a sale refused for stock the shop really has would teach nothing.
- promotions and member levels are journal records of the real ledger: they are copied into
  the training ledger (one ``training.promotions_copied`` record, only when they changed) when
  the stack opens and whenever a session enters training, so training prices like the till.
- ``public_url`` is empty: a training receipt has no e-receipt QR code (it is not a sale).
"""

from __future__ import annotations

import json
import logging

from ..errors import Conflict
from ..i18n import _
from ..ledger import Ledger
from .quiz import QuizDesk

log = logging.getLogger(__name__)

TRAINING_LEDGER = "training.db"

#: Settings that read differently in training (see the module docstring).
SETTING_OVERRIDES = {"orders.allow_negative_stock": True}

#: Method names that change master data: refused on the training stack's view of it.
_WRITES = ("save", "deactivate", "reactivate", "replace", "set", "add", "update", "delete",
           "remove", "import", "apply", "upsert")


class TrainingRefused(Conflict):
    """Something that makes no sense, or would change the real shop, in training mode."""

    code = "training_mode"


def training_device_id(device_id: str) -> str:
    return f"{device_id}-training"


class ReadOnly:
    """A master-data store (catalog, staff, suppliers, settings) whose writes are refused."""

    def __init__(self, store):
        self._store = store

    def __getattr__(self, name: str):
        value = getattr(self._store, name)
        if callable(value) and name.startswith(_WRITES):
            def refused(*_args, **_kw):
                raise TrainingRefused(_("master data cannot be changed in training mode"))
            return refused
        return value


class TrainingSettings(ReadOnly):
    def get(self, key: str):
        if key in SETTING_OVERRIDES:
            return SETTING_OVERRIDES[key]
        return self._store.get(key)

    def all(self) -> dict:
        return {**self._store.all(), **SETTING_OVERRIDES}


class TrainingMaster:
    """The real master data as the training stack sees it."""

    def __init__(self, master):
        self.path = master.path
        self.lock = master.lock
        self.catalog = ReadOnly(master.catalog)
        self.staff = ReadOnly(master.staff)
        self.suppliers = ReadOnly(master.suppliers)
        self.settings = TrainingSettings(master.settings)

    def close(self) -> None:
        """The real box closes the real master data."""


class TrainingBox:
    """What ``webui.api.box()`` returns for a session in training mode."""

    is_training = True

    @property
    def config(self):
        """The real box's configuration as it is now (the settings page reloads it)."""
        return self.real.config

    def __init__(self, real):
        from ..box import open_services
        self.real = real
        self.clock = real.clock
        self.ledger = Ledger(real.config.data_dir / TRAINING_LEDGER,
                             device_id=training_device_id(real.ledger.device_id),
                             store_id=real.ledger.store_id, clock=real.clock)
        try:
            self.master = TrainingMaster(real.master)
            open_services(self, self.ledger, self.master, real.config.shop.timezone)
            self.quiz = QuizDesk(self.ledger, real.master.catalog)
            self.copy_promotions()
        except BaseException:
            self.ledger.close()
            raise
        self.device_token = real.device_token
        self.receipt_key = real.receipt_key
        self.public_url = ""
        log.info("training ledger opened at %s", self.ledger.path)

    def training(self, *, create: bool = True):
        return self

    def copy_promotions(self) -> bool:
        """Bring the real ledger's promotion rules and member levels over, if they changed;
        True when a record was written."""
        real_rules, real_levels = _promotion_rows(self.real.ledger)
        with self.ledger.transaction() as tx:
            rules, levels = _promotion_rows_in(tx.conn)
            if rules == real_rules and real_levels <= levels:
                return False
            tx.append("training.promotions_copied",
                      {"staff": "", "role": "device", "device": self.ledger.device_id,
                       "terminal": "training"},
                      {"rules": [{"rule": json.loads(doc), "source": source, "active": active}
                                 for _id, source, doc, active in sorted(real_rules)],
                       "levels": [json.loads(doc) for _id, doc in sorted(real_levels)]})
        log.info("training: %d promotion rules and %d member levels copied from the till",
                 len(real_rules), len(real_levels))
        return True

    def close(self) -> None:
        self.ledger.close()


def _promotion_rows(ledger) -> tuple[set, set]:
    with ledger.reading() as conn:
        return _promotion_rows_in(conn)


def _promotion_rows_in(conn) -> tuple[set, set]:
    """(rules, levels) as sets of rows with the documents in canonical JSON, comparable
    between the two ledgers whatever bookkeeping columns (seq, who, when) differ."""
    def canon(doc: str) -> str:
        return json.dumps(json.loads(doc), sort_keys=True, ensure_ascii=False)
    rules = {(rid, source, canon(doc), bool(active)) for rid, source, doc, active in
             conn.execute("SELECT id, source, doc, active FROM promotions")}
    levels = {(lid, canon(doc)) for lid, doc in conn.execute("SELECT id, doc FROM member_levels")}
    return rules, levels
