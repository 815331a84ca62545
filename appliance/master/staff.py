"""Staff: who may use the till, with which role, and their login PINs.

Login is by PIN alone (one keypad, no user picker), so a PIN must identify one person: two
active staff may not share a PIN. PINs are stored as scrypt hashes with a random salt; since
the salt differs per hash, finding a clash (or logging in) means checking the PIN against
every active person's hash - a fraction of a second for a shop-sized staff.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import threading
from dataclasses import dataclass, replace

from tinydb import Query, TinyDB

from ..errors import Conflict, NotFound, ValidationError
from .catalog import new_id
from ..i18n import _

log = logging.getLogger(__name__)

TABLE = "staff"
#: Roles from least to most trusted; each role may do everything the ones before it may.
ROLES = ("assistant", "cashier", "manager", "owner")
#: Roles whose PIN must not be trivially guessable (they can refund, edit prices ...).
STRONG_PIN_ROLES = ("manager", "owner")
MAX_NAME = 40

_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2 ** 14, 8, 1
_SALT_BYTES = 16
_HASH_BYTES = 32
_PIN_RE = re.compile(r"^[0-9]{4,8}$")


def role_at_least(role: str, minimum: str) -> bool:
    """True if ``role`` ranks at or above ``minimum``; unknown roles rank below everything."""
    if minimum not in ROLES:
        raise ValueError(f"unknown role {minimum!r}")
    return role in ROLES and ROLES.index(role) >= ROLES.index(minimum)


def hash_pin(pin: str) -> str:
    """``scrypt$16384$8$1$<salt b64>$<hash b64>``."""
    salt = os.urandom(_SALT_BYTES)
    digest = hashlib.scrypt(pin.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R,
                            p=_SCRYPT_P, dklen=_HASH_BYTES)
    return "$".join(["scrypt", str(_SCRYPT_N), str(_SCRYPT_R), str(_SCRYPT_P),
                     base64.b64encode(salt).decode("ascii"),
                     base64.b64encode(digest).decode("ascii")])


def check_pin(pin: str, stored: str) -> bool:
    """Does ``pin`` match the stored hash? False (never an error) for a malformed hash."""
    if not isinstance(pin, str) or not isinstance(stored, str):
        return False
    try:
        scheme, n, r, p, salt_b64, hash_b64 = stored.split("$")
        n, r, p = int(n), int(r), int(p)
        salt = base64.b64decode(salt_b64, validate=True)
        expected = base64.b64decode(hash_b64, validate=True)
        # Parameters come from our own file, but bound them so a damaged one cannot make
        # every login try to allocate gigabytes.
        if scheme != "scrypt" or not (2 <= n <= 2 ** 20 and 1 <= r <= 32 and 1 <= p <= 16):
            raise ValueError("unsupported parameters")
        actual = hashlib.scrypt(pin.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                                dklen=len(expected), maxmem=256 * 1024 * 1024)
    except ValueError:
        log.warning("a stored PIN hash is malformed; it matches no PIN")
        return False
    return hmac.compare_digest(actual, expected)


def _is_trivial(pin: str) -> bool:
    if len(set(pin)) == 1:
        return True
    steps = {int(b) - int(a) for a, b in zip(pin, pin[1:])}
    return steps in ({1}, {-1})


def validate_pin(pin, role: str) -> str:
    if not isinstance(pin, str):
        raise ValidationError(_("PIN must be given as text (so leading zeros are kept)"),
                              field="pin")
    if not _PIN_RE.match(pin):
        raise ValidationError(_("PIN must be 4 to 8 digits"), field="pin")
    if role in STRONG_PIN_ROLES and _is_trivial(pin):
        raise ValidationError(
            _("a {role}'s PIN must not be one digit repeated or a run like 1234 or 4321",
              role=role),
            field="pin")
    return pin


def _validate_role(role) -> str:
    if role not in ROLES:
        raise ValidationError(_("role must be one of {ROLES}",
                                ROLES=', '.join(ROLES)), field="role")
    return role


def _validate_name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationError(_("name must not be empty"), field="name")
    name = name.strip()
    if len(name) > MAX_NAME or any(ch < " " for ch in name):
        raise ValidationError(_("name must be one line of at most {MAX_NAME} characters",
                                MAX_NAME=MAX_NAME),
                              field="name")
    return name


@dataclass
class Staff:
    id: str
    name: str
    role: str
    active: bool = True
    pin_hash: str = ""

    def to_doc(self) -> dict:
        return {"id": self.id, "name": self.name, "role": self.role, "active": self.active,
                "pin_hash": self.pin_hash}

    @classmethod
    def from_doc(cls, doc) -> "Staff":
        return cls(id=doc["id"], name=doc["name"], role=doc["role"],
                   active=doc.get("active", True), pin_hash=doc.get("pin_hash", ""))

    def to_public(self) -> dict:
        """What may leave the box (API, logs): everything but the PIN hash."""
        return {"id": self.id, "name": self.name, "role": self.role, "active": self.active}

    def __repr__(self) -> str:  # keep the hash out of logs and tracebacks
        return f"Staff(id={self.id!r}, name={self.name!r}, role={self.role!r}, " \
               f"active={self.active!r})"


class StaffDirectory:
    def __init__(self, db: TinyDB, lock: threading.RLock):
        self._table = db.table(TABLE)
        self._lock = lock

    def _all(self) -> list[Staff]:
        return [Staff.from_doc(d) for d in self._table.all()]

    def _save(self, staff: Staff) -> None:
        self._table.upsert(staff.to_doc(), Query().id == staff.id)

    def find(self, staff_id: str) -> Staff | None:
        for s in self._all():
            if s.id == staff_id:
                return s
        return None

    def name_of(self, staff_id: str | None) -> str:
        """What screens and paper call someone: their name, else (someone since removed from
        the list) their id; "" for nobody."""
        if not staff_id:
            return ""
        person = self.find(staff_id)
        return person.name if person else staff_id

    def get(self, staff_id: str) -> Staff:
        s = self.find(staff_id)
        if s is None:
            raise NotFound(_("no staff member with id {staff_id}",
                             staff_id=staff_id), field="staff_id")
        return s

    def list(self, include_inactive: bool = False) -> list[Staff]:
        people = [s for s in self._all() if include_inactive or s.active]
        return sorted(people, key=lambda s: (s.name, s.id))

    def authenticate(self, pin: str, staff_id: str | None = None) -> Staff | None:
        """The active staff member with this PIN (only ``staff_id`` when given), or None."""
        if not isinstance(pin, str) or not _PIN_RE.match(pin):
            return None
        for s in self._all():
            if staff_id is not None and s.id != staff_id:
                continue
            if s.active and check_pin(pin, s.pin_hash):
                return s
        return None

    def add(self, name: str, role: str, pin: str) -> Staff:
        name = _validate_name(name)
        role = _validate_role(role)
        pin = validate_pin(pin, role)
        with self._lock:
            self._refuse_shared_pin(pin, except_id=None)
            staff = Staff(id=new_id("s"), name=name, role=role, pin_hash=hash_pin(pin))
            self._save(staff)
        log.info("added staff %s (%s)", staff.id, role)
        return replace(staff)

    def set_pin(self, staff_id: str, pin: str) -> Staff:
        with self._lock:
            staff = self.get(staff_id)
            validate_pin(pin, staff.role)
            self._refuse_shared_pin(pin, except_id=staff_id)
            staff.pin_hash = hash_pin(pin)
            self._save(staff)
        log.info("changed the PIN of staff %s", staff_id)
        return staff

    def set_role(self, staff_id: str, role: str) -> Staff:
        """Change a role. The PIN is not re-checked against the stronger rule (only its hash
        is kept); have a promoted person set a new PIN."""
        role = _validate_role(role)
        with self._lock:
            staff = self.get(staff_id)
            if staff.role == "owner" and role != "owner":
                self._refuse_losing_last_owner(staff)
            staff.role = role
            self._save(staff)
        log.info("staff %s is now %s", staff_id, role)
        return staff

    def deactivate(self, staff_id: str) -> Staff:
        with self._lock:
            staff = self.get(staff_id)
            if not staff.active:
                return staff
            if staff.role == "owner":
                self._refuse_losing_last_owner(staff)
            staff.active = False
            self._save(staff)
        log.info("deactivated staff %s", staff_id)
        return staff

    def reactivate(self, staff_id: str, pin: str) -> Staff:
        """Let a deactivated person sign in again, with a new PIN: the old one may have been
        given to someone else meanwhile (it cannot be checked: only salted hashes are kept),
        or may be known to people it should not be."""
        with self._lock:
            staff = self.get(staff_id)
            if staff.active:
                raise Conflict(_("{name} is already active", name=staff.name),
                               field="staff_id")
            validate_pin(pin, staff.role)
            self._refuse_shared_pin(pin, except_id=staff_id)
            staff.active = True
            staff.pin_hash = hash_pin(pin)
            self._save(staff)
        log.info("reactivated staff %s", staff_id)
        return staff

    def restore(self, staff_id: str, before: Staff | None) -> None:
        """Put a person back as they were (``None``: was not there): undoes a change whose
        journal record could not be written."""
        with self._lock:
            if before is None:
                self._table.remove(Query().id == staff_id)
            else:
                self._save(before)

    def _refuse_shared_pin(self, pin: str, except_id: str | None) -> None:
        for other in self._all():
            if other.active and other.id != except_id and check_pin(pin, other.pin_hash):
                # Deliberately not saying whose PIN it is.
                raise Conflict(_("that PIN is already in use; choose another"), field="pin")

    def _refuse_losing_last_owner(self, staff: Staff) -> None:
        owners = [s for s in self._all() if s.active and s.role == "owner" and s.id != staff.id]
        if staff.active and not owners:
            raise Conflict(_("{name} is the last active owner; make someone else owner first",
                             name=staff.name), field="staff_id")
