"""The demo shop has member levels, members with phone numbers and promotion rules."""

from appliance import demo
from appliance.box import Box
from appliance.config import load
from appliance.orders import Actor


def test_demo_has_levels_members_and_rules_that_price_an_order(tmp_path):
    cfg = tmp_path / "t.toml"
    cfg.write_text('[paths]\ndata = "d"\n', encoding="utf-8")
    with Box(load(cfg, environ={})) as box:
        demo.load(box)
        owner = Actor(box.master.staff.list()[0].id, "owner")
        assert [lv["id"] for lv in box.members.levels()] == ["lv-normal", "lv-silver",
                                                             "lv-gold"]
        gold = box.members.lookup(owner, "13800138000")
        assert (gold.level_id, gold.balance) == ("lv-gold", 55000)   # 500 + 50 bonus
        assert box.members.lookup(owner, "13912345678").level_name == "银卡"
        names = {r["name"] for r in box.promotions.list()}
        assert {"满200减30", "WELCOME10 新客券", "茶点第二件半价", "充500送50"} <= names
        # 2 x 168.00 = 336.00: 满200减30 takes 30, the gold level 5 % first.
        tea = box.master.catalog.find_by_sku("TEA-LJ")
        order = box.orders.open_order(owner)
        box.orders.add_line(owner, order.id, product_id=tea.id, variant_id=tea.variants[0].id,
                            qty=2)
        order = box.orders.set_member(owner, order.id, gold.id)
        quote = box.orders.quote(order)
        assert quote.total == 33600 - 1680 - 3000
