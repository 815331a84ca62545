/* 进货 on the phone: receiving a delivery by scanning (each scan +1 on the matching line of
 * the purchase order; part deliveries are fine; or a delivery without an order), and for
 * managers the purchase orders, reorder suggestions, suppliers and supplier contracts.
 * Amounts go to the API as decimal strings; quantities are whole numbers. */
"use strict";
(function () {
  const TB = window.TB;
  const {api, h, t, money} = TB;
  const $ = (id) => document.getElementById(id);
  const view = $("pu-view");
  if (!view || !TB.Stock) return;
  const S = TB.Stock;
  const manager = () => TB.atLeast("manager");
  let current = "receive";
  let supplierCache = null;
  let rc = null;          // the delivery being received: {po, supplier_id, lines, note}

  const back = (label, fn) => h("button", {type: "button", class: "link back", onclick: fn},
    "‹ ", label);
  const statusText = (s) => (t("po_status_" + s) === "po_status_" + s ? s : t("po_status_" + s));
  const fail = (e) => view.replaceChildren(h("p", {class: "error", role: "alert"}, e.message));

  async function suppliers(fresh) {
    if (!supplierCache || fresh) {
      supplierCache = api("GET", "/suppliers").then((r) => r.suppliers || [])
        .catch(() => { supplierCache = null; return []; });
    }
    return supplierCache;
  }
  const supplierName = (list, id) => ((list.find((s) => s.id === id) || {}).name || "");

  function nav(which) {
    current = which;
    document.querySelectorAll("#pu-nav .chip").forEach((c) =>
      c.classList.toggle("on", c.dataset.view === which));
    window.scrollTo(0, 0);
    ({receive: showReceive, orders: showOrders, suggest: showSuggest, suppliers: showSuppliers,
      contracts: showContracts}[which])();
  }
  document.querySelectorAll("#pu-nav .chip").forEach((c) =>
    c.addEventListener("click", () => nav(c.dataset.view)));

  // -- receiving -----------------------------------------------------------------------------
  async function showReceive() {
    if (rc) return renderReceiving();
    let pos = [];
    try {
      const r = await api("GET", "/purchase-orders");
      pos = r.purchase_orders.filter((p) => ["open", "partly_received"].includes(p.status));
    } catch (e) { if (e.status !== 403) TB.toast(e.message, "error"); }
    const list = await suppliers();
    view.replaceChildren(
      h("button", {type: "button", id: "rc-no-po", class: "secondary wide",
        onclick: () => startReceiving(null)}, t("rc_without_po")),
      h("h3", {}, t("rc_pick_po")),
      h("ul", {class: "orders", id: "rc-pos"}, pos.length ? pos.map((p) => h("li", {
        class: "order", "data-po": p.id, onclick: () => startReceiving(p)},
        h("b", {}, p.number), h("span", {class: "status"}, statusText(p.status)),
        h("span", {class: "who"}, p.supplier_name || supplierName(list, p.supplier_id)),
        h("span", {class: "meta"}, p.expected_on ? t("po_expected", {d: p.expected_on}) : "")))
        : [h("li", {class: "empty"}, t("rc_no_open_po"))]));
  }

  async function startReceiving(po) {
    let full = po;
    try {
      if (po) full = await api("GET", "/purchase-orders/" + po.id);
    } catch (e) { return TB.toast(e.message, "error"); }
    rc = {po: full, supplier_id: full ? full.supplier_id : "", note: "",
      lines: full ? full.lines.map((l) => ({k: S.key(l.product_id, l.variant_id),
        product_id: l.product_id, variant_id: l.variant_id || "", name: S.itemName(l),
        ordered: l.qty, before: l.received_qty || 0, qty: 0, unit_cost: l.unit_cost,
        po_line_id: l.line_id})) : []};
    nav("receive");
  }

  // One scanned or typed code: +1 on its line (the first with room left), else a new line.
  async function receiveCode(code) {
    try {
      const found = await S.byBarcode(code);
      if (!found) return TB.toast(t("scan_not_found", {code}), "error");
      addUnits(found, 1);
    } catch (e) { TB.toast(e.message, "error"); }
  }
  function addUnits(found, n) {
    const k = S.key(found.product_id, found.variant_id);
    const lines = rc.lines.filter((l) => l.k === k);
    let line = lines.find((l) => l.ordered == null || l.before + l.qty < l.ordered) || lines[0];
    if (!line) {
      line = {k, product_id: found.product_id, variant_id: found.variant_id || "",
              name: found.name, ordered: null, before: 0, qty: 0, unit_cost: null,
              po_line_id: null};
      rc.lines.push(line);
    }
    line.qty += n;
    if (navigator.vibrate) navigator.vibrate(30);
    renderReceiving(line.k);
  }

  function receiveLine(l) {
    const over = l.ordered != null && l.before + l.qty > l.ordered;
    const done = l.ordered != null && l.before + l.qty === l.ordered;
    const set = (q) => () => { l.qty = Math.max(0, q); renderReceiving(); };
    return h("li", {class: "line rc-line" + (over ? " over" : "") + (done ? " done" : ""),
      "data-key": l.k},
      h("span", {class: "name"}, l.name, h("small", {}, l.ordered == null ? t("rc_not_on_po") :
        t("rc_ordered", {n: l.ordered, m: l.before}))),
      h("span", {class: "qty"},
        h("button", {type: "button", "aria-label": "-", onclick: set(l.qty - 1)}, "−"),
        h("b", {class: "rc-qty"}, String(l.qty)),
        h("button", {type: "button", "aria-label": "+", onclick: set(l.qty + 1)}, "+")),
      manager() ? h("input", {class: "rc-cost", inputmode: "decimal", autocomplete: "off",
        "aria-label": t("rc_unit_cost"), placeholder: t("rc_unit_cost"),
        value: l.unit_cost ?? "", onchange: (e) => { l.unit_cost = e.target.value.trim(); }})
        : h("span", {}));
  }

  async function renderReceiving(flash) {
    const list = await suppliers();
    const code = h("input", {id: "rc-code", type: "search", inputmode: "numeric",
      autocomplete: "off", enterkeyhint: "done", placeholder: t("rc_scan_hint"),
      "aria-label": t("rc_scan_hint")});
    const picks = h("ul", {class: "pick-list", id: "rc-picks"});
    code.addEventListener("keydown", async (e) => {
      if (e.key !== "Enter") return;
      const v = code.value.trim();
      if (!v) return;
      code.value = "";
      if (/^[0-9]{6,14}$/.test(v)) return receiveCode(v);
      S.productChoices(v, picks, (pid, vid, name) => addUnits({product_id: pid,
        variant_id: vid, name}, 1)).catch((x) => TB.toast(x.message, "error"));
    });
    const err = h("p", {class: "error", role: "alert", id: "rc-error"});
    const total = rc.lines.reduce((a, l) => a + l.qty, 0);
    const supplier = h("select", {id: "rc-supplier", onchange: (e) => {
      rc.supplier_id = e.target.value; }},
      h("option", {value: ""}, "—"), ...list.map((s) => h("option", {value: s.id}, s.name)));
    supplier.value = rc.supplier_id || "";
    const note = h("input", {id: "rc-note", maxlength: "200", autocomplete: "off",
      value: rc.note, oninput: (e) => { rc.note = e.target.value; }});
    view.replaceChildren(...[
      back(t("rc_back"), () => { rc = null; nav("receive"); }),
      h("h2", {}, rc.po ? t("rc_title_po", {n: rc.po.number}) : t("rc_title_free")),
      rc.po ? h("p", {class: "hint"}, rc.po.supplier_name || supplierName(list,
        rc.po.supplier_id)) : list.length ? h("label", {}, t("rc_supplier"), supplier) : null,
      h("div", {class: "searchrow"}, code, h("button", {type: "button", id: "rc-cam",
        onclick: () => TB.scan && TB.scan(receiveCode, code)}, t("scan"))),
      picks,
      h("p", {class: "hint"}, t("rc_each_scan")),
      h("ul", {class: "lines", id: "rc-lines"}, rc.lines.length ? rc.lines.map(receiveLine) :
        [h("li", {class: "empty"}, t("rc_scan_first"))]),
      h("label", {}, t("note"), note),
      err,
      h("button", {type: "button", id: "rc-book", class: "primary big wide", disabled: !total,
        onclick: (e) => book(e.target, err)}, t("rc_book", {n: total}))].filter(Boolean));
    if (flash) {
      const row = view.querySelector(`.rc-line[data-key="${flash}"]`);
      if (row) { row.classList.add("flash"); row.scrollIntoView({block: "nearest"}); }
    }
    code.focus();
  }

  async function book(button, err) {
    const lines = rc.lines.filter((l) => l.qty > 0).map((l) => {
      const x = {product_id: l.product_id, qty: l.qty};
      if (l.variant_id) x.variant_id = l.variant_id;
      if (manager() && l.unit_cost != null && String(l.unit_cost).trim() !== "") {
        x.unit_cost = String(l.unit_cost).trim();
      }
      return x;
    });
    const body = {lines, note: rc.note.trim()};
    // More than ordered, or goods not on the order: a manager's own say-so allows it.
    if (manager() && rc.lines.some((l) => l.qty > 0 && (l.ordered == null ||
        l.before + l.qty > l.ordered))) body.over = true;
    if (rc.po) body.po_id = rc.po.id;
    else if (rc.supplier_id) body.supplier_id = rc.supplier_id;
    button.disabled = true;
    try {
      const receipt = await api("POST", "/receiving", body);
      const received = rc.lines.filter((l) => l.qty > 0);
      rc = null;
      TB.toast(t("rc_booked"));
      view.replaceChildren(
        h("p", {class: "notice", role: "status", id: "rc-done"}, t("rc_done", {
          n: received.reduce((a, l) => a + l.qty, 0)})),
        h("ul", {class: "lines"}, received.map((l) => h("li", {class: "line"},
          h("span", {class: "name"}, l.name), h("b", {}, "+" + l.qty), h("span", {})))),
        h("button", {type: "button", id: "rc-labels", class: "secondary wide",
          onclick: () => S.printLabels(received.map((l) => ({product_id: l.product_id,
            variant_id: l.variant_id, name: l.name, copies: l.qty})))}, t("rc_print_labels")),
        h("button", {type: "button", class: "primary wide", onclick: () => nav("receive")},
          t("rc_next")));
      return receipt;
    } catch (e) {
      err.textContent = e.message;
      button.disabled = false;
    }
  }

  // -- purchase orders -----------------------------------------------------------------------
  let poStatus = "";
  async function showOrders() {
    let r;
    const list = await suppliers();
    try {
      r = await api("GET", "/purchase-orders" + (poStatus ? "?status=" + poStatus : ""));
    } catch (e) { return fail(e); }
    const chip = (s, label) => h("button", {type: "button", class: "chip" +
      (poStatus === s ? " on" : ""), onclick: () => { poStatus = s; showOrders(); }}, label);
    view.replaceChildren(
      h("div", {class: "chips"}, chip("", t("all")), ...["open", "partly_received",
        "received", "closed", "cancelled"].map((s) => chip(s, statusText(s)))),
      h("button", {type: "button", class: "primary wide", onclick: () => nav("suggest")},
        t("po_new")),
      h("ul", {class: "orders", id: "po-list"}, r.purchase_orders.length ?
        r.purchase_orders.map((p) => h("li", {class: "order", "data-po": p.id,
          onclick: () => showOrder(p.id)},
          h("b", {}, p.number), h("span", {class: "price"}, p.total != null ? money(p.total) : ""),
          h("span", {class: "who"}, p.supplier_name || supplierName(list, p.supplier_id)),
          h("span", {class: "status"}, statusText(p.status))))
        : [h("li", {class: "empty"}, t("po_none"))]));
  }

  async function showOrder(id) {
    let p;
    const list = await suppliers();
    try { p = await api("GET", "/purchase-orders/" + id); } catch (e) { return fail(e); }
    const live = ["open", "partly_received"].includes(p.status);
    const err = h("p", {class: "error", role: "alert"});
    const act = (label, path, ask) => h("button", {type: "button", class: "secondary",
      onclick: async () => {
        const reason = prompt(ask);
        if (!reason) return;
        try {
          await api("POST", `/purchase-orders/${p.id}/${path}`, {reason});
          showOrder(p.id);
        } catch (x) { err.textContent = x.message; }
      }}, label);
    const received = p.lines.filter((l) => l.received_qty > 0);
    view.replaceChildren(...[
      back(t("po_all"), () => showOrders()),
      h("h2", {}, p.number, " ", h("span", {class: "badge"}, statusText(p.status))),
      h("p", {class: "muted"}, [p.supplier_name || supplierName(list, p.supplier_id),
        p.expected_on ? t("po_expected", {d: p.expected_on}) : null, p.note]
        .filter(Boolean).join(" · ")),
      h("ul", {class: "lines", id: "po-lines"}, p.lines.map((l) => h("li", {class: "line" +
        (l.received_qty >= l.qty ? " done" : "")},
        h("span", {class: "name"}, S.itemName(l), h("small", {}, t("po_line_received",
          {m: l.received_qty || 0, n: l.qty}))),
        h("span", {class: "price"}, money(l.unit_cost)),
        h("span", {class: "price"}, l.amount != null ? money(l.amount) : "")))),
      p.total != null ? h("p", {class: "cart-total-line"}, h("span", {}, t("total")),
        h("strong", {}, money(p.total))) : null,
      (p.receipts || []).length ? h("h3", {}, t("po_receipts")) : null,
      (p.receipts || []).length ? h("ul", {class: "moves"}, p.receipts.map((x) =>
        h("li", {class: "move in"}, h("span", {class: "when"}, S.when(x.received_at)),
          h("span", {class: "why"}, x.received_by_name || x.received_by || "",
            x.note ? h("small", {}, x.note) : null),
          h("span", {class: "delta"}, x.qty != null ? "+" + x.qty : "")))) : null,
      err,
      h("div", {class: "member-actions"},
        live ? h("button", {type: "button", class: "primary", id: "po-receive",
          onclick: () => { rc = null; startReceiving(p); }}, t("po_receive")) : null,
        received.length ? h("button", {type: "button", class: "secondary", id: "po-labels",
          onclick: () => S.printLabels(received.map((l) => ({product_id: l.product_id,
            variant_id: l.variant_id, name: S.itemName(l), copies: l.received_qty})))},
          t("rc_print_labels")) : null,
        p.status === "partly_received" ? act(t("po_close"), "close", t("po_close_reason"))
          : null,
        p.status === "open" ? act(t("po_cancel"), "cancel", t("po_cancel_reason")) : null)]
      .filter(Boolean));
  }

  // -- reorder suggestions -> a new purchase order -------------------------------------------
  // Grouped by each item's supplier (its stock rule); one purchase order per group. The
  // last group takes products added by hand, for a supplier picked here.
  async function showSuggest() {
    const list = (await suppliers()).filter((s) => s.active !== false);
    let groups;
    try {
      groups = (await api("GET", "/purchase-orders/suggestions")).suppliers || [];
    } catch (e) { return fail(e); }
    const toLine = (s) => ({product_id: s.product_id, variant_id: s.variant_id || "",
      name: S.itemName(s), qty: s.qty, unit_cost: s.unit_cost ?? "", on: true,
      why: [t("sg_on_hand", {n: s.on_hand}), s.on_order ? t("sg_on_order", {n: s.on_order})
        : null, s.daily_rate != null ? t("sg_velocity", {n: s.daily_rate}) : null,
        s.lead_time_days ? t("st_lead", {n: s.lead_time_days}) : null,
        s.pack_qty > 1 ? t("st_pack", {n: s.pack_qty}) : null].filter(Boolean).join(" · ")});
    const drafts = groups.map((g) => ({supplier_id: g.supplier_id || "",
      supplier_name: g.supplier_name, lines: g.lines.map(toLine)}));
    drafts.push({supplier_id: "", manual: true, lines: []});
    view.replaceChildren(
      list.length ? null : h("p", {class: "hint error"}, t("sg_no_suppliers")),
      groups.length ? null : h("p", {class: "hint"}, t("sg_nothing")),
      ...drafts.map((d, i) => draftBox(d, i, list)));
  }

  function draftBox(d, i, list) {
    const row = (l) => h("li", {class: "sg-line"},
      h("label", {class: "check"}, h("input", {type: "checkbox", checked: l.on,
        onchange: (e) => { l.on = e.target.checked; }}), h("span", {class: "name"}, l.name)),
      l.why ? h("small", {class: "meta"}, l.why) : null,
      h("div", {class: "two"},
        h("label", {}, t("qty"), h("input", {type: "number", min: "1", value: String(l.qty),
          class: "sg-qty", onchange: (e) => { l.qty = parseInt(e.target.value, 10) || 0; }})),
        h("label", {}, t("rc_unit_cost"), h("input", {inputmode: "decimal", value: l.unit_cost,
          class: "sg-cost", onchange: (e) => { l.unit_cost = e.target.value.trim(); }}))));
    const lines = h("ul", {class: "sg-lines"});
    const draw = () => lines.replaceChildren(...(d.lines.length ? d.lines.map(row) :
      [h("li", {class: "empty"}, t("sg_add_product"))]));
    draw();
    const supplier = h("select", {class: "sg-supplier", onchange: (e) => {
      d.supplier_id = e.target.value; }}, h("option", {value: ""}, "—"),
      ...list.map((s) => h("option", {value: s.id}, s.name)));
    supplier.value = d.supplier_id;
    const q = h("input", {type: "search", class: "sg-q", autocomplete: "off",
      placeholder: t("sg_add_product")});
    const picks = h("ul", {class: "pick-list"});
    let timer = null;
    q.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => S.productChoices(q.value, picks, (pid, vid, name, p) => {
        const v = vid ? p.variants.find((x) => x.id === vid) : null;
        d.lines.push({product_id: pid, variant_id: vid || "", name, qty: 1,
          unit_cost: (v && v.cost) || p.cost || "", why: "", on: true});
        q.value = "";
        picks.replaceChildren();
        draw();
      }).catch((e) => TB.toast(e.message, "error")), 250);
    });
    const expected = h("input", {type: "date"});
    const note = h("input", {maxlength: "200", autocomplete: "off"});
    const err = h("p", {class: "error", role: "alert"});
    return h("section", {class: "sg-group", "data-group": String(i)},
      h("h3", {}, d.manual ? t("po_new") : d.supplier_name || t("sg_no_supplier")),
      d.manual || !d.supplier_id ? h("label", {}, t("rc_supplier"), supplier) : null,
      lines, q, picks,
      h("div", {class: "two"}, h("label", {}, t("po_expected_on"), expected),
        h("label", {}, t("note"), note)),
      err,
      h("button", {type: "button", class: "primary big wide sg-create", onclick: async (e) => {
        const chosen = d.lines.filter((l) => l.on && l.qty > 0).map((l) => {
          const x = {product_id: l.product_id, qty: l.qty};
          if (String(l.unit_cost).trim() !== "") x.unit_cost = String(l.unit_cost).trim();
          if (l.variant_id) x.variant_id = l.variant_id;
          return x;
        });
        e.target.disabled = true;
        try {
          const po = await api("POST", "/purchase-orders", {supplier_id: d.supplier_id, lines:
            chosen, note: note.value.trim(), expected_on: expected.value || undefined});
          TB.toast(t("po_created", {n: po.number}));
          current = "orders";
          document.querySelectorAll("#pu-nav .chip").forEach((c) =>
            c.classList.toggle("on", c.dataset.view === "orders"));
          showOrder(po.id);
        } catch (x) { err.textContent = x.message; e.target.disabled = false; }
      }}, t("po_create")));
  }

  // -- suppliers -------------------------------------------------------------------------------
  async function showSuppliers() {
    const list = await suppliers(true);
    view.replaceChildren(
      h("button", {type: "button", id: "su-new", class: "primary wide",
        onclick: () => editSupplier(null)}, t("su_new")),
      h("ul", {class: "members", id: "su-list"}, list.length ? list.map((s) => h("li", {
        class: "member" + (s.active === false ? " off" : ""), "data-supplier": s.id,
        onclick: () => editSupplier(s)},
        h("b", {}, s.name), h("span", {class: "m-phone"}, s.phone || ""),
        h("span", {class: "meta"}, [s.contact, s.email, s.active === false ? t("m_inactive")
          : null].filter(Boolean).join(" · ")))) :
        [h("li", {class: "empty"}, t("su_none"))]));
  }

  async function editSupplier(s) {
    const form = $("supplier-form");
    form.reset();
    $("supplier-title").textContent = s ? s.name : t("su_new");
    for (const k of ["name", "contact", "phone", "email", "address", "note"]) {
      form.elements[k].value = (s && s[k]) || "";
    }
    form.elements.active.checked = !s || s.active !== false;
    const saved = await S.formDialog("supplier-dialog", "supplier-error", (f) => {
      const body = {active: f.elements.active.checked};
      for (const k of ["name", "contact", "phone", "email", "address", "note"]) {
        body[k] = f.elements[k].value.trim();
      }
      return s ? api("PUT", "/suppliers/" + s.id, body) : api("POST", "/suppliers", body);
    });
    if (saved) { TB.toast(t("saved")); showSuppliers(); }
  }

  // -- contracts -----------------------------------------------------------------------------
  async function dueIds() {
    try {
      const r = await api("GET", "/contracts/due");
      const due = r.contracts || r.due || [];
      $("pu-due-n").textContent = due.length ? String(due.length) : "";
      $("pu-due-n").hidden = !due.length;
      return new Set(due.map((c) => c.id));
    } catch (e) { return new Set(); }
  }

  async function showContracts() {
    let list;
    const [sups, due] = await Promise.all([suppliers(), dueIds()]);
    try { list = (await api("GET", "/contracts")).contracts; } catch (e) { return fail(e); }
    // Ending soonest first: the ones to act on are at the top.
    list.sort((a, b) => (due.has(b.id) - due.has(a.id)) ||
      String(a.ends_on || "9999").localeCompare(String(b.ends_on || "9999")));
    view.replaceChildren(
      h("button", {type: "button", id: "co-new", class: "primary wide",
        onclick: () => editContract(null)}, t("co_new")),
      due.size ? h("p", {class: "notice due-notice", role: "status"},
        t("co_due_n", {n: due.size})) : null,
      h("ul", {class: "members", id: "co-list"}, list.length ? list.map((c) => h("li", {
        class: "member contract" + (due.has(c.id) ? " due" : "") +
          (c.active === false ? " off" : ""), "data-contract": c.id,
        onclick: () => editContract(c)},
        h("b", {}, c.title), h("span", {class: "m-phone"}, supplierName(sups, c.supplier_id)),
        h("span", {class: "meta"}, [`${c.starts_on || "…"} – ${c.ends_on || "…"}`,
          due.has(c.id) ? t("co_due") : null].filter(Boolean).join(" · ")))) :
        [h("li", {class: "empty"}, t("co_none"))]));
  }

  async function editContract(c) {
    const form = $("contract-form");
    form.reset();
    const sups = await suppliers();
    $("contract-supplier").replaceChildren(...sups.map((s) =>
      h("option", {value: s.id}, s.name)));
    $("contract-title").textContent = c ? c.title : t("co_new");
    for (const k of ["supplier_id", "title", "terms", "starts_on", "ends_on"]) {
      if (c && c[k] != null) form.elements[k].value = c[k];
    }
    form.elements.remind_days.value = c ? c.remind_days ?? 30 : 30;
    form.elements.active.checked = !c || c.active !== false;
    const saved = await S.formDialog("contract-dialog", "contract-error", (f) => {
      const body = {supplier_id: f.elements.supplier_id.value, title: f.elements.title.value.trim(),
        terms: f.elements.terms.value.trim(), starts_on: f.elements.starts_on.value,
        ends_on: f.elements.ends_on.value, active: f.elements.active.checked,
        remind_days: parseInt(f.elements.remind_days.value, 10) || 0};
      return c ? api("PUT", "/contracts/" + c.id, body) : api("POST", "/contracts", body);
    });
    if (saved) { TB.toast(t("saved")); showContracts(); }
  }

  // -- following the box ---------------------------------------------------------------------
  document.addEventListener("tillbox:event", (e) => {
    if (e.detail.kind !== "purchase_order" || $("tab-buy").hidden) return;
    if (current === "orders" && view.querySelector("#po-list")) showOrders();
  });
  document.addEventListener("tillbox:tab", (e) => {
    if (e.detail !== "buy") return;
    document.querySelectorAll("#pu-nav [data-manager]").forEach((b) => {
      b.hidden = !manager();
    });
    if (manager()) dueIds();
    nav(current);
  });
})();
