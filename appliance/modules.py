"""Modules a shop switches on or off in the settings (issue 11; docs/settings.md "Modules").

A small shop that has no members, no promotions, no delivery keeps a simple screen: each
module is one boolean setting ``modules.<name>`` (default on). Off means the screens hide the
module and the API refuses *new* uses of it with 409; nothing on record is lost or changed,
and switching the module on again brings everything back as it was:

- members: no sign-ups, top-ups, gifts, level edits, no member on an order and no payment
  from a member's balance or points; points stay on record;
- promotions: no rule edits, no coupons, and no promotion discounts at the till;
- stocktake: no new count and no entries;
- delivery: no order newly marked for delivery or pick-up;
- training: nobody starts training mode or the quiz (leaving training mode always works).

Switching off hides the module's screens, so it is refused (409 ``module_in_use``, a
pre-change check of appliance/settings_changes.py) while something of it is unfinished:
members while a card holds stored value (pay it out first; points are not money), delivery
while a delivery or pick-up is neither finished nor cancelled, stocktake while a count is
open.
"""

from __future__ import annotations

from . import money
from .errors import Conflict
from .i18n import _

#: The modules, in the order the settings page shows them.
MODULES = ("members", "promotions", "stocktake", "delivery", "training")


def label(name: str) -> str:
    """The module's name for people, translated."""
    labels = {"members": _("Members"), "promotions": _("Promotions"),
              "stocktake": _("Stocktake"), "delivery": _("Delivery and pick-up"),
              "training": _("Training mode")}
    return labels[name]


def _check_name(name: str) -> None:
    if name not in MODULES:
        raise KeyError(f"no module named {name!r}; use one of {', '.join(MODULES)}")


def enabled(settings, name: str) -> bool:
    """Whether module ``name`` is switched on in ``settings`` (master data settings)."""
    _check_name(name)
    return bool(settings.get("modules." + name))


def switches(settings) -> dict[str, bool]:
    """Every module's switch, e.g. for templates: {"members": True, ...}."""
    return {name: enabled(settings, name) for name in MODULES}


class ModuleOff(Conflict):
    """A request for a module the owner has switched off."""

    code = "module_off"

    def __init__(self, name: str):
        super().__init__(_("{module} is switched off in the settings",
                           module=label(name)))
        self.module = name

    def to_json(self) -> dict:
        return {**super().to_json(), "module": self.module}


def require(settings, name: str) -> None:
    """Raise :class:`ModuleOff` (409) unless module ``name`` is on."""
    if not enabled(settings, name):
        raise ModuleOff(name)


class WorkStillOpen(Conflict):
    """Switching a module off while something of it is not finished (its screen would be
    hidden with no other way to finish it): 409 naming what is open and how to finish it."""

    code = "module_in_use"

    def __init__(self, name: str, message: str):
        super().__init__(message, field="modules." + name)
        self.module = name

    def to_json(self) -> dict:
        return {**super().to_json(), "module": self.module}


def _open_work(conn, name: str) -> str | None:
    """What of module ``name`` is not finished (a message saying how to finish it), or None."""
    if name == "members":
        cards, total = conn.execute("SELECT COUNT(*), COALESCE(SUM(balance), 0) FROM members"
                                    " WHERE balance > 0").fetchone()
        if cards:
            return _("{cards} member cards still hold {total} yuan of stored value: pay the "
                     "balances out first (the member's page, Pay out balance), then switch "
                     "Members off. Points are not money: they are kept while it is off.",
                     cards=cards, total=money.format_amount(total))
    elif name == "delivery":
        (open_,) = conn.execute(
            "SELECT COUNT(*) FROM fulfilments f JOIN orders o ON o.id = f.order_id WHERE"
            " f.status NOT IN ('delivered', 'collected', 'cancelled') AND NOT"
            " (f.status = 'pending' AND o.status = 'cancelled')").fetchone()
        if open_:
            return _("{count} deliveries or pick-ups are not finished: ship, hand over or "
                     "cancel them on the Deliveries page first, then switch Delivery off.",
                     count=open_)
    elif name == "stocktake":
        numbers = [n for (n,) in conn.execute("SELECT number FROM counts WHERE status = 'open'"
                                             " ORDER BY number")]
        if numbers:
            return _("stocktake {numbers} is still open: approve or cancel it on the phone's "
                     "Stocktake tab first, then switch Stocktake off.",
                     numbers=", ".join(numbers))
    return None


def refuse_switching_off_open_work(tx, master, changes) -> None:
    """Pre-change check (appliance/settings_changes.py): a module is not switched off while something of it is open."""
    for name in MODULES:
        change = changes.get("modules." + name)
        if change and change["to"] is False:
            message = _open_work(tx.conn, name)
            if message:
                raise WorkStillOpen(name, message)
