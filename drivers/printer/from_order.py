"""A receipt from a paid order as the ledger holds it, with the shop's settings."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from appliance.clock import parse_ts

from .layout import Receipt

# Pricing's adjustment kinds -> the receipt's ("promotion" passes through as it is).
RECEIPT_KIND = {"rounding": "round_off", "round_off": "round_off", "discount": "discount",
                "promotion": "promotion"}


def receipt_adjustment(adj: dict) -> dict:
    kind = RECEIPT_KIND.get(adj.get("kind", ""))
    if kind is None:
        kind = "round_off" if adj["label"] == "round_off" else "discount"
    return {"label": adj["label"], "amount": adj["amount"], "kind": kind}


def receipt_for(order, settings, *, cashier_name: str, timezone: str = "Asia/Shanghai",
                qr_url: str = "", copy: str = "customer", member: dict | None = None
                ) -> Receipt:
    """``member``: name, card or phone, points_earned, points_balance, balance (fen), as the
    members module reports them after this sale (printing/documents.py)."""
    if order.status != "paid":
        raise ValueError(f"order {order.number} is {order.status}: it has no receipt")
    paid_at = parse_ts(order.completed_at).astimezone(ZoneInfo(timezone))
    live = [p for p in order.payments if not p.voided]
    return Receipt(
        shop_name=settings.get("shop.name"), header=settings.get("receipt.header"),
        address=settings.get("shop.address"), phone=settings.get("shop.phone"),
        tax_id=settings.get("shop.tax_id"),
        footer=settings.get("receipt.footer"), order_number=order.number,
        receipt_no=order.receipt_no, time=paid_at.strftime("%Y-%m-%d %H:%M"),
        cashier=cashier_name,
        lines=[{"name": ln.name, "spec": ln.spec, "qty": ln.qty, "unit_price": ln.unit_price,
                "amount": ln.amount} for ln in order.lines],
        subtotal=order.subtotal,
        adjustments=[receipt_adjustment(a) for a in order.adjustments],
        total=order.total,
        # What each tender handed over; the change is shown on its own line.
        tenders=[{"method": p.method, "amount": p.tendered, "reference": p.reference}
                 for p in live],
        change=order.change_given, qr_url=qr_url, copy=copy,
        member=dict(member) if member else None,
        stored_change=sum(p.stored_change for p in live))
