"""Tender methods: what each needs and whether it can give change (one list for the order
engine and the settings that switch methods on and off)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tender:
    name: str
    needs_reference: bool
    gives_change: bool
    reference_hint: str


METHODS: dict[str, Tender] = {t.name: t for t in (
    Tender("cash", False, True, ""),
    Tender("card", True, False, "the card terminal's reference number"),
    Tender("transfer", True, False, "the bank transfer reference"),
    Tender("cheque", True, False, "the cheque number"),
    Tender("wechat", True, False, "the WeChat Pay transaction number shown to the customer"),
    Tender("alipay", True, False, "the Alipay transaction number shown to the customer"),
    # Stored value and points of the order's member (appliance.members): no change given.
    Tender("member_balance", False, False, ""),
    Tender("points", False, False, ""),
    # Store credit of a customer who is not a member: the credit note's code (docs/returns.md).
    Tender("credit_note", True, False, "the credit note's code"),
)}

#: Tenders that draw on the order's member and need one on the order.
MEMBER_METHODS = ("member_balance", "points")


#: Tenders that spend value the shop already owes the customer (a card's balance or points,
#: a credit note): never counted in the till and never used to buy more stored value.
STORED_VALUE_METHODS = MEMBER_METHODS + ("credit_note",)

#: Refund-only tenders (not payment methods): ``store_credit`` puts the refund on the order
#: member's balance, or on a new credit note when the order has no member; ``exchange``
#: carries a returned value over to the new order of an exchange. Neither is counted.
STORE_CREDIT = "store_credit"
EXCHANGE = "exchange"
