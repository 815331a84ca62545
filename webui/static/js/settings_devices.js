/* The settings page's "Printers, scanners and pins" section
 * (webui/templates/_settings_devices.html): the device settings (PATCH /settings/devices with
 * only what changed, the server's error under its field), fields shown only when they matter
 * for the chosen backend, USB ids in hexadecimal; a test page, a scan test and the GPIO tests,
 * each polled until the box says how it went. */
"use strict";
(function () {
  const {api, h, t} = TB;
  const $ = (id) => document.getElementById(id);
  const form = $("st-devices-form");
  if (!form) return;
  const POLL_MS = 700;
  let saved = {};

  const fields = () => [...form.elements].filter((el) => el.name && !el.disabled);
  const reason = (code) => (TB.strings["st_devices_reason_" + code] ? t("st_devices_reason_" + code) : code);

  function value(el) {
    const kind = el.dataset.kind;
    if (kind === "bool") return el.checked;
    if (kind === "int") return el.value.trim() === "" ? el.value : Number(el.value);
    if (kind === "hex") return el.value.trim();   // the server reads hexadecimal
    return el.value;
  }

  function remember(settings) {
    saved = {};
    for (const el of fields()) {
      const s = settings && settings[el.name];
      if (s) {
        if (el.dataset.kind === "bool") el.checked = !!s.value;
        else if (el.dataset.kind === "hex") el.value = s.value.toString(16).padStart(4, "0");
        else el.value = String(s.value);
      }
      saved[el.name] = value(el);
    }
    showWhatMatters();
  }

  // A field shows only when its condition ("printer.backend=usb|serial") holds.
  function showWhatMatters() {
    form.querySelectorAll(".st-devices-field[data-when]").forEach((div) => {
      const [key, choices] = div.dataset.when.split("=");
      const other = form.elements[key];
      div.hidden = !!other && !choices.split("|").includes(other.value);
    });
  }

  const {clearErrors, showError, save} = TB.settingsForm(form, "devices");

  form.addEventListener("change", (e) => {
    if (e.target.dataset.kind === "choice") showWhatMatters();
  });

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors();
    const changes = {};
    for (const el of fields()) {
      const v = value(el);
      if (v === saved[el.name]) continue;
      if (el.dataset.kind === "hex" && !/^(0x)?[0-9a-f]{1,4}$/i.test(v)) {
        showError({field: el.name, message: t("st_devices_hex")});
        return;
      }
      changes[el.name] = v;
    }
    const data = await save("PATCH", "/settings/devices", changes);
    if (data) remember(data.settings);
  });

  // Poll ``path`` until ``done(data)`` says it is over (true), at most ``seconds``.
  function poll(path, seconds, done) {
    const until = Date.now() + seconds * 1000;
    return new Promise((resolve) => {
      const step = async () => {
        let data;
        try { data = await api("GET", path); } catch (err) { resolve(err); return; }
        if (done(data) || Date.now() > until) { resolve(data); return; }
        setTimeout(step, POLL_MS);
      };
      setTimeout(step, POLL_MS);
    });
  }

  // -- the test page ---------------------------------------------------------------------
  const printButton = $("st-devices-test-print");
  if (printButton) printButton.addEventListener("click", async () => {
    const status = $("st-devices-print-status");
    printButton.disabled = true;
    status.textContent = t("st_devices_print_queued");
    try {
      const {job_id: jobId} = await api("POST", "/settings/devices/test-print");
      await poll(`/settings/devices/print-jobs/${encodeURIComponent(jobId)}`, 120, (data) => {
        const job = data.job;
        if (job.state === "printed") status.textContent = t("st_devices_print_printed");
        else if (job.state === "waiting") status.textContent = t("st_devices_print_waiting", {reason: reason(job.reason)});
        else if (job.state === "failed") status.textContent = t("st_devices_print_failed", {reason: reason(job.reason)});
        else if (job.state === "expired") status.textContent = t("st_devices_print_expired");
        return ["printed", "failed", "expired"].includes(job.state);
      });
    } catch (err) {
      status.textContent = err.message;
    } finally { printButton.disabled = false; }
  });

  // -- the scan test -----------------------------------------------------------------------
  const scanButton = $("st-devices-scan-test");
  const stopButton = $("st-devices-scan-stop");
  let scanTest = null;

  function showScan(test) {
    const dl = $("st-devices-scan-result");
    const match = test.kind === "invalid" ? t("st_devices_unreadable", {why: test.error})
      : t("st_devices_match_" + test.match, {name: test.name || ""});
    dl.replaceChildren(
      h("dt", null, t("st_devices_scan_code")), h("dd", {class: "st-devices-code"}, test.code),
      h("dt", null, t("st_devices_scan_device")), h("dd", null, test.device || "-"),
      h("dt", null, t("st_devices_scan_symbology")), h("dd", null, (test.symbology || "-").toUpperCase()),
      h("dt", null, t("st_devices_scan_match")), h("dd", null, match));
    dl.hidden = false;
  }

  if (scanButton) scanButton.addEventListener("click", async () => {
    const status = $("st-devices-scan-status");
    $("st-devices-scan-result").hidden = true;
    scanButton.disabled = true;
    try {
      const {test} = await api("POST", "/settings/devices/scan-test");
      scanTest = test.id;
      stopButton.hidden = false;
      status.textContent = t("st_devices_scan_waiting", {seconds: test.seconds_left});
      const data = await poll(`/settings/devices/scan-test/${test.id}`, 40, (d) => {
        if (d.test.state === "waiting") {
          status.textContent = t("st_devices_scan_waiting", {seconds: d.test.seconds_left});
          return false;
        }
        return true;
      });
      const end = data.test || {};
      if (end.state === "scanned") { status.textContent = ""; showScan(end); }
      else if (end.state === "timed_out") status.textContent = t("st_devices_scan_timed_out");
      else if (end.state === "cancelled") status.textContent = t("st_devices_scan_cancelled");
      else if (data.message) status.textContent = data.message;
    } catch (err) {
      status.textContent = err.message;
    } finally {
      scanTest = null;
      stopButton.hidden = true;
      scanButton.disabled = false;
    }
  });

  if (stopButton) stopButton.addEventListener("click", () => {
    if (scanTest) api("POST", `/settings/devices/scan-test/${scanTest}/cancel`).catch(() => {});
  });
  // Leaving the page (another page, a closed tab, a phone locked) ends the test: a scan at
  // the counter must not go to a test nobody watches. keepalive: the request outlives the page.
  window.addEventListener("pagehide", () => {
    if (!scanTest) return;
    fetch(`/api/v1/settings/devices/scan-test/${scanTest}/cancel`, {
      method: "POST", keepalive: true, credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRF-Token": TB.csrf || ""}}).catch(() => {});
    scanTest = null;
  });

  // -- LED, buzzer and inputs ------------------------------------------------------------------
  function describeInputs(commands) {
    const parts = [];
    for (const c of commands) {
      const i = c.inputs || {};
      if ("button_pressed" in i) {
        parts.push(t("st_devices_input_button", {state: t(i.button_pressed ? "st_devices_pressed" : "st_devices_released")}));
      }
      if ("drawer_open" in i) {
        parts.push(t("st_devices_input_drawer", {state: t(i.drawer_open ? "st_devices_open" : "st_devices_closed")}));
      }
      if ("door_active" in i) {
        parts.push(t("st_devices_input_door", {state: t(i.door_active ? "st_devices_active" : "st_devices_idle"), count: i.door_count}));
      }
    }
    return parts.length ? parts.join(" · ") : t("st_devices_no_inputs");
  }

  form.querySelectorAll("[data-gpio-test]").forEach((button) => {
    button.addEventListener("click", async () => {
      const part = button.dataset.gpioTest;
      const status = $("st-devices-gpio-status");
      button.disabled = true;
      status.textContent = t("st_devices_test_sent");
      try {
        const {commands} = await api("POST", "/settings/devices/gpio-test", {part});
        const finished = [];
        for (const c of commands) {
          const data = await poll(`/settings/devices/commands/${c.id}`, 20,
            (d) => ["done", "failed"].includes(d.command.state));
          finished.push(data.command || {state: "failed", detail: data.message});
        }
        const failed = finished.find((c) => c.state !== "done");
        if (failed) status.textContent = t("st_devices_test_failed", {reason: reason(failed.detail)});
        else if (part === "led") status.textContent = t("st_devices_led_done");
        else if (part === "buzzer") status.textContent = t("st_devices_buzzer_done");
        else status.textContent = describeInputs(finished);
      } catch (err) {
        status.textContent = err.message;
      } finally { button.disabled = false; }
    });
  });

  remember(null);
})();
