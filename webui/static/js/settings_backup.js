/* The settings page's "Backups" section (webui/templates/_settings_backup.html): the local
 * backups and the last one's outcome (GET /backups), "Back up now" (POST /backups: runs in the
 * background on the box; this page polls until it is done), the USB stick's state (polled:
 * writing / safe to pull / failed and why) and the backup passphrase (PUT / DELETE
 * /backups/key; the page never learns the passphrase back, only the key's fingerprint). */
"use strict";
(function () {
  const {api, h, t} = TB;
  const $ = (id) => document.getElementById(id);
  const rows = $("bk-rows");
  if (!rows) return;
  const POLL_FAST = 1500;
  const POLL_SLOW = 10000;
  let timer = null;

  const when = (ts) => (ts ? new Date(ts).toLocaleString(TB.locale) : "");
  const size = (n) => (n >= 1048576 ? (n / 1048576).toFixed(1) + " MB"
    : Math.max(1, Math.round(n / 1024)) + " KB");
  const source = (s) => t("st_backup_source_" + s);

  function showBackups(list) {
    rows.replaceChildren();
    if (!list.length) {
      rows.append(h("tr", {}, h("td", {colspan: "4"}, t("st_backup_none"))));
      return;
    }
    for (const b of list) {
      const enc = b.encryption === "key" ? t("st_backup_enc_key")
        : b.encryption === "passphrase" ? t("st_backup_enc_passphrase") : t("st_backup_plain");
      rows.append(h("tr", {title: b.file},
        h("td", {}, when(b.created_at)), h("td", {}, size(b.size)),
        h("td", {}, t("st_backup_records", {seq: b.head_seq})), h("td", {}, enc)));
    }
  }

  function showLast(last) {
    $("bk-last").textContent = !last ? t("st_backup_last_never")
      : last.ok ? t("st_backup_last_ok", {time: when(last.at), source: source(last.source)})
        : t("st_backup_last_failed", {time: when(last.at), source: source(last.source),
          reason: last.reason || ""});
    $("bk-last").classList.toggle("error", !!last && !last.ok);
  }

  function showRunning(run) {
    $("bk-now").disabled = !!run.running;
    const s = $("bk-now-status");
    if (run.running) s.textContent = t("st_backup_running", {percent: run.percent || 0});
    else if (run.ok === true) s.textContent = t("st_backup_done", {file: run.file});
    else if (run.ok === false) s.textContent = t("st_backup_failed", {reason: run.error});
    else s.textContent = "";
  }

  // The reason translated by its code; the box's own (English) words when it has none.
  const reason = (usb) => (usb.code && TB.strings["st_backup_reason_" + usb.code]
    ? t("st_backup_reason_" + usb.code) : usb.reason || "");

  function showUsb(usb) {
    const p = $("bk-usb");
    p.className = "bk-usb" + (usb ? " bk-usb-" + usb.state : "");
    if (!usb) { p.textContent = t("st_backup_usb_none"); return; }
    const label = usb.label || usb.device || "";
    p.textContent = usb.state === "writing"
      ? t("st_backup_usb_writing", {label, percent: usb.percent || 0})
      : usb.state === "done" ? t("st_backup_usb_done", {label, time: when(usb.finished_at)})
        : t("st_backup_usb_failed", {label, time: when(usb.finished_at), reason: reason(usb)});
  }

  function showKey(key) {
    $("bk-key-state").textContent = !key ? t("st_backup_key_none")
      : key.damaged ? t("st_backup_key_damaged")
        : t("st_backup_key_set", {fingerprint: key.fingerprint, time: when(key.created_at)});
    $("bk-key-remove").hidden = !key;
  }

  function show(data) {
    showBackups(data.backups || []);
    showLast(data.last);
    showRunning(data.running || {});
    showUsb(data.usb);
    showKey(data.key);
    const busy = (data.running && data.running.running) || (data.usb && data.usb.state === "writing");
    schedule(busy ? POLL_FAST : POLL_SLOW);
  }

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(load, ms);
  }

  async function load() {
    try {
      show(await api("GET", "/backups"));
    } catch (e) {
      schedule(POLL_SLOW);
    }
  }

  $("bk-now").addEventListener("click", async () => {
    $("bk-now").disabled = true;
    try {
      show(await api("POST", "/backups", {}));
    } catch (e) {
      $("bk-now").disabled = false;
      TB.toast(e.message, "error");
    }
  });

  $("bk-key-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("bk-key-error").textContent = "";
    $("bk-key-status").textContent = "";
    if (!$("bk-key-remove").hidden && !confirm(t("st_backup_key_confirm_change"))) return;
    $("bk-key-save").disabled = true;
    try {
      const data = await api("PUT", "/backups/key", {passphrase: $("bk-passphrase").value,
        confirm: $("bk-confirm").value});
      $("bk-passphrase").value = $("bk-confirm").value = "";
      $("bk-key-status").textContent = t("st_backup_key_saved");
      show(data);
    } catch (e) {
      $("bk-key-error").textContent = e.message;
    } finally {
      $("bk-key-save").disabled = false;
    }
  });

  $("bk-key-remove").addEventListener("click", async () => {
    if (!confirm(t("st_backup_key_confirm_remove"))) return;
    try {
      const data = await api("DELETE", "/backups/key");
      $("bk-key-status").textContent = t("st_backup_key_removed");
      show(data);
    } catch (e) {
      $("bk-key-error").textContent = e.message;
    }
  });

  load();
})();
