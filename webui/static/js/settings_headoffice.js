/* The settings page's "Head office" section (webui/templates/_settings_headoffice.html):
 * the broker's settings (PATCH /settings/headoffice with only what changed; the prefix only
 * after a warning), the password (PUT .../password; the page only ever learns "set" or
 * "not set"), the certificates (PEM files read here and sent as text to PUT .../tls), the
 * link's health polled every few seconds, and "Test connection" (POST .../test, then the
 * poll shows the result). */
"use strict";
(function () {
  const {api, h, t} = TB;
  const $ = (id) => document.getElementById(id);
  const form = $("ho-form");
  if (!form) return;
  const POLL_MS = 4000;
  const NUMBERS = ["mqtt.port", "mqtt.keepalive"];
  let saved = {};
  let testing = false;

  const when = (ts) => (ts ? new Date(ts).toLocaleString(TB.locale) : t("st_headoffice_never"));
  const fields = () => [...form.elements].filter((el) => el.name);
  const value = (el) => (el.type === "checkbox" ? el.checked
    : NUMBERS.includes(el.name) ? parseInt(el.value, 10) : el.value.trim());

  function fieldError(scope, field, text) {
    const p = scope.querySelector(`.ho-field-error[data-for="${field}"]`);
    if (p) { p.textContent = text; return true; }
    return false;
  }
  function clearErrors(scope) {
    for (const p of scope.querySelectorAll(".error")) p.textContent = "";
  }

  function showSettings(settings) {
    saved = {};
    const locked = [];
    for (const el of fields()) {
      const s = settings[el.name];
      if (!s) continue;
      saved[el.name] = s.value;
      if (el.type === "checkbox") el.checked = !!s.value;
      else el.value = s.value == null ? "" : String(s.value);
      el.disabled = !!s.locked;
      if (s.locked) locked.push(el.name + " ← " + s.locked);
    }
    $("ho-locked").hidden = !locked.length;
    $("ho-locked").textContent = locked.join("; ");
  }

  function showPassword(pw) {
    $("ho-password-state").textContent = !pw.set ? t("st_headoffice_pw_none")
      : pw.source === "page" ? t("st_headoffice_pw_set_page") : t("st_headoffice_pw_set_file");
    $("ho-password-clear").hidden = pw.source !== "page";
  }

  function showTls(tls) {
    for (const [key, c] of Object.entries(tls)) {
      const state = $("ho-cert-" + key);
      state.textContent = c.problem ? c.problem : !c.set ? t("st_headoffice_cert_none")
        : key === "client_key" ? t("st_headoffice_key_set")
        : t("st_headoffice_cert_until", {subject: c.subject || "", date: (c.not_after || "").slice(0, 10)});
      state.classList.toggle("error", !!c.problem);
      form.ownerDocument.querySelector(`.ho-cert-remove[data-key="${key}"]`).hidden = !c.set;
    }
  }

  function errorText(err) {
    if (!err) return t("st_headoffice_none");
    const kind = t("st_headoffice_err_" + err.kind);
    return (err.detail ? kind + " (" + err.detail + ")" : kind) + " · " + when(err.at);
  }

  function showLink(link) {
    const dl = $("ho-health");
    const row = (label, text, cls) => [h("dt", null, label), h("dd", {class: cls || null}, text)];
    let state = t("st_headoffice_state_" + link.state);
    if (link.state === "connected" && link.connected_since) {
      state += " " + t("st_headoffice_since", {time: when(link.connected_since)});
    }
    const rows = [row(t("st_headoffice_state"), state, "ho-state ho-" + link.state),
      row(t("st_headoffice_broker"), link.broker || "—")];
    if (link.state !== "not_linked") {
      rows.push(row(t("st_headoffice_backlog"), link.backlog == null ? "—" : String(link.backlog)));
      rows.push(row(t("st_headoffice_acked"), link.acked_seq == null ? "—"
        : t("st_headoffice_acked_at", {seq: link.acked_seq, time: when(link.acked_at)})));
      rows.push(row(t("st_headoffice_heartbeat"), when(link.last_heartbeat)));
      rows.push(row(t("st_headoffice_last_error"), errorText(link.last_error),
        link.last_error && link.state !== "connected" ? "error" : null));
      if (link.warning) rows.push(row("", link.warning, "error"));
    }
    dl.replaceChildren(...rows.flat());
  }

  function showTest(test) {
    const out = $("ho-test-result");
    testing = test.state === "running";
    $("ho-test").disabled = testing;
    if (test.state === "idle") { out.textContent = ""; return; }
    out.classList.toggle("error", test.state === "failed");
    out.textContent = testing ? t("st_headoffice_test_running")
      : test.state === "ok" ? t("st_headoffice_test_ok", {broker: test.broker})
      : t("st_headoffice_test_failed", {reason: t("st_headoffice_err_" + test.kind) +
          (test.detail ? " (" + test.detail + ")" : "")});
  }

  function showAll(data) {
    showSettings(data.settings);
    showPassword(data.password);
    showTls(data.tls);
    showLink(data.link);
    showTest(data.test);
  }

  async function poll() {
    try {
      const data = await api("GET", "/settings/headoffice/status");
      showLink(data.link);
      showTest(data.test);
    } catch (e) { /* the banner says offline; try again next time */ }
    setTimeout(poll, testing ? 1000 : POLL_MS);
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    $("ho-form-status").textContent = "";
    const changes = {};
    for (const el of fields()) {
      if (el.disabled) continue;
      const v = value(el);
      if (v !== saved[el.name]) changes[el.name] = v;
    }
    if (!Object.keys(changes).length) { $("ho-form-status").textContent = t("st_headoffice_unchanged"); return; }
    if ("mqtt.prefix" in changes && !confirm(t("st_headoffice_prefix_confirm"))) return;
    $("ho-save").disabled = true;
    try {
      const data = await api("PATCH", "/settings/headoffice", changes);
      showAll(data);
      $("ho-form-status").textContent = [t("st_headoffice_saved"), ...data.warnings].join(" ");
    } catch (err) {
      if (!fieldError(form, err.field, err.message)) $("ho-form-error").textContent = err.message;
    } finally { $("ho-save").disabled = false; }
  });

  const pwForm = $("ho-password-form");
  async function sendPassword(password, done) {
    $("ho-password-error").textContent = "";
    try {
      const data = await api("PUT", "/settings/headoffice/password", {password});
      $("ho-password").value = "";
      showPassword(data.password);
      $("ho-password-status").textContent = t(done);
    } catch (err) { $("ho-password-error").textContent = err.message; }
  }
  pwForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    sendPassword($("ho-password").value, "st_headoffice_pw_saved");
  });
  $("ho-password-clear").addEventListener("click", () => {
    if (confirm(t("st_headoffice_pw_confirm_clear"))) sendPassword(null, "st_headoffice_pw_cleared");
  });

  const tlsForm = $("ho-tls-form");
  async function sendTls(body, done) {
    clearErrors(tlsForm);
    $("ho-tls-status").textContent = "";
    try {
      const data = await api("PUT", "/settings/headoffice/tls", body);
      for (const input of tlsForm.querySelectorAll("input[type=file]")) input.value = "";
      showTls(data.tls);
      $("ho-tls-status").textContent = t(done);
    } catch (err) {
      if (!fieldError(tlsForm, err.field, err.message)) $("ho-tls-error").textContent = err.message;
    }
  }
  tlsForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = {};
    for (const input of tlsForm.querySelectorAll("input[type=file]")) {
      if (input.files.length) body[input.dataset.key] = await input.files[0].text();
    }
    if (!Object.keys(body).length) { $("ho-tls-error").textContent = t("st_headoffice_tls_pick"); return; }
    sendTls(body, "st_headoffice_tls_saved");
  });
  for (const b of tlsForm.querySelectorAll(".ho-cert-remove")) {
    b.addEventListener("click", () => {
      const body = {[b.dataset.key]: ""};
      // a client certificate and its key go together
      if (b.dataset.key !== "ca_file") Object.assign(body, {client_cert: "", client_key: ""});
      sendTls(body, "st_headoffice_tls_removed");
    });
  }

  $("ho-test").addEventListener("click", async () => {
    $("ho-test-result").textContent = "";
    try {
      const data = await api("POST", "/settings/headoffice/test", {});
      showTest(data.test);
    } catch (err) {
      $("ho-test-result").classList.add("error");
      $("ho-test-result").textContent = err.message;
    }
  });

  const signedIn = TB.signedIn;
  signedIn.then(() => api("GET", "/settings/headoffice")).then((data) => {
    showAll(data);
    setTimeout(poll, POLL_MS);
  }).catch((err) => { $("ho-form-error").textContent = err.message; });
})();
