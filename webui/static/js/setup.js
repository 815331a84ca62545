/* The setup page of a new box: send the form as JSON, show each field's error beside it,
 * then say what happens next. Texts come from the server (already translated). */
"use strict";
(function () {
  const {t} = window.TB;
  const form = document.getElementById("setup-form");
  const submit = document.getElementById("submit");
  const general = document.getElementById("error");

  function clearErrors() {
    general.textContent = "";
    for (const p of form.querySelectorAll(".error[data-for]")) p.textContent = "";
    for (const i of form.querySelectorAll("[aria-invalid]")) i.removeAttribute("aria-invalid");
  }

  function showErrors(data) {
    const fields = data.fields || (data.field ? {[data.field]: data.error} : {});
    let first = null;
    for (const [name, message] of Object.entries(fields)) {
      const slot = form.querySelector(`.error[data-for="${name}"]`);
      const input = document.getElementById(name);
      if (!slot) continue;
      slot.textContent = message;
      if (input) {
        input.setAttribute("aria-invalid", "true");
        first = first || input;
      }
    }
    if (first) first.focus();
    else general.textContent = data.error || t("error");
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors();
    const value = (name) => document.getElementById(name).value;
    const body = {code: value("code").trim(), store_id: value("store_id").trim(),
      mqtt_host: value("mqtt_host").trim(), mqtt_port: value("mqtt_port").trim(),
      mqtt_tls: document.getElementById("mqtt_tls").checked,
      owner_name: value("owner_name").trim(), pin: value("pin"), pin_again: value("pin_again")};
    submit.disabled = true;
    let resp, data;
    try {
      resp = await fetch("/api/v1/setup", {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "Accept": "application/json"},
        body: JSON.stringify(body)});
      data = await resp.json().catch(() => ({}));
    } catch (err) {
      general.textContent = t("offline");
      submit.disabled = false;
      return;
    }
    submit.disabled = false;
    if (!resp.ok) {
      showErrors(data);
      return;
    }
    document.getElementById("done-message").textContent = data.message;
    document.getElementById("setup").hidden = true;
    document.getElementById("done").hidden = false;
  });
})();
