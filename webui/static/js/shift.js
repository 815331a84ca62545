/* Shifts (班次, docs/shifts.md). At the counter: the Shift button's panel to open a shift with
 * a float, pay cash in or out, print X and Z reports and hand over with a BLIND count (the
 * expected figures are shown only once the close is recorded). On the office shifts page:
 * the reprint buttons. */
"use strict";
(function () {
  const TB = window.TB;
  const {api, h, t, money} = TB;
  const $ = (id) => document.getElementById(id);
  const when = (ts) => new Date(ts).toLocaleString(TB.locale.replace("_", "-"),
    {timeZone: TB.timezone, month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit"});
  const method = (m) => (t("method_" + m) === "method_" + m ? m : t("method_" + m));

  // -- the office page: a paper copy of a report --------------------------------------------
  const reprints = document.querySelectorAll("[data-reprint]");
  if (reprints.length) {
    const signedIn = TB.whoami();
    reprints.forEach((b) => b.addEventListener("click", async () => {
      try {
        await signedIn;
        await api("POST", `/till-reports/${b.dataset.reprint}/reprint`, {});
        TB.toast(t("sh_reprint_queued"));
      } catch (e) { TB.toast(e.message, "error"); }
    }));
  }
  if (!$("shift-dialog")) return;

  // -- the counter's panel ------------------------------------------------------------------
  let info = null;   // GET /shifts/current: the open shift (or null) and what the forms need

  async function refresh() {
    info = await api("GET", "/shifts/current");
    const s = info.shift;
    const b = $("shift-button");
    b.textContent = s ? t("sh_open_n", {n: s.number}) : t("sh_none");
    b.classList.toggle("warn", !s);
    return info;
  }

  function render() {
    const s = info.shift;
    $("shift-state").textContent = s ? t("sh_state", {n: s.number, t: when(s.opened_at),
      who: s.opened_by ? s.opened_by.name : "", float: s.float}) : t("sh_none");
    $("shift-required").hidden = !(info.required && !s);
    $("shift-moves").replaceChildren(...(s ? s.cash_moves : []).map((m) => h("li", {},
      t("sh_move", {kind: t("sh_" + m.kind), amount: m.amount, reason: m.reason}))));
    for (const id of ["shift-paid-in", "shift-paid-out", "shift-close"]) {
      $(id).hidden = !s;
    }
    // The X report shows what the drawer should hold: a manager's read, never the counter's
    // own (the handover count is blind).
    $("shift-x").hidden = !s || !TB.atLeast("manager");
    $("shift-open").hidden = !!s;
    $("shift-z").hidden = !!s || !TB.atLeast("manager");
  }

  async function showPanel() {
    $("shift-error").textContent = "";
    try {
      await refresh();
    } catch (e) { TB.toast(e.message, "error"); return; }
    render();
    if (!$("shift-dialog").open) $("shift-dialog").showModal();
  }

  // Run a sub-form in its own dialog with the panel closed; back to the panel afterwards.
  async function subForm(dialogId, errorId, send, prepare) {
    $("shift-dialog").close();
    const form = $(dialogId).querySelector("form");
    form.reset();
    if (prepare) prepare(form);
    return TB.formDialog(dialogId, errorId, send);
  }

  async function openShift() {
    const done = await subForm("shift-open-dialog", "shift-open-error",
      (form) => api("POST", "/shifts", {float: form.elements.float.value.trim()}),
      (form) => { form.elements.float.value = info.default_float; });
    if (done) TB.toast(t("sh_opened", {n: done.number}));
    showPanel();
  }

  async function moveCash(kind) {
    $("shift-cash-title").textContent = t("sh_" + kind);
    const done = await subForm("shift-cash-dialog", "shift-cash-error",
      (form) => api("POST", "/shifts/current/cash", {kind,
        amount: form.elements.amount.value.trim(), reason: form.elements.reason.value.trim()}));
    if (done) TB.toast(t("sh_moved"));
    showPanel();
  }

  // -- the handover: a blind count by denomination ------------------------------------------
  function countRows() {
    $("count-rows").replaceChildren(...info.denominations.map((d) => {
      const amount = h("td", {class: "price"}, "");
      const input = h("input", {type: "number", min: "0", step: "1", inputmode: "numeric",
        name: "d" + d.key, "data-fen": String(TB.fen(d.value)), autocomplete: "off",
        "aria-label": money(d.value), oninput: () => {
          const n = parseInt(input.value, 10);
          amount.textContent = n > 0 ? money(TB.yuan(n * TB.fen(d.value))) : "";
          countTotal();
        }});
      return h("tr", {}, h("th", {scope: "row"}, money(d.value)), h("td", {}, input), amount);
    }));
    $("count-tenders").replaceChildren(...info.tenders.map((m) => h("label", {},
      method(m), " ", h("input", {name: "t_" + m, inputmode: "decimal", autocomplete: "off",
                                  placeholder: "0.00"}))));
    countTotal();
  }

  function counts() {
    const out = {};
    $("count-rows").querySelectorAll("input").forEach((input) => {
      const n = parseInt(input.value, 10);
      if (n > 0) out[input.name.slice(1)] = n;
    });
    return out;
  }

  function countTotal() {
    const fen = Object.entries(counts()).reduce((sum, [key, n]) => sum + Number(key) * n, 0);
    $("count-total").textContent = money(TB.yuan(fen));
  }

  function tenderAmounts() {
    const out = {};
    for (const m of info.tenders) {
      const v = $("count-tenders").querySelector(`[name="t_${m}"]`).value.trim();
      if (v) out[m] = v;
    }
    return out;
  }

  async function handOver() {
    const done = await subForm("shift-close-dialog", "shift-close-error", async (form) => {
      const body = {denominations: counts(), tenders: tenderAmounts()};
      if (!$("count-override").hidden) {
        const pin = form.elements.approver_pin.value;
        if (pin) body.approver_pin = pin;     // a manager closing their own shift needs none
        body.reason = form.elements.reason.value.trim();
      }
      try {
        return await api("POST", "/shifts/current/close", body);
      } catch (err) {
        // Over the limit: count again, or a manager approves (PIN and reason).
        if (err.status === 409 && (err.field === "approver_pin" || err.field === "reason")) {
          $("count-choice").hidden = !$("count-override").hidden;
        }
        throw err;
      }
    }, () => {
      $("count-choice").hidden = true;
      $("count-override").hidden = true;
      countRows();
    });
    if (done) return showClosed(done);
    showPanel();
  }

  $("count-again").addEventListener("click", () => {
    $("count-choice").hidden = true;
    $("shift-close-error").textContent = "";
    $("count-rows").querySelector("input").focus();
  });
  $("count-manager").addEventListener("click", () => {
    $("count-choice").hidden = true;
    $("count-override").hidden = false;
    $("shift-close-error").textContent = "";
    $("shift-close-dialog").querySelector("[name=approver_pin]").focus();
  });

  function showResult(title, ...content) {
    $("shift-result-title").textContent = title;
    $("shift-result").replaceChildren(...content.filter(Boolean));
    $("shift-result-dialog").showModal();
  }

  function showClosed(s) {
    const rows = Object.keys(s.over_short).map((m) => {
      const diff = TB.fen(s.over_short[m]);
      return h("tr", {class: diff < 0 ? "short" : diff > 0 ? "over" : "", "data-method": m},
        h("th", {scope: "row"}, method(m)),
        h("td", {class: "price expected"}, money(s.expected[m] || "0.00")),
        h("td", {class: "price counted"}, money(s.counted.tenders[m] || "0.00")),
        h("td", {class: "price over-short"}, (diff > 0 ? "+" : "") + money(s.over_short[m])));
    });
    showResult(t("sh_closed_title", {n: s.number}),
      h("table", {class: "report-table shift-closed"},
        h("thead", {}, h("tr", {}, h("th", {}, t("sh_tender")), h("th", {}, t("sh_expected")),
          h("th", {}, t("sh_counted")), h("th", {}, t("sh_over_short")))),
        h("tbody", {}, rows)),
      s.override_by ? h("p", {class: "meta"}, t("sh_approved_by",
        {name: s.override_by.name, reason: s.close_reason})) : null,
      h("p", {class: "meta"}, t("sh_printing")));
    refresh().catch(() => {});
  }

  function showReport(r) {
    const rows = Object.entries(r.tenders).map(([m, f]) => h("tr", {}, h("th", {scope: "row"},
      method(m)), h("td", {class: "price"}, f.sales), h("td", {class: "price"}, f.refunds),
      h("td", {class: "price"}, f.net)));
    showResult(t(r.kind === "z" ? "sh_z_title" : "sh_x_title", {n: r.number}),
      h("p", {class: "meta"}, r.business_day, " · ",
        t("sh_records", {a: r.first_seq, b: r.last_seq})),
      h("table", {class: "report-table"}, h("thead", {}, h("tr", {}, h("th", {}, t("sh_tender")),
        h("th", {}, t("sh_sales")), h("th", {}, t("sh_refunds")), h("th", {}, t("sh_net")))),
      h("tbody", {}, rows)),
      h("p", {}, t("sh_orders"), " ", String(r.orders.count), " · ", t("sh_net_sales"), " ",
        money(r.orders.net)),
      h("p", {class: "meta"}, t("sh_printing")));
  }

  async function report(kind) {
    $("shift-error").textContent = "";
    try {
      const r = await api("POST", "/reports/" + kind, {});
      $("shift-dialog").close();
      showReport(r);
    } catch (e) { $("shift-error").textContent = e.message; }
  }

  $("shift-button").addEventListener("click", showPanel);
  $("shift-open").addEventListener("click", openShift);
  $("shift-paid-in").addEventListener("click", () => moveCash("paid_in"));
  $("shift-paid-out").addEventListener("click", () => moveCash("paid_out"));
  $("shift-x").addEventListener("click", () => report("x"));
  $("shift-z").addEventListener("click", () => report("z"));
  $("shift-close").addEventListener("click", handOver);
  for (const id of ["shift-dialog", "shift-result-dialog"]) {
    $(id).querySelector("[data-close]").addEventListener("click", () => $(id).close());
  }

  TB.Shift = {refresh: () => refresh().then(() => { if ($("shift-dialog").open) render(); })};
  refresh().catch(() => {});
})();
