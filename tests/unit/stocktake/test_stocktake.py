"""Stocktakes: counted on several phones at once, blind, corrected for sales during the count,
reviewed and approved by a manager (docs/stocktake.md)."""

import csv
import io
import json
import threading

import pytest

from appliance.errors import Conflict, Forbidden, ValidationError
from appliance.ledger import Ledger
from appliance.ledger.projections import replay, snapshot
from appliance.master.catalog import Category, Product
from appliance.orders import Actor
from appliance.stock.counts import Stocktake

TEA = "6901234567892"          # 西湖龙井, cost 40.00, category 绿茶
CUP_BLUE = "2000000000015"     # 汝窑茶杯 天青, cost 15.00


@pytest.fixture
def counts(shop):
    return Stocktake(shop.ledger, shop.master)


def stock(shop, product, qty, variant_id=""):
    shop.engine.adjust_stock(shop.manager, product.id, qty, "opening_stock",
                             variant_id=variant_id)


def level(shop, product, variant_id=""):
    return shop.engine.stock_level(product.id, variant_id)


def same_as_replay(shop):
    records = shop.ledger.records()
    with shop.ledger.reading() as conn:
        assert snapshot(conn) == snapshot(replay(records))


def test_a_count_is_numbered_per_day_and_blind_by_default(shop, counts):
    first = counts.start(shop.manager, scope={"all": True})
    assert first["number"] == "PD20261126-01" and first["blind"] is True
    assert first["status"] == "open" and first["scope"] == {"all": True}
    counts.cancel(shop.manager, first["id"], "wrong day")
    second = counts.start(shop.manager, scope={"all": True}, blind=False)
    assert second["number"] == "PD20261126-02" and second["blind"] is False
    shop.clock.advance(days=1)
    counts.cancel(shop.manager, second["id"], "again")
    assert counts.start(shop.manager, scope={"all": True})["number"] == "PD20261127-01"


def test_only_a_manager_starts_approves_or_reviews(shop, counts):
    with pytest.raises(Forbidden):
        counts.start(shop.assistant, scope={"all": True})
    c = counts.start(shop.manager, scope={"all": True})
    for call in (lambda: counts.review(shop.assistant, c["id"]),
                 lambda: counts.approve(shop.cashier, c["id"]),
                 lambda: counts.cancel(shop.assistant, c["id"], "no")):
        with pytest.raises(Forbidden):
            call()


def test_overlapping_counts_are_refused(shop, counts):
    tea_cat = shop.tea.category_id
    other = shop.master.catalog.save_category(Category(id="", name="茶具"))
    c = counts.start(shop.manager, scope={"categories": [tea_cat]})
    with pytest.raises(Conflict) as exc:
        counts.start(shop.manager, scope={"all": True})
    assert c["number"] in exc.value.message
    with pytest.raises(Conflict):
        counts.start(shop.manager, scope={"categories": [other.id, tea_cat]})
    # A category no open count includes is fine; the whole shop again once the first is done.
    d = counts.start(shop.manager, scope={"categories": [other.id]})
    with pytest.raises(Conflict):
        counts.start(shop.manager, scope={"all": True})
    counts.cancel(shop.manager, c["id"], "restart")
    counts.cancel(shop.manager, d["id"], "restart")
    counts.start(shop.manager, scope={"all": True})
    with pytest.raises(ValidationError):
        counts.start(shop.manager, scope={"categories": []})


def test_entries_outside_the_scope_or_untracked_are_refused(shop, counts):
    other = shop.master.catalog.save_category(Category(id="", name="茶具"))
    pot = shop.master.catalog.save_product(Product(
        id="", sku="POT-1", name="紫砂壶", category_id=other.id, unit="把", price=30000,
        cost=12000, barcodes=["2000000000039"]))
    c = counts.start(shop.manager, scope={"categories": [shop.tea.category_id]})
    with pytest.raises(Conflict):
        counts.add_entry(shop.assistant, c["id"], barcode="2000000000039", qty=1)
    with pytest.raises(Conflict):
        counts.add_entry(shop.assistant, c["id"], product_id=pot.id, qty=1)
    counts.cancel(shop.manager, c["id"], "scope")
    whole = counts.start(shop.manager, scope={"all": True})
    with pytest.raises(ValidationError, match="does not keep stock"):   # a service
        counts.add_entry(shop.assistant, whole["id"], product_id=shop.wrap.id, qty=1)
    with pytest.raises(ValidationError):   # a product with specs needs one
        counts.add_entry(shop.assistant, whole["id"], product_id=shop.cup.id, qty=1)
    with pytest.raises(ValidationError):
        counts.add_entry(shop.assistant, whole["id"], barcode=TEA, qty=0)
    assert counts.add_entry(shop.assistant, whole["id"], product_id=pot.id,
                            qty=2)["counted"] == 2


def test_a_negative_entry_undoes_a_mis_scan_but_a_total_never_goes_below_zero(shop, counts):
    c = counts.start(shop.manager, scope={"all": True})
    counts.add_entry(shop.assistant, c["id"], barcode=TEA, qty=3)
    assert counts.add_entry(shop.assistant, c["id"], barcode=TEA, qty=-1)["counted"] == 2
    with pytest.raises(ValidationError):
        counts.add_entry(shop.assistant, c["id"], barcode=TEA, qty=-3)
    item = counts.get(shop.assistant, c["id"])["items"][0]
    assert (item["counted"], item["entries"]) == (2, 2)


def test_two_phones_on_two_connections_sum_their_entries(shop, tmp_path):
    """Two Ledger objects on one file (like two processes): every entry is kept, and the
    total is the sum over both phones."""
    stock(shop, shop.tea, 500)
    c = Stocktake(shop.ledger, shop.master).start(shop.manager, scope={"all": True})
    other = Ledger(tmp_path / "ledger.db", clock=shop.clock)
    phones = [(Stocktake(shop.ledger, shop.master), Actor("s-a", "assistant", "phone-1")),
              (Stocktake(other, shop.master), Actor("s-b", "assistant", "phone-2"))]
    start = threading.Barrier(2)
    errors = []

    def scan(service, actor):
        start.wait()
        try:
            for i in range(40):
                service.add_entry(actor, c["id"], barcode=TEA, qty=1)
                if i % 10 == 9:   # a mis-scan taken back
                    service.add_entry(actor, c["id"], barcode=TEA, qty=2)
                    service.add_entry(actor, c["id"], barcode=TEA, qty=-2)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=scan, args=p) for p in phones]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not errors
        view = Stocktake(shop.ledger, shop.master).get(shop.manager, c["id"])
        item = view["items"][0]
        assert (item["counted"], item["entries"], item["expected"]) == (80, 96, 500)
        with shop.ledger.reading() as conn:
            per_phone = dict(conn.execute("SELECT terminal, SUM(qty) FROM count_entries"
                                          " GROUP BY terminal").fetchall())
        assert per_phone == {"phone-1": 40, "phone-2": 40}
        same_as_replay(shop)
    finally:
        other.close()


def test_a_sale_after_the_item_was_counted_is_not_corrected(shop, counts):
    stock(shop, shop.tea, 5)
    c = counts.start(shop.manager, scope={"all": True})
    counts.add_entry(shop.assistant, c["id"], barcode=TEA, qty=5)   # the system says 5
    shop.sale(TEA)                                                  # one sold after counting
    review = counts.review(shop.manager, c["id"])
    line = review["lines"][0]
    assert (line["counted"], line["expected"], line["delta"]) == (5, 5, 0)
    counts.approve(shop.manager, c["id"])
    assert level(shop, shop.tea) == 4
    with shop.ledger.reading() as conn:
        assert conn.execute("SELECT COUNT(*) FROM stock_moves WHERE reason = 'count'"
                            ).fetchone()[0] == 0
    same_as_replay(shop)


def test_a_shortage_is_corrected_as_a_delta_on_top_of_later_sales(shop, counts):
    stock(shop, shop.tea, 5)
    c = counts.start(shop.manager, scope={"all": True})
    counts.add_entry(shop.assistant, c["id"], barcode=TEA, qty=3)   # system says 5: 2 missing
    shop.sale(TEA)                                                  # sold afterwards
    assert level(shop, shop.tea) == 4
    counts.approve(shop.manager, c["id"])
    assert level(shop, shop.tea) == 2                               # 3 on the shelf, 1 sold
    with shop.ledger.reading() as conn:
        moves = conn.execute("SELECT delta, after, reason, ref FROM stock_moves WHERE"
                             " reason = 'count'").fetchall()
    assert moves == [(-2, 2, "count", c["id"])]
    same_as_replay(shop)


def test_expected_follows_the_items_last_entry(shop, counts):
    """A sale between two entries of the same item: expected is the level at the last one."""
    stock(shop, shop.tea, 10)
    c = counts.start(shop.manager, scope={"all": True})
    counts.add_entry(shop.assistant, c["id"], barcode=TEA, qty=4)   # front shelf, system 10
    shop.sale(TEA)                                                  # from the back shelf
    counts.add_entry(shop.assistant, c["id"], barcode=TEA, qty=5)   # back shelf, system 9
    line = counts.review(shop.manager, c["id"])["lines"][0]
    assert (line["counted"], line["expected"], line["delta"]) == (9, 9, 0)


def test_blind_views_never_show_expected_quantities(shop, counts):
    stock(shop, shop.tea, 7)
    c = counts.start(shop.manager, scope={"all": True})
    entry = counts.add_entry(shop.assistant, c["id"], barcode=TEA, qty=3)
    assert entry["counted"] == 3
    secret = ("expected", "difference", "difference_value", "unit_cost")
    assert not set(secret) & set(entry)
    view = counts.get(shop.assistant, c["id"])
    assert view["shows_expected"] is False
    assert not set(secret) & set(view["items"][0])
    sheet = counts.sheet_csv(shop.assistant, c["id"]).decode("utf-8-sig")
    assert "expected" not in sheet and ",7," not in sheet
    # The manager sees them on the same count; a count that is not blind shows them to all.
    assert counts.get(shop.manager, c["id"])["items"][0]["expected"] == 7
    counts.cancel(shop.manager, c["id"], "try open")
    c = counts.start(shop.manager, scope={"all": True}, blind=False)
    entry = counts.add_entry(shop.assistant, c["id"], barcode=TEA, qty=3)
    assert (entry["expected"], entry["difference"]) == (7, -4)


def test_the_review_arithmetic(shop, counts):
    """By hand: tea cost 40.00, 10 in the system, 8 counted: -2 x 40.00 = -80.00.
    天青 cup cost 15.00, 4 in the system, 6 counted: +2 x 15.00 = +30.00.
    月白 cup (cost 15.00) 3 in the system, not counted: listed, 45.00 of stock."""
    blue, white = shop.cup.variants
    stock(shop, shop.tea, 10)
    stock(shop, shop.cup, 4, blue.id)
    stock(shop, shop.cup, 3, white.id)
    c = counts.start(shop.manager, scope={"categories": [shop.tea.category_id]})
    counts.add_entry(shop.assistant, c["id"], barcode=TEA, qty=5)
    counts.add_entry(shop.cashier, c["id"], barcode=TEA, qty=3)
    counts.add_entry(shop.assistant, c["id"], barcode=CUP_BLUE, qty=6)
    review = counts.review(shop.manager, c["id"])
    lines = {ln["name"] + ln["spec"]: ln for ln in review["lines"]}
    tea, cup = lines["西湖龙井"], lines["汝窑茶杯天青"]
    assert (tea["counted"], tea["expected"], tea["delta"], tea["value"]) == (8, 10, -2, "-80.00")
    assert (cup["counted"], cup["expected"], cup["delta"], cup["value"]) == (6, 4, 2, "30.00")
    assert tea["unit_cost"] == "40.00" and tea["entries"] == 2
    t = review["totals"]
    assert (t["counted"], t["expected"], t["difference"], t["items_different"]) == (14, 14, 0, 2)
    assert (t["value"], t["gain"], t["loss"]) == ("-50.00", "30.00", "-80.00")
    assert [(u["spec"], u["qty"], u["value"]) for u in review["not_counted"]] == \
        [("月白", 3, "45.00")]
    assert (t["not_counted"], t["not_counted_qty"], t["not_counted_value"]) == (1, 3, "45.00")
    # The moving-average cost, once goods were received, replaces the catalog cost.
    with shop.ledger.transaction() as tx:
        tx.conn.execute("UPDATE stock_levels SET avg_cost = 4250 WHERE product_id = ?",
                        (shop.tea.id,))
    tea = next(ln for ln in counts.review(shop.manager, c["id"])["lines"]
               if ln["product_id"] == shop.tea.id)
    assert tea["value"] == "-85.00"


def test_approval_writes_one_record_and_may_zero_the_uncounted(shop, counts):
    blue, white = shop.cup.variants
    stock(shop, shop.tea, 10)
    stock(shop, shop.cup, 3, white.id)
    c = counts.start(shop.manager, scope={"all": True})
    counts.add_entry(shop.assistant, c["id"], barcode=TEA, qty=8)
    before = len(shop.ledger.records())
    review = counts.approve(shop.manager, c["id"], zero_uncounted=True)
    records = shop.ledger.records()[before:]
    assert [r.type for r in records] == ["count.approved"]
    data = records[0].data
    assert sorted((m["delta"], m["reason"], m["ref"]) for m in data["stock"]) == \
        [(-3, "count", c["id"]), (-2, "count", c["id"])]
    assert review["status"] == "approved"
    assert {ln["value"] for ln in review["lines"]} == {"-80.00", "-45.00"}
    assert level(shop, shop.tea) == 8 and level(shop, shop.cup, white.id) == 0
    assert level(shop, shop.cup, blue.id) == 0     # never had stock: nothing to move
    with pytest.raises(Conflict):
        counts.add_entry(shop.assistant, c["id"], barcode=TEA, qty=1)
    with pytest.raises(Conflict):
        counts.approve(shop.manager, c["id"])
    with pytest.raises(Conflict):
        counts.cancel(shop.manager, c["id"], "too late")
    same_as_replay(shop)


def test_without_zeroing_uncounted_items_keep_their_level(shop, counts):
    white = shop.cup.variants[1]
    stock(shop, shop.tea, 10)
    stock(shop, shop.cup, 3, white.id)
    c = counts.start(shop.manager, scope={"all": True})
    counts.add_entry(shop.assistant, c["id"], barcode=TEA, qty=10)
    counts.approve(shop.manager, c["id"])
    assert level(shop, shop.cup, white.id) == 3 and level(shop, shop.tea) == 10


def test_a_cancelled_count_takes_no_entries_and_moves_nothing(shop, counts):
    stock(shop, shop.tea, 10)
    c = counts.start(shop.manager, scope={"all": True})
    counts.add_entry(shop.assistant, c["id"], barcode=TEA, qty=1)
    assert counts.cancel(shop.manager, c["id"], "wrong shelf")["status"] == "cancelled"
    with pytest.raises(Conflict):
        counts.add_entry(shop.assistant, c["id"], barcode=TEA, qty=1)
    assert level(shop, shop.tea) == 10
    assert [x["status"] for x in counts.find(shop.assistant)] == ["cancelled"]
    assert counts.find(shop.assistant, "open") == []
    same_as_replay(shop)


def test_the_count_sheet_as_csv_opens_in_excel(shop, counts):
    stock(shop, shop.tea, 10)
    c = counts.start(shop.manager, scope={"all": True})
    counts.add_entry(shop.assistant, c["id"], barcode=TEA, qty=9)
    data = counts.sheet_csv(shop.manager, c["id"])
    assert data.startswith("\ufeff".encode("utf-8"))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["number", "sku", "barcode", "name", "spec", "unit", "counted",
                       "expected", "difference", "unit_cost", "difference_value"]
    by_sku = {r[1]: r for r in rows[1:]}
    assert by_sku["TEA-1"] == [c["number"], "TEA-1", TEA, "西湖龙井", "", "盒", "9", "10", "-1",
                               "40.00", "-40.00"]
    # Items in scope nobody counted are on the sheet with an empty count.
    assert by_sku["CUP-1-B"][3:7] == ["汝窑茶杯", "天青", "只", ""]
    assert "SVC-1" not in by_sku     # not stock-tracked


def test_the_printed_sheet_is_a_report_job_of_layout_lines(shop, counts):
    stock(shop, shop.tea, 10)
    c = counts.start(shop.manager, scope={"all": True})
    counts.add_entry(shop.assistant, c["id"], barcode=TEA, qty=9)
    job_id = counts.print_sheet(shop.assistant, c["id"])
    with shop.ledger.reading() as conn:
        kind, payload = conn.execute("SELECT kind, payload FROM print_jobs WHERE id = ?",
                                     (job_id,)).fetchone()
    doc = json.loads(payload)
    assert kind == "report" and doc["cut"] is True and doc["paper_mm"] == 80
    texts = [ln["text"] for ln in doc["lines"]]
    assert all(set(ln) == {"text", "align", "bold", "double"} for ln in doc["lines"])
    assert c["number"] in texts[0]
    assert any("西湖龙井" in t for t in texts)
    # Printed for a counter: blind, so the count only.
    assert any(t.rstrip().endswith(" 9") for t in texts)
    assert not any("9/10" in t for t in texts)
    from drivers.printer.layout import width
    assert all(width(t) <= 48 for t in texts)
    job = counts.print_sheet(shop.manager, c["id"])
    with shop.ledger.reading() as conn:
        doc = json.loads(conn.execute("SELECT payload FROM print_jobs WHERE id = ?",
                                      (job,)).fetchone()[0])
    assert any("9/10 (-1)" in ln["text"] for ln in doc["lines"])


def test_undoing_a_mis_scan_after_a_sale_does_not_add_the_sale_back(shop, counts):
    """10 on the shelf and in the system; 10 scans, one of them a mis-scan; 3 sold; the
    mis-scan undone: 9 were counted against 10, so the level ends at 10 - 3 - 1 = 6."""
    shop.engine.adjust_stock(shop.manager, shop.tea.id, 10, "opening_stock")
    c = counts.start(shop.manager, scope={"all": True})
    for _ in range(10):
        counts.add_entry(shop.assistant, c["id"], qty=1, product_id=shop.tea.id)
    shop.sale((shop.tea.id, "", 3))
    counts.add_entry(shop.assistant, c["id"], qty=-1, product_id=shop.tea.id)
    review = counts.review(shop.manager, c["id"])
    line = next(i for i in review["lines"] if i["product_id"] == shop.tea.id)
    assert (line["counted"], line["expected"]) == (9, 10)
    counts.approve(shop.manager, c["id"])
    assert shop.engine.stock_level(shop.tea.id) == 6


def test_count_numbers_go_past_99_in_a_day(shop, counts):
    for n in range(1, 102):
        c = counts.start(shop.manager, scope={"all": True})
        assert c["number"].endswith(f"-{n:02d}")
        counts.cancel(shop.manager, c["id"], "numbering")
