/* The counter: orders arrive live; recall, edit, take split tenders, show the change large. */
"use strict";
(function () {
  const TB = window.TB;
  const {api, h, t, money} = TB;
  const $ = (id) => document.getElementById(id);
  const METHODS = ["cash", "wechat", "alipay", "card", "transfer", "cheque", "credit_note"];
  // The shop's own collection code (收款码) shows on the customer display for these.
  const QR_METHODS = ["wechat", "alipay"];
  // Paid from the member on the order: stored value (储值) and points (积分).
  const MEMBER_METHODS = ["member_balance", "points"];
  const NO_REFERENCE = ["cash", "member_balance", "points"];
  let current = null;   // the order on screen
  let method = "cash";
  let paying = false;
  let shownDue = null;  // the order and amount due the amount field was last filled for
  // Who is signed in, and the CSRF token every write needs: asked once, awaited by writers
  // (the event stream may open, and want to tell core about the till, before it answers).
  const signedIn = TB.whoami();

  // Tell a customer display in another tab of this browser which order to show.
  // issue 11: while a WeChat Pay or Alipay payment is being taken, the display shows the
  // shop's code for it with the amount ("pay"), until it is taken or another tender chosen.
  const showOnDisplay = (o, change) => localStorage.setItem("tillbox.display",
    JSON.stringify({id: o ? o.id : null, change: change || null, at: Date.now(),
                    pay: !change && o && o.status === "open" && QR_METHODS.includes(method)
                      ? {method, amount: $("amount").value.trim() || o.due} : null}));

  function orderItem(o) {
    return h("li", {class: "order" + (current && current.id === o.id ? " on" : ""),
      onclick: () => select(o.id)},
      h("b", {}, o.number), h("span", {class: "price"}, money(o.total ?? o.due ?? o.subtotal)),
      h("span", {class: "who"}, o.customer.name || o.terminal),
      // issue 10: 网店 (head office's online order), delivery or pick-up
      o.fulfilment && o.fulfilment.source === "head_office" ? h("span", {class: "badge online",
        title: t("dl_online_title")}, t("dl_online")) : null,
      o.fulfilment && o.fulfilment.status !== "cancelled" ? h("span", {class: "badge kind-" +
        o.fulfilment.kind}, t("dl_kind_" + o.fulfilment.kind)) : null,
      h("span", {class: "status " + o.status}, t("status_" + o.status)));
  }

  // The business day as the box counts it: the prefix of today's order numbers.
  const today = () => TB.businessDay;

  async function loadLists() {
    const [parked, open, paidToday] = await Promise.all([
      api("GET", "/orders?status=parked"), api("GET", "/orders?status=open"),
      api("GET", "/orders?status=paid&day=" + today())]);
    const fill = (id, list) => $(id).replaceChildren(...(list.length ? list.map(orderItem)
      : [h("li", {class: "empty"}, t("no_orders"))]));
    fill("parked", parked.orders);
    fill("open", open.orders);
    todays = paidToday.orders;
    fillToday();
  }

  let todays = [];
  function fillToday() {
    const q = $("today-filter").value.trim().toLowerCase();
    const hit = (o) => !q || [o.number, o.customer.name, o.customer.phone, o.note]
      .some((v) => (v || "").toLowerCase().includes(q));
    const list = todays.filter(hit).slice(0, 50);
    $("today").replaceChildren(...(list.length ? list.map(orderItem)
      : [h("li", {class: "empty"}, t("no_orders"))]));
  }

  async function select(id) {
    let o = await api("GET", "/orders/" + id);
    if (o.status === "parked") o = await api("POST", `/orders/${id}/recall`);
    current = o;
    $("change").hidden = true;
    chooseMethod(defaultMethod());   // a new customer starts from the usual tender
    render();
    showOnDisplay(o);
    tellTill();
    loadLists();
  }

  // The box's scanner adds to the order on this screen: tell core which one that is.
  // ifFree: only take the scanner if no other live counter has it (on reconnecting).
  function tellTill(ifFree) {
    signedIn.then(() => api("PUT", "/till", {order_id: current ? current.id : null,
                                             if_free: !!ifFree}))
      .catch((e) => TB.toast(e.message, "error"));
  }

  const why = (code) => t("why_" + code) === "why_" + code ? code : t("why_" + code);
  // A refused scan in this screen's language (core's message is in the receipt language).
  const scanWhy = (e) => t("scan_" + e.error) === "scan_" + e.error ? (e.message || e.error)
    : t("scan_" + e.error, {code: e.code});

  function showPrinter(p) {
    const el = $("printer-state");
    el.textContent = p.ready ? (p.paper_near_end ? t("paper_near_end") : t("printer_ready"))
      : t("printer_problem", {why: why(p.reason)});
    el.className = "device " + (p.ready ? (p.paper_near_end ? "warn" : "ok") : "bad");
    const d = p.drawer || {};
    const dr = $("drawer-state");
    dr.hidden = d.open === null || d.open === undefined;
    dr.textContent = d.alert ? t("drawer_left_open", {s: d.open_seconds})
      : d.open ? t("drawer_open") : t("drawer_closed");
    dr.className = "device " + (d.alert ? "bad" : d.open ? "warn" : "ok");
  }

  function showUplink(u) {
    const el = $("uplink-state");
    el.hidden = !u || u.state === "not_linked";
    if (el.hidden) return;
    const when = u.last_contact ? new Date(u.last_contact).toLocaleTimeString(
      TB.locale.replace("_", "-"), {timeZone: TB.timezone}) : t("uplink_never");
    el.textContent = u.state === "connected"
      ? (u.backlog ? t("uplink_backlog", {n: u.backlog}) : t("uplink_connected"))
      : u.state === "offline" ? t("uplink_offline", {n: u.backlog ?? "?", t: when})
      : t("uplink_unknown");
    el.title = u.warning || "";
    el.className = "device " + (u.state === "connected" && !u.warning ? "ok" : "warn");
  }

  async function showPrintJobs() {
    const el = $("print-state");
    if (!current || current.status !== "paid") { el.hidden = true; return; }
    const {jobs} = await api("GET", `/orders/${current.id}/print-jobs`);
    const receipt = jobs.find((j) => j.kind === "receipt");
    el.hidden = !receipt;
    if (!receipt) return;
    el.textContent = t("job_" + receipt.state, {why: why(receipt.reason)});
    el.className = "print-state " + receipt.state;
  }

  function render() {
    const o = current;
    $("detail").hidden = !o;
    if (!o) return;
    $("d-number").textContent = o.number;
    $("d-status").textContent = t("status_" + o.status);
    $("d-customer").textContent = [o.customer.name, o.customer.phone, o.note]
      .filter(Boolean).join(" · ");
    const editable = o.status === "open" && o.paid === "0.00";
    renderMember(o, editable);
    if (TB.DeliveryPanel) {   // issue 10: delivery or pick-up (js/delivery_panel.js)
      TB.DeliveryPanel.render($("d-delivery"), o, async () => current,
        (next) => { current = next; render(); });
    }
    if (TB.SerialsPanel) {   // issue 10: serial numbers of serialised goods (js/serials_panel.js)
      TB.SerialsPanel.render($("d-serials"), o, () => select(o.id));
    }
    renderAdjustments(o);
    $("d-coupon-row").hidden = !editable;
    $("d-coupons").replaceChildren(...(o.coupons || []).map((code) => h("span",
      {class: "chip on coupon"}, code, editable ? h("button", {type: "button", class: "link",
        "aria-label": t("remove"), onclick: () => removeCoupon(code)}, "×") : null)));
    if (!offeredMethods().includes(method)) chooseMethod(defaultMethod());
    renderMethods();
    $("d-lines").replaceChildren(...o.lines.map((l) => h("li", {class: "line"},
      h("span", {class: "name"}, l.name, l.spec ? h("small", {}, l.spec) : null),
      h("span", {class: "qty"},
        editable ? h("button", {type: "button", onclick: () => setQty(l, l.qty - 1)}, "−") : null,
        h("b", {}, l.qty),
        editable ? h("button", {type: "button", onclick: () => setQty(l, l.qty + 1)}, "+") : null),
      h("span", {class: "price"}, money(l.net ?? l.amount)))));
    $("d-subtotal").textContent = money(o.subtotal);
    // Explanation lines (discounts, round-off) come priced from the server, as strings.
    // Each discount line is listed above; here their sum (discounts and round-off).
    const adjusted = (o.adjustments || []).reduce((sum, a) => sum + TB.fen(a.amount), 0);
    $("d-adjust").textContent = adjusted ? TB.yuan(adjusted) : "—";
    $("d-paid").textContent = money(o.paid);
    $("d-due").textContent = money(o.due);
    $("d-barcode").disabled = !editable;
    $("pay-box").hidden = o.status !== "open";
    // Keep what the cashier typed unless the amount due itself changed.
    const dueKey = `${o.id}:${o.due}`;
    if (dueKey !== shownDue) {
      shownDue = dueKey;
      $("amount").value = o.due || "";
    }
    $("d-payments").replaceChildren(...o.payments.filter((p) => !p.voided).map((p) =>
      h("li", {}, t("method_" + p.method), " ", money(p.amount), p.reference ?
        ` (${p.reference})` : "", p.points ? ` (${t("m_n_points", {n: p.points})})` : "",
        p.stored_change && TB.fen(p.stored_change) > 0 ?
          ` · ${t("stored_change", {amount: p.stored_change})}` : "")));
    tenderHint();
    $("receipt").hidden = o.status !== "paid";
    $("reprint").hidden = o.status !== "paid";
    if (o.status === "paid") renderReceipt(o);
    showPrintJobs().catch(() => {});
  }

  function renderReceipt(o) {
    $("receipt").replaceChildren(
      h("h3", {}, t("receipt"), " #", String(o.receipt_no)),
      h("p", {}, o.number, " · ", new Date(o.completed_at).toLocaleString(TB.locale.replace("_", "-"), {timeZone: TB.timezone})),
      h("ul", {}, o.lines.map((l) => h("li", {}, `${l.name} ${l.spec} × ${l.qty}`, " ",
        money(l.net)))),
      h("p", {}, t("total"), " ", money(o.total), " · ", t("paid"), " ", money(o.paid)),
      h("p", {}, o.payments.filter((p) => !p.voided).map((p) =>
        `${t("method_" + p.method)} ${money(p.tendered)}`).join(" · ")),
      h("p", {}, t("change_due"), " ", money(o.change)));
  }

  async function setQty(l, q) {
    try {
      current = q > 0 ? await api("PATCH", `/orders/${current.id}/lines/${l.id}`, {qty: q})
                      : await api("DELETE", `/orders/${current.id}/lines/${l.id}`);
      render();
    } catch (e) { TB.toast(e.message, "error"); }
  }

  // issue 11: the tenders the shop switched on, in its order (settings tenders.enabled);
  // the member's stored value and points only with a member on the order and members on.
  function offeredMethods() {
    return (TB.tenders || METHODS.concat(MEMBER_METHODS)).filter((m) =>
      !MEMBER_METHODS.includes(m) || (current && current.member && TB.moduleOn("members")));
  }
  const defaultMethod = () => {
    const offered = offeredMethods();
    return offered.includes("cash") ? "cash" : offered[0] || "cash";
  };

  function chooseMethod(m) {
    method = m;
    $("reference").hidden = NO_REFERENCE.includes(m);
    $("reference").value = "";
    // Offer what the member can pay, up to what is due.
    if (MEMBER_METHODS.includes(m) && current && current.member) {
      let most = Math.min(TB.fen(current.due), available(m));
      if (m === "points") most -= most % fenPerPoint();  // whole points only
      $("amount").value = TB.yuan(most);
    } else if (current) {
      $("amount").value = current.due || "";
    }
  }

  function renderMethods() {
    $("methods").replaceChildren(...offeredMethods().map((m) => h("button", {type: "button",
      class: "method" + (m === method ? " on" : ""), "data-method": m, onclick: () => {
        chooseMethod(m);
        renderMethods();
        tenderHint();
        if (current) showOnDisplay(current);
      }}, t("method_" + m))));
    $("to-card-row").hidden = !(method === "cash" && current && current.member);
    if ($("to-card-row").hidden) $("to-card").checked = false;
  }

  // -- the member on the order: points, stored value, coupons, discount lines -------------
  // Fen one point pays: the order's member summary says; else the page's setting; else 1.
  const fenPerPoint = () => (current && current.member && current.member.point_value &&
    TB.fen(current.member.point_value)) || TB.fenPerPoint || 1;
  function available(m) {
    const mem = current.member;
    if (m === "member_balance") return TB.fen(mem.balance);
    return mem.points * fenPerPoint();
  }

  function tenderHint() {
    const el = $("tender-hint");
    const mem = current && current.member;
    el.hidden = !(mem && MEMBER_METHODS.includes(method));
    if (el.hidden) return;
    const fen = TB.fen($("amount").value);
    if (method === "member_balance") {
      el.textContent = t("balance_left", {balance: mem.balance});
      el.className = "hint" + (fen > TB.fen(mem.balance) ? " error" : "");
      return;
    }
    const fpp = fenPerPoint();
    const pts = fen / fpp;
    el.textContent = Number.isInteger(pts) && fen >= 0
      ? t("points_use", {n: pts, have: mem.points, rate: TB.yuan(fpp)})
      : t("points_multiple", {rate: TB.yuan(fpp)});
    el.className = "hint" + (!Number.isInteger(pts) || pts > mem.points ? " error" : "");
  }
  $("amount").addEventListener("input", tenderHint);
  $("amount").addEventListener("change", () => {
    if (current && QR_METHODS.includes(method)) showOnDisplay(current);
  });

  function renderAdjustments(o) {
    $("d-adjustments").replaceChildren(...(o.adjustments || []).map((a) => h("li",
      {class: "adjustment " + (a.kind || "")},
      h("span", {class: "label"}, a.label === "round_off" ? t("round_off") : a.label),
      h("span", {class: "price"}, a.amount))));
  }

  let shownMember;
  function renderMember(o, editable) {
    const m = o.member;
    const key = `${o.id}:${editable}:` + (m ? `${m.id}:${m.points}:${m.balance}` : "");
    if (key === shownMember) return;
    shownMember = key;
    if (m) {
      $("d-member").replaceChildren(TB.Members.chip(m, editable ? () => setMember(null) : null));
      return;
    }
    if (o.status !== "open") { $("d-member").replaceChildren(); return; }
    const code = h("input", {id: "d-member-code", autocomplete: "off", inputmode: "tel",
      placeholder: t("m_phone_or_card_enter"), "aria-label": t("m_phone_or_card")});
    const choices = h("div", {});
    const findIt = async () => {
      try {
        const list = await TB.Members.resolve(code.value);
        if (list.length === 1) return setMember(list[0].id);
        choices.replaceChildren(TB.Members.choices(list, (x) => setMember(x.id)));
      } catch (e) { TB.toast(e.message, "error"); }
    };
    code.addEventListener("keydown", (e) => { if (e.key === "Enter") findIt(); });
    $("d-member").replaceChildren(h("div", {class: "searchrow"}, code,
      h("button", {type: "button", class: "secondary", onclick: findIt}, t("m_find")),
      h("button", {type: "button", class: "secondary", onclick: async () => {
        const v = code.value.trim();
        const made = await TB.Members.signUp(/^[0-9+ -]{5,}$/.test(v) ? {phone: v} : {});
        if (made) setMember(made.id);
      }}, t("m_sign_up"))), choices);
  }

  async function setMember(memberId) {
    try {
      current = await api("PUT", `/orders/${current.id}/member`,
                          {member_id: memberId, expected_version: current.version});
      render();
      showOnDisplay(current);
    } catch (e) { TB.toast(e.message, "error"); }
  }

  async function addCoupon() {
    const code = $("d-coupon").value.trim();
    if (!code || !current) return;
    try {
      current = await api("POST", `/orders/${current.id}/coupons`, {code});
      $("d-coupon").value = "";
      render();
      showOnDisplay(current);
    } catch (e) { TB.toast(e.message, "error"); }
  }
  async function removeCoupon(code) {
    try {
      current = await api("DELETE", `/orders/${current.id}/coupons/${encodeURIComponent(code)}`);
      render();
      showOnDisplay(current);
    } catch (e) { TB.toast(e.message, "error"); }
  }
  $("d-coupon-add").addEventListener("click", addCoupon);
  $("d-coupon").addEventListener("keydown", (e) => { if (e.key === "Enter") addCoupon(); });

  async function pay() {
    if (!current || paying) return;
    if (!NO_REFERENCE.includes(method) && !$("reference").value.trim()) {
      TB.toast(t("reference_needed"), "error");
      $("reference").focus();
      return;
    }
    paying = true;
    try {
      const body = {method, amount: $("amount").value.trim(),
        reference: $("reference").value.trim(),
        idempotency_key: crypto.randomUUID ? crypto.randomUUID() : String(Date.now())};
      if (method === "cash" && current.member && $("to-card").checked) body.change_to_card = true;
      const r = await api("POST", `/orders/${current.id}/payments`, body);
      current = r.order;
      render();
      if (r.completed) {
        $("change-amount").textContent = money(r.order.change);
        $("to-card").checked = false;
        $("change").hidden = false;
        showOnDisplay(r.order, r.order.change);
        TB.toast(t("completed"));
      }
      chooseMethod(defaultMethod());
      renderMethods();
      if (!r.completed) showOnDisplay(current);
    } catch (e) {
      TB.toast(e.message, "error");
    } finally {
      paying = false;
      loadLists();
    }
  }

  $("pay").addEventListener("click", pay);
  $("today-filter").addEventListener("input", fillToday);
  $("reprint").addEventListener("click", async () => {
    try {
      await api("POST", `/orders/${current.id}/reprint`, {});
      TB.toast(t("reprint_queued"));
    } catch (e) { TB.toast(e.message, "error"); }
  });
  $("amount").addEventListener("keydown", (e) => { if (e.key === "Enter") pay(); });
  $("next").addEventListener("click", () => {
    current = null;
    render();
    showOnDisplay(null);
    tellTill();
  });
  $("open-drawer").addEventListener("click", async () => {
    const reason = prompt(t("drawer_reason"));
    if (!reason || !reason.trim()) return;
    try {
      await api("POST", "/drawer/open", {reason: reason.trim()});
      TB.toast(t("drawer_opening"));
    } catch (e) { TB.toast(e.message, "error"); }
  });
  $("d-barcode").addEventListener("keydown", async (e) => {
    if (e.key !== "Enter" || !current) return;
    const code = $("d-barcode").value.trim();
    $("d-barcode").value = "";
    try {
      current = await api("POST", `/orders/${current.id}/lines`, {barcode: code});
      render();
      showOnDisplay(current);
    } catch (err) { TB.toast(err.message, "error"); }
  });
  // The order QR on a phone holds the order number; a scanner types it and Enter.
  $("find").addEventListener("keydown", async (e) => {
    if (e.key !== "Enter") return;
    const v = $("find").value.trim();
    $("find").value = "";
    try {
      const o = await api("GET", "/orders/by-number/" + encodeURIComponent(v));
      select(o.id);
    } catch (err) { TB.toast(err.message, "error"); }
  });

  // The low-stock chip: items at or below their level, a link to the phone's stock tab.
  let lowTimer = null;
  function showLowStock() {
    clearTimeout(lowTimer);
    lowTimer = setTimeout(async () => {
      try {
        const a = await api("GET", "/stock/alerts");
        const chip = $("low-stock-chip");
        chip.hidden = !a.low_stock;
        chip.textContent = t("st_low_n", {n: a.low_stock});
      } catch (e) { /* no stock permission or an older core: no chip */ }
    }, 300);
  }

  TB.follow(async (kind, e) => {
    if (kind === "stock") return showLowStock();
    if (kind === "printer") return showPrinter(e);
    if (kind === "uplink") return showUplink(e);
    if (kind === "catalog") return TB.toast(t("catalog_updated", {n: e.products}));
    if (kind === "shift") return TB.Shift && TB.Shift.refresh();   // js/shift.js
    if (kind === "settings") {   // issue 11: tenders, modules or round-off changed
      await TB.refreshSettings();
      if (current && current.status === "open") {
        current = await api("GET", "/orders/" + current.id);   // priced again
        render();
        showOnDisplay(current);
      } else renderMethods();
      return;
    }
    if (kind === "print_job") {
      if (e.kind === "drawer" && (e.state === "failed" || e.state === "expired")) {
        TB.toast(t("drawer_failed", {why: why(e.reason)}), "error");
      }
      if (current && e.order_id === current.id) showPrintJobs().catch(() => {});
      return;
    }
    if (kind === "scan") {
      if (!e.ok) return TB.toast(t("scan_error", {why: scanWhy(e)}), "error");
      if (e.order_id && (!current || current.id !== e.order_id)) return select(e.order_id);
      return;
    }
    if (kind === "promotions" || kind === "levels" || kind === "member") {
      // Priced again, or the member's points and balance moved: only a live order changes.
      if (current && current.status === "open" && (kind !== "member" ||
          (current.member && current.member.id === e.id))) {
        current = await api("GET", "/orders/" + current.id);
        render();
        showOnDisplay(current);
      }
      return;
    }
    loadLists();
    if (e.status === "paid" || e.status === "refunded") showLowStock();  // sales move stock
    if (current && e.id === current.id && e.version !== current.version) {
      current = await api("GET", "/orders/" + current.id);
      render();
      showOnDisplay(current);
    }
  }, ["order", "scan", "printer", "print_job", "uplink", "catalog", "promotions", "levels",
      "member", "stock", "shift", "settings"], () => tellTill(true));

  (async function start() {
    await signedIn;
    $("promotions-link").hidden = !TB.atLeast("manager");
    showLowStock();
    chooseMethod(defaultMethod());
    renderMethods();
    await loadLists();
    const devices = await api("GET", "/printer");
    showPrinter(devices.printer);
    showUplink(devices.uplink);
  })().catch((e) => TB.toast(e.message, "error"));
})();
