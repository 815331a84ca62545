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
  const NOT_PICKED_MS = 2 * 60 * 1000;   // "requested" this long: no rebuild service ran
  // The reason is a code (webui/office/settings_rebuild.py): never a path or English text.
  const reason = (r) => t("st_rebuild_reason_" + (r.reason || "import_refused"));
  const warnings = (r) => (r.warnings || []).map((w) => " " + t("st_rebuild_warn_" + w)).join("");

  function text(r, sold) {
    switch (r.state) {
      case "receiving": return t("st_rebuild_receiving", {received: r.received, parts: r.parts});
      case "checking": return t("st_rebuild_checking");
      case "ready":
        return sold ? t("st_rebuild_sold", {n: sold})
          : t("st_rebuild_ready", {records: r.records, seq: r.head_seq, time: when(r.received_at)})
            + (r.take_ids ? " " + t("st_rebuild_ready_take", {device: r.device}) : "");
      case "bad": return t("st_rebuild_bad", {reason: reason(r)});
      case "requested":
        return Date.now() - Date.parse(r.requested_at) > NOT_PICKED_MS
          ? t("st_rebuild_not_picked", {time: when(r.requested_at)})
          : t("st_rebuild_requested", {time: when(r.requested_at)});
      case "applying": return t("st_rebuild_applying");
      case "done": return t("st_rebuild_done", {records: r.records, seq: r.head_seq,
        time: when(r.applied_at)}) + warnings(r);
      case "failed": return t("st_rebuild_failed", {reason: reason(r)});
      default: return "";
    }
  }

  function show(data) {
    const r = data.rebuild;
    panel.hidden = !r;
    if (!r) return schedule(30000);
    const sold = data.ledger_records || 0;
    $("rb-state").textContent = text(r, sold);
    $("rb-state").classList.toggle("error", r.state === "bad" || r.state === "failed"
      || (r.state === "requested" && Date.now() - Date.parse(r.requested_at) > NOT_PICKED_MS));
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
