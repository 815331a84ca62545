/* Serial numbers of an order's serialised goods (docs/aftersales.md "Serial numbers"), on
 * the counter's order and the phone's cart: one per unit, scanned (a scanner types the code
 * and Enter, which starts the next line) or typed, saved per line. Payment is refused until
 * every unit has one, so the prompt shows what is missing.
 *
 * TB.SerialsPanel.render(container, order, onSaved): container is a <div>; it stays hidden
 * for orders without serialised goods. onSaved() runs after a line's serials were saved. */
"use strict";
(function () {
  const TB = window.TB;
  const {api, h, t} = TB;
  const shown = new WeakMap();   // container -> what it was last drawn for

  async function render(container, order, onSaved) {
    if (!order || !order.lines || !order.lines.length) {
      shown.delete(container);
      container.hidden = true;
      container.replaceChildren();
      return;
    }
    const key = `${order.id}:${order.version}:${order.status}`;
    if (shown.get(container) === key) return;
    shown.set(container, key);
    let data;
    try {
      data = await api("GET", `/orders/${order.id}/serials`);
    } catch (e) {
      container.hidden = true;
      return;
    }
    if (shown.get(container) !== key) return;   // a newer render won
    if (!data.lines.length) {
      container.hidden = true;
      container.replaceChildren();
      return;
    }
    const editable = order.status === "open" || order.status === "parked";
    const missing = new Set(data.missing.map((m) => m.line_id));
    container.hidden = false;
    container.classList.toggle("missing", missing.size > 0);
    const hint = missing.size && editable
      ? [h("p", {class: "hint error"}, t("as_serials_missing"))] : [];
    container.replaceChildren(h("h3", {}, t("as_serials_title")), ...hint,
      ...data.lines.map((ln) => line(container, order, ln, editable, missing.has(ln.line_id),
                                     onSaved)));
  }

  function line(container, order, ln, editable, short, onSaved) {
    const label = `${ln.name}${ln.spec ? " (" + ln.spec + ")" : ""} × ${ln.qty}`;
    const count = t("as_serials_count", {have: ln.serials.length, qty: ln.qty});
    if (!editable) {
      return h("div", {class: "serial-line"}, h("b", {}, label), " ",
        h("span", {class: "muted"}, ln.serials.join(", ") || "—"));
    }
    const box = h("textarea", {rows: Math.min(Math.max(ln.qty, 1), 4), "data-line": ln.line_id,
      autocapitalize: "characters", spellcheck: "false", "aria-label": label,
      placeholder: t("as_serials_placeholder")});
    box.value = ln.serials.join("\n");
    const status = h("span", {class: short ? "badge off" : "badge live"}, count);
    const save = h("button", {type: "button", class: "small secondary", onclick: async () => {
      const serials = box.value.split(/[\n,;]+/).map((s) => s.trim()).filter(Boolean);
      save.disabled = true;
      try {
        await api("PUT", `/orders/${order.id}/lines/${ln.line_id}/serials`, {serials});
        TB.toast(t("as_serials_saved"));
        shown.delete(container);
        if (onSaved) onSaved();
      } catch (e) {
        TB.toast(e.message, "error");
      } finally { save.disabled = false; }
    }}, t("as_serials_save"));
    return h("div", {class: "serial-line"}, h("b", {}, label), " ", status, box, save);
  }

  TB.SerialsPanel = {render};
})();
