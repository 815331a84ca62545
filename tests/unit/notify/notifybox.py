"""Shared by the notification tests (imported, not a conftest): a real Box with [notify]
configured, a clock the test moves, a small catalog and one actor per role."""

from __future__ import annotations

from datetime import datetime, timezone

from appliance.box import Box
from appliance.clock import FixedClock
from appliance.config import load
from appliance.master.catalog import Product
from appliance.orders import Actor

TEA = "6901234567892"


def make_box(tmp_path, *, email="smtp", sms="modem", wechat="off", max_attempts=3,
             ereceipt_url="https://r.example.com", extra=""):
    cfg = tmp_path / "t.toml"
    cfg.write_text(
        '[paths]\ndata = "d"\n'
        f'[web]\nereceipt_url = "{ereceipt_url}"\n'
        f'[notify]\nemail = "{email}"\nsms = "{sms}"\nwechat = "{wechat}"\n'
        f'smtp_host = "127.0.0.1"\nsmtp_from = "shop@example.com"\n'
        f'max_attempts = {max_attempts}\n' + extra, encoding="utf-8")
    clock = FixedClock(datetime(2026, 11, 26, 2, 30, tzinfo=timezone.utc))
    box = Box(load(cfg, environ={}), clock=clock)
    box.master.catalog.save_product(Product(
        id="", sku="TEA-1", name="西湖龙井", category_id=None, unit="盒", price=6800, cost=4000,
        barcodes=[TEA]))
    box.master.settings.set("shop.name", "清风茶庄")
    box.test_clock = clock
    return box


MANAGER = Actor("s-manager", "manager", "counter")
CASHIER = Actor("s-cashier", "cashier", "counter")
ASSISTANT = Actor("s-assistant", "assistant", "phone-1")
OWNER = Actor("s-owner", "owner", "counter")


def paid_order(box, *, customer_phone="", member_id=None):
    e = box.orders
    order = e.open_order(ASSISTANT, customer_phone=customer_phone)
    order = e.add_line(ASSISTANT, order.id, barcode=TEA)
    if member_id:
        order = e.set_member(CASHIER, order.id, member_id)
    return e.add_payment(CASHIER, order.id, "cash", e.due(order)).order


def rows(box, **where):
    sql = "SELECT event, channel, route, address, state, params, order_id, member_id," \
          " ticket_id, language FROM notifications"
    if where:
        sql += " WHERE " + " AND ".join(f"{k} = ?" for k in where)
    with box.ledger.reading() as conn:
        found = conn.execute(sql + " ORDER BY created_at, rowid", tuple(where.values()))
        names = ("event", "channel", "route", "address", "state", "params", "order_id",
                 "member_id", "ticket_id", "language")
        return [dict(zip(names, r)) for r in found.fetchall()]
