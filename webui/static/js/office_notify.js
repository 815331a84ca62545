/* The office's notifications page (docs/notifications.md): the outbox newest first, filtered;
 * a manager sends a failed one again, cancels one that waits, or sends a test message. */
"use strict";
(function () {
  const {api, h, t} = TB;
  const $ = (id) => document.getElementById(id);
  const form = $("nt-filters");
  const label = (group, key) => (TB.strings[group] || {})[key] || key;

  function query() {
    const q = new URLSearchParams();
    for (const name of ["state", "event", "channel"]) {
      const v = form.elements[name].value;
      if (v) q.set(name, v);
    }
    return q;
  }

  function delivery(n) {
    if (n.delivery === "delivered") return t("nt_delivered");
    if (n.delivery === "failed") return t("nt_undelivered");
    if (n.delivery === "pending") return t("nt_pending");
    return null;
  }

  function act(n, action) {
    return async () => {
      try {
        await api("POST", `/notifications/${encodeURIComponent(n.id)}/${action}`);
        await load();
      } catch (err) { TB.toast(err.message, "error"); }
    };
  }

  function row(n) {
    const buttons = [];
    if (TB.atLeast("manager")) {
      if ((n.state === "failed" || n.state === "cancelled") && n.to) {
        buttons.push(h("button", {type: "button", class: "secondary", "data-act": "retry",
          onclick: act(n, "retry")}, t("nt_retry")));
      }
      if (n.state === "queued" || n.state === "sending" || n.state === "failed") {
        buttons.push(h("button", {type: "button", class: "secondary", "data-act": "cancel",
          onclick: act(n, "cancel")}, t("nt_cancel")));
      }
    }
    return h("li", {class: "nt-entry state-" + n.state, "data-id": n.id, "data-state": n.state},
      h("div", {class: "nt-top"},
        h("b", {}, label("nt_events", n.event)),
        h("span", {class: "nt-state"}, label("nt_states", n.state))),
      h("div", {class: "nt-who"}, label("nt_channels", n.channel), " · ", n.to || "—",
        n.route === "relay" ? " · " + t("nt_via_relay") : ""),
      h("div", {class: "nt-meta"}, t("nt_attempts", {n: n.attempts}),
        delivery(n) ? " · " + delivery(n) : ""),
      n.last_error ? h("div", {class: "nt-error"}, n.last_error) : null,
      h("time", {class: "when", datetime: n.created_at},
        new Date(n.created_at).toLocaleString(TB.locale.replace("_", "-"), {timeZone: TB.timezone})),
      buttons.length ? h("div", {class: "nt-actions"}, buttons) : null);
  }

  async function load() {
    try {
      const data = await api("GET", "/notifications?" + query());
      const list = $("nt-list");
      list.replaceChildren(...data.notifications.map(row));
      if (!list.children.length) list.append(h("li", {class: "empty"}, t("nt_none")));
      $("nt-counts").textContent = Object.entries(data.counts)
        .filter(([, n]) => n).map(([s, n]) => `${label("nt_states", s)} ${n}`).join(" · ");
    } catch (err) { TB.toast(err.message, "error"); }
  }

  const testForm = $("nt-test-form");
  testForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const err = $("nt-test-error");
    err.hidden = true;
    try {
      await api("POST", "/notifications/test", {channel: testForm.elements.channel.value,
        address: testForm.elements.address.value.trim()});
      TB.toast(t("nt_queued_test"));
      testForm.reset();
      await load();
    } catch (x) { err.textContent = x.message; err.hidden = false; }
  });

  form.addEventListener("change", load);
  form.addEventListener("submit", (e) => { e.preventDefault(); load(); });
  TB.whoami().then(() => {
    document.querySelectorAll("[data-need=manager]").forEach((el) => {
      el.hidden = !TB.atLeast("manager");
    });
    if (!testForm.elements.channel.options.length) testForm.closest("details").hidden = true;
    return load();
  }).catch((err) => TB.toast(err.message, "error"));
  setInterval(load, 15000);
})();
