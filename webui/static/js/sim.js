/* Simulated devices: the virtual printer's paper roll and fault switches, a virtual scanner,
   the virtual modem's faults and sent text messages. */
"use strict";
(function () {
  const TB = window.TB;
  const {api, h, t} = TB;
  const $ = (id) => document.getElementById(id);

  function paper(r) {
    return h("div", {class: "paper", "data-n": String(r.n)},
      ...r.lines.map((l) => h("div", {class: [l.align, l.bold ? "bold" : "",
        l.double ? "double" : ""].join(" ")}, l.text || " ")),
      ...(r.qr || []).map((q) => h("div", {class: "qr"}, "[QR] " + q)),
      ...(r.images || []).map((i) => h("div", {class: "qr"}, `[image ${i.width}×${i.height}]`)));
  }

  // Bumped by each switch flipped here: a poll that set off before the flip answers with the
  // old faults and must not flip the switch back under the person's finger.
  let flips = 0;

  async function refresh() {
    if (!$("roll")) return;
    const before = flips;
    const s = await api("GET", "/sim/printer?limit=10");
    $("roll").replaceChildren(...s.paper.map(paper));
    if (before === flips) for (const el of $("faults").elements) {
      if (el.type === "checkbox") el.checked = !!s.faults[el.name];
      else if (document.activeElement !== el) el.value = s.faults[el.name] || 0;
    }
    const d = s.drawer;
    $("drawer").textContent = d.open ? t("drawer_open") : t("drawer_closed");
    $("drawer").className = "device " + (d.open ? "warn" : "ok");
  }

  if ($("faults")) {
    $("faults").addEventListener("change", async (e) => {
      const el = e.target;
      const value = el.type === "checkbox" ? el.checked : Number(el.value || 0);
      flips += 1;
      try { await api("PUT", "/sim/printer", {[el.name]: value}); }
      catch (err) { TB.toast(err.message, "error"); }
      flips += 1;   // polls from before the PUT answered are stale too
      refresh();
    });
    $("close-drawer").addEventListener("click", async () => {
      await api("POST", "/sim/printer/close-drawer", {});
      refresh();
    });
    setInterval(() => refresh().catch(() => {}), 1500);
  }
  if ($("scan-form")) {
    $("scan-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const code = $("scan-code").value.trim();
      $("scan-code").value = "";
      if (!code) return;
      try { await api("POST", "/sim/scan", {code}); }
      catch (err) { TB.toast(err.message, "error"); }
    });
  }
  // The simulated modem: its fault switches and the text messages it sent.
  let modemFlips = 0;

  async function refreshModem() {
    const before = modemFlips;
    const s = await api("GET", "/sim/modem?limit=10");
    $("sms").replaceChildren(...(s.messages.length ? s.messages.map((m) =>
      h("li", {class: "sms " + m.status},
        h("div", {class: "sms-head"}, m.number + " · " + t("sms_" + m.status) +
          (m.parts > 1 ? " · " + t("sms_parts", {n: m.parts}) : "")),
        h("div", {class: "sms-text"}, m.text)))
      : [h("li", {class: "hint"}, t("sms_none"))]));
    if (before === modemFlips) for (const el of $("modem-faults").elements) {
      if (el.type === "checkbox") el.checked = !!s.faults[el.name];
      else if (document.activeElement !== el) el.value = s.faults[el.name] || 0;
    }
  }

  if ($("modem-faults")) {
    $("modem-faults").addEventListener("change", async (e) => {
      const el = e.target;
      const value = el.type === "checkbox" ? el.checked : Number(el.value || 0);
      modemFlips += 1;
      try { await api("PUT", "/sim/modem", {[el.name]: value}); }
      catch (err) { TB.toast(err.message, "error"); }
      modemFlips += 1;
      refreshModem().catch(() => {});
    });
    refreshModem().catch((e) => TB.toast(e.message, "error"));
    setInterval(() => refreshModem().catch(() => {}), 2000);
  }
  TB.follow((kind, e) => {
    if (kind === "scan" && !e.ok) {
      const key = "scan_" + e.error;
      TB.toast(t("scan_error", {why: t(key) === key ? (e.message || e.error)
        : t(key, {code: e.code})}), "error");
    }
    if (kind === "print_job") refresh().catch(() => {});
  }, ["scan", "print_job"]);
  (async function start() {
    await TB.whoami();
    await refresh();
  })().catch((e) => TB.toast(e.message, "error"));
})();
