/* Delivery or pick-up of one order (docs/delivery.md), on the phone's cart and the counter's
 * order: taken now, pick-up in store, or delivery with recipient, phone, address and note.
 * Status moves are on the deliveries page; here the state is shown and, until the order is
 * shipped, the details can change.
 *
 * TB.DeliveryPanel.render(container, order, ensureOrder, onSaved): container is a
 * <details> element; ensureOrder() resolves with the order to mark (the phone opens one on
 * first use); onSaved(order) gets the order again after a change. */
"use strict";
(function () {
  const TB = window.TB;
  const {api, h, t} = TB;
  const LOCKED = ["shipped", "delivered", "collected"];
  const shown = new WeakMap();   // container -> what it was last drawn for

  function field(label, input) { return h("label", {}, label, " ", input); }

  async function render(container, order, ensureOrder, onSaved) {
    const f = order && order.fulfilment;
    const key = order ? `${order.id}:${f ? f.kind + ":" + f.status : "-"}` : "none";
    if (shown.get(container) === key) return;
    shown.set(container, key);
    let full = null;
    if (f) {
      try { full = await api("GET", `/orders/${order.id}/fulfilment`); } catch (e) { full = null; }
    }
    const summary = h("summary", {}, t("dl_title"), f ? h("span", {class: "badge kind-" +
      f.kind}, t("dl_kind_" + f.kind), " · ", t("dl_status_" + f.status)) : null,
      f && f.source === "head_office" ? h("span", {class: "badge online"}, t("dl_online"))
      : null);
    const active = f && f.status !== "cancelled" ? f.kind : "none";
    const kind = h("select", {class: "dl-kind", "aria-label": t("dl_title")},
      ...["none", "pickup", "delivery"].map((k) => h("option", {value: k}, t("dl_kind_" + k))));
    kind.value = active;
    const input = (name, value, attrs) => h("input", {name, value: value || "",
      autocomplete: "off", ...attrs});
    const recipient = input("recipient", full ? full.recipient :
      (order ? order.customer.name : ""), {maxlength: 40});
    const phone = input("phone", full ? full.phone : (order ? order.customer.phone : ""),
      {maxlength: 20, type: "tel", inputmode: "tel"});
    const address = h("textarea", {name: "address", maxlength: 200, rows: 2},
      full ? full.address : "");
    const note = input("note", full ? full.note : "", {maxlength: 200});
    const who = h("div", {class: "dl-who-fields"}, field(t("dl_recipient"), recipient),
      field(t("dl_phone"), phone), field(t("dl_address"), address), field(t("dl_note"), note));
    const locked = f && LOCKED.includes(f.status);
    const save = h("button", {type: "button", class: "secondary dl-save"}, t("dl_save"));
    const sync = () => {
      who.hidden = kind.value === "none";
      address.closest("label").hidden = kind.value !== "delivery";
      save.hidden = kind.value === "none" && active === "none";
    };
    kind.onchange = sync;
    save.onclick = async () => {
      save.disabled = true;
      try {
        const o = await ensureOrder();
        if (kind.value === "none") {
          await api("POST", `/orders/${o.id}/fulfilment/status`, {status: "cancelled"});
        } else {
          await api("PUT", `/orders/${o.id}/fulfilment`, {kind: kind.value,
            recipient: recipient.value.trim(), phone: phone.value.trim(),
            address: address.value.trim(), note: note.value.trim()});
        }
        TB.toast(t("dl_saved"));
        shown.delete(container);
        onSaved(await api("GET", "/orders/" + o.id));
      } catch (e) { TB.toast(e.message, "error"); } finally { save.disabled = false; }
    };
    const body = locked
      ? [h("p", {class: "hint"}, t("dl_locked")), full && full.tracking
          ? h("p", {}, full.carrier, " ", h("code", {}, full.tracking)) : null]
      : [field(t("dl_title"), kind), who, save];
    container.replaceChildren(summary, ...body.filter(Boolean));
    if (!locked) sync();
  }

  TB.DeliveryPanel = {render};
})();
