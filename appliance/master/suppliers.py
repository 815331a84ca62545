"""Suppliers and their contracts: documents a manager edits, kept with the master data.

They move no money and no stock, so they are not journal records (purchase orders and
deliveries, which do, are). A supplier is never deleted, only switched off, so old purchase
orders keep their name.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import asdict, dataclass
from datetime import date

from tinydb import Query, TinyDB

from ..errors import NotFound, ValidationError
from ..i18n import _
from ..validate import text
from .catalog import new_id

log = logging.getLogger(__name__)

SUPPLIERS = "suppliers"
CONTRACTS = "contracts"
MAX_REMIND_DAYS = 365
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()-]{2,24}$")


@dataclass
class Supplier:
    id: str
    name: str
    contact: str = ""       # the person to call
    phone: str = ""
    email: str = ""
    address: str = ""
    note: str = ""
    active: bool = True

    def to_doc(self) -> dict:
        return asdict(self)

    @classmethod
    def from_doc(cls, doc) -> "Supplier":
        return cls(**{k: doc[k] for k in cls.__dataclass_fields__ if k in doc})


@dataclass
class Contract:
    id: str
    supplier_id: str
    title: str
    terms: str = ""
    starts_on: str = ""     # YYYY-MM-DD
    ends_on: str = ""       # YYYY-MM-DD
    remind_days: int | None = None   # None: the shop's stock.contract_reminder_days
    active: bool = True

    def to_doc(self) -> dict:
        return asdict(self)

    @classmethod
    def from_doc(cls, doc) -> "Contract":
        return cls(**{k: doc[k] for k in cls.__dataclass_fields__ if k in doc})


def parse_day(value, field: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(_("{field} must be a date like 2026-11-27", field=field),
                              field=field)
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise ValidationError(_("{field} must be a date like 2026-11-27", field=field),
                              field=field) from None


def _flag(value, field: str) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(_("{field} must be true or false", field=field), field=field)
    return value


def normalize_supplier(s: Supplier) -> Supplier:
    phone = text(s.phone, "phone", 25)
    if phone and not _PHONE_RE.match(phone):
        raise ValidationError(_("phone \"{phone}\" is not a phone number", phone=phone),
                              field="phone")
    email = text(s.email, "email", 100)
    if email and not _EMAIL_RE.match(email):
        raise ValidationError(_("e-mail \"{email}\" is not an e-mail address", email=email),
                              field="email")
    return Supplier(id=s.id, name=text(s.name, "name", 60, required=True),
                    contact=text(s.contact, "contact", 40), phone=phone, email=email,
                    address=text(s.address, "address", 200, multiline=True),
                    note=text(s.note, "note", 500, multiline=True),
                    active=_flag(s.active, "active"))


def normalize_contract(c: Contract) -> Contract:
    starts = parse_day(c.starts_on, "starts_on")
    ends = parse_day(c.ends_on, "ends_on")
    if ends < starts:
        raise ValidationError(
            _("the contract cannot end ({ends_on}) before it starts ({starts_on})",
              ends_on=ends, starts_on=starts), field="ends_on")
    remind = c.remind_days
    if remind is not None and (isinstance(remind, bool) or not isinstance(remind, int)
                               or not 0 <= remind <= MAX_REMIND_DAYS):
        raise ValidationError(_("remind_days must be a whole number from 0 to {high}",
                                high=MAX_REMIND_DAYS), field="remind_days")
    return Contract(id=c.id, supplier_id=c.supplier_id,
                    title=text(c.title, "title", 80, required=True),
                    terms=text(c.terms, "terms", 4000, multiline=True), starts_on=starts,
                    ends_on=ends, remind_days=remind, active=_flag(c.active, "active"))


class SupplierDirectory:
    """Suppliers and contracts in one TinyDB file (two tables)."""

    def __init__(self, db: TinyDB, lock: threading.RLock):
        self._suppliers = db.table(SUPPLIERS)
        self._contracts = db.table(CONTRACTS)
        self._lock = lock

    # -- suppliers -------------------------------------------------------------------------

    def find(self, supplier_id: str | None) -> Supplier | None:
        if not supplier_id:
            return None
        doc = self._suppliers.get(Query().id == supplier_id)
        return Supplier.from_doc(doc) if doc else None

    def get(self, supplier_id: str) -> Supplier:
        s = self.find(supplier_id)
        if s is None:
            raise NotFound(_("no supplier with id {supplier_id}", supplier_id=supplier_id),
                           field="supplier_id")
        return s

    def list(self, include_inactive: bool = False) -> list[Supplier]:
        found = [Supplier.from_doc(d) for d in self._suppliers.all()]
        return sorted((s for s in found if include_inactive or s.active),
                      key=lambda s: (s.name, s.id))

    def save(self, supplier: Supplier) -> Supplier:
        """Add (empty id) or replace a supplier; returns the stored copy."""
        with self._lock:
            if supplier.id:
                self.get(supplier.id)
            s = normalize_supplier(supplier)
            if not s.id:
                s.id = new_id("sup")
            self._suppliers.upsert(s.to_doc(), Query().id == s.id)
        log.info("saved supplier %s", s.id)
        return s

    # -- contracts -------------------------------------------------------------------------

    def find_contract(self, contract_id: str) -> Contract | None:
        doc = self._contracts.get(Query().id == contract_id)
        return Contract.from_doc(doc) if doc else None

    def get_contract(self, contract_id: str) -> Contract:
        c = self.find_contract(contract_id)
        if c is None:
            raise NotFound(_("no contract with id {contract_id}", contract_id=contract_id),
                           field="contract_id")
        return c

    def contracts(self, supplier_id: str | None = None,
                  include_inactive: bool = True) -> list[Contract]:
        found = [Contract.from_doc(d) for d in self._contracts.all()]
        return sorted((c for c in found if (supplier_id is None or c.supplier_id == supplier_id)
                       and (include_inactive or c.active)),
                      key=lambda c: (c.ends_on, c.title, c.id))

    def save_contract(self, contract: Contract) -> Contract:
        with self._lock:
            if contract.id:
                self.get_contract(contract.id)
            self.get(contract.supplier_id)
            c = normalize_contract(contract)
            if not c.id:
                c.id = new_id("con")
            self._contracts.upsert(c.to_doc(), Query().id == c.id)
        log.info("saved contract %s of supplier %s", c.id, c.supplier_id)
        return c
