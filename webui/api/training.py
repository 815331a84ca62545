"""/api/v1/training: training mode (培训模式) and the product quiz (issue 9; docs/training.md).

A session in training mode gets the training stack from ``box()`` (webui/api/__init__.py) and
may call only the endpoints in :data:`ALLOWED_IN_TRAINING`; every other route answers 409
``training_mode``, so a route added later is refused in training until someone decides it
belongs there. The quiz always writes to the training ledger, in training mode or not.
"""

from __future__ import annotations

import logging

from flask import current_app, g, jsonify, request

from appliance.errors import ValidationError
from appliance.i18n import _
from appliance.master.staff import role_at_least
from appliance.training import TrainingRefused
from appliance.training.audit import training_actions

from ..access import access
from . import body, bp, field_int, require_key

audit = logging.getLogger("audit")

#: What a session in training mode may call (endpoint names of the "api" blueprint). Selling,
#: refunds, members of the training ledger, the shift and its X/Z reports, printing; never
#: master data, settings, staff, finance, stock corrections or purchasing.
ALLOWED_IN_TRAINING = frozenset({
    # signing in and out, who am I, the screens' events
    "api.login", "api.logout", "api.me", "api.events",
    # training itself
    "api.training_session", "api.start_quiz", "api.finish_quiz", "api.quiz_scores",
    # the catalog, read
    "api.search_products", "api.by_barcode", "api.categories",
    # orders, payments, refunds, receipts
    "api.open_order", "api.list_orders", "api.get_order", "api.get_order_by_number",
    "api.set_customer", "api.add_line", "api.change_line", "api.remove_line", "api.park",
    "api.recall", "api.cancel", "api.set_member", "api.add_coupon", "api.remove_coupon",
    "api.add_payment", "api.void_payment", "api.refund", "api.reprint", "api.order_qr",
    # members of the training ledger (levels are the till's, copied: not edited here)
    "api.find_members", "api.lookup_member", "api.sign_up", "api.get_member",
    "api.update_member", "api.top_up", "api.adjust_points", "api.redeem_gift",
    "api.list_levels",
    # promotions, read (the till's rules, copied)
    "api.list_promotions", "api.get_promotion", "api.gifts",
    # stock as the training ledger sees it, read
    "api.stock_levels", "api.stock_alerts", "api.stock_item", "api.stock_moves",
    # the printer and the counter's scanner; the simulated devices
    "api.printer", "api.order_print_jobs", "api.till", "api.label_printer",
    "api.sim_printer", "api.sim_printer_faults", "api.sim_close_drawer", "api.sim_scan",
    "api.sim_label_printer", "api.sim_modem", "api.sim_modem_faults",
    # issue 10: returns and exchanges, serial numbers and after-sales tickets, delivery and
    # pick-up, all on the training ledger (notifications are never queued there)
    "api.returns_find_sales", "api.returns_quote", "api.returns_refund",
    "api.returns_exchange", "api.credit_note_balance",
    "api.order_serials", "api.set_serials", "api.find_serial", "api.list_tickets",
    "api.open_ticket", "api.get_ticket", "api.get_ticket_by_number", "api.update_ticket",
    "api.print_ticket",
    "api.fulfilment_board", "api.fulfilment_get", "api.fulfilment_set",
    "api.fulfilment_status", "api.fulfilment_pick_slip",
    # issue 11: the counter's USB backup banner (the real stick, read only)
    "api.usb_status",
    # issue 11: the shop's settings, read only (tenders and modules follow live; changing
    # them, PATCH api.change_shop_settings, stays refused)
    "api.get_settings",
})

#: Modules whose every route works in training: shifts, handover and X/Z (webui/api/shifts.py).
ALLOWED_MODULES_IN_TRAINING = ("webui.api.shifts",)

#: Events every screen hears, in training or not (the devices and the catalog are shared).
SHARED_EVENTS = ("printer", "uplink", "catalog", "promotions", "settings")


def allowed_in_training(endpoint: str | None) -> bool:
    if endpoint in ALLOWED_IN_TRAINING:
        return True
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, "__module__", "") in ALLOWED_MODULES_IN_TRAINING


def in_training() -> bool:
    session = getattr(g, "session", None)
    return session is not None and session.training


def shown_to(event: dict, training: bool) -> bool:
    """Whether a screen in (or out of) training mode gets this event: a training action
    never shows on a real screen as a real order, and the other way round."""
    data = event.get("data")
    tagged = isinstance(data, dict) and data.get("training") is True
    if training:
        return tagged or event.get("event") in SHARED_EVENTS
    return not tagged


@bp.before_request
def _training_mode():
    """After access.enforce: a training session may only reach the allow-list."""
    if not in_training():
        return
    if not allowed_in_training(request.endpoint):
        raise TrainingRefused(_("this is not available in training mode"))
    g.training_audit = training_actions.set(True)  # audit lines say "training"


@bp.teardown_request
def _training_mode_ends(_exc):
    token = g.pop("training_audit", None)
    if token is not None:
        training_actions.reset(token)


@bp.record_once
def _scans_follow_training(state) -> None:
    """The counter's scanner acts on the box of the screen holding it."""
    app = state.app
    real, sessions = app.config["BOX"], app.config["SESSIONS"]
    app.config["SCANS"].box_for = lambda token: (real.training() if sessions.training_of(token)
                                                 else real)


def _stack():
    """The training stack (also for a session not in training mode: the quiz lives there)."""
    return current_app.config["BOX"].training()


@bp.post("/training/session")
@access("training")
def training_session():
    data = body()
    require_key(data, "on")
    on = data["on"]
    if not isinstance(on, bool):
        raise ValidationError(_("{name} must be true or false", name="on"), field="on")
    if on:
        _stack().copy_promotions()  # price training sales with the till's rules of now
    current_app.config["SESSIONS"].set_training(g.session.token, on)
    # The counter's scanner held for this person now scans into the other ledger: let go.
    current_app.config["SCANS"].clear_till(g.staff.id)
    audit.info("training mode %s staff=%s terminal=%s", "on" if on else "off", g.staff.id,
               g.session.terminal)
    return jsonify({"training": on})


@bp.post("/training/quiz")
@access("training")
def start_quiz():
    count = field_int(body(), "count", default=10)
    return jsonify(_stack().quiz.start(g.actor, count)), 201


@bp.post("/training/quiz/<quiz_id>")
@access("training")
def finish_quiz(quiz_id: str):
    data = body()
    require_key(data, "answers")
    return jsonify(_stack().quiz.finish(g.actor, quiz_id, data["answers"]))


@bp.get("/training/scores")
@access("training")
def quiz_scores():
    """Managers and owners see everyone's scores; others their own."""
    everyone = role_at_least(g.staff.role, "manager")
    scores = _stack().quiz.scores(None if everyone else g.staff.id)
    staff = current_app.config["BOX"].master.staff
    for s in scores:
        s["name"] = staff.name_of(s["staff_id"])
    scores.sort(key=lambda s: s["name"])
    return jsonify({"scores": scores, "everyone": everyone})
