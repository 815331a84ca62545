"""The office shifts page and the counter's shift panel, as served."""

from tilldesk import counts_for, shift_with_a_cash_sale


def test_office_shifts_lists_shifts_and_reports_with_their_figures(web):
    box = web.box
    cashier, manager = shift_with_a_cash_sale(web, 20000, 6800)
    box.shifts.close(cashier, counts=counts_for(26750), approver=None)   # 0.50 short
    z = box.shifts.z_report(manager)
    page = web.as_role("manager").get("/office/shifts?lang=en").get_data(as_text=True)
    assert 'data-shift="' in page and "cashier 张" in page
    assert "￥200.00" in page and "￥-0.50" in page
    assert f'id="report-{z["report_id"]}"' in page and "Z report 1" in page
    assert "68.00" in page and z["head_hash"][:16] in page
    assert f'data-reprint="{z["report_id"]}"' in page
    # A cashier may open it too (the shift.close rule); an assistant may not.
    assert web.as_role("cashier").get("/office/shifts").status_code == 200
    assert web.as_role("assistant").get("/office/shifts").status_code == 403


def test_the_counter_has_the_shift_button_and_panel(web):
    page = web.as_role("cashier").get("/counter?lang=en").get_data(as_text=True)
    for marker in ('id="shift-button"', 'id="shift-dialog"', 'id="shift-close-dialog"',
                   'id="count-rows"', "js/shift.js", '"sh_closed_title"'):
        assert marker in page, marker
