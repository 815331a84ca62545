"""What training prints: printerd claims the training stack's jobs after the real ones, from
one long poll; the paper is marked as training at its top and bottom, in the receipt
language; a training sale never kicks the real cash drawer."""

import threading
import time

from training_helpers import cash_sale, enter_training, trainee  # noqa: F401

from drivers.printer.layout import COLUMNS, Line, training_mark

MARK_EN = "TRAINING — NOT A SALE"


def texts(document):
    return [ln["text"] for ln in document["lines"]]


def claim(device, wait=0):
    r = device.get(f"/api/v1/device/print-jobs/next?wait={wait}")
    return r.get_json() if r.status_code == 200 else None


def mark_lines(web):
    """The mark as it prints on this box's paper and language (zh_CN unless set)."""
    from appliance.i18n import language
    settings = web.box.master.settings
    with language(settings.get("receipt.language")):
        return [ln.text for ln in training_mark(COLUMNS[settings.get("receipt.width_mm")])]


def test_the_mark_fits_the_paper_and_is_bold_and_centred():
    for cols in COLUMNS.values():
        lines = training_mark(cols)
        assert lines and all(isinstance(ln, Line) and ln.bold and ln.align == "center"
                             for ln in lines)
        from drivers.printer.layout import width
        assert all(width(ln.text) <= cols for ln in lines)
        assert "".join(ln.text for ln in lines) == MARK_EN  # English outside a receipt language


def test_a_training_receipt_is_marked_top_and_bottom_and_has_no_qr(web, trainee, device):
    web.box.master.settings.set("receipt.language", "en")
    order = cash_sale(trainee)
    job = claim(device)
    assert job is not None and job["kind"] == "receipt" and job["order_id"] == order["id"]
    lines = texts(job["document"])
    mark = mark_lines(web)
    assert "".join(mark) == MARK_EN
    assert lines[:len(mark)] == mark and lines[-len(mark):] == mark
    assert any(order["number"] in t for t in lines)
    assert not job["document"].get("qr")          # no e-receipt for what is not a sale
    assert sum(MARK_EN in t for t in lines) == 2   # only the two marks


def test_the_mark_is_in_the_receipt_language(web, trainee, device):
    web.box.master.settings.set("receipt.language", "zh_CN")
    cash_sale(trainee)
    job = claim(device)
    lines = texts(job["document"])
    mark = mark_lines(web)
    assert lines[:len(mark)] == mark and lines[-len(mark):] == mark
    # Translated once the catalog has the message; the English source until then.
    assert "培训" in "".join(mark) or "".join(mark) == MARK_EN


def test_real_paper_is_not_marked(web, device):
    cashier = web.as_role("cashier")
    cash_sale(cashier)
    jobs = [claim(device), claim(device)]
    receipt = next(j for j in jobs if j and j["kind"] == "receipt")
    assert not any("TRAINING" in t or "培训" in t for t in texts(receipt["document"]))
    assert any(j and j["kind"] == "drawer" for j in jobs)  # a real cash sale kicks the drawer


def test_real_jobs_come_first_then_training_and_the_drawer_stays_shut(web, trainee, device):
    training_order = cash_sale(trainee)
    cashier = web.as_role("cashier")
    real_order = cash_sale(cashier)
    first, second, third = claim(device), claim(device), claim(device)
    assert first["kind"] == "drawer" and second["order_id"] == real_order["id"]
    assert third["order_id"] == training_order["id"] and third["kind"] == "receipt"
    assert claim(device) is None
    stack = web.box.training()
    drawer = [j for j in stack.printing.recent(10) if j["kind"] == "drawer"]
    assert drawer and all(j["state"] == "failed" and j["reason"] == "training" for j in drawer)


def test_printerd_reports_a_training_job_by_its_id(web, trainee, device):
    cash_sale(trainee)
    job = claim(device)
    r = device.post(f"/api/v1/device/print-jobs/{job['id']}", json={"state": "printed"})
    assert r.status_code == 200 and r.get_json()["state"] == "printed"
    assert web.box.training().printing.get(job["id"])["state"] == "printed"
    r = device.post("/api/v1/device/print-jobs/no-such-job", json={"state": "printed"})
    assert r.status_code == 404


def test_the_long_poll_wakes_for_a_training_job(web, trainee, device):
    web.box.training()      # the stack is open (the trainee entered training)
    got = {}

    def poll():
        started = time.monotonic()
        got["job"] = claim(device, wait=20)
        got["after"] = time.monotonic() - started
    t = threading.Thread(target=poll)
    t.start()
    time.sleep(0.3)
    order = cash_sale(trainee)
    t.join(25)
    assert got["job"]["order_id"] == order["id"]
    assert got["after"] < 10, got       # woken by the sale, not by the end of the wait


def test_a_training_shift_close_and_x_report_print_marked(web, trainee, device):
    """Shift close and the X report in training: the training ledger's records, and paper
    marked as training (the drawer kicks of the shift stay unsent)."""
    r = trainee.post("/api/v1/shifts", {"float": "0.00"})
    assert r.status_code == 201, r.get_json()
    cash_sale(trainee, amount="68.00")
    r = enter_training(web.as_role("manager")).post("/api/v1/reports/x", {})
    assert r.status_code == 201, r.get_json()
    r = trainee.post("/api/v1/shifts/current/close",
                     {"denominations": {"5000": 1, "1000": 1, "500": 1, "100": 3}})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["over_short"]["cash"] == "0.00"
    types = [rec.type for rec in web.box.training().ledger.records()]
    assert {"shift.opened", "report.x", "shift.closed"} <= set(types)
    assert web.box.ledger.head()[0] == 0
    mark = mark_lines(web)
    printed = []
    while (job := claim(device)) is not None:
        printed.append(job)
    assert {j["kind"] for j in printed} == {"receipt", "report"}
    reports = [j for j in printed if j["kind"] == "report"]
    assert len(reports) >= 2       # the X report and the handover
    for job in printed:
        lines = texts(job["document"])
        assert lines[:len(mark)] == mark and lines[-len(mark):] == mark, job["kind"]


def test_leaving_training_prints_unmarked_again(web, trainee, device):
    enter_training(trainee, on=False)
    cash_sale(trainee)
    for job in (claim(device), claim(device)):
        if job["kind"] == "receipt":
            assert not any("TRAINING" in t for t in texts(job["document"]))
