"""Members: sign-up, look-up, history, points corrections, gifts, top-ups, and the levels.

Like the order engine, every command checks against the projections inside one write
transaction (``BEGIN IMMEDIATE``: two terminals are serialised, the second sees the first's
result) and then appends journal records; points and balances are only ever what those
records add up to.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .. import money
from ..errors import Conflict, NotFound, ValidationError
from ..i18n import _
from ..ledger import Ledger
from ..ledger.store import Transaction
from ..master import MasterData
from ..orders.permissions import Actor, require
from ..tenders import METHODS, STORED_VALUE_METHODS
from ..validate import text, whole
from . import model
from .model import Member

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

MAX_POINTS_DELTA = 10_000_000


@dataclass
class TopUpResult:
    topup_id: str
    amount: int
    bonus: int
    balance: int          # after the top-up
    change: int
    member: Member


class MemberService:
    def __init__(self, ledger: Ledger, master: MasterData, timezone: str = "Asia/Shanghai"):
        self.ledger = ledger
        self.master = master
        self.tz = ZoneInfo(timezone)

    # -- reading ---------------------------------------------------------------------------

    def get(self, actor: Actor, member_id: str) -> Member:
        require(actor, "member.view", what="looking at members")
        member = self.summary(member_id)
        if member is None:
            raise NotFound(_("member {member_id} does not exist", member_id=member_id))
        return member

    def summary(self, member_id: str) -> Member | None:
        """The member as now (for an order's screen), or None; no permission check."""
        with self.ledger.reading() as conn:
            return model.load_member(conn, member_id)

    def find(self, actor: Actor, q: str = "", limit: int = 50) -> list[Member]:
        require(actor, "member.view", what="looking up members")
        q = text(q, "q", 40)
        with self.ledger.reading() as conn:
            return model.search(conn, q, min(limit, 50))

    def lookup(self, actor: Actor, code: str) -> Member:
        """Exactly one member by phone number or member card code (a scanned card)."""
        require(actor, "member.view", what="looking up members")
        code = text(code, "code", 40, required=True)
        with self.ledger.reading() as conn:
            member = model.by_phone_or_card(conn, code)
            if member is None:
                try:
                    member = model.by_phone_or_card(conn, model.normalize_phone(code, "code"))
                except ValidationError:
                    pass
        if member is None:
            raise NotFound(_("no member has the phone number or card {code}", code=code),
                           field="code")
        return member

    def history(self, actor: Actor, member_id: str, *, moves: int = 100,
                orders: int = 50) -> dict:
        """The member's page: newest points and balance moves, and their orders (API JSON)."""
        self.get(actor, member_id)
        with self.ledger.reading() as conn:
            rows = conn.execute(
                "SELECT mm.seq, mm.kind, mm.delta, mm.after, mm.reason, mm.order_id, mm.ts,"
                " o.number, j.type, j.data FROM member_moves mm LEFT JOIN orders o ON"
                " o.id = mm.order_id LEFT JOIN journal j ON j.seq = mm.seq AND"
                " j.type = 'member.points_adjusted' WHERE mm.member_id = ?"
                " ORDER BY mm.seq DESC, mm.rowid DESC LIMIT ?", (member_id, moves)).fetchall()
            order_rows = conn.execute(
                "SELECT id, number, business_day, total, status, points_earned, completed_at"
                " FROM orders WHERE member_id = ? AND status != 'cancelled'"
                " ORDER BY opened_at DESC, number DESC LIMIT ?", (member_id, orders)).fetchall()
        out_moves = []
        for seq, kind, delta, after, reason, order_id, ts, number, jtype, jdata in rows:
            move = {"seq": seq, "kind": kind, "reason": reason, "order_id": order_id,
                    "order_number": number, "ts": ts,
                    "delta": delta if kind == "points" else money.format_amount(delta),
                    "after": after if kind == "points" else money.format_amount(after),
                    "note": ""}
            if jtype:
                data = json.loads(jdata)
                move["note"] = (data["gift"]["name"] if data.get("gift")
                                else " ".join(x for x in (data.get("reason", ""),
                                                          data.get("note", "")) if x))
            out_moves.append(move)
        return {"moves": out_moves, "orders": [
            {"id": oid, "number": number, "day": day,
             "total": money.format_amount(total) if total is not None else None,
             "status": status, "points_earned": points, "completed_at": done}
            for oid, number, day, total, status, points, done in order_rows]}

    def levels(self) -> list[dict]:
        with self.ledger.reading() as conn:
            return model.levels(conn)

    def gifts(self, actor: Actor, member_id: str | None = None) -> list[dict]:
        """The points gifts the cashier may hand out now (for this member's level)."""
        require(actor, "member.view", what="looking at gifts")
        now = self.ledger.now()
        with self.ledger.reading() as conn:
            return self._gifts(conn, now, model.level_of_member(conn, member_id))

    def _gifts(self, conn, now, level) -> list[dict]:
        from ..promotions import engine, store
        return engine.gifts(store.active_rules(conn), engine.PriceContext(now, self.tz, level))

    # -- members ---------------------------------------------------------------------------

    def _load(self, tx: Transaction, member_id: str) -> Member:
        member = model.load_member(tx.conn, member_id)
        if member is None:
            raise NotFound(_("member {member_id} does not exist", member_id=member_id))
        return member

    def _actor(self, actor: Actor) -> dict:
        return actor.journal(self.ledger.device_id)

    @staticmethod
    def _check_unique(tx: Transaction, member_id: str, phone: str, card: str | None) -> None:
        # A card code equal to someone's phone would make a scan ambiguous: refuse both ways.
        other = tx.one("SELECT name FROM members WHERE (phone = ? OR card_code = ?) AND id != ?",
                       (phone, phone, member_id))
        if other:
            raise Conflict(_("phone {phone} already belongs to member {name}", phone=phone,
                             name=other[0]), field="phone")
        if card:
            other = tx.one("SELECT name FROM members WHERE (card_code = ? OR phone = ?)"
                           " AND id != ?", (card, card, member_id))
            if other:
                raise Conflict(_("card {code} already belongs to member {name}", code=card,
                                 name=other[0]), field="card_code")

    def _level_in_tx(self, tx: Transaction, actor: Actor, level_id: str | None) -> str:
        """The level for a new member: the one asked for, else the first; a fresh box gets
        lv-normal (journalled) on its first sign-up."""
        levels = model.levels(tx.conn)
        if not levels:
            tx.append("member_level.saved", self._actor(actor), {"level": model.DEFAULT_LEVEL})
            levels = [model.DEFAULT_LEVEL]
        default = next((lv for lv in levels if lv.get("active", True)), levels[0])
        if level_id in (None, "", default["id"]):
            return default["id"]
        require(actor, "member.level", what="choosing a member's level")
        return self._check_level(tx, level_id)

    @staticmethod
    def _check_level(tx: Transaction, level_id) -> str:
        if not isinstance(level_id, str) or model.level(tx.conn, level_id) is None:
            raise ValidationError(_("member level {level_id} does not exist",
                                    level_id=repr(level_id)), field="level_id")
        return level_id

    def sign_up(self, actor: Actor, *, name, phone, birthday="", card_code=None,
                level_id: str | None = None, note="", email="") -> Member:
        require(actor, "member.create", what="signing up members")
        fields = {"name": text(name, "name", 40, required=True),
                  "phone": model.normalize_phone(phone),
                  "birthday": model.normalize_birthday(birthday),
                  "card_code": model.normalize_card(card_code),
                  "note": text(note, "note", 200, multiline=True)}
        if email:  # optional (issue 10: e-mail notifications)
            fields["email"] = model.normalize_email(email)
        member_id = f"m-{uuid.uuid4().hex[:12]}"
        with self.ledger.transaction() as tx:
            self._check_unique(tx, member_id, fields["phone"], fields["card_code"])
            level = self._level_in_tx(tx, actor, level_id)
            tx.append("member.joined", self._actor(actor),
                      {"member_id": member_id, "level_id": level, **fields})
            member = self._load(tx, member_id)
        log.info("member %s joined by %s", member_id, actor.staff_id)
        return member

    def update(self, actor: Actor, member_id: str, *, name=None, phone=None, birthday=None,
               card_code=None, level_id=None, note=None, active=None,
               email=None) -> Member:
        """Change some fields (None: unchanged; card_code "" removes the card)."""
        require(actor, "member.edit", what="changing members")
        if active is not None and not isinstance(active, bool):
            raise ValidationError(_("{name} must be true or false", name="active"),
                                  field="active")
        with self.ledger.transaction() as tx:
            old = self._load(tx, member_id)
            if tx.one("SELECT erased_at FROM members WHERE id = ?", (member_id,))[0]:
                raise Conflict(_("this member's data was erased on request: sign them up"
                                 " again as a new member"))
            new = old.fields()
            if name is not None:
                new["name"] = text(name, "name", 40, required=True)
            if phone is not None:
                new["phone"] = model.normalize_phone(phone)
            if birthday is not None:
                new["birthday"] = model.normalize_birthday(birthday)
            if card_code is not None:
                new["card_code"] = model.normalize_card(card_code)
            if note is not None:
                new["note"] = text(note, "note", 200, multiline=True)
            if active is not None:
                new["active"] = active
            if email is not None:
                email = model.normalize_email(email)
                if email or old.email:
                    new["email"] = email
            if level_id is not None and level_id != old.level_id:
                require(actor, "member.level", what="changing a member's level")
                new["level_id"] = self._check_level(tx, level_id)
            if new == old.fields():
                return old
            self._check_unique(tx, member_id, new["phone"], new["card_code"])
            tx.append("member.updated", self._actor(actor), new)
            member = self._load(tx, member_id)
        if new["level_id"] != old.level_id:
            audit.info("member level changed member=%s %s->%s by=%s", member_id, old.level_id,
                       new["level_id"], actor.staff_id)
        return member

    # -- points ----------------------------------------------------------------------------

    def adjust_points(self, actor: Actor, member_id: str, delta: int, reason: str, *,
                      note: str = "") -> Member:
        """A manager's correction, with the reason on the journal record."""
        require(actor, "member.points", what="correcting points")
        delta = whole(delta, "delta", low=-MAX_POINTS_DELTA, high=MAX_POINTS_DELTA)
        if delta == 0:
            raise ValidationError(_("delta must not be 0"), field="delta")
        reason = text(reason, "reason", 80, required=True)
        note = text(note, "note", 200, multiline=True)
        with self.ledger.transaction() as tx:
            member = self._load(tx, member_id)
            if member.points + delta < 0:
                raise Conflict(_("{name} has only {points} points: cannot take {n}",
                                 name=member.name, points=member.points, n=-delta),
                               field="delta")
            tx.append("member.points_adjusted", self._actor(actor), {
                "member_id": member_id, "delta": delta, "reason": reason, "note": note,
                "gift": None, "stock": []})
            member = self._load(tx, member_id)
        audit.info("points adjusted member=%s delta=%+d after=%d by=%s reason=%s", member_id,
                   delta, member.points, actor.staff_id, reason)
        return member

    def redeem_gift(self, actor: Actor, member_id: str, rule_id: str) -> Member:
        """Hand out a gift a live points_gift rule lists, for its points."""
        require(actor, "member.gift", what="redeeming gifts")
        rule_id = text(rule_id, "rule_id", 64, required=True)
        with self.ledger.transaction() as tx:
            member = self._load(tx, member_id)
            if not member.active:
                raise Conflict(_("member {name} is deactivated", name=member.name))
            gifts = self._gifts(tx.conn, tx.now(), model.level_of_member(tx.conn, member_id))
            rule = next((g for g in gifts if g["id"] == rule_id), None)
            if rule is None:
                raise NotFound(_("{rule_id} is not a gift members can take now",
                                 rule_id=rule_id), field="rule_id")
            product = self.master.catalog.find_product(rule["product_id"])
            if product is None or not product.active:
                raise Conflict(_("the gift of {rule} is not in the catalog any more",
                                 rule=rule["name"]))
            variant_id = rule.get("variant_id") or ""
            if variant_id:
                product.variant(variant_id)   # NotFound when the variant is gone
            cost = rule["points"]
            if member.points < cost:
                raise Conflict(_("{name} has {points} points; {gift} needs {cost}",
                                 name=member.name, points=member.points, gift=rule["name"],
                                 cost=cost))
            stock = []
            if product.stock_tracked:
                if not self.master.settings.get("orders.allow_negative_stock"):
                    row = tx.one("SELECT qty FROM stock_levels WHERE product_id = ? AND"
                                 " variant_id = ?", (product.id, variant_id))
                    if (row[0] if row else 0) < 1:
                        raise Conflict(_("{name} is out of stock", name=product.name))
                stock = [{"product_id": product.id, "variant_id": variant_id, "delta": -1,
                          "reason": "gift"}]
            tx.append("member.points_adjusted", self._actor(actor), {
                "member_id": member_id, "delta": -cost, "reason": "gift", "note": "",
                "gift": {"rule_id": rule_id, "product_id": product.id,
                         "variant_id": variant_id, "name": rule["name"]},
                "stock": stock})
            member = self._load(tx, member_id)
        audit.info("gift redeemed member=%s rule=%s points=%d by=%s", member_id, rule_id, cost,
                   actor.staff_id)
        return member

    # -- stored value ----------------------------------------------------------------------

    def top_up(self, actor: Actor, member_id: str, amount: int, method: str, *,
               reference: str = "", tendered: int | None = None,
               idempotency_key: str | None = None) -> TopUpResult:
        """Money onto the card, plus the bonus of the best live topup_bonus tier.

        ``idempotency_key``: the screen's id for this request; a retry after a lost answer
        gets the first answer again instead of a second top-up."""
        require(actor, "member.topup", what="topping up")
        if isinstance(amount, bool) or not isinstance(amount, int) \
                or not 0 < amount <= money.MAX_AMOUNT:
            raise ValidationError(_("amount must be more than 0.00"), field="amount")
        tender = METHODS.get(method)
        if tender is None or method in STORED_VALUE_METHODS:
            raise ValidationError(_("a top-up cannot be paid by {method}", method=repr(method)),
                                  field="method")
        if method not in self.master.settings.get("tenders.enabled"):
            raise ValidationError(_("payment method {method} is switched off in the settings",
                                    method=method), field="method")
        reference = text(reference, "reference", 64)
        if tender.needs_reference and not reference:
            raise ValidationError(_("a {method} payment needs {reference_hint}",
                                    method=method, reference_hint=tender.reference_hint),
                                  field="reference")
        if tendered is None:
            tendered = amount
        if isinstance(tendered, bool) or not isinstance(tendered, int) \
                or not 0 <= tendered <= money.MAX_AMOUNT:
            raise ValidationError(_("tendered must be an amount in fen (int)"),
                                  field="tendered")
        if tendered < amount or (tendered > amount and not tender.gives_change):
            raise ValidationError(
                _("{method} handed over is {tendered}, the top-up is {amount}", method=method,
                  tendered=money.format_amount(tendered), amount=money.format_amount(amount)),
                field="tendered")
        change = tendered - amount
        if idempotency_key is not None:
            idempotency_key = text(idempotency_key, "idempotency_key", 64, required=True)
        topup_id = str(uuid.uuid4())
        with self.ledger.transaction() as tx:
            member = self._load(tx, member_id)
            if idempotency_key is not None:
                prior = tx.one("SELECT id, amount, bonus, method, tendered, change FROM"
                               " member_topups WHERE member_id = ? AND idempotency_key = ?",
                               (member_id, idempotency_key))
                if prior is not None:
                    if (prior[1], prior[3], prior[4]) != (amount, method, tendered):
                        raise Conflict(_("top-up request {key} was already used for a {method}"
                                         " top-up of {amount}: start a new top-up",
                                         key=idempotency_key, method=prior[3],
                                         amount=money.format_amount(prior[1])))
                    return TopUpResult(prior[0], prior[1], prior[2], member.balance, prior[5],
                                       member)
            from ..shifts.guard import require_open_shift  # shifts.required (docs/shifts.md)
            require_open_shift(tx.conn, self.master.settings)
            if not member.active:
                raise Conflict(_("member {name} is deactivated", name=member.name))
            bonus, rule = self._bonus(tx, member_id, amount)
            jobs = ([{"id": str(uuid.uuid4()), "kind": "drawer", "payload": {}}]
                    if method == "cash" else [])
            tx.append("member.topped_up", self._actor(actor), {
                "member_id": member_id, "topup_id": topup_id, "amount": amount, "bonus": bonus,
                "bonus_rule_id": rule["id"] if rule else None, "method": method,
                "reference": reference, "tendered": tendered, "change": change,
                "idempotency_key": idempotency_key, "print_jobs": jobs})
            member = self._load(tx, member_id)
        audit.info("top-up member=%s amount=%s bonus=%s method=%s change=%s balance=%s by=%s",
                   member_id, money.format_amount(amount), money.format_amount(bonus), method,
                   money.format_amount(change), money.format_amount(member.balance),
                   actor.staff_id)
        return TopUpResult(topup_id, amount, bonus, member.balance, change, member)

    def pay_out(self, actor: Actor, member_id: str, amount: int, method: str, reason: str, *,
                reference: str = "", approver: Actor | None = None) -> dict:
        """Stored value back to the customer (closing a card, or before their data is
        erased): cash from the drawer or a transfer, never more than the balance. A manager's
        decision (bonus money included or not is theirs), journalled ``member.paid_out``."""
        by = require(actor, "member.payout", approver, what="paying out stored value")
        if isinstance(amount, bool) or not isinstance(amount, int) \
                or not 0 < amount <= money.MAX_AMOUNT:
            raise ValidationError(_("amount must be more than 0.00"), field="amount")
        tender = METHODS.get(method) if isinstance(method, str) else None
        if tender is None or method in STORED_VALUE_METHODS:
            raise ValidationError(_("stored value cannot be paid out by {method}",
                                    method=repr(method)), field="method")
        reference = text(reference, "reference", 64)
        if tender.needs_reference and not reference:
            raise ValidationError(_("a {method} payment needs {reference_hint}",
                                    method=method, reference_hint=tender.reference_hint),
                                  field="reference")
        reason = text(reason, "reason", 200, required=True)
        with self.ledger.transaction() as tx:
            member = self._load(tx, member_id)
            if amount > member.balance:
                raise Conflict(_("the card holds {balance}: at most that can be paid out",
                                 balance=money.format_amount(member.balance)), field="amount")
            from ..shifts.guard import require_open_shift  # shifts.required (docs/shifts.md)
            require_open_shift(tx.conn, self.master.settings)
            payout_id = str(uuid.uuid4())
            jobs = ([{"id": str(uuid.uuid4()), "kind": "drawer", "payload": {}}]
                    if method == "cash" else [])
            tx.append("member.paid_out", self._actor(actor), {
                "member_id": member_id, "payout_id": payout_id, "amount": amount,
                "method": method, "reference": reference, "reason": reason,
                "approved_by": by.staff_id if by is not actor else None, "print_jobs": jobs})
            member = self._load(tx, member_id)
        audit.info("stored value paid out member=%s amount=%s method=%s balance=%s by=%s"
                   " approved_by=%s reason=%s", member_id, money.format_amount(amount), method,
                   money.format_amount(member.balance), actor.staff_id,
                   by.staff_id if by is not actor else "-", reason)
        return {"payout_id": payout_id, "amount": amount, "balance": member.balance,
                "member": member}

    def _bonus(self, tx: Transaction, member_id: str, amount: int) -> tuple[int, dict | None]:
        from ..promotions import engine, store
        ctx = engine.PriceContext(tx.now(), self.tz, model.level_of_member(tx.conn, member_id))
        return engine.topup_bonus(store.active_rules(tx.conn), amount, ctx)

    # -- levels ----------------------------------------------------------------------------

    def save_level(self, actor: Actor, doc: dict, level_id: str | None = None) -> dict:
        """Create a level (``level_id`` None) or replace one; ``doc`` is the level's API JSON."""
        from ..promotions.rules import normalize_level
        require(actor, "member.level", what="editing member levels")
        if not isinstance(doc, dict):
            raise ValidationError(_("the member level must be a JSON object"), field="level")
        if level_id is not None and doc.get("id") not in (None, level_id):
            raise ValidationError(_("the id in the body is not the one in the address"),
                                  field="id")
        level = normalize_level({k: v for k, v in doc.items() if k != "id"}
                                if level_id is not None else doc, existing_id=level_id)
        with self.ledger.transaction() as tx:
            exists = model.level(tx.conn, level["id"]) is not None
            if level_id is not None and not exists:
                raise NotFound(_("member level {level_id} does not exist", level_id=level_id))
            if level_id is None and exists:
                raise Conflict(_("member level {level_id} already exists",
                                 level_id=level["id"]), field="id")
            tx.append("member_level.saved", self._actor(actor), {"level": level})
        audit.info("member level saved id=%s discount_bp=%d points_per_yuan_c=%d by=%s",
                   level["id"], level["discount_bp"], level["points_per_yuan_c"],
                   actor.staff_id)
        return level
