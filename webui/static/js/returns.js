/* The counter's returns panel (退货/换货, docs/returns.md): find the original sale by phone,
 * date, product or order number; choose lines, quantities and the reason; refund (original
 * tenders or store credit) or exchange for new items, settling only the difference. The
 * server prices everything (POST /returns/quote); this page only shows and sends. */
"use strict";
(function () {
  const TB = window.TB;
  const {api, h, t, money} = TB;
  const $ = (id) => document.getElementById(id);
  if (!$("returns-dialog")) return;

  let sale = null;      // the sale picked from the results
  let newItems = [];    // [{barcode, qty}] for an exchange
  let quote = null;     // the last answer of /returns/quote
  let busy = false;
  let quoting = 0;

  const mode = () => document.querySelector("input[name=rt-mode]:checked").value;
  const error = (text) => { $("rt-error").textContent = text || ""; };

  function open() {
    error("");
    $("rt-done").hidden = true;
    if (!$("returns-dialog").open) $("returns-dialog").showModal();
    $("rt-search").elements.phone.focus();
  }

  async function find(ev) {
    ev.preventDefault();
    error("");
    const f = $("rt-search").elements;
    const q = new URLSearchParams();
    for (const k of ["phone", "day", "product", "number"]) {
      if (f[k].value.trim()) q.set(k, f[k].value.trim());
    }
    if (![...q.keys()].length) { error(t("rt_give_filter")); return; }
    try {
      const r = await api("GET", "/returns/sales?" + q.toString());
      showResults(r.sales);
    } catch (e) { error(e.message); }
  }

  function showResults(sales) {
    $("rt-sale").hidden = true;
    $("rt-done").hidden = true;
    if (!sales.length) {
      $("rt-results").replaceChildren(h("li", {class: "empty"}, t("rt_none_found")));
      return;
    }
    $("rt-results").replaceChildren(...sales.map((s) => h("li", {},
      h("button", {type: "button", class: "order-item", "data-order": s.number,
        onclick: () => pick(s)},
        h("strong", {}, s.number), " ", s.completed_local, " ", money(s.total),
        s.refunded !== "0.00" ? h("span", {class: "status"}, t("rt_refunded", {amount: s.refunded}))
          : null,
        s.customer_phone ? " " + s.customer_phone : ""))));
  }

  function pick(s) {
    sale = s;
    newItems = [];
    quote = null;
    $("rt-results").replaceChildren();
    $("rt-sale").hidden = false;
    $("rt-done").hidden = true;
    $("rt-pin").value = "";
    $("rt-sale-head").textContent = t("rt_sale_head", {number: s.number, when: s.completed_local,
                                                      total: s.total});
    $("rt-window").hidden = !s.outside_window;
    $("rt-window").textContent = t("rt_outside_window", {days: s.age_days});
    $("rt-lines").replaceChildren(...s.lines.map((ln) => h("tr", {},
      h("td", {}, ln.name, ln.spec ? " " + ln.spec : ""),
      h("td", {}, String(ln.returnable_qty)),
      h("td", {}, money(ln.returnable_amount)),
      h("td", {}, h("input", {type: "number", min: "0", max: String(ln.returnable_qty),
        value: "0", step: "1", class: "rt-qty", "data-line": ln.line_id,
        "aria-label": t("rt_qty_of", {name: ln.name}), disabled: ln.returnable_qty === 0,
        oninput: requote})))));
    renderNew();
    requote();
  }

  function chosenLines() {
    return [...document.querySelectorAll(".rt-qty")]
      .map((el) => ({line_id: el.dataset.line, qty: parseInt(el.value, 10) || 0}))
      .filter((x) => x.qty > 0);
  }

  function renderNew() {
    $("rt-new").replaceChildren(...newItems.map((it, i) => h("li", {},
      h("span", {class: "name"}, it.name || it.barcode), " × ",
      h("input", {type: "number", min: "1", value: String(it.qty), class: "rt-new-qty",
        "aria-label": t("qty"), oninput: (e) => { it.qty = Math.max(1, parseInt(e.target.value, 10) || 1); requote(); }}),
      it.net ? " " + money(it.net) : "",
      h("button", {type: "button", class: "secondary small", onclick: () => {
        newItems.splice(i, 1); renderNew(); requote(); }}, t("remove")),
      // serialised goods going out need their serial numbers (scanned or typed)
      it.serialised ? h("input", {type: "text", class: "rt-new-serials",
        placeholder: t("rt_serials"), "aria-label": t("rt_serials"), value: (it.serials || []).join(", "),
        oninput: (e) => { it.serials = e.target.value.split(/[,\s]+/).filter(Boolean); }}) : "")));
  }

  function addNew() {
    const code = $("rt-barcode").value.trim();
    if (!code) return;
    $("rt-barcode").value = "";
    const same = newItems.find((x) => x.barcode === code);
    if (same) same.qty += 1; else newItems.push({barcode: code, qty: 1});
    renderNew();
    requote();
  }

  async function requote() {
    const exchange = mode() === "exchange";
    $("rt-exchange").hidden = !exchange;
    $("rt-go").textContent = exchange ? t("rt_do_exchange") : t("rt_do_refund");
    const lines = chosenLines();
    if (!sale || !lines.length) {
      quote = null;
      showFigures();
      return;
    }
    const ticket = ++quoting;
    try {
      const items = exchange ? newItems.map((x) => ({barcode: x.barcode, qty: x.qty})) : [];
      const q = await api("POST", "/returns/quote", {order_id: sale.order_id, lines, items});
      if (ticket !== quoting) return;
      quote = q;
      q.new_lines.forEach((ln, i) => { if (newItems[i]) { newItems[i].name = ln.name; newItems[i].net = ln.net; newItems[i].serialised = ln.serialised; } });
      if (exchange) renderNew();
      error("");
    } catch (e) {
      if (ticket !== quoting) return;
      quote = null;
      if (e.field === "items" && newItems.length) { newItems.pop(); renderNew(); }
      error(e.message);
    }
    showFigures();
  }

  function showFigures() {
    const exchange = mode() === "exchange";
    const q = quote;
    $("rt-returned").textContent = money(q ? q.returned : "0.00");
    $("rt-new-total").textContent = money(q ? q.new_total : "0.00");
    $("rt-new-total").hidden = $("rt-new-total-label").hidden = !exchange;
    const pay = !!q && exchange && TB.fen(q.to_pay) > 0;
    const give = !q || TB.fen(q.to_give_back) > 0;
    $("rt-diff-label").textContent = pay ? t("rt_to_pay") : give ? t("rt_to_give_back")
      : t("rt_even");
    $("rt-diff").textContent = money(q ? (pay ? q.to_pay : q.to_give_back) : "0.00");
    $("rt-pay").hidden = !pay;
    if (pay) $("rt-pay-amount").value = q.to_pay;
    $("rt-give").hidden = !give;
    $("rt-pin-row").hidden = !(q && q.needs_approval) && !$("rt-pin").value;
    $("rt-go").disabled = !q || (exchange && !newItems.length);
  }

  async function go() {
    if (!sale || !quote || busy) return;
    error("");
    const exchange = mode() === "exchange";
    const body = {order_id: sale.order_id, lines: chosenLines(), reason: $("rt-reason").value,
                  reason_text: $("rt-note").value.trim(), restock: $("rt-restock").checked};
    if ($("rt-pin").value) body.approver_pin = $("rt-pin").value;
    const storeCredit = $("rt-give-as").value === "store_credit";
    if (exchange) {
      body.items = newItems.map((x) => ({barcode: x.barcode, qty: x.qty,
                                         serials: x.serialised ? (x.serials || []) : []}));
      if (TB.fen(quote.to_pay) > 0) {
        const m = $("rt-pay-method").value;
        if (m !== "cash" && !$("rt-pay-ref").value.trim()) {
          error(t("reference_needed"));
          $("rt-pay-ref").focus();
          return;
        }
        body.payments = [{method: m, amount: $("rt-pay-amount").value.trim(),
                          reference: $("rt-pay-ref").value.trim()}];
      } else if (TB.fen(quote.to_give_back) > 0 && storeCredit) {
        body.refund_tenders = [{method: "store_credit", amount: quote.to_give_back}];
      }
    } else {
      body.store_credit = storeCredit;
    }
    busy = true;
    $("rt-go").disabled = true;
    try {
      const r = await api("POST", exchange ? "/returns/exchange" : "/returns/refund", body);
      done(exchange, r);
    } catch (e) {
      if (e.status === 403) $("rt-pin-row").hidden = false;
      error(e.message);
      if (e.status === 403) $("rt-pin").focus();
    } finally {
      busy = false;
      $("rt-go").disabled = false;
    }
  }

  function done(exchange, r) {
    $("rt-sale").hidden = true;
    const out = [h("h3", {}, exchange ? t("rt_exchanged", {number: r.new.number})
                                      : t("rt_refunded_done", {amount: r.refund.amount}))];
    if (exchange && TB.fen(r.change) > 0) {
      out.push(h("p", {class: "change"}, t("change_due"), " ", h("strong", {}, money(r.change))));
    }
    for (const tn of r.refund.tenders) {
      if (tn.method === "exchange") continue;
      out.push(h("p", {}, t("method_" + tn.method), " ", money(tn.amount)));
    }
    for (const note of r.refund.credit_notes || []) {
      out.push(h("p", {class: "rt-credit-note"}, t("rt_credit_note_issued",
        {code: note.code, amount: note.amount})));
    }
    $("rt-done").replaceChildren(...out);
    $("rt-done").hidden = false;
    sale = null;
    window.dispatchEvent(new CustomEvent("tillbox:returns-done"));
  }

  $("returns-button").addEventListener("click", open);
  $("rt-search").addEventListener("submit", find);
  $("rt-barcode").addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); addNew(); } });
  for (const el of document.querySelectorAll("input[name=rt-mode]")) el.addEventListener("change", requote);
  $("rt-pay-method").addEventListener("change", () => {
    $("rt-pay-ref-row").hidden = $("rt-pay-method").value === "cash";
  });
  $("rt-go").addEventListener("click", go);
  $("returns-dialog").querySelector("[data-close]").addEventListener("click",
    () => $("returns-dialog").close());
})();
