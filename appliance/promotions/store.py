"""Reading promotion rules, member levels and coupon uses from the ledger's projections.

Works on any sqlite3 connection to ledger.db (the ledger's ``reading()`` or a transaction's
``tx.conn``). Rules come back normalised, plus ``source`` (shop | head_office) and ``active``
from the switch. The returned dicts are shared with a parse cache: treat them as read-only.
"""

from __future__ import annotations

import json
import sqlite3

# Parsed docs by their stored JSON text: every scan reads the active rules, and parsing
# hundreds of them each time would cost more than pricing. Text is the key, so a changed
# rule (new text) can never be served stale.
_PARSED: dict[tuple[str, str, int], dict] = {}
_MAX_CACHED = 5000


def _rule(doc: str, source: str, active: int) -> dict:
    key = (doc, source, active)
    rule = _PARSED.get(key)
    if rule is None:
        if len(_PARSED) >= _MAX_CACHED:
            _PARSED.clear()
        rule = {**json.loads(doc), "source": source, "active": bool(active)}
        _PARSED[key] = rule
    return rule


def _by_priority(rules: list[dict]) -> list[dict]:
    rules.sort(key=lambda r: (r.get("priority", 0), r["id"]))
    return rules


def active_rules(conn: sqlite3.Connection) -> list[dict]:
    """Rules switched on (whether live now is the engine's question), by priority, id."""
    return _by_priority([_rule(*row) for row in conn.execute(
        "SELECT doc, source, active FROM promotions WHERE active = 1")])


def all_rules(conn: sqlite3.Connection) -> list[dict]:
    return _by_priority([_rule(*row) for row in conn.execute(
        "SELECT doc, source, active FROM promotions")])


def rule(conn: sqlite3.Connection, rule_id: str) -> dict | None:
    row = conn.execute("SELECT doc, source, active FROM promotions WHERE id = ?",
                       (rule_id,)).fetchone()
    return _rule(*row) if row else None


def levels(conn: sqlite3.Connection) -> list[dict]:
    """Every member level (normalised), by sort then id."""
    rows = conn.execute("SELECT doc, active FROM member_levels ORDER BY sort, id").fetchall()
    return [{**json.loads(doc), "active": bool(active)} for doc, active in rows]


def coupon_uses(conn: sqlite3.Connection, rule_id: str, member_id: str | None = None) -> int:
    """How many orders hold a use of this coupon rule (any of its codes), in all or by one
    member. A use is taken when an order's price is frozen (its first payment) and given
    back if that payment is voided."""
    if member_id is None:
        return conn.execute("SELECT COUNT(*) FROM coupon_uses WHERE rule_id = ?",
                            (rule_id,)).fetchone()[0]
    return conn.execute("SELECT COUNT(*) FROM coupon_uses WHERE rule_id = ? AND member_id = ?",
                        (rule_id, member_id)).fetchone()[0]
