/* The "Backups" section's panel for head office's journal received over the link
 * (webui/templates/_settings_rebuild.html; GET/POST /api/v1/rebuild): what head office sent
 * and whether it checked out, "Rebuild now" (the owner; tillbox-rebuild.service stops the
 * till, imports, starts it again), and the outcome after the restart. Polls while something
 * is on its way; keeps polling through the till's restart. Loaded with defer: it runs after
 * api.js. */
"use strict";
(function () {
  const {api, t} = TB;
  const $ = (id) => document.getElementById(id);
  const panel = $("rb-panel");
  if (!panel) return;
  const BUSY = ["receiving", "checking", "requested", "applying"];
  let timer = null;

  const when = (ts) => (ts ? new Date(ts).toLocaleString(TB.locale) : "");

  function text(r, sold) {
    switch (r.state) {
      case "receiving": return t("st_rebuild_receiving", {received: r.received, parts: r.parts});
      case "checking": return t("st_rebuild_checking");
      case "ready":
        return sold ? t("st_rebuild_sold", {n: sold})
          : t("st_rebuild_ready", {records: r.records, seq: r.head_seq, time: when(r.received_at)});
      case "bad": return t("st_rebuild_bad", {reason: r.detail || ""});
      case "requested": case "applying": return t("st_rebuild_applying");
      case "done": return t("st_rebuild_done", {records: r.records, seq: r.head_seq,
        time: when(r.applied_at)});
      case "failed": return t("st_rebuild_failed", {reason: r.detail || ""});
      default: return "";
    }
  }

  function show(data) {
    const r = data.rebuild;
    panel.hidden = !r;
    if (!r) return schedule(30000);
    const sold = data.ledger_records || 0;
    $("rb-state").textContent = text(r, sold);
    $("rb-state").classList.toggle("error", r.state === "bad" || r.state === "failed");
    const can = (r.state === "ready" || r.state === "failed") && !sold;
    $("rb-now").hidden = !can;
    $("rb-now").disabled = false;
    $("rb-hint").hidden = !can;
    schedule(BUSY.includes(r.state) ? 2000 : 30000);
  }

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(load, ms);
  }

  async function load() {
    try {
      show(await api("GET", "/rebuild"));
    } catch (e) {
      schedule(3000);   // the till is restarting: try again
    }
  }

  $("rb-now").addEventListener("click", async () => {
    if (!confirm(t("st_rebuild_confirm"))) return;
    $("rb-now").disabled = true;
    try {
      show(await api("POST", "/rebuild", {}));
    } catch (e) {
      $("rb-now").disabled = false;
      TB.toast(e.message, "error");
    }
  });

  load();
})();
