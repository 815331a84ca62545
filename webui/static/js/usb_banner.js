/* The counter's USB backup banner (#usb-backup-state in counter.html): while the box writes a
 * backup to a USB stick, "do not pull it out"; then "safe to pull out" for two minutes, or
 * what went wrong for ten. Polls GET /api/v1/backups/usb (a small file read on the box). */
"use strict";
(function () {
  const el = document.getElementById("usb-backup-state");
  if (!el) return;
  const {api, t} = TB;
  const SHOW_DONE_S = 120;
  const SHOW_FAILED_S = 600;
  let timer = null;

  function show(usb) {
    let text = "";
    let kind = "";
    if (usb && usb.state === "writing") {
      text = t("st_backup_banner_writing", {percent: usb.percent || 0});
      kind = "warn";
    } else if (usb && usb.state === "done" && usb.age_seconds < SHOW_DONE_S) {
      text = t("st_backup_banner_done");
      kind = "ok";
    } else if (usb && usb.state === "failed" && usb.age_seconds < SHOW_FAILED_S) {
      const why = usb.code && TB.strings["st_backup_reason_" + usb.code]
        ? t("st_backup_reason_" + usb.code) : usb.reason || "";
      text = t("st_backup_banner_failed", {reason: why});
      kind = "bad";
    }
    el.textContent = text;
    el.hidden = !text;
    el.className = "device usb-backup " + kind;
    return usb && usb.state === "writing";
  }

  async function poll() {
    let busy = false;
    try {
      busy = show((await api("GET", "/backups/usb")).usb);
    } catch (e) {
      // a training session (409) or a signed-out screen: no banner
      show(null);
    }
    clearTimeout(timer);
    timer = setTimeout(poll, busy ? 1500 : 5000);
  }
  poll();
})();
