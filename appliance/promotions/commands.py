"""Changing promotion rules: every change is a journal record (head office sees it on the
stream), applied to the ``promotions`` projection in the same transaction.

The shop edits its own rules; head office's rules arrive whole (``promotions.update``) and
the shop may only switch them off or on, never edit them, so the next push cannot silently
undo a local edit.
"""

from __future__ import annotations

import logging
from typing import Sequence

from ..errors import Conflict, NotFound, ValidationError
from ..i18n import _
from ..ledger import Ledger
from ..orders.permissions import Actor, require
from . import store
from .rules import normalize_rule

log = logging.getLogger(__name__)
audit = logging.getLogger("audit")

MAX_RULES = 1000   # a push of more than this is a mistake, not a campaign


class PromotionAdmin:
    def __init__(self, ledger: Ledger):
        self.ledger = ledger

    def list(self) -> list[dict]:
        """Every rule with its source and switch state, by priority."""
        with self.ledger.reading() as conn:
            return store.all_rules(conn)

    def active(self) -> list[dict]:
        with self.ledger.reading() as conn:
            return store.active_rules(conn)

    def get(self, rule_id: str) -> dict:
        with self.ledger.reading() as conn:
            rule = store.rule(conn, rule_id)
        if rule is None:
            raise NotFound(_("promotion {rule_id} does not exist", rule_id=rule_id))
        return rule

    def save(self, actor: Actor, doc: dict, rule_id: str | None = None) -> dict:
        """Create a shop rule (``rule_id`` None) or replace one of the shop's own rules."""
        require(actor, "promotion.edit", what="changing promotions")
        if not isinstance(doc, dict):
            raise ValidationError(_("the promotion must be a JSON object"))
        if rule_id is not None and doc.get("id") not in (None, rule_id):
            raise ValidationError(_("the id in the body is not the one in the address"),
                                  field="id")
        rule = normalize_rule({k: v for k, v in doc.items() if k != "id"}, existing_id=rule_id)
        with self.ledger.transaction() as tx:
            if rule_id is not None:
                old = store.rule(tx.conn, rule_id)
                if old is None:
                    raise NotFound(_("promotion {rule_id} does not exist", rule_id=rule_id))
                if old["source"] != "shop":
                    raise Conflict(_("head office owns promotion {name}: switch it off here, or"
                                     " ask head office to change it", name=old["name"]))
            tx.append("promotion.saved", actor.journal(self.ledger.device_id),
                      {"rule": rule, "source": "shop"})
            saved = store.rule(tx.conn, rule["id"])
        audit.info("promotion saved id=%s kind=%s name=%s by=%s", rule["id"], rule["kind"],
                   rule["name"], actor.staff_id)
        return saved

    def switch(self, actor: Actor, rule_id: str, active: bool) -> dict:
        require(actor, "promotion.edit", what="switching promotions on or off")
        if not isinstance(active, bool):
            raise ValidationError(_("{name} must be true or false", name="active"),
                                  field="active")
        with self.ledger.transaction() as tx:
            rule = store.rule(tx.conn, rule_id)
            if rule is None:
                raise NotFound(_("promotion {rule_id} does not exist", rule_id=rule_id))
            if rule["active"] != active:
                tx.append("promotion.switched", actor.journal(self.ledger.device_id),
                          {"rule_id": rule_id, "active": active})
            switched = store.rule(tx.conn, rule_id)
        audit.info("promotion %s id=%s name=%s by=%s", "on" if active else "off", rule_id,
                   rule["name"], actor.staff_id)
        return switched

    def replace_from_head_office(self, docs: Sequence, device_actor: dict) -> int:
        """Head office's rule set, whole: all of it is checked before anything is written."""
        if not isinstance(docs, list):
            raise ValidationError(_("promotions must be a list"), field="promotions")
        if len(docs) > MAX_RULES:
            raise ValidationError(_("at most {n} promotions can be sent at once", n=MAX_RULES),
                                  field="promotions")
        rules, seen = [], set()
        for i, doc in enumerate(docs):
            if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
                raise ValidationError(_("promotion {i} must be an object with an id", i=i + 1),
                                      field="promotions")
            try:
                rule = normalize_rule(doc)     # head office's own id, checked like a field
            except ValidationError as exc:
                raise ValidationError(_("promotion {id}: {error}", id=doc["id"],
                                        error=exc.message), field=exc.field) from None
            if rule["id"] in seen:
                raise ValidationError(_("promotion {id} is listed twice", id=rule["id"]),
                                      field="promotions")
            seen.add(rule["id"])
            rules.append(rule)
        with self.ledger.transaction() as tx:
            for rule in rules:
                old = store.rule(tx.conn, rule["id"])
                if old is not None and old["source"] != "head_office":
                    raise Conflict(_("promotion {id} is one of the shop's own rules: head office"
                                     " must use another id", id=rule["id"]))
            tx.append("promotions.replaced", device_actor,
                      {"source": "head_office", "rules": rules})
        log.info("promotions from head office: %d rules", len(rules))
        return len(rules)
