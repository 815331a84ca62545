/* The office's customers page (docs/customer-data.md): look a customer's data up by phone,
 * download it as JSON for them, or erase it after a confirmation. The phone travels in the
 * request body only, never in an address. */
"use strict";
(function () {
  const {api, h, t} = TB;
  const $ = (id) => document.getElementById(id);
  let phone = "";

  function show(d) {
    const m = d.member;
    const rows = [];
    if (m) {
      rows.push(h("p", null, h("strong", null, t("cu_member") + ": " + (m.name || "")),
        " ", m.phone, m.card_code ? " · " + t("cu_card", {code: m.card_code}) : null));
      rows.push(h("p", {class: "muted"}, t("cu_points_balance", {points: m.points,
        balance: TB.money(m.balance)})));
    } else {
      rows.push(h("p", null, h("strong", null, t("cu_no_member"))));
    }
    rows.push(h("p", null, t("cu_orders", {count: d.orders})));
    if (d.names && d.names.length) rows.push(h("p", null, t("cu_names", {names: d.names.join(", ")})));
    if (d.tickets && d.tickets.length) {
      rows.push(h("p", null, t("cu_tickets", {numbers: d.tickets.map((x) => x.number).join(", ")})));
    }
    if (d.deliveries) rows.push(h("p", null, t("cu_deliveries", {count: d.deliveries})));
    if (d.feedback) rows.push(h("p", null, t("cu_feedback", {count: d.feedback})));
    $("cu-summary").replaceChildren(...rows);
    $("cu-result").hidden = false;
  }

  $("cu-form").onsubmit = async (e) => {
    e.preventDefault();
    $("cu-error").textContent = "";
    $("cu-result").hidden = true;
    try {
      const d = await api("POST", "/customer-data/lookup", {phone: $("cu-phone").value});
      phone = $("cu-phone").value.trim();
      show(d);
    } catch (err) { $("cu-error").textContent = err.message; }
  };

  $("cu-export").onclick = async () => {
    try {
      const doc = await api("POST", "/customer-data/export", {phone});
      const blob = new Blob([JSON.stringify(doc, null, 2)], {type: "application/json"});
      const a = h("a", {href: URL.createObjectURL(blob), download: "customer-data.json"});
      document.body.append(a);
      a.click();
      setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
      TB.toast(t("cu_exported"));
    } catch (err) { $("cu-error").textContent = err.message; }
  };

  const digits = (s) => s.replace(/[^0-9+]/g, "");
  $("cu-erase").onclick = async () => {
    $("cu-erase-dialog").querySelector("form").reset();
    const done = await TB.formDialog("cu-erase-dialog", "cu-erase-error", (f) => {
      if (digits(f.elements.phone.value) !== digits(phone)) {
        const err = new Error(t("cu_phone_mismatch"));
        err.field = "phone";
        throw err;
      }
      return api("POST", "/customer-data/erase", {phone, reason: f.elements.reason.value});
    });
    if (done) {
      TB.toast(t("cu_erased", {orders: done.orders, points: done.points_forfeited}));
      $("cu-result").hidden = true;
      $("cu-phone").value = "";
      phone = "";
    }
  };

  TB.whoami().catch((err) => TB.toast(err.message, "error"));
})();
