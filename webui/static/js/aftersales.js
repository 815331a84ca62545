/* The office's after-sales page (docs/aftersales.md): tickets with filters and search,
 * a new ticket from an order number or a serial number, a ticket's history with its status
 * buttons and notes, the ticket slip, and finding a sale by serial number. */
"use strict";
(function () {
  const {api, h, t} = TB;
  const $ = (id) => document.getElementById(id);
  const enc = encodeURIComponent;
  // Times in the shop's time zone, whatever the phone is set to.
  const local = (ts) => (ts ? new Date(ts).toLocaleString(TB.locale, {dateStyle: "short",
    timeStyle: "short", timeZone: TB.timezone}) : "");
  const localDate = (ts) => (ts ? new Date(ts).toLocaleDateString(TB.locale,
    {timeZone: TB.timezone}) : "");
  const kind = (k) => t("as_kind_" + k);
  const status = (s) => t("as_status_" + s);
  let current = null;        // the ticket shown in the dialog

  function query() {
    const f = $("as-filters").elements;
    const p = new URLSearchParams();
    if (f.status.value) p.set("status", f.status.value);
    if (f.kind.value) p.set("kind", f.kind.value);
    if (f.q.value.trim()) p.set("q", f.q.value.trim());
    return p.toString();
  }

  async function load() {
    const data = await api("GET", "/tickets?" + query());
    const list = $("as-list");
    list.replaceChildren(...data.tickets.map(row));
    if (!data.tickets.length) list.append(h("li", {class: "empty"}, t("as_none")));
  }

  function row(x) {
    return h("li", {class: "as-row status-" + x.status, "data-id": x.id},
      h("button", {type: "button", class: "as-open", onclick: () => show(x.id)},
        h("span", {class: "as-line"},
          h("strong", {class: "as-number"}, x.number),
          h("span", {class: "badge"}, kind(x.kind)),
          h("span", {class: "badge as-status " + x.status}, status(x.status))),
        h("span", {class: "as-summary"}, x.summary),
        h("span", {class: "as-meta muted"},
          x.order_number ? t("as_order", {number: x.order_number}) : null,
          x.serial ? " · " + t("as_serial", {serial: x.serial}) : null,
          " · " + local(x.updated_at))));
  }

  // -- one ticket --------------------------------------------------------------------

  async function show(id) {
    try {
      current = await api("GET", "/tickets/" + enc(id));
    } catch (err) { TB.toast(err.message, "error"); return; }
    render();
    const d = $("as-ticket-dialog");
    if (!d.open) d.showModal();
  }

  function render() {
    const x = current;
    $("as-t-title").textContent = x.number + " · " + kind(x.kind);
    const body = [h("p", null, h("span", {class: "badge as-status " + x.status}, status(x.status)),
      x.source !== "counter" ? h("small", {class: "muted"}, " " + t("as_from_ereceipt")) : null)];
    if (x.order_number) {
      body.push(h("p", null, t("as_sold", {date: localDate(x.sold_at), number: x.order_number})));
    }
    if (x.item) body.push(h("p", null, x.item.name + (x.item.spec ? " (" + x.item.spec + ")" : "")));
    if (x.serial) body.push(h("p", null, t("as_serial", {serial: x.serial})));
    if (x.warranty_until && x.kind === "warranty") {
      body.push(h("p", {class: "muted"}, t("as_in_warranty", {date: x.warranty_until})));
    }
    if (x.approved_by) body.push(h("p", {class: "muted"}, t("as_approved", {name: x.approved_by_name})));
    if (x.customer_name || x.customer_phone) {
      body.push(h("p", null, [x.customer_name, x.customer_phone].filter(Boolean).join(" · ")));
    }
    body.push(h("p", {class: "as-summary-full"}, x.summary));
    $("as-t-body").replaceChildren(...body);
    $("as-t-history").replaceChildren(...x.events.map((e) => h("li", null,
      h("span", {class: "as-line"}, h("strong", null, status(e.status)),
        h("small", {class: "muted"}, " " + local(e.ts) + " " +
          (e.staff ? t("as_by", {name: e.staff_name}) : t("as_by", {name: t("as_customer")})))),
      e.note ? h("span", {class: "as-note"}, e.note) : null)));
    $("as-t-error").textContent = "";
    const form = $("as-ticket-dialog").querySelector("form");
    form.elements.note.value = "";
    const label = (s) => (s === "in_progress" && x.status === "resolved" ? t("as_reopen")
      : t("as_to_" + s));
    $("as-t-actions").replaceChildren(...x.next.map((s) => h("button", {type: "button",
      class: s === "closed" ? "secondary" : "primary", "data-status": s,
      disabled: !TB.atLeast("cashier"), onclick: () => move(s)}, label(s))));
  }

  async function send(statusWanted) {
    const form = $("as-ticket-dialog").querySelector("form");
    const note = form.elements.note.value.trim();
    if ((statusWanted === "resolved" || statusWanted === "closed") && !note) {
      $("as-t-error").textContent = t("as_note_needed");
      form.elements.note.focus();
      return;
    }
    try {
      current = await api("POST", "/tickets/" + enc(current.id) + "/updates",
                          statusWanted ? {status: statusWanted, note} : {note});
      TB.toast(t("as_updated", {number: current.number, status: status(current.status)}));
      render();
      await load();
    } catch (err) {
      $("as-t-error").textContent = err.message;
    }
  }
  const move = (s) => send(s);
  $("as-t-note").onclick = () => send(null);
  $("as-t-print").onclick = async () => {
    try {
      await api("POST", "/tickets/" + enc(current.id) + "/print");
      TB.toast(t("as_printing"));
    } catch (err) { $("as-t-error").textContent = err.message; }
  };
  $("as-ticket-dialog").querySelectorAll("[data-close]").forEach((b) => {
    b.onclick = () => $("as-ticket-dialog").close();
  });

  // -- a new ticket ------------------------------------------------------------------

  async function newTicket(preset) {
    const form = $("as-new-dialog").querySelector("form");
    form.reset();
    for (const [k, v] of Object.entries(preset || {})) form.elements[k].value = v;
    const x = await TB.formDialog("as-new-dialog", "as-new-error", (f) => {
      const data = {kind: f.elements.kind.value, summary: f.elements.summary.value};
      for (const k of ["order_number", "serial", "customer_name", "customer_phone",
        "approver_pin"]) {
        const v = f.elements[k].value.trim();
        if (v) data[k] = v;
      }
      return api("POST", "/tickets", data);
    });
    if (x) {
      TB.toast(t("as_opened", {number: x.number}));
      await load();
      await show(x.id);
    }
  }
  $("as-new").onclick = () => newTicket();

  // -- find by serial ----------------------------------------------------------------

  $("as-serial-form").onsubmit = async (e) => {
    e.preventDefault();
    const out = $("as-serial-result");
    const serial = $("as-serial").value.trim();
    if (!serial) return;
    out.hidden = false;
    try {
      const s = await api("GET", "/serials/" + enc(serial));
      out.replaceChildren(...[
        h("p", null, h("strong", null, s.name + (s.spec ? " (" + s.spec + ")" : "")),
          s.refunded_qty ? h("span", {class: "badge off"}, t("as_returned")) : null),
        h("p", null, t("as_sold", {date: localDate(s.sold_at), number: s.order_number})),
        h("p", {class: s.in_warranty ? "" : "error"}, s.in_warranty
          ? t("as_in_warranty", {date: s.warranty_until})
          : t("as_out_of_warranty", {date: s.warranty_until})),
        s.tickets.length ? h("p", {class: "muted"}, t("as_tickets_before",
          {numbers: s.tickets.map((x) => x.number).join(", ")})) : null,
        h("div", {class: "cart-actions"},
          h("button", {type: "button", class: "primary", onclick: () =>
            newTicket({kind: s.in_warranty ? "warranty" : "repair", serial: s.serial})},
          s.in_warranty ? t("as_open_warranty") : t("as_open_repair")))].filter(Boolean));
    } catch (err) {
      out.replaceChildren(h("p", {class: "error"}, err.message));
    }
  };

  // -- filters and live updates ------------------------------------------------------

  let timer = null;
  $("as-filters").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => load().catch((err) => TB.toast(err.message, "error")), 250);
  });
  $("as-filters").addEventListener("submit", (e) => { e.preventDefault(); load(); });

  TB.whoami().then(load).then(() => {
    // Straight to a ticket from a link: /office/aftersales#S20261127-0001
    const wanted = decodeURIComponent(location.hash.slice(1));
    if (wanted) api("GET", "/tickets/by-number/" + enc(wanted)).then((x) => show(x.id))
      .catch(() => {});
    TB.follow((kindOf, data) => {
      load().catch(() => {});
      if (current && data.id === current.id && $("as-ticket-dialog").open) show(current.id);
    }, ["ticket"]);
  }).catch((err) => TB.toast(err.message, "error"));
})();
