"""Pages for people: the start page, PIN sign-in, the phone order entry, the counter and the
customer display (a new box sends / and /login to its setup page: webui/setup.py). Pages
are thin: they render translated text and load one small script that talks to /api/v1.
Every string a script shows comes from :func:`script_strings`, so it goes through the same
translation catalog as the templates.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from appliance.errors import TillboxError

from .access import LOGIN, PUBLIC, access
from .office import office_strings
from .api.returns import script_strings as returns_strings  # issue 10 returns
from .setup import pending as setup_pending

bp = Blueprint("pages", __name__)


def script_strings() -> dict:
    return {
        "add": _("Add"), "added": _("Added"), "amount": _("Amount"), "cancel": _("Cancel"),
        "cancel_order": _("Cancel order"), "cancel_reason": _("Why is it cancelled?"),
        "cart_empty": _("No items yet: search, pick a category or scan."),
        "change_due": _("Change due"), "choose_spec": _("Choose a spec"),
        "customer": _("Customer"), "due": _("Due"), "error": _("Something went wrong"),
        "logout": _("Sign out"), "method_alipay": _("Alipay"), "method_card": _("Card"),
        "method_cash": _("Cash"), "method_cheque": _("Cheque"),
        "method_transfer": _("Bank transfer"), "method_wechat": _("WeChat Pay"),
        "new_order": _("New order"), "no_orders": _("No orders here."),
        "note": _("Note"), "offline": _("Connection lost: retrying…"),
        "paid": _("Paid"), "park": _("Park for the counter"), "parked": _("Parked"),
        "pay": _("Take payment"), "phone": _("Phone"), "qty": _("Qty"),
        "recall": _("Recall"), "reference": _("Reference"),
        "reference_needed": _("Enter the payment reference"), "scan": _("Scan"),
        "scan_unavailable": _("This browser cannot scan here: type the barcode."),
        "search": _("Search name, code or barcode"), "stock": _("Stock"),
        "subtotal": _("Subtotal"), "status_open": _("Open"), "status_paid": _("Paid"),
        "status_parked": _("Parked"), "status_cancelled": _("Cancelled"),
        "total": _("Total"), "wrong_pin": _("Wrong PIN"), "receipt": _("Receipt"),
        "completed": _("Sale completed"), "all": _("All"), "round_off": _("Round-off"),
        "new_product": _("New product"), "saved": _("Saved"),
        "reprint_queued": _("A copy of the receipt is queued for the printer"),
        "signed_in_as": _("Signed in as %(name)s", name="{name}"),
        # devices (docs/hardware.md): printer and job states, scans, the drawer
        "printer_ready": _("Printer ready"), "printer_problem": _("Printer: %(why)s", why="{why}"),
        "paper_near_end": _("Paper is running low"),
        "why_paper_out": _("out of paper"), "why_cover_open": _("cover open"),
        "why_offline": _("offline"), "why_no_reply": _("not answering"),
        "why_printerd_not_running": _("print service not running"),
        "why_no_printer": _("no printer set up"), "why_not_found": _("not connected"),
        "why_refused": _("not connected"), "why_timeout": _("not answering"),
        "why_permission": _("no permission to use it"), "why_write_failed": _("connection lost"),
        "why_too_old": _("too old to print now"), "why_interrupted": _("interrupted"),
        "why_no_drawer": _("no cash drawer set up"),
        "why_mechanical_error": _("mechanical error"), "why_cutter_error": _("cutter jammed"),
        "why_unrecoverable_error": _("printer error: switch it off and on"),
        "why_auto_recoverable_error": _("printer overheated: wait a moment"),
        "why_garbled_reply": _("garbled reply"), "why_usb_backend_missing": _("USB support missing"),
        "why_busy": _("in use by another program"), "why_unreachable": _("not reachable"),
        "why_disconnected": _("connection lost"), "why_closed": _("connection lost"),
        "why_io_error": _("connection lost"), "why_raster_font_missing": _("font missing"),
        "why_logo": _("the logo file cannot be read"), "why_layout": _("the receipt cannot be laid out"),
        "why_internal_error": _("internal error: see the log"),
        "job_queued": _("Receipt queued"), "job_printing": _("Printing receipt…"),
        "job_printed": _("Receipt printed"), "job_waiting": _("Receipt waits: %(why)s", why="{why}"),
        "job_failed": _("Receipt not printed: %(why)s", why="{why}"),
        "job_expired": _("Receipt not printed: %(why)s", why="{why}"),
        "drawer_open": _("Drawer open"), "drawer_closed": _("Drawer closed"),
        "sms_sent": _("Sent, no report yet"), "sms_delivered": _("Delivered to the phone"),
        "sms_failed": _("Not delivered"), "sms_parts": _("{n} parts"),
        "sms_none": _("No text messages sent yet."),
        "drawer_left_open": _("Drawer open for %(s)s s: close it", s="{s}"),
        "drawer_reason": _("Why open the drawer without a sale?"),
        "drawer_opening": _("Opening the drawer"),
        "scan_error": _("Scan: %(why)s", why="{why}"),
        "scan_bad_check_digit": _("the check digit of %(code)s is wrong (scan it again)",
                                  code="{code}"),
        "scan_unreadable": _("the scanner sent characters that are not a code"),
        "scan_too_long": _("it is too long to be a code"), "scan_empty": _("nothing was read"),
        "scan_no_counter": _("nobody is signed in at the counter to take this scan"),
        "scan_not_found": _("no product has barcode %(code)s", code="{code}"),
        "scan_member_not_found": _("no member has card %(code)s", code="{code}"),
        "scan_scan_test": _("%(code)s went to the scan test on the settings page, not into "
                            "this order: scan it again", code="{code}"),
        "drawer_failed": _("The drawer did not open: %(why)s", why="{why}"),
        "uplink_connected": _("Head office connected"),
        "uplink_backlog": _("Head office: %(n)s to send", n="{n}"),
        "uplink_offline": _("Head office offline: %(n)s to send, last contact %(t)s",
                            n="{n}", t="{t}"),
        "uplink_never": _("never"),
        "uplink_unknown": _("Head office link not running"),
        "catalog_updated": _("Head office updated the catalog (%(n)s products)", n="{n}"),
        **_member_strings(), **_promotion_strings(), **_stock_strings(),
        **office_strings(), **returns_strings(),
    }


def _member_strings() -> dict:
    """Members (issue 7): the phone's members tab, the cart and the counter."""
    return {
        "m_new": _("New member"), "m_edit": _("Edit member"),
        "m_signed_up": _("%(name)s is now a member", name="{name}"),
        "m_member": _("Member"), "m_balance": _("Balance"), "m_points": _("Points"),
        "m_points_unit": _("points"), "m_n_points": _("%(n)s points", n="{n}"),
        "m_bonus_hint": _("Bonus ¥%(bonus)s (%(rule)s)", bonus="{bonus}", rule="{rule}"),
        "m_topped_up": _("Topped up ¥%(amount)s; balance now ¥%(balance)s.",
                         amount="{amount}", balance="{balance}"),
        "m_bonus_applied": _("Bonus ¥%(bonus)s included.", bonus="{bonus}"),
        "m_points_whole": _("Enter a whole number of points other than 0"),
        "m_gift_taken": _("Gift taken: %(gift)s", gift="{gift}"),
        "m_redeem": _("Redeem"), "m_no_gifts": _("No gifts for points right now."),
        "m_detach": _("Remove the member from the order"),
        "m_none_found": _("No member found."), "m_attach": _("Add to the order"),
        "m_topup": _("Top up"), "m_gifts": _("Gifts"), "m_correct_points": _("Correct points"),
        "m_back": _("Back"), "m_card": _("Card no."), "m_birthday": _("Birthday"),
        "m_inactive": _("inactive"), "m_orders": _("Purchases"),
        "m_moves": _("Points and balance history"), "m_no_moves": _("Nothing yet."),
        "m_phone_or_card": _("Member phone or card"),
        "m_phone_or_card_enter": _("Member phone or card, then Enter"),
        "m_find": _("Find"), "m_sign_up": _("Sign up"),
        "m_attached": _("Member %(name)s added to the order", name="{name}"),
        "mv_earned": _("Earned on a purchase"), "mv_redeemed": _("Paid with points"),
        "mv_reversed": _("Taken back on a refund"), "mv_refund": _("Refunded to the card"),
        "mv_top_up": _("Top-up"), "mv_bonus": _("Top-up bonus"),
        "mv_change": _("Change kept on the card"), "mv_gift": _("Gift redeemed"),
        "mv_adjusted": _("Corrected by a manager"), "mv_payment": _("Paid from the balance"),
        "mv_void": _("Payment voided: given back"),
        "mv_payout": _("Paid out to the customer"), "mv_store_credit": _("Store credit"),
        "mv_erased": _("Forfeited on erasure"),
        "m_payout": _("Pay out balance"),
        "m_paid_out": _("Paid out ¥%(amount)s; balance now ¥%(balance)s.",
                        amount="{amount}", balance="{balance}"),
        "method_member_balance": _("Stored value"), "method_points": _("Points"),
        "balance_left": _("Member balance ¥%(balance)s", balance="{balance}"),
        "points_use": _("Uses %(n)s points (of %(have)s; 1 point = ¥%(rate)s)", n="{n}",
                        have="{have}", rate="{rate}"),
        "points_multiple": _("The amount must be a multiple of ¥%(rate)s (one point)",
                             rate="{rate}"),
        "stored_change": _("¥%(amount)s kept on the card", amount="{amount}"),
        "remove": _("Remove"), "save": _("Save"), "name": _("Name"),
        "name_en": _("English name"),
    }


def _promotion_strings() -> dict:
    """Promotion rules and member levels (managers, on the phone)."""
    return {
        "kind_percent_off": _("Percent off"), "kind_amount_off": _("Amount off"),
        "kind_fixed_price": _("Special price"), "kind_threshold": _("Spend and save"),
        "kind_multi_buy": _("Multi-buy"), "kind_coupon": _("Coupon"),
        "kind_topup_bonus": _("Top-up bonus"), "kind_points_gift": _("Gift for points"),
        "pr_tier": _("Spend ¥%(min)s, ¥%(off)s off", min="{min}", off="{off}"),
        "pr_bonus_tier": _("Top up ¥%(min)s, get ¥%(bonus)s", min="{min}", bonus="{bonus}"),
        "pr_percent_sum": _("%(p)s%% off", p="{p}"),
        "pr_amount_unit_sum": _("¥%(a)s off each item", a="{a}"),
        "pr_amount_scope_sum": _("¥%(a)s off", a="{a}"),
        "pr_price_sum": _("Special price ¥%(p)s", p="{p}"),
        "pr_multi_sum": _("Every %(n)s items: the %(k)s cheapest %(p)s%% off", n="{n}",
                          k="{k}", p="{p}"),
        "pr_repeat": _("repeats"), "pr_none": _("No promotions yet."),
        "pr_switch": _("Switched on"), "pr_state_live": _("Live now"),
        "pr_state_idle": _("Not live now"), "pr_state_off": _("Switched off"),
        "pr_head_office": _("Head office"), "pr_shop": _("This shop"),
        "day_1": _("Mon"), "day_2": _("Tue"), "day_3": _("Wed"), "day_4": _("Thu"),
        "day_5": _("Fri"), "day_6": _("Sat"), "day_7": _("Sun"),
        "pr_everyone": _("Everyone"), "pr_any_member": _("Any member"),
        "pr_pick_gift": _("Search and pick the gift product"),
        "pr_tier_min": _("From ¥"), "pr_tier_off": _("¥ off"), "pr_tier_bonus": _("¥ bonus"),
        "pr_default_n": _("default %(n)s", n="{n}"), "pr_new": _("New rule"),
        "pv_add_products": _("Add a few products first."),
        "pv_no_discount": _("No promotion applies to this cart."),
        "lv_discount": _("Discount (percent taken off)"),
        "lv_points_per_yuan": _("Points per yuan"), "lv_sort": _("Order in the list"),
        "lv_active": _("In use"), "lv_excluded": _("Categories that earn no points:"),
    }


def _stock_strings() -> dict:
    """Stock, stocktake, receiving and purchasing, labels (issue 8): phone and counter."""
    return {
        "st_negative": _("below zero"),
        "st_negative_hint": _("Stock is below zero: more was sold than the system knew of. Count it or book the delivery."),
        "st_low": _("Low"),
        "st_low_n": _("Low stock: %(n)s", n="{n}"),
        "st_low_level": _("low at %(n)s", n="{n}"),
        "st_value": _("value ¥%(v)s", v="{v}"),
        "st_none": _("Nothing found."),
        "st_none_low": _("Nothing is low on stock."),
        "st_all_categories": _("All categories"),
        "st_back": _("Stock"),
        "st_print_label": _("Print label"),
        "st_give_barcode": _("Give an in-store barcode"),
        "st_barcode_given": _("The product has an in-store barcode now."),
        "st_adjust": _("Adjust stock"),
        "st_rule": _("Stock rule"),
        "st_edit_product": _("Edit product"),
        "st_no_barcode": _("no barcode"),
        "st_on_hand": _("On hand"),
        "st_low_at": _("Low-stock level"),
        "st_cost_value": _("Average cost ¥%(cost)s · value ¥%(value)s", cost="{cost}", value="{value}"),
        "st_lead": _("lead time %(n)s days", n="{n}"),
        "st_pack": _("packs of %(n)s", n="{n}"),
        "st_history": _("Stock movements"),
        "st_delta_whole": _("Enter a whole number other than 0"),
        "st_whole_number": _("Enter a whole number"),
        "st_report": _("Stock report"),
        "st_total_value": _("Stock value"),
        "st_items": _("Items in stock"),
        "st_slow_movers": _("Slow movers"),
        "st_last_sale": _("last sold %(d)s", d="{d}"),
        "st_never_sold": _("never sold"),
        "st_no_slow": _("No slow movers."),
        "rs_sale": _("sale"),
        "rs_return": _("return"),
        "rs_receiving": _("receiving"),
        "rs_damaged": _("damaged"),
        "rs_lost": _("lost"),
        "rs_gift": _("gift"),
        "rs_own_use": _("own use"),
        "rs_count": _("count correction"),
        "rs_opening_stock": _("opening stock"),
        "rs_transfer_in": _("transfer in"),
        "rs_transfer_out": _("transfer out"),
        "rs_other": _("other"),
        "lb_copies": _("Copies"),
        "lb_none": _("Set at least one label to print"),
        "lb_printer": _("Label printer: %(name)s", name="{name}"),
        "lb_printer_problem": _("Label printer: %(why)s", why="{why}"),
        "lb_queued": _("Labels queued for the printer"),
        "ct_whole_shop": _("Whole shop"),
        "ct_blind": _("blind"),
        "ct_status_open": _("Counting"),
        "ct_status_approved": _("Approved"),
        "ct_status_cancelled": _("Cancelled"),
        "ct_none_open": _("No count is open. A manager starts one."),
        "ct_none_done": _("None yet."),
        "ct_pick_category": _("Pick at least one category"),
        "ct_started": _("Count %(n)s started", n="{n}"),
        "ct_title": _("Count %(n)s", n="{n}"),
        "ct_nothing_yet": _("Nothing counted on this phone yet."),
        "ct_mine_total": _("this phone: %(n)s", n="{n}"),
        "ct_qty_whole": _("The quantity must be a whole number other than 0"),
        "ct_undone": _("Last entry taken back"),
        "ct_back": _("Stocktake"),
        "ct_item": _("Item"),
        "ct_counted": _("Counted"),
        "ct_expected": _("Expected"),
        "ct_difference": _("Difference"),
        "ct_value": _("Value"),
        "ct_expected_hint": _("Expected: the system stock when the item was last counted; sales after that are not counted twice."),
        "ct_nothing_counted": _("Nothing counted yet."),
        "ct_total_difference": _("Total difference"),
        "ct_total_value": _("Difference in value"),
        "ct_not_counted_n": _("Not counted (%(n)s)", n="{n}"),
        "ct_all_counted": _("Every item in scope was counted."),
        "ct_zero_uncounted": _("Set the items nobody counted to 0"),
        "ct_approve": _("Approve and correct the stock"),
        "ct_approved": _("Count approved: stock corrected"),
        "ct_export": _("Export CSV"),
        "ct_print": _("Print the count sheet"),
        "ct_print_queued": _("The count sheet is queued for the printer"),
        "ct_count_too": _("Count on this phone"),
        "ct_cancel": _("Cancel the count"),
        "ct_cancel_reason": _("Why is the count cancelled?"),
        "ct_closed": _("Count %(n)s is finished (%(status)s): nothing more can be added.",
                       n="{n}", status="{status}"),
        "ct_cancelled": _("Count cancelled"),
        "po_status_open": _("Ordered"),
        "po_status_partly_received": _("Partly received"),
        "po_status_received": _("Received"),
        "po_status_closed": _("Closed"),
        "po_status_cancelled": _("Cancelled"),
        "po_expected": _("expected %(d)s", d="{d}"),
        "rc_without_po": _("Receive without a purchase order"),
        "rc_pick_po": _("Receive against a purchase order"),
        "rc_no_open_po": _("No purchase order is waiting for goods."),
        "rc_not_on_po": _("not on the order"),
        "rc_ordered": _("ordered %(n)s, received before %(m)s", n="{n}", m="{m}"),
        "rc_unit_cost": _("Unit cost"),
        "rc_scan_hint": _("Scan or type a barcode, or a name"),
        "rc_back": _("Receiving"),
        "rc_title_po": _("Receiving %(n)s", n="{n}"),
        "rc_title_free": _("Delivery without an order"),
        "rc_supplier": _("Supplier"),
        "rc_each_scan": _("Each scan adds one; + and − correct it. Part deliveries are fine."),
        "rc_scan_first": _("Scan the first item of the delivery."),
        "rc_book": _("Book the delivery (%(n)s)", n="{n}"),
        "rc_booked": _("Delivery booked"),
        "rc_done": _("%(n)s items added to stock.", n="{n}"),
        "rc_print_labels": _("Print labels for these goods"),
        "rc_next": _("Next delivery"),
        "po_new": _("New purchase order"),
        "po_none": _("No purchase orders here."),
        "po_all": _("Purchase orders"),
        "po_line_received": _("received %(m)s of %(n)s", m="{m}", n="{n}"),
        "po_receipts": _("Deliveries"),
        "po_receive": _("Receive goods"),
        "po_close": _("Close (no more coming)"),
        "po_close_reason": _("Why close it with goods missing?"),
        "po_cancel": _("Cancel the order"),
        "po_cancel_reason": _("Why is the order cancelled?"),
        "po_expected_on": _("Expected on"),
        "po_create": _("Create the purchase order"),
        "po_created": _("Purchase order %(n)s created", n="{n}"),
        "sg_on_hand": _("on hand %(n)s", n="{n}"),
        "sg_on_order": _("on order %(n)s", n="{n}"),
        "sg_velocity": _("sells %(n)s a day", n="{n}"),
        "sg_add_product": _("Add a product: search name, code or barcode"),
        "sg_no_suppliers": _("Add a supplier first."),
        "sg_no_supplier": _("No supplier set: pick one"),
        "sg_nothing": _("Nothing to reorder from this supplier now."),
        "su_new": _("New supplier"),
        "su_none": _("No suppliers yet."),
        "co_new": _("New contract"),
        "co_none": _("No contracts yet."),
        "co_due": _("ends soon"),
        "co_due_n": _("%(n)s contracts end soon: renew or let them go.", n="{n}"),
    }


def _page(template: str, **kw):
    box = current_app.config["BOX"]
    return render_template(template, shop_name=box.master.settings.get("shop.name"),
                           locale=str(get_locale()), strings=script_strings(),
                           business_day=box.orders.today(),
                           timezone=box.config.shop.timezone, **kw)


@bp.get("/")
@access(PUBLIC)  # customers share the Wi-Fi: nothing about takings on a public page
def index():
    if setup_pending():
        return redirect(url_for("setup.page", **request.args))
    box = current_app.config["BOX"]
    return _page("index.html", day=box.orders.today(),
                 products=box.master.catalog.counts()["products"],
                 device_id=box.ledger.device_id, https=bool(box.config.web.https_port))


@bp.get("/login")
@access(PUBLIC)
def login():
    if setup_pending():  # nobody has a PIN yet
        return redirect(url_for("setup.page", **request.args))
    return _page("login.html")


@bp.get("/phone")
@access("order.edit")
def phone():
    return _page("phone.html")


@bp.get("/counter")
@access("payment.take")
def counter():
    cfg = current_app.config["BOX"].config
    return _page("counter.html", simulated="simulated" in (cfg.printer.backend,
                                                           cfg.scanner.backend),
                 fen_per_point=_fen_per_point())


def _fen_per_point() -> int:
    """What one point pays, for the counter's points tender (1 fen unless set)."""
    try:
        return int(current_app.config["BOX"].master.settings.get("members.fen_per_point"))
    except (TillboxError, KeyError, TypeError, ValueError):  # a box without members yet
        return 1


@bp.get("/sim")
@access("payment.take")
def simulated():
    """The simulated printer's paper roll and fault switches, a virtual scanner, and the
    simulated modem's text messages and fault switches."""
    cfg = current_app.config["BOX"].config
    if "simulated" not in (cfg.printer.backend, cfg.scanner.backend, cfg.modem.backend):
        abort(404)
    return _page("sim.html", sim_printer=cfg.printer.backend == "simulated",
                 sim_scanner=cfg.scanner.backend == "simulated",
                 sim_modem=cfg.modem.backend == "simulated")


@bp.get("/display")
@access(LOGIN)
def display():
    return _page("display.html")
