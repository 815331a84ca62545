"""The whole appliance with simulated devices, as separate processes (core, the simulated
printer, printerd, scannerd): a scan reaches the counter's order over SSE, a cash sale prints
its receipt on the simulated printer and kicks the drawer, and every injected printer fault
leaves the sale complete, the job waiting with its reason, and the receipt printed exactly
once when the fault clears."""

import pytest

from appliance_procs import DAEMONS, TEA, Appliance
from conftest import wait_until
from drivers.printer import simulated
from drivers.scanner.simulated import feed_fifo


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    app = Appliance(tmp_path_factory.mktemp("appliance"))
    try:
        app.counter = app.wait_ready()
        yield app
    finally:
        codes = app.stop()
    # Clean shutdown on SIGTERM (systemd's stop): every daemon exits 0.
    assert codes == dict.fromkeys(DAEMONS, 0), codes


@pytest.fixture
def counter(box):
    simulated.write_faults(box.sim_printer, offline=False, paper_out=False, cover_open=False,
                           paper_near_end=False, slow_ms=0, disconnect_mid_job=False)
    simulated.close_drawer(box.sim_printer)
    wait_until(lambda: box.counter.call("GET", "/api/v1/printer")[1]["printer"]["ready"],
               timeout=20, what="printer ready")
    status, _b, _c = box.counter.call("PUT", "/api/v1/till", {"order_id": None})
    assert status == 200
    return box.counter


def scan_into_new_order(box, events):
    feed_fifo(box.fifo, TEA)
    _k, scan = events.next_event(lambda k, d: k == "scan")
    assert scan["ok"] is True, scan
    events.next_event(lambda k, d: k == "order" and d["id"] == scan["order_id"])
    return scan["order_id"]


def pay_cash(counter, order_id, amount="100.00"):
    status, body, _ = counter.call("POST", f"/api/v1/orders/{order_id}/payments",
                                   {"method": "cash", "amount": amount})
    assert status in (200, 201) and body["completed"], body
    return body["order"]


def printed(events, order_id, kind="receipt", timeout=20):
    """Wait for the SSE message saying this order's job of ``kind`` printed."""
    return events.next_event(lambda k, d: k == "print_job" and d["kind"] == kind
                             and d["order_id"] == order_id and d["state"] == "printed",
                             timeout=timeout)


def receipts_for(box, number):
    return [r for r in simulated.paper_roll(box.sim_printer, limit=100)
            if r["cut"] and any(number in ln["text"] for ln in r["lines"])]


def test_scan_pay_cash_print_and_kick_the_drawer(box, counter):
    events = counter.events()
    try:
        order_id = scan_into_new_order(box, events)
        _s, order, _ = counter.call("GET", f"/api/v1/orders/{order_id}")
        assert [ln["name"] for ln in order["lines"]] == ["西湖龙井"]
        kicks_before = simulated.drawer_state(box.sim_printer).get("kicks", 0)
        paid = pay_cash(counter, order_id)
        assert paid["change"] == "32.00"
        printed(events, order_id, "drawer")
        printed(events, order_id, "receipt")
    finally:
        events.close()
    [receipt] = receipts_for(box, paid["number"])
    text = "\n".join(ln["text"] for ln in receipt["lines"])
    assert "西湖龙井" in text and "￥100.00" in text and "￥32.00" in text
    assert receipt["qr"] and "/r/" + order_id in receipt["qr"][0]
    drawer = simulated.drawer_state(box.sim_printer)
    assert drawer["kicks"] == kicks_before + 1 and drawer["last_kick"]["pin"] == 2


def test_a_bad_scan_is_refused_and_the_counter_hears_why(box, counter):
    events = counter.events()
    try:
        feed_fifo(box.fifo, "6901234567890")
        _k, scan = events.next_event(lambda k, d: k == "scan")
    finally:
        events.close()
    assert scan["ok"] is False and scan["error"] == "bad_check_digit"
    assert "scannerd" in box.log("scannerd") or box.procs["scannerd"].poll() is None


@pytest.mark.parametrize("fault,reasons", [
    ({"paper_out": True}, {"paper_out"}),
    ({"cover_open": True}, {"cover_open"}),
    ({"offline": True}, {"no_reply", "refused", "write_failed", "timeout", "disconnected",
                          "offline"}),
])
def test_a_printer_fault_holds_the_receipt_until_it_clears(box, counter, fault, reasons):
    simulated.write_faults(box.sim_printer, **fault)
    wait_until(lambda: not counter.call("GET", "/api/v1/printer")[1]["printer"]["ready"],
               timeout=20, what="printer problem reported")
    events = counter.events()
    try:
        order_id = scan_into_new_order(box, events)
        paid = pay_cash(counter, order_id)           # the sale completes regardless
        _k, job = events.next_event(lambda k, d: k == "print_job" and d["kind"] == "receipt"
                                    and d["order_id"] == order_id and d["state"] == "waiting")
        assert job["reason"] in reasons, job
        seen = counter.call("GET", "/api/v1/printer")[1]
        assert seen["printer"]["state"] == "problem" and seen["printer"]["reason"] in reasons
        assert receipts_for(box, paid["number"]) == []
        simulated.write_faults(box.sim_printer, **{k: False for k in fault})
        printed(events, order_id, timeout=20)
    finally:
        events.close()
    assert len(receipts_for(box, paid["number"])) == 1


def cash_sale_printed(box, counter):
    """Scan, pay cash, wait for the receipt's printed event; the receipts on the roll."""
    events = counter.events()
    try:
        order_id = scan_into_new_order(box, events)
        paid = pay_cash(counter, order_id, "68.00")
        printed(events, order_id, timeout=30)
    finally:
        events.close()
    return receipts_for(box, paid["number"])


def test_a_slow_printer_still_prints_once(box, counter):
    simulated.write_faults(box.sim_printer, slow_ms=300)
    assert len(cash_sale_printed(box, counter)) == 1


def test_a_connection_dropped_mid_receipt_prints_it_again_whole_once(box, counter):
    simulated.write_faults(box.sim_printer, disconnect_mid_job=True)
    [receipt] = cash_sale_printed(box, counter)
    assert simulated.read_faults(box.sim_printer)["disconnect_mid_job"] is False  # it fired
    assert any("西湖龙井" in ln["text"] for ln in receipt["lines"])


def test_paper_running_low_still_prints_and_the_counter_is_warned(box, counter):
    simulated.write_faults(box.sim_printer, paper_near_end=True)
    def low():
        printer = counter.call("GET", "/api/v1/printer")[1]["printer"]
        return printer if printer.get("paper_near_end") else None
    assert wait_until(low, timeout=20, what="paper low reported")["ready"] is True  # a warning

    assert len(cash_sale_printed(box, counter)) == 1
