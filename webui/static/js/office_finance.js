/* The office's finance page: enter income and expenses, void a wrong one, profit by day for
 * a month and by month for a year (docs/finance.md). Amounts are decimal strings. */
"use strict";
(function () {
  const {api, h, t, money} = TB;
  const $ = (id) => document.getElementById(id);
  const form = $("fin-form");
  const catLabel = (c) => t("fin_cat_" + c);

  function syncSupplier() {
    $("fin-supplier-row").hidden = form.elements.category.value !== "supplier";
  }

  function monthRange(month) {
    const [y, m] = month.split("-").map(Number);
    const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
    return [month + "-01", month + "-" + String(last).padStart(2, "0")];
  }

  async function loadEntries() {
    const month = $("fin-month").value || TB.businessDay.slice(0, 4) + "-" + TB.businessDay.slice(4, 6);
    const [from, to] = monthRange(month);
    const q = "?from=" + from + "&to=" + to;
    $("fin-entries-csv").href = "/api/v1/finance/entries.csv" + q;
    const data = await api("GET", "/finance/entries" + q);
    $("fin-sum").textContent = t("fin_sum", {expenses: money(data.expenses),
                                              income: money(data.income)});
    const list = $("fin-entries");
    list.replaceChildren(...data.entries.map(entryRow));
    if (!data.entries.length) list.append(h("li", {class: "empty"}, t("fin_none")));
    await loadDays(month);
  }

  function entryRow(e) {
    const sign = e.kind === "expense" ? "−" : "+";
    const what = catLabel(e.category) + (e.supplier_name ? " · " + e.supplier_name : "");
    return h("li", {class: "fin-entry " + e.kind + (e.voided ? " voided" : ""), "data-id": e.id},
      h("span", {class: "fin-what"}, what,
        h("small", null, [e.day, e.note, t("fin_by", {name: e.created_by_name})]
          .filter(Boolean).join(" · ")),
        e.voided ? h("small", {class: "fin-void-reason"}, t("fin_voided_why", {reason: e.void_reason})) : null),
      h("b", {class: "price"}, sign + money(e.amount)),
      e.voided ? h("span") : h("button", {type: "button", class: "small secondary",
        onclick: () => voidEntry(e)}, t("fin_void")));
  }

  async function voidEntry(e) {
    const dialog = $("fin-void-dialog");
    $("fin-void-what").textContent = catLabel(e.category) + " " + money(e.amount) + " · " + e.day;
    dialog.querySelector("form").reset();
    const done = await TB.formDialog("fin-void-dialog", "fin-void-error", (f) =>
      api("POST", "/finance/entries/" + encodeURIComponent(e.id) + "/void",
          {reason: f.elements.reason.value}));
    if (done) { TB.toast(t("fin_voided")); await loadEntries(); await loadMonths(); }
  }

  function profitTable(id, rows, key, totals) {
    const cells = (r, label) => [h("th", {scope: "row"}, label), ...["revenue", "cogs", "expenses",
      "other_income", "profit"].map((k) => h("td", {class: "price" + (k === "profit" &&
        TB.fen(r[k]) < 0 ? " loss" : "")}, r[k]))];
    const table = $(id);
    table.tBodies[0].replaceChildren(...rows.map((r) => h("tr", {"data-key": r[key]},
      ...cells(r, key === "day" ? r.day.slice(5) : r.month))));
    table.tFoot.replaceChildren(h("tr", null, ...cells(totals, "Σ")));
  }

  async function loadDays(month) {
    const q = "?month=" + month;
    $("fin-days-csv").href = "/api/v1/finance/profit.csv" + q;
    const data = await api("GET", "/finance/profit" + q);
    profitTable("fin-days", data.rows, "day", data.totals);
  }

  async function loadMonths() {
    const q = "?year=" + ($("fin-year").value || TB.businessDay.slice(0, 4));
    $("fin-months-csv").href = "/api/v1/finance/profit.csv" + q;
    const data = await api("GET", "/finance/profit" + q);
    profitTable("fin-months", data.rows, "month", data.totals);
  }

  form.elements.category.addEventListener("change", syncSupplier);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = form.elements;
    const amount = f.amount.value.trim();
    $("fin-error").textContent = "";
    if (Number.isNaN(TB.fen(amount))) { $("fin-error").textContent = t("fin_amount_bad"); return; }
    const body = {category: f.category.value, amount, day: f.day.value, note: f.note.value};
    if (f.category.value === "supplier" && f.supplier_id.value) body.supplier_id = f.supplier_id.value;
    const submit = form.querySelector("[type=submit]");
    submit.disabled = true;
    try {
      const entry = await api("POST", "/finance/entries", body);
      TB.toast(t("fin_added"));
      f.amount.value = ""; f.note.value = "";
      $("fin-month").value = entry.day.slice(0, 7);
      await loadEntries();
      await loadMonths();
    } catch (err) {
      $("fin-error").textContent = err.message;
      if (err.field && f[err.field]) f[err.field].focus();
    } finally { submit.disabled = false; }
  });
  $("fin-month").addEventListener("change", loadEntries);
  $("fin-year").addEventListener("change", loadMonths);

  TB.whoami().then(() => { syncSupplier(); loadEntries(); loadMonths(); })
    .catch((err) => TB.toast(err.message, "error"));
})();
