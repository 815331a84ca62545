"""The demo shop loaded by ``make run``: a tea and teaware shop with staff of every role.

The demo PINs below exist only here (never in a real box's defaults) and are printed by
``make run`` so a developer can sign in.
"""

from __future__ import annotations

import hashlib
import logging
from importlib import resources

from ..errors import Conflict
from ..orders import Actor
from ..i18n import _

log = logging.getLogger(__name__)

DEMO_STAFF = (
    ("王店主", "owner", "2468"),
    ("李经理", "manager", "1357"),
    ("张收银", "cashier", "1001"),
    ("陈收银", "cashier", "1002"),
    ("刘导购", "assistant", "2001"),
    ("赵导购", "assistant", "2002"),
)

SETTINGS = {"shop.name": "茗香茶叶茶具专卖店", "shop.address": "杭州市西湖区龙井路 18 号",
            "shop.phone": "0571-8888 6666", "receipt.footer": "谢谢惠顾，欢迎再来品茶"}


def _opening_stock(sku: str) -> int:
    # Deterministic, varied quantities so low-stock views have something to show.
    return 3 + int(hashlib.sha256(sku.encode()).hexdigest()[:4], 16) % 48


def load(box) -> list[tuple[str, str, str]]:
    """Load the demo shop into an empty box; returns (name, role, pin) for the banner."""
    from ..master.csvio import import_catalog
    master = box.master
    if master.catalog.counts()["products"] or master.staff.list(include_inactive=True):
        raise Conflict(_("the data directory {data_dir} already has a shop in it; the demo is only loaded into an empty one",
                         data_dir=box.config.data_dir))
    with resources.files(__package__).joinpath("catalog.csv").open(encoding="utf-8") as fh:
        import_catalog(master, fh)
    staff = [master.staff.add(name, role, pin) for name, role, pin in DEMO_STAFF]
    master.settings.update(SETTINGS)
    owner = Actor(staff[0].id, "owner", "setup")
    for product in master.catalog.list_products():
        if not product.stock_tracked:
            continue
        targets = [(v.id, v.sku or f"{product.sku}/{v.id}") for v in product.variants] or \
                  [("", product.sku)]
        for variant_id, sku in targets:
            box.orders.adjust_stock(owner, product.id, _opening_stock(sku), "opening_stock",
                                    variant_id=variant_id, note="demo opening stock")
    log.info("demo shop loaded: %d products, %d staff", master.catalog.counts()["products"],
             len(staff))
    return list(DEMO_STAFF)


def working_pins(box) -> list[tuple[str, str, str]]:
    """The demo PINs that still sign someone in on this box (none on a real shop's box)."""
    out = []
    for name, role, pin in DEMO_STAFF:
        staff = box.master.staff.authenticate(pin)
        if staff is not None and staff.name == name:
            out.append((name, role, pin))
    return out


def banner(pins) -> str:
    if not pins:
        return "no demo PINs on this box"
    lines = ["demo staff PINs (demo data only):"]
    lines += [f"  {pin}  {role:<9} {name}" for name, role, pin in pins]
    return "\n".join(lines)
