"""Printer, drawer and scanner as staff see them, and the simulated devices' controls.

/printer shows the printer's state and recent jobs; /till tells core which order the
counter's scanner feeds; /drawer/open is a no-sale opening; /sim/... drives the simulated
printer, scanner and modem (only when config names them: the simulation is never a fallback).
"""

from __future__ import annotations

from flask import current_app, g, jsonify, request

from appliance.errors import Conflict, NotFound, ValidationError
from appliance.i18n import _

from ..access import LOGIN, access
from . import body, box, bp, field_bool, field_str
from .device import job_json


@bp.get("/printer")
@access(LOGIN)
def printer():
    queue = box().printing
    return jsonify({"printer": current_app.config["DEVICES"].printer(),
                    "uplink": current_app.config["DEVICES"].uplink(),
                    "pending": [job_json(j) for j in queue.pending()],
                    "jobs": [job_json(j) for j in queue.recent(10)]})


@bp.get("/orders/<order_id>/print-jobs")
@access("order.edit")
def order_print_jobs(order_id: str):
    box().orders.get_order(order_id)  # 404 for an unknown order
    return jsonify({"jobs": [job_json(j) for j in box().printing.recent(20, order_id)]})


@bp.put("/till")
@access("payment.take")
def till():
    """The counter says which order is on its screen: scans at the box go there."""
    data = body()
    order_id = field_str(data, "order_id", default=None)
    if order_id:
        box().orders.get_order(order_id)
    held = current_app.config["SCANS"].set_till(g.actor, order_id or None, g.session.token,
                                                if_free=field_bool(data, "if_free", False))
    return jsonify({"order_id": order_id or None, "held": held})


@bp.post("/drawer/open")
@access("drawer.open")
def open_drawer():
    job_id = box().orders.open_drawer(g.actor, field_str(body(), "reason", required=True))
    return jsonify({"job_id": job_id}), 201


@bp.get("/visitors")
@access("stock.adjust")
def visitors_by_hour():
    """Visitors per hour of one shop day (door counter) beside the sales, for conversion."""
    day = request.args.get("day") or box().orders.today()
    if not (len(day) == 8 and day.isdigit()):
        raise ValidationError(_("day must look like 20261126"), field="day")
    prefix = f"{day[:4]}-{day[4:6]}-{day[6:]}T"
    with box().ledger.reading() as conn:
        rows = conn.execute("SELECT hour, count FROM visitors WHERE hour LIKE ? ORDER BY hour",
                            (prefix + "%",)).fetchall()
    sales = len(box().orders.list_orders(status="paid", business_day=day, limit=10000))
    total = sum(c for _h, c in rows)
    return jsonify({"day": day, "hours": [{"hour": h[-2:], "visitors": c} for h, c in rows],
                    "visitors": total, "sales": sales,
                    "conversion": f"{sales * 100 // total}%" if total else None})


# -- simulated devices ---------------------------------------------------------------------

def _sim_printer_dir():
    cfg = box().config
    if cfg.printer.backend != "simulated":
        raise NotFound(_("this box has no simulated printer"))
    return cfg.sim_dir / "printer"


def _set_faults(simulated, state):
    """Flip a simulated device's fault switches from the request body."""
    try:
        simulated.write_faults(state, **body())
    except (ValueError, TypeError):
        raise ValidationError(_("unknown fault or a value of the wrong kind; the faults are "
                                "{names}", names=", ".join(simulated.FAULT_DEFAULTS))) from None
    return jsonify({"faults": simulated.read_faults(state)})


@bp.get("/sim/printer")
@access(LOGIN)
def sim_printer():
    from drivers.printer import simulated
    state = _sim_printer_dir()
    return jsonify({"faults": simulated.read_faults(state),
                    "drawer": simulated.drawer_state(state),
                    "paper": simulated.paper_roll(
                        state, limit=min(max(request.args.get("limit", 10, type=int), 1), 50))})


@bp.put("/sim/printer")
@access("payment.take")
def sim_printer_faults():
    from drivers.printer import simulated
    return _set_faults(simulated, _sim_printer_dir())


@bp.post("/sim/printer/close-drawer")
@access("payment.take")
def sim_close_drawer():
    from drivers.printer import simulated
    state = _sim_printer_dir()
    simulated.close_drawer(state)
    return jsonify({"drawer": simulated.drawer_state(state)})


def _sim_modem_dir():
    cfg = box().config
    if cfg.modem.backend != "simulated":
        raise NotFound(_("this box has no simulated modem"))
    return cfg.sim_dir / "modem"


@bp.get("/sim/modem")
@access(LOGIN)
def sim_modem():
    """The simulated modem's faults, the text messages it sent and the reports it got."""
    from drivers.modem import simulated
    state = _sim_modem_dir()
    limit = min(max(request.args.get("limit", 10, type=int), 1), 50)
    try:
        faults = simulated.read_faults(state)
    except ValueError:   # a broken faults.json: the modem runs without faults (and logs it)
        faults = dict(simulated.FAULT_DEFAULTS)
    reports = simulated.reports_sent(state, 5 * limit)
    latest: dict[int, str] = {}
    for report in reports:                       # newest first: a reused reference is new
        latest.setdefault(report["reference"], report["status"])
    messages = simulated.sent_messages(state, limit)
    for m in messages:
        outcomes = [latest.get(r, "sent") for r in m["references"]]
        m["status"] = ("failed" if "failed" in outcomes else "delivered"
                       if all(o == "delivered" for o in outcomes) else "sent")
    return jsonify({"faults": faults, "messages": messages, "reports": reports[:limit]})


@bp.put("/sim/modem")
@access("payment.take")
def sim_modem_faults():
    from drivers.modem import simulated
    return _set_faults(simulated, _sim_modem_dir())


@bp.post("/sim/scan")
@access("payment.take")
def sim_scan():
    """Type a code into the simulated scanner (it goes through scannerd like a real scan)."""
    from drivers.scanner.simulated import feed_fifo
    cfg = box().config
    if cfg.scanner.backend != "simulated":
        raise NotFound(_("this box has no simulated scanner"))
    code = field_str(body(), "code", required=True)
    try:
        feed_fifo(cfg.sim_dir / "scanner.fifo", code, timeout=0.5)
    except ValueError:
        raise ValidationError(_("a code is one line of printable characters"),
                              field="code") from None
    except OSError:  # no reader (scannerd not running) or it did not take the code in time
        raise Conflict(_("the simulated scanner is not running: start scannerd")) from None
    return jsonify({"fed": code}), 202
