"""A small shop with a known history over three shop-local days (UTC+8), for checking every
report figure against numbers worked out by hand (imported by the report tests).

Catalog (tests/conftest.py): tea 68.00 (cost 40.00, category 绿茶), cup 35.00 / white cup
39.00 (cost 15.00, 绿茶), gift wrap 5.00 (cost 0, no category, not stock-tracked).

    UTC                  shop-local           what
 0  11-25 01:00          11-25 09:00          opening stock: 20 tea, 5 blue cups, 5 white cups
 1  11-25 02:00          11-25 10:00          王 opens, 2 tea, cashier 李 takes 200.00: 136.00
 2  11-25 15:59:30       11-25 23:59:30       manager opens, 1 blue cup, card "C1": 35.00
 3  11-25 16:00:30       11-26 00:00:30       王 opens, tea + wrap = 73.00: card 50.00 + cash 23.00
 4  11-26 03:00          11-26 11:00          王 opens, member 周女士, 2 white cups, cash: 78.00
 5  11-26 06:00          11-26 14:00          manager refunds 1 tea of sale 1 ("damaged"): 68.00
 6  11-27 01:30          11-27 09:30          李 opens and settles 1 tea, wechat "W1": 68.00
 7  11-27 02:00          11-27 10:00          an order left open (1 tea), one parked (1 cup)

Visitors (shop-local hours): 11-25T10 10, 11-25T23 2, 11-26T00 1, 11-26T11 8, 11-26T14 5,
11-27T09 4.
"""

from __future__ import annotations

from datetime import datetime, timezone

from appliance.members import MemberService
from appliance.orders import Actor
from appliance.reports import Reports

TEA = "6901234567892"
CUP_BLUE = "2000000000015"
CUP_WHITE = "2000000000022"

VISITORS = {"2026-11-25T10": 10, "2026-11-25T23": 2, "2026-11-26T00": 1,
            "2026-11-26T11": 8, "2026-11-26T14": 5, "2026-11-27T09": 4}


def at(clock, *args):
    clock.current = datetime(*args, tzinfo=timezone.utc)


def build(shop) -> dict:
    """Ring up the history above; returns the actors and ids the tests name."""
    e, clock = shop.engine, shop.clock
    wang = shop.master.staff.add("王导购", "assistant", "3571")
    li = shop.master.staff.add("李收银", "cashier", "4682")
    wang_a = Actor(wang.id, "assistant", "phone-1")
    li_a = Actor(li.id, "cashier", "counter")

    at(clock, 2026, 11, 25, 1, 0)
    blue, white = (v.id for v in shop.cup.variants)
    e.adjust_stock(shop.manager, shop.tea.id, 20, "opening_stock")
    e.adjust_stock(shop.manager, shop.cup.id, 5, "opening_stock", variant_id=blue)
    e.adjust_stock(shop.manager, shop.cup.id, 5, "opening_stock", variant_id=white)

    at(clock, 2026, 11, 25, 2, 0)
    o1 = e.open_order(wang_a)
    e.add_line(wang_a, o1.id, barcode=TEA, qty=2)
    e.add_payment(li_a, o1.id, "cash", 20000)

    at(clock, 2026, 11, 25, 15, 59, 30)
    o2 = e.open_order(shop.manager)
    e.add_line(shop.manager, o2.id, barcode=CUP_BLUE)
    e.add_payment(li_a, o2.id, "card", 3500, reference="C1")

    at(clock, 2026, 11, 25, 16, 0, 30)
    o3 = e.open_order(wang_a)
    e.add_line(wang_a, o3.id, barcode=TEA)
    e.add_line(wang_a, o3.id, product_id=shop.wrap.id)
    e.add_payment(li_a, o3.id, "card", 5000, reference="C2")
    e.add_payment(li_a, o3.id, "cash", 2300)

    at(clock, 2026, 11, 26, 3, 0)
    members = MemberService(shop.ledger, shop.master, "Asia/Shanghai")
    member = members.sign_up(wang_a, name="周女士", phone="13800138000")
    o4 = e.open_order(wang_a)
    e.add_line(wang_a, o4.id, barcode=CUP_WHITE, qty=2)
    e.set_member(wang_a, o4.id, member.id)
    e.add_payment(li_a, o4.id, "cash", 7800)

    at(clock, 2026, 11, 26, 6, 0)
    line = e.get_order(o1.id).lines[0]
    e.refund(shop.manager, o1.id, reason="damaged", lines=[(line.line_id, 1)])

    at(clock, 2026, 11, 27, 1, 30)
    o6 = e.open_order(li_a)
    e.add_line(li_a, o6.id, barcode=TEA)
    e.add_payment(li_a, o6.id, "wechat", 6800, reference="W1")

    at(clock, 2026, 11, 27, 2, 0)
    left_open = e.open_order(wang_a)
    e.add_line(wang_a, left_open.id, barcode=TEA)
    parked = e.open_order(wang_a)
    e.add_line(wang_a, parked.id, barcode=CUP_BLUE)
    e.park(wang_a, parked.id)

    with shop.ledger.transaction() as tx:
        tx.conn.executemany("INSERT INTO visitors (hour, count) VALUES (?, ?)",
                            VISITORS.items())
    return {"wang": wang, "li": li, "member": member,
            "reports": Reports(shop.ledger, shop.master, "Asia/Shanghai")}
