/* The reports page (/office/reports): everything is rendered by the server; this only
 * queues the period's summary for the receipt printer. */
"use strict";
(function () {
  const TB = window.TB;
  const button = document.getElementById("report-print");
  const signedIn = TB.whoami();   // the CSRF token the print request needs
  if (!button) return;
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await signedIn;
      await TB.api("POST", "/reports/print", {from: button.dataset.from, to: button.dataset.to});
      TB.toast(TB.t("reports_print_queued"));
    } catch (e) {
      TB.toast(TB.t("reports_print_failed", {why: e.message}), "error");
    } finally {
      button.disabled = false;
    }
  });
})();
