"""Two terminals spending one card at once: the balance check inside the BEGIN IMMEDIATE
transaction serialises them, so the card is never overdrawn."""

import threading

import pytest

from appliance.errors import ValidationError
from appliance.ledger import Ledger
from appliance.ledger.projections import replay, snapshot
from appliance.orders import OrderEngine

from memberclub import TEA, Club


@pytest.fixture
def club(shop):
    return Club(shop)


def test_two_engines_on_one_ledger_file_never_overdraw_a_card(club, tmp_path):
    shop = club.shop
    m = club.join()
    club.members.top_up(shop.cashier, m.id, 30000, "wechat", reference="W1")
    orders = [club.order(TEA, member=m) for _ in range(8)]       # 68.00 each
    # A second Ledger object on the same file: its own connection, like another process.
    other = Ledger(tmp_path / "ledger.db", clock=shop.clock)
    engines = [shop.engine, OrderEngine(other, shop.master)]
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def till(engine, mine):
        start.wait()
        for order in mine:
            try:
                engine.add_payment(shop.cashier, order.id, "member_balance", 6800)
                outcomes.append("paid")
            except ValidationError as exc:
                assert "not enough" in exc.message
                outcomes.append("refused")

    threads = [threading.Thread(target=till, args=(e, orders[i::2]))
               for i, e in enumerate(engines)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        # 300.00 pays four 68.00 orders and not a fifth.
        assert sorted(outcomes) == ["paid"] * 4 + ["refused"] * 4
        assert club.member(m.id).balance == 30000 - 4 * 6800
        records = shop.ledger.records()
        with shop.ledger.reading() as conn:
            assert snapshot(conn) == snapshot(replay(records))
        replayed = replay(records).execute("SELECT balance FROM members WHERE id = ?",
                                           (m.id,)).fetchone()[0]
        assert replayed == 2800
    finally:
        other.close()
