"""X, Z and handover paper: queued by their records, laid out in the receipt language with ￥."""

from appliance.printing.documents import document_for

from tilldesk import counter_people, counts_for, shift_with_a_cash_sale


def _text(doc):
    return "\n".join(line["text"] for line in doc["lines"])


def _jobs(box, document="shift"):
    return [j for j in box.printing.pending()
            if j["kind"] == "report" and j["payload"].get("document") == document]


def test_handover_x_and_z_are_printed_in_the_receipt_language(web):
    box = web.box
    cashier, manager = shift_with_a_cash_sale(web, 20000, 10000)
    x = box.shifts.x_report(manager)
    box.shifts.close(cashier, counts=counts_for(26800))
    z = box.shifts.z_report(manager)
    jobs = _jobs(box)
    assert [j["payload"].get("report_id") or j["payload"].get("shift_id") for j in jobs] == \
        [x["report_id"], box.shifts.recent()[0].id, z["report_id"]]
    assert box.master.settings.get("receipt.language") == "zh_CN"
    docs = [document_for(box, j) for j in jobs]
    for doc in docs:
        assert doc["cut"] and doc["paper_mm"] == 80
        assert "￥" in _text(doc) and "¥" not in _text(doc)
        assert all(len(line["text"]) <= 48 for line in doc["lines"])
    x_text, slip, z_text = map(_text, docs)
    assert "cashier 张" in slip and "￥268.00" in slip
    assert "￥100.00 x 2" in slip
    assert z["head_hash"][:32] in z_text and "￥68.00" in z_text
    assert "1-" in x_text
    box.master.settings.set("receipt.language", "en")
    english = _text(document_for(box, jobs[1]))
    assert "Shift handover 1" in english and "Expected" in english and "Counted" in english
    assert "Z report 1" in _text(document_for(box, jobs[2]))
    assert "X report 1" in _text(document_for(box, jobs[0]))


def test_a_reprint_is_marked(web):
    box = web.box
    cashier, manager = counter_people(web)
    box.shifts.open(cashier, 0)
    x = box.shifts.x_report(manager)
    box.master.settings.set("receipt.language", "en")
    doc = document_for(box, {"kind": "report", "order_id": None,
                             "payload": box.shifts.reprint(manager, x["report_id"])})
    assert "REPRINT" in _text(doc)
