"""Built-in help (issue 11 point 2): a short illustrated how-to for each flow, in the
screen's language, reached from the help button in the header of every page (base.html).

The steps live here, each sentence a msgid of its own; the names of buttons and fields are
the screen's own msgids, put into the sentence as a placeholder, so the help always names a
button exactly as the screen shows it, in either language. docs/user-guide.md is the same
text for print. Illustrations are small JPEGs in webui/static/help/ (phone width, served by
the static route, so help works with the shop offline).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from flask import Blueprint, has_request_context, request, url_for
from flask_babel import gettext
from markupsafe import Markup

from .access import LOGIN, access

bp = Blueprint("help", __name__)


@dataclass(frozen=True)
class Step:
    text: Markup
    image: str | None = None   # file name in static/help/
    alt: str = ""              # what the picture shows, translated


@dataclass(frozen=True)
class Topic:
    slug: str
    title: str
    who: str                   # who does this flow, and where
    steps: tuple[Step, ...]
    tips: tuple[Markup, ...] = field(default_factory=tuple)


def ui(text: str, **labels: str) -> Markup:
    """A sentence with the screen's own labels set in bold (and escaped, like everything)."""
    return Markup.escape(text) % {k: Markup('<b class="ui">%s</b>') % v
                                  for k, v in labels.items()}


def topics(_=gettext) -> dict[str, Topic]:
    """Every topic in index order, translated with ``_`` (the screen's language)."""
    order = Topic(
        "order", _("Open an order on a phone"),
        _("Shop assistants and everyone above, on their phone."),
        (
            Step(ui(_("Sign in with your PIN: the phone opens on %(order)s."),
                    order=_("Order"))),
            Step(ui(_("Find the item: type in %(search)s, tap a category, or tap %(scan)s "
                      "and hold the barcode in front of the camera."),
                    search=_("Search name, code or barcode"), scan=_("Scan"))),
            Step(ui(_("Tap a product to add it. A product with specs asks you to "
                      "%(spec)s; set %(qty)s first when the customer takes several."),
                    spec=_("Choose a spec"), qty=_("Qty"))),
            Step(ui(_("Tap the bar at the bottom to open the cart and check the lines. "
                      "Under %(customer)s add the customer's name, phone and a note."),
                    customer=_("Customer and note")),
                 "order-cart.jpg", _("The cart open on a phone, with two items")),
            Step(ui(_("Tap %(park)s. The phone shows the order number and a QR code: tell "
                      "the cashier the number or show the screen. %(new)s starts the next "
                      "order."), park=_("Park for the counter"), new=_("New order")),
                 "order-parked.jpg", _("An order parked for the counter, with its number "
                                       "and QR code")),
        ),
        (ui(_("Your parked orders are under %(mine)s: tap one to change it before it is "
              "paid."), mine=_("My orders")),
         ui(_("An order the customer does not want: %(cancel)s, and say why."),
            cancel=_("Cancel order")),
         Markup.escape(_("Shop assistants cannot take money: the order is paid at the "
                         "counter."))),
    )
    counter = Topic(
        "counter", _("Settle at the counter"),
        _("Cashiers and everyone above, on the counter screen."),
        (
            Step(ui(_("Orders parked on the phones appear at once under %(waiting)s. Tap "
                      "one, or scan the QR code on the assistant's phone."),
                    waiting=_("Waiting at the counter")),
                 "counter-arrived.jpg", _("The counter screen with an order waiting")),
            Step(ui(_("Check the lines with the customer. To add an item, scan it or type "
                      "its barcode in the box %(barcode)s."),
                    barcode=_("Scan or type a barcode to add"))),
            Step(ui(_("Pick how the customer pays (%(cash)s, %(wechat)s, %(alipay)s, "
                      "%(card)s…), key in the amount and tap %(pay)s. For WeChat, Alipay "
                      "and card payments also type the %(reference)s from the slip or the "
                      "customer's phone."),
                    cash=_("Cash"), wechat=_("WeChat Pay"), alipay=_("Alipay"),
                    card=_("Card"), pay=_("Take payment"), reference=_("Reference"))),
            Step(ui(_("A customer may pay in several parts: take each one until nothing is "
                      "%(due)s."), due=_("Due"))),
            Step(ui(_("Paid in full: the receipt prints and, for cash, the drawer opens. "
                      "Give the %(change)s shown, then tap %(next)s."),
                    change=_("Change due"), next=_("Next customer")),
                 "counter-change.jpg", _("A cash sale paid, with the change to give")),
        ),
        (ui(_("Printer out of paper? Load a new roll: a receipt that was waiting prints "
              "then. %(reprint)s prints one more copy, only when you ask."),
            reprint=_("Reprint receipt")),
         ui(_("%(drawer)s opens the drawer without a sale and asks why; it is recorded."),
            drawer=_("Open drawer"))),
    )
    returns = Topic(
        "returns", _("Refund, return or exchange"),
        _("Cashiers and everyone above, on the counter screen; large refunds need a "
          "manager's PIN."),
        (
            Step(ui(_("At the counter, tap %(returns)s."),
                    returns=_("Returns and exchanges"))),
            Step(ui(_("Find the sale: scan the QR code on the receipt or type the "
                      "%(number)s. Without a receipt, search by %(phone)s, %(product)s or "
                      "%(date)s, then tap %(find)s."),
                    number=_("Order number"), phone=_("Customer or member phone"),
                    product=_("Product (barcode or name)"), date=_("Date of the sale"),
                    find=_("Find the sale"))),
            Step(ui(_("Set how many of each item come back under %(ret)s and pick the "
                      "%(reason)s. Leave %(restock)s ticked unless the goods are damaged."),
                    ret=_("Return"), reason=_("Reason"),
                    restock=_("Put the returned items back in stock"))),
            Step(ui(_("Money back: choose %(give)s (%(original)s, or %(credit)s) and tap "
                      "%(refund)s."),
                    give=_("Give back as"), original=_("The original payment methods"),
                    credit=_("Store credit (member balance or credit note)"),
                    refund=_("Refund"))),
            Step(ui(_("An exchange: choose %(exchange)s and scan the new items; the customer "
                      "pays, or gets back, only the difference."),
                    exchange=_("Exchange for other items")),
                 "refund-exchange.jpg", _("An exchange with the difference to pay")),
        ),
        (ui(_("Above the cashier's limit, or long after the sale, a manager types the "
              "%(pin)s on the same screen."), pin=_("Manager PIN to approve")),
         Markup.escape(_("The original sale is never changed: the refund is a new record "
                         "that points to it."))),
    )
    shift = Topic(
        "shift", _("Shift handover"),
        _("Cashiers hand over; a manager approves a difference and closes the day."),
        (
            Step(ui(_("At the start, tap %(shift)s at the top of the counter screen, then "
                      "%(open)s, and key in the %(float)s."),
                    shift=_("Shift"), open=_("Open a shift"), float=_("Float in the drawer"))),
            Step(ui(_("Money put in or taken out without a sale goes through %(paid_in)s or "
                      "%(paid_out)s, with a reason. A manager's %(x)s shows the takings "
                      "so far and closes nothing."),
                    paid_in=_("Cash paid in"), paid_out=_("Cash paid out"),
                    x=_("X report"))),
            Step(ui(_("To hand over, tap %(handover)s. Count the drawer note by note: the "
                      "screen does not show what it expects. Key in the other tenders from "
                      "their slips, then %(record)s."),
                    handover=_("Hand over (count the drawer)"), record=_("Record the count")),
                 "shift-count.jpg", _("Counting the drawer note by note")),
            Step(ui(_("If the count differs, %(again)s, or %(approve)s: the manager gives "
                      "the reason and their PIN."),
                    again=_("Count again"), approve=_("A manager approves")),
                 "shift-done.jpg", _("The shift handed over")),
        ),
        (ui(_("At the end of the day a manager closes it with %(z)s."),
            z=_("Z report (close the day)")),),
    )
    stocktake = Topic(
        "stocktake", _("Stocktake"),
        _("A manager starts and approves the count; anyone can count on their phone."),
        (
            Step(ui(_("Manager: on a phone open %(tab)s, tap %(start)s, choose %(what)s "
                      "(%(whole)s or %(cats)s), then %(go)s."),
                    tab=_("Stocktake"), start=_("Start a count"), what=_("What to count"),
                    whole=_("The whole shop"), cats=_("Chosen categories"),
                    go=_("Start the count"))),
            Step(ui(_("Everyone counting opens the count under %(tab)s on their phone. Scan "
                      "each item on the shelf: each scan counts one. For a whole box type "
                      "the %(qty)s first. Tap %(add)s for a typed entry."),
                    tab=_("Stocktake"), qty=_("Quantity"), add=_("Add to count")),
                 "stocktake-counting.jpg", _("Counting on a phone")),
            Step(Markup.escape(_("Write down what is on the shelf, not what the system "
                                 "says: in a blind count, counters do not see the "
                                 "expected quantities."))),
            Step(ui(_("A wrong entry? %(undo)s."), undo=_("Undo my last entry"))),
            Step(ui(_("When everyone is done, the manager taps %(review)s, checks the "
                      "differences and approves: the stock is corrected on the record."),
                    review=_("Review and approve"))),
        ),
    )
    product = Topic(
        "product", _("Add a product"),
        _("Managers and owners, on a phone."),
        (
            Step(ui(_("Open %(stock)s and tap %(new)s."),
                    stock=_("Stock"), new=_("New product"))),
            Step(ui(_("Fill in %(name)s, %(unit)s and %(price)s. %(category)s, %(cost)s "
                      "and %(barcodes)s help search and reports; %(counted)s is what is on "
                      "the shelf now."),
                    name=_("Name"), unit=_("Unit"), price=_("Price"),
                    category=_("Category"), cost=_("Cost"),
                    barcodes=_("Barcodes (comma separated)"), counted=_("Stock counted"))),
            Step(ui(_("Sold in several specs (colour, size, weight)? Write one per line "
                      "under %(specs)s, for example: 颜色=红 | 168.00 | 2000000001074 | 10."),
                    specs=_("Specs, one per line: spec | price | barcode | stock")),
                 "product-new.jpg", _("The new product form on a phone")),
            Step(ui(_("Tap %(save)s: every screen can sell it at once. To change it later, "
                      "tap it in the %(stock)s list."), save=_("Save"), stock=_("Stock"))),
        ),
    )
    aftersales = Topic(
        "aftersales", _("After-sales ticket"),
        _("Anyone from shop assistant up, in the office pages."),
        (
            Step(ui(_("Open %(page)s and tap %(new)s."),
                    page=_("After-sales"), new=_("New ticket"))),
            Step(ui(_("Give the %(number)s from the receipt, or for serialised goods just "
                      "the %(serial)s; choose the %(kind)s and describe the %(problem)s."),
                    number=_("Order number"), serial=_("Serial number"), kind=_("Kind"),
                    problem=_("Problem"))),
            Step(ui(_("Tap %(open)s. %(print)s gives the customer a slip with the ticket "
                      "number."), open=_("Open ticket"), print=_("Print slip")),
                 "aftersales-ticket.jpg", _("An after-sales ticket and its history")),
            Step(ui(_("Each step (%(start)s, %(resolved)s) is recorded with a note; the "
                      "customer is told and sees the status on their e-receipt page."),
                    start=_("Start work"), resolved=_("Mark resolved"))),
        ),
    )
    delivery = Topic(
        "delivery", _("Delivery and pick-up"),
        _("Anyone who edits orders marks them; the office page follows them."),
        (
            Step(ui(_("In the phone's cart or the counter's order, open %(panel)s and choose "
                      "%(none)s, %(pickup)s or %(delivery)s. A delivery needs the "
                      "%(recipient)s, phone and %(address)s."),
                    panel=_("Delivery or pick-up"), none=_("Taken now"),
                    pickup=_("Pick-up in store"), delivery=_("Delivery"),
                    recipient=_("Recipient"), address=_("Address"))),
            Step(ui(_("Open %(page)s: orders wait under %(pack)s and %(ship)s. %(slip)s "
                      "helps whoever packs."),
                    page=_("Delivery and pick-up"), pack=_("To pack"), ship=_("To ship"),
                    slip=_("Print pick slip"))),
            Step(ui(_("Tap %(ship)s and give the carrier and tracking number, or %(ready)s "
                      "and then %(collected)s for a pick-up. The customer is told."),
                    ship=_("Ship"), ready=_("Ready for pick-up"), collected=_("Collected")),
                 "delivery-ship.jpg", _("Shipping an order with its tracking number")),
        ),
    )
    return {t.slug: t for t in (order, counter, returns, shift, stocktake, product,
                                aftersales, delivery)}


#: The topics' addresses, in the index's order (a test holds this to :func:`topics`).
SLUGS = ("order", "counter", "returns", "shift", "stocktake", "product", "aftersales",
         "delivery")

#: The topic a page's help button opens; any other staff page opens the index.
PAGE_TOPICS = {
    "pages.phone": "order",
    "pages.counter": "counter",
    "office.shifts": "shift",
    "office.aftersales": "aftersales",
    "office.deliveries": "delivery",
}

#: The phone's tabs (phone.html ``data-tab``): the help button follows the open tab.
PHONE_TAB_TOPICS = {"entry": "order", "mine": "order", "stock": "product",
                    "count": "stocktake"}

#: Pages without the help button: what customers look at (the e-receipt page, the
#: customer display) and a new box's setup page, where nobody can sign in yet.
NO_HELP_BLUEPRINTS = ("ereceipt", "setup")
NO_HELP_ENDPOINTS = ("pages.display",)


@bp.app_context_processor
def help_button() -> dict:
    """``help_href`` for the header of base.html (None: no button on this page)."""
    if not has_request_context() or request.endpoint is None:
        return {"help_href": None}
    endpoint = request.endpoint
    if endpoint in NO_HELP_ENDPOINTS or endpoint.split(".")[0] in NO_HELP_BLUEPRINTS:
        return {"help_href": None}
    if endpoint == "help.topic":
        return {"help_href": url_for("help.index")}
    slug = PAGE_TOPICS.get(endpoint)
    tabs = None
    if endpoint == "pages.phone":
        tabs = json.dumps({tab: url_for("help.topic", slug=s)
                           for tab, s in PHONE_TAB_TOPICS.items()})
    return {"help_href": url_for("help.topic", slug=slug) if slug else url_for("help.index"),
            "help_tabs": tabs}


def _render(template: str, **kw):
    from .pages import _page
    return _page(template, **kw)


@bp.get("/help")
@access(LOGIN)
def index():
    return _render("help_index.html", topics=list(topics().values()))


@access(LOGIN)
def topic(slug: str):
    every = topics()
    order = list(every)
    at = order.index(slug)
    return _render("help_topic.html", topic=every[slug],
                   prev=every[order[at - 1]] if at else None,
                   next=every[order[at + 1]] if at + 1 < len(order) else None)


# One address per topic (not /help/<slug>): each is a row of the route table, and a topic
# that does not exist is Flask's ordinary 404.
for _slug in SLUGS:
    bp.add_url_rule(f"/help/{_slug}", "topic", topic, methods=["GET"],
                    defaults={"slug": _slug})
del _slug
