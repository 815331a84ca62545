"""Promotion records through a real ledger: the ``promotions`` and ``coupon_uses`` tables
follow from the records alone (a replay equals the live tables), and the store reads them."""

import json

from appliance.ledger import Record, projections
from appliance.ledger.promotion_projections import record_coupon_uses
from appliance.promotions import store
from appliance.promotions.rules import normalize_rule

STAFF = {"staff": "s-manager", "role": "manager", "device": "counter", "terminal": "counter"}
HEAD_OFFICE = {"device": "dev-1", "via": "uplink"}


def shop_rule(name="9折", **kw):
    return normalize_rule({"name": name, "kind": "percent_off", "percent": "10", **kw})


def ho_rule(rule_id, name="总部满减", **kw):
    return normalize_rule({"name": name, "kind": "threshold",
                           "tiers": [{"min": "200", "off": "30"}], **kw}, existing_id=rule_id)


def append(shop, type_, data, actor=STAFF):
    with shop.ledger.transaction() as tx:
        return tx.append(type_, actor, data)


def assert_replay_equals_live(shop):
    with shop.ledger.reading() as conn:
        live = projections.snapshot(conn)
    assert projections.snapshot(projections.replay(shop.ledger.records())) == live
    return live


def rules_by_id(shop, active_only=False):
    with shop.ledger.reading() as conn:
        rows = store.active_rules(conn) if active_only else store.all_rules(conn)
    return {r["id"]: r for r in rows}


def test_saved_inserts_then_replaces_and_replay_matches(shop):
    r = shop_rule()
    rec = append(shop, "promotion.saved", {"rule": r, "source": "shop"})
    got = rules_by_id(shop)[r["id"]]
    assert got == {**r, "source": "shop"}
    edited = {**r, "name": "85折", "percent_bp": 1500}
    append(shop, "promotion.saved", {"rule": edited, "source": "shop"})
    got = rules_by_id(shop)
    assert len(got) == 1 and got[r["id"]]["percent_bp"] == 1500
    with shop.ledger.reading() as conn:
        row = conn.execute("SELECT source, active, updated_by, last_seq FROM promotions"
                           " WHERE id = ?", (r["id"],)).fetchone()
    assert row == ("shop", 1, "s-manager", rec.seq + 1)
    assert_replay_equals_live(shop)


def test_switched_turns_a_rule_off_and_on(shop):
    r = shop_rule()
    append(shop, "promotion.saved", {"rule": r, "source": "shop"})
    append(shop, "promotion.switched", {"rule_id": r["id"], "active": False})
    assert rules_by_id(shop, active_only=True) == {}
    assert rules_by_id(shop)[r["id"]]["active"] is False
    assert_replay_equals_live(shop)
    append(shop, "promotion.switched", {"rule_id": r["id"], "active": True})
    assert rules_by_id(shop, active_only=True)[r["id"]]["active"] is True
    assert_replay_equals_live(shop)


def test_saving_a_rule_switched_off_takes_the_saved_state(shop):
    r = shop_rule(active=False)
    append(shop, "promotion.saved", {"rule": r, "source": "shop"})
    assert rules_by_id(shop, active_only=True) == {}


def test_replaced_swaps_head_office_rules_and_leaves_the_shops_own(shop):
    mine = shop_rule()
    append(shop, "promotion.saved", {"rule": mine, "source": "shop"})
    append(shop, "promotions.replaced", {"source": "head_office",
                                         "rules": [ho_rule("ho-1"), ho_rule("ho-2")]},
           HEAD_OFFICE)
    assert set(rules_by_id(shop)) == {mine["id"], "ho-1", "ho-2"}
    assert rules_by_id(shop)["ho-1"]["source"] == "head_office"
    # the shop switches ho-2 off; head office pushes again without ho-1, ho-2 unchanged
    append(shop, "promotion.switched", {"rule_id": "ho-2", "active": False})
    append(shop, "promotions.replaced", {"source": "head_office",
                                         "rules": [ho_rule("ho-2", name="改名"),
                                                   ho_rule("ho-3")]}, HEAD_OFFICE)
    got = rules_by_id(shop)
    assert set(got) == {mine["id"], "ho-2", "ho-3"}
    assert got["ho-2"]["name"] == "改名" and got["ho-2"]["active"] is False   # switch kept
    assert got["ho-3"]["active"] is True
    with shop.ledger.reading() as conn:
        assert conn.execute("SELECT updated_by FROM promotions WHERE id = 'ho-3'"
                            ).fetchone() == ("dev-1",)
    # head office itself switching the rule off, then on again, wins over the shop
    append(shop, "promotions.replaced", {"source": "head_office",
                                         "rules": [ho_rule("ho-3", active=False)]},
           HEAD_OFFICE)
    assert rules_by_id(shop, active_only=True).keys() == {mine["id"]}
    append(shop, "promotions.replaced", {"source": "head_office", "rules": [ho_rule("ho-3")]},
           HEAD_OFFICE)
    assert rules_by_id(shop, active_only=True).keys() == {mine["id"], "ho-3"}
    # an empty push removes every head-office rule
    append(shop, "promotions.replaced", {"source": "head_office", "rules": []}, HEAD_OFFICE)
    assert set(rules_by_id(shop)) == {mine["id"]}
    live = assert_replay_equals_live(shop)
    assert len(live["promotions"]) == 1


def test_stored_doc_is_the_normalised_rule_as_canonical_json(shop):
    r = shop_rule(name="全场九折")
    append(shop, "promotion.saved", {"rule": r, "source": "shop"})
    with shop.ledger.reading() as conn:
        doc = conn.execute("SELECT doc FROM promotions").fetchone()[0]
        assert store.rule(conn, r["id"])["name"] == "全场九折"
        assert store.rule(conn, "pr-nope") is None
    assert json.loads(doc) == r and "全场九折" in doc


def test_rules_come_back_by_priority_then_id(shop):
    rules = [shop_rule(priority=30), shop_rule(priority=5), shop_rule(priority=30)]
    for r in rules:
        append(shop, "promotion.saved", {"rule": r, "source": "shop"})
    with shop.ledger.reading() as conn:
        got = [r["id"] for r in store.active_rules(conn)]
    assert got == [r["id"] for r in sorted(rules, key=lambda r: (r["priority"], r["id"]))]


def test_levels_are_read_by_sort(shop):
    with shop.ledger.reading() as conn:
        assert store.levels(conn) == []


def _frozen(seq, order_id, coupons):
    """The payment that froze an order's price, with the coupon uses it took."""
    return Record(seq=seq, id=f"id-{seq}", ts="2026-11-26T02:30:00.000000Z",
                  clock_synced=True, type="order.payment_added", actor=STAFF,
                  data={"order_id": order_id, "coupons": coupons}, prev_hash="", hash="")


def _order_row(conn, order_id, member_id=None):
    conn.execute("INSERT INTO orders (id, number, business_day, status, version, terminal,"
                 " opened_by, opened_at, updated_at, last_seq, member_id)"
                 " VALUES (?, ?, '2026-11-26', 'open', 1, 't', 's', 'x', 'x', 1, ?)",
                 (order_id, order_id.upper(), member_id))


def test_coupon_uses_count_per_rule_and_member_taken_from_the_order():
    conn = projections.replay([])
    _order_row(conn, "o-1", "m-1")
    _order_row(conn, "o-2")
    record_coupon_uses(conn, _frozen(1, "o-1", [{"code": "save10", "rule_id": "pr-1"}]))
    record_coupon_uses(conn, _frozen(2, "o-2", [{"code": "SAVE-B", "rule_id": "pr-1"},
                                                {"code": "VIP-1", "rule_id": "pr-2"}]))
    record_coupon_uses(conn, _frozen(3, "o-3", []))
    assert store.coupon_uses(conn, "pr-1") == 2          # two codes of one rule share it
    assert store.coupon_uses(conn, "pr-1", member_id="m-1") == 1
    assert store.coupon_uses(conn, "pr-2") == 1
    assert store.coupon_uses(conn, "pr-2", member_id="m-1") == 0
    assert store.coupon_uses(conn, "pr-none") == 0
    rows = conn.execute("SELECT code, rule_id, order_id, member_id, seq FROM coupon_uses"
                        " ORDER BY seq, code").fetchall()
    assert rows == [("SAVE10", "pr-1", "o-1", "m-1", 1), ("SAVE-B", "pr-1", "o-2", None, 2),
                    ("VIP-1", "pr-2", "o-2", None, 2)]
