"""Staff administration (issue 9; docs/staff-audit.md): add people, change roles, reset
PINs, deactivate and reactivate, each as a ``staff.changed`` journal record.

Staff live in master data (TinyDB), not the ledger; the record is what puts the change on
the audit page and sends it to head office. The master-data write happens inside the ledger
transaction before the record is appended: a refused change appends nothing, and if the
append itself fails the person is put back as they were. A record never holds a PIN or its
hash.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import replace

from .i18n import _
from .ledger import Ledger
from .master import MasterData
from .master.staff import Staff
from .orders.permissions import Actor, require

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

#: What a ``staff.changed`` record says happened.
CHANGES = ("added", "role", "pin_reset", "deactivated", "reactivated")


def role_labels() -> dict[str, str]:
    return {"assistant": _("Sales assistant"), "cashier": _("Cashier"),
            "manager": _("Manager"), "owner": _("Owner")}


def change_labels() -> dict[str, str]:
    return {"added": _("added"), "role": _("role changed"), "pin_reset": _("PIN reset"),
            "deactivated": _("deactivated"), "reactivated": _("reactivated")}


class StaffAdmin:
    def __init__(self, ledger: Ledger, master: MasterData):
        self.ledger = ledger
        self.master = master
        self.staff = master.staff

    def list(self, actor: Actor) -> list[Staff]:
        require(actor, "staff.manage", what="managing staff")
        return self.staff.list(include_inactive=True)

    def add(self, actor: Actor, name: str, role: str, pin: str) -> Staff:
        require(actor, "staff.manage", what="adding staff")
        with self._change(actor, None) as done:
            person = self.staff.add(name, role, pin)
            done(person, "added")
        return person

    def set_role(self, actor: Actor, staff_id: str, role: str) -> Staff:
        require(actor, "staff.manage", what="changing roles")
        before = self.staff.get(staff_id)
        if before.role == role:
            return before
        with self._change(actor, before) as done:
            person = self.staff.set_role(staff_id, role)
            done(person, "role", from_role=before.role)
        return person

    def reset_pin(self, actor: Actor, staff_id: str, pin: str) -> Staff:
        require(actor, "staff.manage", what="resetting PINs")
        with self._change(actor, self.staff.get(staff_id)) as done:
            person = self.staff.set_pin(staff_id, pin)
            done(person, "pin_reset")
        return person

    def deactivate(self, actor: Actor, staff_id: str) -> Staff:
        """The caller ends the person's sessions (webui: SessionStore.end_for_staff)."""
        require(actor, "staff.manage", what="deactivating staff")
        before = self.staff.get(staff_id)
        if not before.active:
            return before
        with self._change(actor, before) as done:
            person = self.staff.deactivate(staff_id)
            done(person, "deactivated")
        return person

    def reactivate(self, actor: Actor, staff_id: str, pin: str) -> Staff:
        require(actor, "staff.manage", what="reactivating staff")
        with self._change(actor, self.staff.get(staff_id)) as done:
            person = self.staff.reactivate(staff_id, pin)
            done(person, "reactivated")
        return person

    @contextmanager
    def _change(self, actor: Actor, before: Staff | None):
        """One ledger transaction around a master-data change; the body calls
        ``done(person, change, **extra)`` after its write to append the record."""
        before = replace(before) if before is not None else None
        changed: list[tuple[Staff, str]] = []

        def done(person: Staff, change: str, **extra) -> None:
            assert change in CHANGES
            changed.append((person, change))
            tx.append("staff.changed", actor.journal(self.ledger.device_id), {
                "staff_id": person.id, "change": change, "name": person.name,
                "role": person.role, "active": person.active, **extra})
        try:
            with self.ledger.transaction() as tx:
                yield done
        except BaseException:
            if changed:   # written to master data, but the record did not commit
                log.error("staff change of %s not journalled: putting it back",
                          changed[0][0].id)
                self.staff.restore(changed[0][0].id, before)
            raise
        person, change = changed[0]
        audit.info("staff changed staff=%s change=%s role=%s active=%s by=%s", person.id,
                   change, person.role, person.active, actor.staff_id)
