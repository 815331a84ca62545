"""Every route has an access rule, and the rules are the role table (ARCHITECTURE section 4).

A new route fails here until it is added to ROUTES with its rule, so nothing is reachable by
accident; and each rule is checked against real requests from every role.
"""

import pytest

from appliance.master.staff import ROLES
from appliance.orders.permissions import PERMISSIONS
from webui.access import DEVICE, LOGIN, PUBLIC

ROUTES = {
    ("GET", "/"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    # a new box's setup page: nobody can sign in yet; the setup code guards it (webui/setup.py)
    ("GET", "/setup"): PUBLIC,
    ("POST", "/api/v1/setup"): PUBLIC,
    ("GET", "/ca"): PUBLIC,
    ("GET", "/ca.crt"): PUBLIC,
    ("GET", "/phone"): "order.edit",
    ("GET", "/counter"): "payment.take",
    ("GET", "/display"): LOGIN,
    # the back office (issue 9)
    ("GET", "/office"): "reports.view",
    ("GET", "/office/reports"): "reports.view",
    ("GET", "/office/shifts"): "shift.close",
    ("GET", "/office/finance"): "finance",
    ("GET", "/office/staff"): "staff.manage",
    ("GET", "/office/audit"): "audit.view",
    # customers after the sale (issue 10)
    ("GET", "/office/aftersales"): "aftersales.view",
    ("GET", "/office/deliveries"): "fulfilment.edit",
    ("GET", "/office/notifications"): "notify.view",
    ("GET", "/office/customers"): "customer.data",
    # issue 10 returns and exchanges (docs/returns.md)
    ("GET", "/api/v1/returns/sales"): "order.find",
    ("POST", "/api/v1/returns/quote"): "order.find",
    ("POST", "/api/v1/returns/refund"): "order.find",
    ("POST", "/api/v1/returns/exchange"): "order.exchange",
    ("GET", "/api/v1/credit-notes/<credit_code>"): "payment.take",
    # issue 10 after-sales and serial numbers (docs/aftersales.md)
    ("GET", "/api/v1/tickets"): "aftersales.view",
    ("POST", "/api/v1/tickets"): "aftersales.open",
    ("GET", "/api/v1/tickets/<ticket_id>"): "aftersales.view",
    ("GET", "/api/v1/tickets/by-number/<number>"): "aftersales.view",
    ("POST", "/api/v1/tickets/<ticket_id>/updates"): "aftersales.open",
    ("POST", "/api/v1/tickets/<ticket_id>/print"): "aftersales.view",
    ("GET", "/api/v1/orders/<order_id>/serials"): "order.edit",
    ("PUT", "/api/v1/orders/<order_id>/lines/<line_id>/serials"): "order.edit",
    ("GET", "/api/v1/serials/<serial>"): "aftersales.view",
    # issue 10 delivery and pick-up (docs/delivery.md)
    ("GET", "/api/v1/fulfilment"): "fulfilment.edit",
    ("GET", "/api/v1/orders/<order_id>/fulfilment"): "fulfilment.edit",
    ("PUT", "/api/v1/orders/<order_id>/fulfilment"): "fulfilment.edit",
    ("POST", "/api/v1/orders/<order_id>/fulfilment/status"): "fulfilment.edit",
    ("POST", "/api/v1/orders/<order_id>/pick-slip"): "fulfilment.edit",
    ("POST", "/api/v1/device/orders"): DEVICE,
    # issue 10 notifications (docs/notifications.md)
    ("GET", "/api/v1/notifications"): "notify.view",
    ("POST", "/api/v1/notifications/<notification_id>/retry"): "notify.manage",
    ("POST", "/api/v1/notifications/<notification_id>/cancel"): "notify.manage",
    ("POST", "/api/v1/notifications/test"): "notify.manage",
    ("POST", "/api/v1/device/notifications/claim"): DEVICE,
    ("POST", "/api/v1/device/notifications/<notification_id>/result"): DEVICE,
    ("POST", "/api/v1/device/notifications/delivery"): DEVICE,
    # issue 10 e-receipt page (docs/ereceipt.md)
    ("POST", "/r/<token>/feedback"): PUBLIC,
    ("POST", "/r/<token>/request"): PUBLIC,
    ("POST", "/api/v1/device/customer-requests"): DEVICE,
    ("GET", "/training"): "training",
    # issue 11 built-in help (webui/help.py): one page per topic
    ("GET", "/help"): LOGIN,
    ("GET", "/help/order"): LOGIN,
    ("GET", "/help/counter"): LOGIN,
    ("GET", "/help/returns"): LOGIN,
    ("GET", "/help/shift"): LOGIN,
    ("GET", "/help/stocktake"): LOGIN,
    ("GET", "/help/product"): LOGIN,
    ("GET", "/help/aftersales"): LOGIN,
    ("GET", "/help/delivery"): LOGIN,
    ("GET", "/static/<path:filename>"): PUBLIC,
    ("POST", "/api/v1/auth/login"): PUBLIC,
    ("POST", "/api/v1/auth/logout"): LOGIN,
    ("GET", "/api/v1/auth/me"): LOGIN,
    ("GET", "/api/v1/events"): LOGIN,
    ("GET", "/api/v1/products"): LOGIN,
    ("GET", "/api/v1/products/by-barcode/<code>"): LOGIN,
    ("POST", "/api/v1/products"): "catalog.edit",
    ("PATCH", "/api/v1/products/<product_id>"): "catalog.edit",
    ("GET", "/api/v1/categories"): LOGIN,
    ("POST", "/api/v1/orders"): "order.edit",
    ("GET", "/api/v1/orders"): "order.edit",
    ("GET", "/api/v1/orders/<order_id>"): "order.edit",
    ("GET", "/api/v1/orders/by-number/<number>"): "order.edit",
    ("PATCH", "/api/v1/orders/<order_id>"): "order.edit",
    ("POST", "/api/v1/orders/<order_id>/lines"): "order.edit",
    ("PATCH", "/api/v1/orders/<order_id>/lines/<line_id>"): "order.edit",
    ("DELETE", "/api/v1/orders/<order_id>/lines/<line_id>"): "order.edit",
    ("POST", "/api/v1/orders/<order_id>/park"): "order.park",
    ("POST", "/api/v1/orders/<order_id>/recall"): "order.recall",
    ("POST", "/api/v1/orders/<order_id>/cancel"): "order.edit",
    ("POST", "/api/v1/orders/<order_id>/payments"): "payment.take",
    ("POST", "/api/v1/orders/<order_id>/payments/<payment_id>/void"): "payment.take",
    ("POST", "/api/v1/orders/<order_id>/refunds"): "refund",
    ("POST", "/api/v1/orders/<order_id>/reprint"): "payment.take",
    ("GET", "/api/v1/orders/<order_id>/qr.svg"): "order.edit",
    # hardware (docs/hardware.md)
    ("GET", "/r/<token>"): PUBLIC,
    ("GET", "/sim"): "payment.take",
    ("GET", "/api/v1/printer"): LOGIN,
    ("GET", "/api/v1/orders/<order_id>/print-jobs"): "order.edit",
    ("PUT", "/api/v1/till"): "payment.take",
    ("POST", "/api/v1/drawer/open"): "drawer.open",
    ("GET", "/api/v1/visitors"): "stock.adjust",
    ("GET", "/api/v1/sim/printer"): LOGIN,
    ("PUT", "/api/v1/sim/printer"): "payment.take",
    ("POST", "/api/v1/sim/printer/close-drawer"): "payment.take",
    ("POST", "/api/v1/sim/scan"): "payment.take",
    ("GET", "/api/v1/sim/modem"): LOGIN,                # issue 10 modem (docs/hardware.md)
    ("PUT", "/api/v1/sim/modem"): "payment.take",
    ("GET", "/api/v1/device/print-jobs/next"): DEVICE,
    ("POST", "/api/v1/device/print-jobs/<job_id>"): DEVICE,
    ("PUT", "/api/v1/device/printer"): DEVICE,
    ("POST", "/api/v1/device/scans"): DEVICE,
    ("POST", "/api/v1/device/button"): DEVICE,
    ("POST", "/api/v1/device/visitors"): DEVICE,
    ("GET", "/api/v1/device/printer"): DEVICE,
    ("PUT", "/api/v1/device/uplink"): DEVICE,
    ("POST", "/api/v1/device/catalog"): DEVICE,
    ("POST", "/api/v1/device/promotions"): DEVICE,
    # members and promotions (docs/members-promotions.md)
    ("PUT", "/api/v1/orders/<order_id>/member"): "order.edit",
    ("POST", "/api/v1/orders/<order_id>/coupons"): "order.edit",
    ("DELETE", "/api/v1/orders/<order_id>/coupons/<code>"): "order.edit",
    ("GET", "/api/v1/members"): "member.view",
    ("GET", "/api/v1/members/lookup"): "member.view",
    ("POST", "/api/v1/members"): "member.create",
    ("GET", "/api/v1/members/<member_id>"): "member.view",
    ("PATCH", "/api/v1/members/<member_id>"): "member.edit",
    ("POST", "/api/v1/members/<member_id>/topups"): "member.topup",
    ("POST", "/api/v1/members/<member_id>/payouts"): "member.payout",
    ("POST", "/api/v1/members/<member_id>/points"): "member.points",
    ("POST", "/api/v1/members/<member_id>/gifts"): "member.gift",
    ("GET", "/api/v1/member-levels"): "member.view",
    ("POST", "/api/v1/member-levels"): "member.level",
    ("PUT", "/api/v1/member-levels/<level_id>"): "member.level",
    ("GET", "/api/v1/promotions"): "member.view",
    ("GET", "/api/v1/promotions/gifts"): "member.view",
    ("GET", "/api/v1/promotions/<rule_id>"): "member.view",
    ("POST", "/api/v1/promotions"): "promotion.edit",
    ("PUT", "/api/v1/promotions/<rule_id>"): "promotion.edit",
    ("POST", "/api/v1/promotions/<rule_id>/switch"): "promotion.edit",
    ("POST", "/api/v1/promotions/preview"): "promotion.edit",
    # stock, purchasing, stocktake, labels (issue 8)
    ("POST", "/api/v1/labels"): "labels.print",
    ("GET", "/api/v1/labels/printer"): LOGIN,
    ("POST", "/api/v1/products/<product_id>/barcode"): "catalog.edit",
    ("GET", "/api/v1/sim/label-printer"): LOGIN,
    ("GET", "/api/v1/suppliers"): "stock.receive",
    ("POST", "/api/v1/suppliers"): "purchasing",
    ("GET", "/api/v1/suppliers/<supplier_id>"): "purchasing",
    ("PUT", "/api/v1/suppliers/<supplier_id>"): "purchasing",
    ("GET", "/api/v1/contracts"): "purchasing",
    ("POST", "/api/v1/contracts"): "purchasing",
    ("GET", "/api/v1/contracts/due"): "purchasing",
    ("PUT", "/api/v1/contracts/<contract_id>"): "purchasing",
    ("GET", "/api/v1/purchase-orders"): "stock.receive",
    ("POST", "/api/v1/purchase-orders"): "purchasing",
    ("GET", "/api/v1/purchase-orders/suggestions"): "purchasing",
    ("GET", "/api/v1/purchase-orders/<po_id>"): "stock.receive",
    ("PUT", "/api/v1/purchase-orders/<po_id>"): "purchasing",
    ("POST", "/api/v1/purchase-orders/<po_id>/cancel"): "purchasing",
    ("POST", "/api/v1/purchase-orders/<po_id>/close"): "purchasing",
    ("POST", "/api/v1/receiving"): "stock.receive",
    ("GET", "/api/v1/receiving/<receipt_id>"): "stock.receive",
    ("GET", "/api/v1/stock"): "stock.view",
    ("GET", "/api/v1/stock/alerts"): "stock.view",
    ("GET", "/api/v1/stock/report"): "purchasing",
    ("GET", "/api/v1/stock/<product_id>"): "stock.view",
    ("GET", "/api/v1/stock/<product_id>/moves"): "stock.view",
    ("PUT", "/api/v1/stock/<product_id>/rule"): "purchasing",
    ("POST", "/api/v1/stock/<product_id>/adjust"): "stock.adjust",
    ("GET", "/api/v1/device/stock"): DEVICE,
    ("GET", "/api/v1/counts"): "stock.count",
    ("POST", "/api/v1/counts"): "stock.count.manage",
    ("GET", "/api/v1/counts/<count_id>"): "stock.count",
    ("POST", "/api/v1/counts/<count_id>/entries"): "stock.count",
    ("GET", "/api/v1/counts/<count_id>/review"): "stock.count.manage",
    ("POST", "/api/v1/counts/<count_id>/approve"): "stock.count.manage",
    ("POST", "/api/v1/counts/<count_id>/cancel"): "stock.count.manage",
    ("GET", "/api/v1/counts/<count_id>/sheet.csv"): "stock.count",
    ("POST", "/api/v1/counts/<count_id>/print"): "stock.count",
    # customers' personal data (issue 10: docs/customer-data.md)
    ("POST", "/api/v1/customer-data/lookup"): "customer.data",
    ("POST", "/api/v1/customer-data/export"): "customer.data",
    ("POST", "/api/v1/customer-data/erase"): "customer.data",
    # running the shop (issue 9: docs/shifts.md, reports.md, finance.md, staff-audit.md,
    # training.md)
    ("GET", "/api/v1/shifts/current"): "shift.open",
    ("POST", "/api/v1/shifts"): "shift.open",
    ("POST", "/api/v1/shifts/current/cash"): "shift.cash",
    ("POST", "/api/v1/shifts/current/close"): "shift.close",
    ("GET", "/api/v1/shifts"): "shift.close",
    ("GET", "/api/v1/shifts/<shift_id>"): "shift.close",
    ("POST", "/api/v1/reports/x"): "report.x",
    ("POST", "/api/v1/reports/z"): "report.z",
    ("GET", "/api/v1/till-reports"): "report.x",
    ("GET", "/api/v1/till-reports/<report_id>"): "report.x",
    ("POST", "/api/v1/till-reports/<report_id>/reprint"): "report.x",
    ("GET", "/api/v1/reports"): "reports.view",
    ("GET", "/api/v1/reports/today"): "reports.view",
    ("GET", "/api/v1/reports/<section>.csv"): "reports.view",
    ("POST", "/api/v1/reports/print"): "reports.view",
    ("GET", "/api/v1/finance/entries"): "finance",
    ("POST", "/api/v1/finance/entries"): "finance",
    ("POST", "/api/v1/finance/entries/<entry_id>/void"): "finance",
    ("GET", "/api/v1/finance/entries.csv"): "finance",
    ("GET", "/api/v1/finance/profit"): "finance",
    ("GET", "/api/v1/finance/profit.csv"): "finance",
    ("GET", "/api/v1/staff"): "staff.manage",
    ("POST", "/api/v1/staff"): "staff.manage",
    ("PATCH", "/api/v1/staff/<staff_id>"): "staff.manage",
    ("POST", "/api/v1/staff/<staff_id>/pin"): "staff.manage",
    ("POST", "/api/v1/staff/<staff_id>/deactivate"): "staff.manage",
    ("POST", "/api/v1/staff/<staff_id>/reactivate"): "staff.manage",
    ("GET", "/api/v1/staff/sales"): "staff.manage",
    ("GET", "/api/v1/settings"): LOGIN,
    ("PATCH", "/api/v1/settings"): "settings.edit",
    # the settings page (issue 11; docs/settings.md)
    ("GET", "/office/settings"): "settings.edit",
    # -- issue 11 shop and receipt (logo) --
    ("POST", "/api/v1/settings/logo"): "settings.edit",
    ("DELETE", "/api/v1/settings/logo"): "settings.edit",
    ("GET", "/api/v1/settings/logo/preview.png"): LOGIN,
    ("GET", "/api/v1/settings/receipt-preview"): LOGIN,
    # -- issue 11 payment and modules --
    ("GET", "/api/v1/payment-qr/<method>.svg"): LOGIN,
    # -- issue 11 devices and head office --
    ("GET", "/api/v1/settings/devices"): "settings.edit",
    ("PATCH", "/api/v1/settings/devices"): "settings.edit",
    ("POST", "/api/v1/settings/devices/test-print"): "settings.edit",
    ("GET", "/api/v1/settings/devices/print-jobs/<job_id>"): "settings.edit",
    ("POST", "/api/v1/settings/devices/scan-test"): "settings.edit",
    ("GET", "/api/v1/settings/devices/scan-test/<test_id>"): "settings.edit",
    ("POST", "/api/v1/settings/devices/scan-test/<test_id>/cancel"): "settings.edit",
    ("POST", "/api/v1/settings/devices/gpio-test"): "settings.edit",
    ("GET", "/api/v1/settings/devices/commands/<command_id>"): "settings.edit",
    ("GET", "/api/v1/device/commands"): DEVICE,
    ("POST", "/api/v1/device/commands/<command_id>"): DEVICE,
    ("GET", "/api/v1/settings/headoffice"): "settings.edit",
    ("PATCH", "/api/v1/settings/headoffice"): "settings.edit",
    ("GET", "/api/v1/settings/headoffice/status"): "settings.edit",
    ("PUT", "/api/v1/settings/headoffice/password"): "settings.edit",
    ("PUT", "/api/v1/settings/headoffice/tls"): "settings.edit",
    ("POST", "/api/v1/settings/headoffice/test"): "settings.edit",
    # -- issue 11 backups and USB --
    ("GET", "/api/v1/backups"): "settings.edit",
    ("POST", "/api/v1/backups"): "settings.edit",
    ("GET", "/api/v1/backups/usb"): LOGIN,
    ("PUT", "/api/v1/backups/key"): "settings.edit",
    ("DELETE", "/api/v1/backups/key"): "settings.edit",
    # -- issue 11 replacing a box --
    ("POST", "/api/v1/device/journal-restore"): DEVICE,
    ("GET", "/api/v1/rebuild"): "settings.edit",
    ("POST", "/api/v1/rebuild"): "settings.edit",
    ("GET", "/api/v1/audit"): "audit.view",
    ("GET", "/api/v1/audit.csv"): "audit.view",
    ("POST", "/api/v1/training/session"): "training",
    ("POST", "/api/v1/training/quiz"): "training",
    ("POST", "/api/v1/training/quiz/<quiz_id>"): "training",
    ("GET", "/api/v1/training/scores"): "training",
}


def registered(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            view = app.view_functions[rule.endpoint]
            yield method, rule.rule, getattr(view, "access", None)


def test_every_registered_route_is_in_the_role_table(web):
    seen = {}
    for method, path, rule in registered(web.app):
        assert rule is not None, f"{method} {path} has no access rule"
        assert (method, path) in ROUTES, f"{method} {path} is not in the role table"
        assert ROUTES[(method, path)] == rule, f"{method} {path}: {rule}"
        seen[(method, path)] = rule
    assert set(seen) == set(ROUTES), "the table lists routes that no longer exist"


def fill(path):
    return (path.replace("<path:filename>", "tillbox.css").replace("<code>", "1")
            .replace("<order_id>", "no-such-order").replace("<line_id>", "l")
            .replace("<payment_id>", "p").replace("<product_id>", "no-such-product").replace("<number>", "20260101-0001")
            .replace("<token>", "no-such.receipt").replace("<job_id>", "no-such-job")
            .replace("<member_id>", "no-such-member").replace("<level_id>", "no-such-level")
            .replace("<rule_id>", "no-such-rule").replace("<supplier_id>", "no-such-supplier")
            .replace("<contract_id>", "no-such-contract").replace("<po_id>", "no-such-po")
            .replace("<receipt_id>", "no-such-receipt").replace("<count_id>", "no-such-count")
            .replace("<shift_id>", "no-such-shift").replace("<report_id>", "no-such-report")
            .replace("<section>", "days").replace("<entry_id>", "no-such-entry")
            .replace("<staff_id>", "no-such-staff").replace("<quiz_id>", "no-such-quiz")
            .replace("<ticket_id>", "no-such-ticket").replace("<serial>", "no-such-serial")
            .replace("<notification_id>", "no-such-notification")
            .replace("<credit_code>", "no-such-credit"))


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_exactly_what_the_table_gives_it(web, role):
    from appliance.master.staff import role_at_least
    api = web.as_role(role)
    for (method, path), rule in ROUTES.items():
        if path in ("/api/v1/auth/logout", "/api/v1/events", "/api/v1/auth/login"):
            continue  # these end the session, stream forever, or are the sign-in itself
        r = api.client.open(fill(path), method=method, json={},
                            headers={"X-CSRF-Token": api.csrf})
        if rule == DEVICE:  # a person's session is no device token, whatever the role
            assert r.status_code == 401, f"{role} got {r.status_code} from {method} {path}"
            continue
        allowed = rule in (PUBLIC, LOGIN) or role_at_least(role, PERMISSIONS[rule])
        if allowed:
            assert r.status_code != 403, f"{role} refused {method} {path}: {r.get_data()}"
        else:
            assert r.status_code == 403, f"{role} allowed {method} {path}"


def test_signed_out_callers_get_401_on_everything_but_public_routes(web):
    api = web.client()
    for (method, path), rule in ROUTES.items():
        if rule == PUBLIC:
            continue
        r = api.client.open(fill(path), method=method, json={})
        if path.startswith("/api/"):
            assert r.status_code == 401, f"{method} {path} answered {r.status_code} signed out"
        else:  # a page sends the person to the PIN pad and back
            assert r.status_code == 302, f"{method} {path} answered {r.status_code} signed out"
            assert r.headers["Location"] == f"/login?next={path}"
