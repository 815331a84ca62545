/* What the settings page's sections share (office_settings.html loads it before them): one
 * sign-in check for every section (TB.signedIn, the CSRF token their writes need), and a
 * section form's errors and saving: the server's error under the field it names (shown even
 * where the section hides it), else on the section's own line; only what changed is sent. The
 * section's elements follow one naming: st-<section>-error, -status, -save, and the strings
 * st_<section>_fix, _unchanged, _saving, _saved. */
"use strict";
(function () {
  const TB = window.TB;
  TB.signedIn = TB.signedIn || TB.whoami();

  // A picture drawn on a white canvas at most ``most`` px on its longer side: a phone photo is
  // large, and transparent parts are read and printed as white (paper, a phone's screen).
  TB.onWhite = function (img, most) {
    const scale = Math.min(1, most / Math.max(img.naturalWidth, img.naturalHeight));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
    canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
    const pen = canvas.getContext("2d");
    pen.fillStyle = "#fff";
    pen.fillRect(0, 0, canvas.width, canvas.height);
    pen.drawImage(img, 0, 0, canvas.width, canvas.height);
    return canvas;
  };

  TB.settingsForm = function (form, section) {
    const $ = (id) => document.getElementById(id);
    const line = $(`st-${section}-error`);
    const slotFor = (name) => form.querySelector(`.st-field-error[data-for="${name}"]`);

    function clearErrors() {
      line.textContent = "";
      form.querySelectorAll(".st-field-error").forEach((p) => { p.textContent = ""; });
      form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
    }

    function showError(err) {
      const el = err.field && form.elements[err.field];
      const slot = err.field && slotFor(err.field);
      if (el && slot) {
        const field = el.closest(`.st-${section}-field`);
        if (field) field.hidden = false;
        slot.textContent = err.message;
        el.setAttribute("aria-invalid", "true");
        el.focus();
        line.textContent = TB.t(`st_${section}_fix`);
      } else {
        line.textContent = err.message;
      }
    }

    // Editing a field clears its own error (the others stay until the next save).
    form.addEventListener("input", (e) => {
      const el = e.target;
      if (!el.name) return;
      const slot = slotFor(el.name);
      if (slot) slot.textContent = "";
      el.removeAttribute("aria-invalid");
    });

    /* Send ``changes``; the answer, or null when there was nothing to send or the server
     * refused (its error is shown). */
    async function save(method, path, changes) {
      const status = $(`st-${section}-status`);
      if (!Object.keys(changes).length) {
        status.textContent = TB.t(`st_${section}_unchanged`);
        return null;
      }
      const button = $(`st-${section}-save`);
      button.disabled = true;
      status.textContent = TB.t(`st_${section}_saving`);
      try {
        await TB.signedIn;
        const data = await TB.api(method, path, changes);
        status.textContent = TB.t(`st_${section}_saved`);
        return data;
      } catch (err) {
        status.textContent = "";
        showError(err);
        return null;
      } finally { button.disabled = false; }
    }

    return {clearErrors, showError, save};
  };
})();
