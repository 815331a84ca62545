"""Who may do what (ARCHITECTURE section 4). A person lower in rank can act with an approver."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import Forbidden
from ..master.staff import ROLES, role_at_least
from ..i18n import _

#: permission -> the lowest role that has it
PERMISSIONS: dict[str, str] = {
    "order.edit": "assistant",
    "order.park": "assistant",
    "order.recall": "assistant",
    "order.cancel": "cashier",     # an assistant may cancel an unpaid order they opened
    "payment.take": "cashier",
    "drawer.open": "cashier",      # a no-sale drawer opening: journalled and audited
    "payment.void": "manager",     # money back out of an open order (ARCHITECTURE: voids)
    "refund": "cashier",
    "refund.over_limit": "manager",
    "price.override": "manager",
    "stock.adjust": "manager",
    "stock.view": "assistant",           # levels, history, low stock
    "stock.count": "assistant",          # count entries on an open stocktake
    "stock.receive": "assistant",        # receive deliveries, against an order or not
    "stock.count.manage": "manager",     # start, review (expected quantities), approve counts
    "purchasing": "manager",             # suppliers, contracts, purchase orders, stock rules
    "labels.print": "assistant",
    "catalog.edit": "manager",     # add or edit products from a phone or the counter
    # members (issue 7)
    "member.view": "assistant",
    "member.create": "assistant",  # sign-up on a phone
    "member.edit": "cashier",
    "member.topup": "cashier",     # takes money: cash-control like a sale
    "member.gift": "cashier",      # only gifts a points_gift rule lists
    "member.points": "manager",    # manual corrections, with a reason
    "member.level": "manager",     # change a member's level, edit levels
    "member.payout": "manager",    # pay a member's stored value back out (closing a card,
                                   # before erasing their data)
    "promotion.edit": "manager",
    # running the shop (issue 9)
    "shift.open": "cashier",       # open a shift with a float
    "shift.cash": "cashier",       # cash paid in or out of the drawer, with a reason
    "shift.close": "cashier",      # handover (交班) with a blind count
    "shift.override": "manager",   # accept an over/short beyond shifts.over_short_limit
    "report.x": "manager",         # X report: the shift so far (a cashier's would give away
                                   # the blind handover count)
    "report.z": "manager",         # Z report: closes the day
    "reports.view": "manager",     # sales reports, charts, the owner dashboard
    "finance": "owner",            # income and expenses (wages, rent), profit
    "staff.manage": "owner",       # staff, roles, PIN resets, deactivation
    "audit.view": "owner",         # the audit page of sensitive actions
    "settings.edit": "owner",
    "training": "assistant",       # training mode and the product quiz
    # customers after the sale (issue 10)
    "customer.data": "manager",    # look up, export and erase a customer's personal data
    "order.find": "cashier",       # find a past sale by phone, date, product or number
    "order.exchange": "cashier",   # return lines and sell new ones in one transaction
                                   # (over orders.cashier_refund_limit: refund.over_limit)
    "aftersales.view": "assistant",
    "aftersales.open": "assistant",    # open a complaint, repair or warranty ticket
    "aftersales.update": "cashier",    # move a ticket on (in progress, resolved, closed)
    "fulfilment.edit": "assistant",    # delivery or pick-up, carrier and tracking, status
    "notify.view": "manager",          # the notification outbox and its delivery reports
    "notify.manage": "manager",        # retry or cancel a notification, send a test
}

assert all(role in ROLES for role in PERMISSIONS.values())


@dataclass(frozen=True)
class Actor:
    """Who is acting, from which screen; built by the caller after authentication."""
    staff_id: str
    role: str
    terminal: str = "counter"

    def journal(self, device_id: str) -> dict:
        return {"staff": self.staff_id, "role": self.role, "device": device_id,
                "terminal": self.terminal}


def allowed(actor: Actor | None, permission: str) -> bool:
    return actor is not None and role_at_least(actor.role, PERMISSIONS[permission])


def require(actor: Actor, permission: str, approver: Actor | None = None,
            what: str | None = None) -> Actor:
    """Return who authorised it (the actor, else the approver) or raise Forbidden."""
    if allowed(actor, permission):
        return actor
    if allowed(approver, permission):
        return approver
    need = PERMISSIONS[permission]
    raise Forbidden(_("{value} needs a {need} (you are signed in as {role})",
                      value=what or permission, need=need, role=actor.role))
