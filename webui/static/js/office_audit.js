/* The office's audit page: sensitive actions newest first, filtered, a page at a time
 * (docs/staff-audit.md). */
"use strict";
(function () {
  const {api, h, t, money} = TB;
  const $ = (id) => document.getElementById(id);
  const form = $("au-filters");
  let next = null;

  function query() {
    const q = new URLSearchParams();
    for (const name of ["from", "to", "kind", "staff"]) {
      const v = form.elements[name].value;
      if (v) q.set(name, v);
    }
    return q;
  }

  function row(e) {
    return h("li", {class: "audit-entry " + e.kind, "data-kind": e.kind, "data-seq": e.seq},
      h("div", {class: "au-top"},
        h("b", {class: "au-kind"}, e.kind_label),
        e.amount ? h("span", {class: "price"}, money(e.amount)) : null),
      h("div", {class: "au-who"}, e.staff_name,
        e.approved_by_name ? " · " + t("au_approved", {name: e.approved_by_name}) : "",
        e.order_number ? " · " + t("au_order", {n: e.order_number}) : ""),
      e.detail ? h("div", {class: "au-detail"}, e.detail) : null,
      e.reason ? h("div", {class: "au-reason"}, "“" + e.reason + "”") : null,
      h("time", {class: "when", datetime: e.ts}, e.time));
  }

  async function load(more) {
    const q = query();
    $("au-csv").href = "/api/v1/audit.csv?" + q;
    if (more && next) q.set("before", next);
    try {
      const data = await api("GET", "/audit?" + q);
      const list = $("au-list");
      if (!more) list.replaceChildren();
      list.append(...data.entries.map(row));
      if (!list.children.length) list.append(h("li", {class: "empty"}, t("au_none")));
      next = data.next_before;
      $("au-more").hidden = next == null;
    } catch (err) { TB.toast(err.message, "error"); }
  }

  form.addEventListener("change", () => load(false));
  form.addEventListener("submit", (e) => { e.preventDefault(); load(false); });
  $("au-more").onclick = () => load(true);
  TB.whoami().then(() => load(false)).catch((err) => TB.toast(err.message, "error"));
})();
