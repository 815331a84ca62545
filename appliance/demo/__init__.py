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


#: Member levels (API JSON, see docs/members-promotions.md).
DEMO_LEVELS = (
    {"id": "lv-normal", "name": "普通会员", "name_en": "Member", "sort": 0,
     "discount_percent": "0", "points_per_yuan": "1"},
    {"id": "lv-silver", "name": "银卡", "name_en": "Silver", "sort": 1,
     "discount_percent": "2", "points_per_yuan": "1"},
    {"id": "lv-gold", "name": "金卡", "name_en": "Gold", "sort": 2,
     "discount_percent": "5", "points_per_yuan": "2"},
)

#: (name, phone, level, birthday, card code, top-up in fen by WeChat Pay)
DEMO_MEMBERS = (
    ("周丽", "13800138000", "lv-gold", "1988-05-01", "VIP000001", 50000),
    ("孙伟", "13912345678", "lv-silver", "03-15", None, 0),
)


def _demo_rules(master) -> list[dict]:
    """满200减30 (every 200), 第二件半价 on tea snacks, the WELCOME10 coupon, 充500送50 and a
    tea towel for 500 points."""
    catalog = master.catalog
    snacks = catalog.find_category_by_name("茶点")
    towel = catalog.find_by_sku("WARE-CJ")
    rules = [
        {"name": "满200减30", "name_en": "30 off every 200", "kind": "threshold",
         "tiers": [{"min": "200.00", "off": "30.00"}], "repeat": True},
        {"name": "WELCOME10 新客券", "name_en": "Welcome coupon", "kind": "coupon",
         "codes": ["WELCOME10"], "amount": "10.00", "min_spend": "100.00",
         "max_uses_per_member": 1},
        {"name": "充500送50", "name_en": "Top up 500, get 50", "kind": "topup_bonus",
         "tiers": [{"min": "500.00", "bonus": "50.00"}]},
    ]
    if snacks is not None:
        rules.append({"name": "茶点第二件半价", "name_en": "Second snack half price",
                      "kind": "multi_buy", "group_size": 2, "discounted": 1, "percent": "50",
                      "categories": [snacks.id]})
    if towel is not None:
        rules.append({"name": "积分换茶巾", "name_en": "Tea towel for points",
                      "kind": "points_gift", "product_id": towel.id, "points": 500})
    return rules


def _load_members(box, owner) -> None:
    for level in DEMO_LEVELS:
        box.members.save_level(owner, dict(level))
    for doc in _demo_rules(box.master):
        box.promotions.save(owner, doc)
    for name, phone, level, birthday, card, top_up in DEMO_MEMBERS:
        member = box.members.sign_up(owner, name=name, phone=phone, birthday=birthday,
                                     card_code=card, level_id=level, note="demo member")
        if top_up:
            box.members.top_up(owner, member.id, top_up, "wechat", reference="DEMO-TOPUP-1")


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
    _load_members(box, owner)
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
    lines.append("demo members: " + ", ".join(
        f"{name} {phone}" + (f" (card {card})" if card else "")
        for name, phone, _level, _birthday, card, _top_up in DEMO_MEMBERS)
        + "; coupon WELCOME10")
    return "\n".join(lines)
