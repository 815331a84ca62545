"""The durable print queue: claims, leases, reports, expiry, and the drawer-kick rules."""

import pytest

from appliance.errors import Conflict, NotFound, ValidationError
from appliance.printing import PrintQueue


@pytest.fixture
def queue(shop):
    return PrintQueue(shop.ledger)


def kinds(jobs):
    return sorted(j["kind"] for j in jobs)


def test_a_cash_sale_queues_a_receipt_and_a_drawer_kick_in_its_own_transaction(shop, queue):
    res = shop.sale("6901234567892")
    jobs = queue.pending()
    assert kinds(jobs) == ["drawer", "receipt"]
    assert {j["order_id"] for j in jobs} == {res.order.id}
    assert all(j["state"] == "queued" for j in jobs)


def test_a_card_sale_opens_no_drawer(shop, queue):
    shop.sale("6901234567892", method="card", reference="T-1")
    assert kinds(queue.pending()) == ["receipt"]


def test_the_drawer_kick_is_claimed_first_then_the_receipt(shop, queue):
    shop.sale("6901234567892")
    first, second = queue.claim(), queue.claim()
    assert (first["kind"], second["kind"]) == ("drawer", "receipt")
    assert first["state"] == second["state"] == "printing"
    assert queue.claim() is None


def test_printed_is_final_and_reporting_it_twice_is_harmless(shop, queue):
    shop.sale("6901234567892", method="card", reference="T-1")
    job = queue.claim()
    assert queue.report(job["id"], "printed")["state"] == "printed"
    again = queue.report(job["id"], "printed")
    assert again["state"] == "printed" and again["finished_at"]
    assert queue.claim() is None


def test_a_waiting_receipt_keeps_its_reason_and_is_not_offered_to_anyone_else(shop, queue):
    shop.sale("6901234567892", method="card", reference="T-1")
    job = queue.claim()
    waiting = queue.report(job["id"], "waiting", "paper_out")
    assert (waiting["state"], waiting["reason"]) == ("waiting", "paper_out")
    assert queue.claim() is None  # printerd still holds it


def test_a_receipt_whose_claim_lapsed_is_offered_again_with_the_same_id(shop, queue, clock):
    shop.sale("6901234567892", method="card", reference="T-1")
    job = queue.claim()
    clock.advance(seconds=61)  # printerd died without a word
    again = queue.claim()
    assert again["id"] == job["id"] and again["attempts"] == 2


def test_a_drawer_kick_whose_claim_lapsed_is_never_repeated(shop, queue, clock):
    shop.sale("6901234567892")
    kick = queue.claim(kind="drawer")
    clock.advance(seconds=61)
    assert queue.claim(kind="drawer") is None
    assert queue.get(kick["id"])["state"] == "failed"
    assert queue.get(kick["id"])["reason"] == "interrupted"


def test_old_jobs_expire_instead_of_surprising_anyone(shop, queue, clock):
    shop.sale("6901234567892")
    clock.advance(seconds=16)
    kick = [j for j in queue.recent() if j["kind"] == "drawer"][0]
    receipt = queue.claim()
    assert receipt["kind"] == "receipt"  # the kick expired: 15 s is too late to open a drawer
    assert queue.get(kick["id"])["state"] == "expired"
    queue.report(receipt["id"], "waiting", "paper_out")
    clock.advance(hours=1)
    after = queue.report(receipt["id"], "waiting", "paper_out")
    assert (after["state"], after["reason"]) == ("expired", "too_old")


def test_a_receipt_printed_late_is_still_believed(shop, queue, clock):
    shop.sale("6901234567892", method="card", reference="T-1")
    job = queue.claim()
    queue.report(job["id"], "waiting", "cover_open")
    clock.advance(hours=2)
    queue.expire_old()
    assert queue.report(job["id"], "printed")["state"] == "printed"


def test_bad_reports_are_refused_with_reasons(shop, queue):
    shop.sale("6901234567892", method="card", reference="T-1")
    job = queue.claim()
    with pytest.raises(ValidationError):
        queue.report(job["id"], "waiting")          # no reason
    with pytest.raises(ValidationError):
        queue.report(job["id"], "exploded", "x")
    with pytest.raises(NotFound):
        queue.report("no-such-job", "printed")
    queue.report(job["id"], "failed", "cutter_error")
    with pytest.raises(Conflict):
        queue.report(job["id"], "waiting", "paper_out")


def test_reprints_and_no_sale_openings_queue_jobs_too(shop, queue):
    res = shop.sale("6901234567892", method="card", reference="T-1")
    queue.report(queue.claim()["id"], "printed")
    job_id = shop.engine.reprint_receipt(shop.cashier, res.order.id)
    kick_id = shop.engine.open_drawer(shop.cashier, "change for the float")
    assert {j["id"] for j in queue.pending()} == {job_id, kick_id}
    assert [r.type for r in shop.ledger.records()][-1] == "drawer.opened"


def test_an_assistant_cannot_open_the_drawer(shop):
    from appliance.errors import Forbidden
    with pytest.raises(Forbidden):
        shop.engine.open_drawer(shop.assistant, "just looking")


def test_a_waiting_claim_wakes_when_a_sale_queues_a_job(shop, queue):
    import threading
    import time
    got = []
    t = threading.Thread(target=lambda: got.append(queue.claim(wait=5)))
    t.start()
    time.sleep(0.2)
    started = time.monotonic()
    shop.sale("6901234567892", method="card", reference="T-1")
    t.join(5)
    assert got and got[0]["kind"] == "receipt"
    assert time.monotonic() - started < 4  # woken by the commit, not by the timeout
