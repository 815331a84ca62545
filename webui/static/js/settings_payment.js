/* The settings page's "Payment" section (webui/templates/_settings_payment.html; docs/settings.md):
 * round-off, the tenders and their order (ticks and up/down buttons, no dragging: phones),
 * and the shop's own WeChat Pay / Alipay codes, pasted, read from a picture with the vendored
 * zxing, or scanned with the camera (js/camera_scan.js). Each save is one PATCH /settings. */
"use strict";
(function () {
  const TB = window.TB;
  const {api, t} = TB;
  const $ = (id) => document.getElementById(id);
  if (!$("settings-payment")) return;
  const signedIn = TB.signedIn;

  // -- round-off and tenders -----------------------------------------------------------------
  const list = $("st-tenders");
  list.addEventListener("click", (e) => {
    const button = e.target.closest("button[data-move]");
    if (!button) return;
    const li = button.closest("li");
    if (button.dataset.move === "-1" && li.previousElementSibling) {
      list.insertBefore(li, li.previousElementSibling);
    } else if (button.dataset.move === "1" && li.nextElementSibling) {
      list.insertBefore(li.nextElementSibling, li);
    }
    button.focus();
  });

  const tenders = () => [...list.querySelectorAll("li")]
    .filter((li) => li.querySelector("input[type=checkbox]").checked)
    .map((li) => li.dataset.method);

  $("st-payment-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    $("st-payment-error").textContent = "";
    const enabled = tenders();
    if (!enabled.length) { $("st-payment-error").textContent = t("st_payment_none_on"); return; }
    const save = $("st-payment-save");
    save.disabled = true;
    try {
      await signedIn;
      const r = await api("PATCH", "/settings", {
        "money.round_off_unit": $("st-round-unit").value,
        "money.round_off_mode": $("st-round-mode").value,
        "tenders.enabled": enabled});
      TB.toast(Object.keys(r.changed || {}).length ? t("st_payment_saved")
        : t("st_payment_unchanged"));
    } catch (err) {
      $("st-payment-error").textContent = err.message;
    } finally { save.disabled = false; }
  });

  // -- the shop's collection codes -------------------------------------------------------------
  // zxing's QR reader, first as for a clean picture of the code alone (a screenshot), then
  // searching the picture for the code (a photo of the printed stand), large and smaller.
  function decodeCanvas(canvas) {
    const Z = window.ZXing;
    for (const hint of [Z.DecodeHintType.PURE_BARCODE, Z.DecodeHintType.TRY_HARDER]) {
      for (const Binarizer of [Z.HybridBinarizer, Z.GlobalHistogramBinarizer]) {
        try {
          const bitmap = new Z.BinaryBitmap(new Binarizer(
            new Z.HTMLCanvasElementLuminanceSource(canvas)));
          return new Z.QRCodeReader().decode(bitmap, new Map([[hint, true]])).getText();
        } catch (e) { /* not found this way: try the next */ }
      }
    }
    return null;
  }

  async function decodePicture(file) {
    if (!window.ZXing) await TB.loadScript("/static/vendor/zxing/zxing.min.js");
    const url = URL.createObjectURL(file);
    try {
      const img = new Image();
      img.src = url;
      await img.decode();
      for (const most of [1200, 800, 500]) {
        const text = decodeCanvas(TB.onWhite(img, most));
        if (text) return text;
      }
      throw new Error("no QR code");
    } finally { URL.revokeObjectURL(url); }
  }

  async function saveCode(box, text) {
    const method = box.dataset.method;
    const error = box.querySelector(".st-qr-error");
    error.textContent = "";
    try {
      await signedIn;
      const r = await api("PATCH", "/settings", {["payment.qr_" + method]: text});
      const saved = r.settings["payment.qr_" + method];
      box.querySelector("textarea").value = saved;
      const img = box.querySelector("img.qr-preview");
      if (saved) img.src = `/api/v1/payment-qr/${method}.svg?v=${Date.now()}`;
      else img.removeAttribute("src");
      box.querySelector(".st-qr-shown").hidden = !saved;
      box.querySelector(".st-qr-remove").hidden = !saved;
      TB.toast(saved ? t("st_payment_qr_saved") : t("st_payment_qr_removed"));
    } catch (err) {
      error.textContent = err.message;
      box.querySelector("textarea").setAttribute("aria-invalid", "true");
    }
  }

  for (const box of document.querySelectorAll("#settings-payment .qr-field")) {
    const text = box.querySelector("textarea");
    const error = box.querySelector(".st-qr-error");
    text.addEventListener("input", () => text.removeAttribute("aria-invalid"));
    box.querySelector(".st-qr-save").addEventListener("click", () =>
      saveCode(box, text.value.trim()));
    box.querySelector(".st-qr-remove").addEventListener("click", () => saveCode(box, ""));
    box.querySelector(".st-qr-file").addEventListener("change", async (e) => {
      const file = e.target.files[0];
      e.target.value = "";
      if (!file) return;
      error.textContent = "";
      try {
        text.value = await decodePicture(file);
        TB.toast(t("st_payment_qr_read"));
        text.focus();
      } catch (err) {
        error.textContent = t("st_payment_qr_unreadable");
      }
    });
    box.querySelector(".st-qr-scan").addEventListener("click", async () => {
      error.textContent = "";
      try {
        if (!TB.cameraScan) await TB.loadScript("/static/js/camera_scan.js");
        const code = await TB.cameraScan($("st-qr-camera"));
        if (code) { text.value = code; TB.toast(t("st_payment_qr_read")); text.focus(); }
      } catch (err) {
        error.textContent = t("st_payment_qr_no_camera");
      }
    });
  }
})();
