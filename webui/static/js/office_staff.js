/* The office's staff page: add people, change roles, reset PINs, deactivate and reactivate
 * (docs/staff-audit.md); per-staff sales for today or this month. */
"use strict";
(function () {
  const {api, h, t, money} = TB;
  const $ = (id) => document.getElementById(id);
  const roleLabel = (r) => t("sf_role_" + r);

  async function load() {
    const data = await api("GET", "/staff");
    $("sf-list").replaceChildren(...data.staff.map(row));
  }

  function row(s) {
    const roles = $("sf-roles").content.cloneNode(true);
    const select = h("select", {class: "sf-role", "aria-label": s.name,
      disabled: !s.active, onchange: (e) => changeRole(s, e.target)}, roles);
    select.value = s.role;
    const me = TB.me && TB.me.id === s.id;
    return h("li", {class: "staff-row" + (s.active ? "" : " off"), "data-id": s.id},
      h("span", {class: "name"}, s.name, me ? h("small", null, t("sf_you")) : null,
        s.active ? null : h("small", {class: "badge off"}, t("sf_inactive"))),
      select,
      h("div", {class: "staff-actions"},
        s.active ? h("button", {type: "button", class: "small secondary sf-pin",
          onclick: () => resetPin(s)}, t("sf_reset_pin")) : null,
        s.active
          ? h("button", {type: "button", class: "small secondary sf-deactivate",
              onclick: () => deactivate(s)}, t("sf_deactivate"))
          : h("button", {type: "button", class: "small primary sf-reactivate",
              onclick: () => reactivate(s)}, t("sf_reactivate"))));
  }

  async function changeRole(s, select) {
    try {
      const p = await api("PATCH", "/staff/" + encodeURIComponent(s.id), {role: select.value});
      TB.toast(t("sf_role_changed", {name: p.name, role: roleLabel(p.role)}));
    } catch (err) {
      select.value = s.role;
      TB.toast(err.message, "error");
    }
    await load();
  }

  function pinDialog(title, path) {
    $("sf-pin-title").textContent = title;
    $("sf-pin-dialog").querySelector("form").reset();
    return TB.formDialog("sf-pin-dialog", "sf-pin-error", (f) =>
      api("POST", path, {pin: f.elements.pin.value}));
  }

  async function resetPin(s) {
    const p = await pinDialog(t("sf_new_pin_for", {name: s.name}),
                              "/staff/" + encodeURIComponent(s.id) + "/pin");
    if (p) TB.toast(t("sf_pin_reset", {name: p.name}));
  }

  async function reactivate(s) {
    const p = await pinDialog(t("sf_new_pin_for", {name: s.name}),
                              "/staff/" + encodeURIComponent(s.id) + "/reactivate");
    if (p) { TB.toast(t("sf_reactivated", {name: p.name})); await load(); }
  }

  async function deactivate(s) {
    if (!confirm(t("sf_confirm_deactivate", {name: s.name}))) return;
    try {
      const p = await api("POST", "/staff/" + encodeURIComponent(s.id) + "/deactivate");
      TB.toast(t("sf_deactivated", {name: p.name}));
    } catch (err) { TB.toast(err.message, "error"); }
    await load();
  }

  $("sf-add").onclick = async () => {
    $("sf-add-dialog").querySelector("form").reset();
    const p = await TB.formDialog("sf-add-dialog", "sf-add-error", (f) => api("POST", "/staff", {
      name: f.elements.name.value, role: f.elements.role.value, pin: f.elements.pin.value}));
    if (p) { TB.toast(t("sf_added", {name: p.name})); await load(); }
  };

  async function loadSales() {
    const d = TB.businessDay;   // YYYYMMDD
    const today = d.slice(0, 4) + "-" + d.slice(4, 6) + "-" + d.slice(6, 8);
    const from = $("sf-period").value === "month" ? today.slice(0, 8) + "01" : today;
    const data = await api("GET", "/staff/sales?from=" + from + "&to=" + today);
    const body = $("sf-sales").tBodies[0];
    body.replaceChildren(...data.staff.map((r) => h("tr", {"data-id": r.staff_id},
      h("th", {scope: "row"}, r.name), h("td", {class: "price"}, r.opened_orders),
      h("td", {class: "price"}, money(r.opened_sales)), h("td", {class: "price"}, r.settled_orders),
      h("td", {class: "price"}, money(r.settled_sales)))));
    if (!data.staff.length) body.append(h("tr", null, h("td", {colspan: 5, class: "empty"}, t("sf_no_sales"))));
  }
  $("sf-period").addEventListener("change", loadSales);

  TB.whoami().then(() => Promise.all([load(), loadSales()]))
    .catch((err) => TB.toast(err.message, "error"));
})();
