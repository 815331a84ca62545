"""Serial numbers captured at the sale (issue 10 point 3; docs/aftersales.md "Serial numbers").

A product whose ``serialised`` flag is set needs one serial number per unit sold, captured on
the order before it is paid (``order.serials_set`` replaces a line's list). A warranty ticket
can then be opened from the serial alone: :func:`sale_of` finds the sale.
"""

from __future__ import annotations

import logging
import re

from ..errors import Conflict, NotFound, ValidationError
from ..i18n import _
from ..orders.permissions import Actor, require

log = logging.getLogger(__name__)

SERIAL_LIMIT = 64
_SERIAL_RE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._/:+-]*$")


def clean_serial(value, *, required: bool, field: str = "serial") -> str:
    """A serial number as stored: trimmed, upper case (scanners and people disagree on
    case), letters, digits and . _ / : + - only."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(_("{field} must be text", field=field), field=field)
    value = value.strip().upper()
    if not value:
        if required:
            raise ValidationError(_("{field} must not be empty", field=field), field=field)
        return ""
    if len(value) > SERIAL_LIMIT:
        raise ValidationError(_("{field} is {value} characters long; at most {limit} are"
                                " allowed", field=field, value=len(value), limit=SERIAL_LIMIT),
                              field=field)
    if not _SERIAL_RE.match(value):
        raise ValidationError(_("serial number \"{serial}\" may hold only letters, digits and"
                                " . _ / : + -", serial=value), field=field)
    return value


def is_serialised(master, product_id: str) -> bool:
    product = master.catalog.find_product(product_id)
    return bool(product is not None and getattr(product, "serialised", False))


def set_serials(service, actor: Actor, order_id: str, line_id: str, serials) -> list[str]:
    """Record the serial numbers of one line of an open order (all of them: the list
    replaces what was there). At most one per unit; none sold on another sale that was not
    returned."""
    require(actor, "order.edit", what="recording serial numbers")
    if not isinstance(serials, list):
        raise ValidationError(_("serials must be a list of serial numbers"), field="serials")
    cleaned = [clean_serial(s, required=True, field="serials") for s in serials]
    dupes = sorted({s for s in cleaned if cleaned.count(s) > 1})
    if dupes:
        raise ValidationError(_("serial number {serial} is in the list twice",
                                serial=dupes[0]), field="serials")
    with service.ledger.transaction() as tx:
        order = tx.one("SELECT number, status FROM orders WHERE id = ?", (order_id,))
        if order is None:
            raise NotFound(_("order {order_id} does not exist", order_id=order_id))
        number, status = order
        line = tx.one("SELECT name, qty FROM order_lines WHERE order_id = ? AND line_id = ?",
                      (order_id, line_id))
        if line is None:
            raise NotFound(_("order {number} has no line {line_id}", number=number,
                             line_id=line_id))
        if status not in ("open", "parked"):
            raise Conflict(_("order {number} is {status}: serial numbers are recorded before"
                             " payment", number=number, status=status))
        name, qty = line
        if len(cleaned) > qty:
            raise ValidationError(_("{name} has {qty} on the order but {count} serial numbers"
                                    " were given", name=name, qty=qty, count=len(cleaned)),
                                  field="serials")
        for serial in cleaned:
            sold = _sold_elsewhere(tx.conn, serial, order_id)
            if sold:
                raise Conflict(_("serial number {serial} was already sold on order {number}",
                                 serial=serial, number=sold), field="serials")
        tx.append("order.serials_set", actor.journal(service.ledger.device_id),
                  {"order_id": order_id, "line_id": line_id, "serials": cleaned})
    return cleaned


def _sold_elsewhere(conn, serial: str, order_id: str) -> str | None:
    """The number of another paid sale that still has this serial (not returned), if any.

    A refund does not say which unit of a line came back, so once any unit of a line is
    returned its serial numbers are free to sell again: a restocked unit must never be
    unsellable (docs/aftersales.md)."""
    row = conn.execute(
        "SELECT o.number FROM line_serials s JOIN orders o ON o.id = s.order_id"
        " JOIN order_lines l ON l.order_id = s.order_id AND l.line_id = s.line_id"
        " WHERE s.serial = ? AND s.order_id != ? AND o.status = 'paid'"
        " AND l.refunded_qty = 0 LIMIT 1", (serial, order_id)).fetchone()
    return row[0] if row else None


def serials_of(conn, order_id: str) -> dict[str, list[str]]:
    """line_id -> its serial numbers, in the order they were given."""
    out: dict[str, list[str]] = {}
    for line_id, serial in conn.execute(
            "SELECT line_id, serial FROM line_serials WHERE order_id = ? ORDER BY seq, rowid",
            (order_id,)):
        out.setdefault(line_id, []).append(serial)
    return out


def missing(conn, master, order_id: str) -> list[dict]:
    """The serialised lines of an order without a serial number for every unit."""
    have = serials_of(conn, order_id)
    out = []
    for line_id, product_id, name, spec, qty in conn.execute(
            "SELECT line_id, product_id, name, spec, qty FROM order_lines WHERE order_id = ?"
            " ORDER BY pos", (order_id,)):
        if is_serialised(master, product_id) and len(have.get(line_id, [])) != qty:
            out.append({"line_id": line_id, "name": name, "spec": spec, "qty": qty,
                        "serials": have.get(line_id, [])})
    return out


def check(conn, master, order_id: str) -> None:
    """Raise a ValidationError naming the first serialised product short of serial numbers
    (called before a payment is taken)."""
    short = missing(conn, master, order_id)
    if short:
        first = short[0]
        raise ValidationError(_("{name} needs {qty} serial numbers ({count} recorded): scan or"
                                " type them before taking payment", name=first["name"],
                                qty=first["qty"], count=len(first["serials"])),
                              field="serials")


def sale_of(conn, serial: str) -> dict | None:
    """The latest paid sale of this serial number, or None."""
    row = conn.execute(
        "SELECT o.id, o.number, o.completed_at, l.line_id, l.product_id, l.variant_id, l.name,"
        " l.spec, l.refunded_qty FROM line_serials s JOIN orders o ON o.id = s.order_id"
        " JOIN order_lines l ON l.order_id = s.order_id AND l.line_id = s.line_id"
        " WHERE s.serial = ? AND o.status = 'paid' ORDER BY o.completed_at DESC LIMIT 1",
        (serial,)).fetchone()
    if row is None:
        return None
    keys = ("order_id", "order_number", "sold_at", "line_id", "product_id", "variant_id",
            "name", "spec", "refunded_qty")
    return {"serial": serial, **dict(zip(keys, row))}
