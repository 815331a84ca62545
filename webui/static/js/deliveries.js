/* The deliveries page (docs/delivery.md), phone-first: to pack, to ship, ready for pick-up,
 * on the way, recent; the next status of each order, shipping with carrier and tracking
 * number (typed or scanned), pick slips. Lists refresh on the box's events. */
"use strict";
(function () {
  const {api, h, t, money} = TB;
  const $ = (id) => document.getElementById(id);
  const LISTS = ["to_pack", "to_ship", "ready", "shipped", "recent"];
  let tab = "to_pack";
  let board = null;
  let carriers = [];

  const statusLabel = (s) => t("dl_status_" + s);

  async function load() {
    try {
      board = await api("GET", "/fulfilment");
      carriers = board.carriers;
      render();
    } catch (e) { TB.toast(e.message, "error"); }
  }

  function render() {
    $("dl-tabs").replaceChildren(...LISTS.map((name) => h("button", {type: "button",
      role: "tab", class: "chip" + (tab === name ? " on" : ""), "data-list": name,
      "aria-selected": String(tab === name), onclick: () => { tab = name; render(); }},
      t("dl_" + name), h("small", {class: "count"}, String(board[name].length)))));
    const list = board[tab];
    $("dl-board").replaceChildren(h("ul", {class: "dl-list"}, ...(list.length
      ? list.map(card) : [h("li", {class: "empty"}, t("dl_empty"))])));
  }

  function card(f) {
    const who = [f.recipient || f.customer_name, f.phone || f.customer_phone]
      .filter(Boolean).join(" · ");
    return h("li", {class: "dl-card", "data-order": f.order_id},
      h("div", {class: "dl-top"},
        h("b", {}, f.number),
        f.source === "head_office" ? h("span", {class: "badge online",
          title: t("dl_online_title")}, t("dl_online")) : null,
        h("span", {class: "badge kind-" + f.kind}, t("dl_kind_" + f.kind)),
        h("span", {class: "status " + f.status}, statusLabel(f.status))),
      who ? h("div", {class: "dl-who"}, who) : null,
      f.address ? h("div", {class: "dl-address"}, f.address) : null,
      f.note ? h("div", {class: "dl-note"}, f.note) : null,
      f.tracking ? h("div", {class: "dl-tracking"}, f.carrier, " ", h("code", {}, f.tracking))
        : null,
      h("div", {class: "dl-money"}, money(f.total), " · ",
        f.order_status === "paid" ? t("dl_paid") : t("dl_unpaid")),
      h("div", {class: "dl-actions"},
        ...f.next.map((s) => h("button", {type: "button",
          class: (s === "cancelled" ? "secondary" : "primary") + " small dl-go-" + s,
          onclick: () => move(f, s)}, t("dl_go_" + s))),
        h("button", {type: "button", class: "secondary small dl-slip",
          onclick: () => slip(f)}, t("dl_pick_slip"))));
  }

  async function move(f, status) {
    if (status === "shipped") return ship(f);
    if (status === "cancelled" && !confirm(t("dl_confirm_cancel", {number: f.number}))) return;
    try {
      await api("POST", `/orders/${f.order_id}/fulfilment/status`, {status});
      TB.toast(t("dl_moved", {number: f.number, status: statusLabel(status)}));
      load();
    } catch (e) { TB.toast(e.message, "error"); }
  }

  async function slip(f) {
    try {
      await api("POST", `/orders/${f.order_id}/pick-slip`, {});
      TB.toast(t("dl_slip_queued"));
    } catch (e) { TB.toast(e.message, "error"); }
  }

  function fillCarriers() {
    const sel = $("dl-carrier");
    sel.replaceChildren(...carriers.map((c) => h("option", {value: c}, c)),
      h("option", {value: "other"}, t("dl_carrier_other")));
    const other = () => { $("dl-carrier-name-row").hidden = sel.value !== "other"; };
    sel.onchange = other;
    other();
  }

  async function ship(f) {
    const form = $("dl-ship-dialog").querySelector("form");
    form.reset();
    fillCarriers();
    $("dl-ship-title").textContent = t("dl_go_shipped") + " " + f.number;
    const done = await TB.formDialog("dl-ship-dialog", "dl-ship-error", (fm) =>
      api("POST", `/orders/${f.order_id}/fulfilment/status`, {
        status: "shipped", carrier: fm.elements.carrier.value,
        carrier_name: fm.elements.carrier_name.value,
        tracking: fm.elements.tracking.value.trim(), note: fm.elements.note.value}));
    if (done) {
      TB.toast(t("dl_moved", {number: f.number, status: statusLabel("shipped")}));
      load();
    }
  }

  $("dl-scan").addEventListener("click", async () => {
    const input = $("dl-tracking");
    try {
      const code = await TB.cameraScan($("camera"));
      if (code) input.value = code.trim();
    } catch (e) {
      TB.toast(t("dl_scan_unavailable"), "error");
    }
    input.focus();
  });

  // Another screen (a phone, the counter, head office's orders) changed something.
  let timer = null;
  TB.follow(() => { clearTimeout(timer); timer = setTimeout(load, 300); },
            ["fulfilment", "order"]);
  TB.whoami().then(load);
})();
