/* The settings page's "Modules" section (webui/templates/_settings_modules.html;
 * docs/settings.md): each switch is saved at once (one PATCH /settings, one journal record);
 * open counters and phones follow through the "settings" event. */
"use strict";
(function () {
  const TB = window.TB;
  const {api, t} = TB;
  const $ = (id) => document.getElementById(id);
  if (!$("settings-modules")) return;
  const signedIn = TB.signedIn;

  for (const box of document.querySelectorAll("#st-modules [data-module-switch]")) {
    box.addEventListener("change", async () => {
      const name = box.dataset.moduleSwitch;
      const on = box.checked;
      // A refusal (e.g. 409: member balances still to pay out) shows under its own switch.
      const near = $("st-module-" + name + "-error") || $("st-modules-error");
      $("st-modules-error").textContent = "";
      near.textContent = "";
      box.disabled = true;
      try {
        await signedIn;
        const r = await api("PATCH", "/settings", {["modules." + name]: on});
        box.checked = r.settings["modules." + name];
        TB.applySettings(r.settings);   // this page's own nav and sections follow too
        TB.toast(t(on ? "st_modules_on" : "st_modules_off", {module: box.dataset.label}));
      } catch (err) {
        box.checked = !on;
        near.textContent = err.message;
      } finally { box.disabled = false; }
    });
  }
})();
