/* The settings page's "Shop and receipt" section (webui/templates/_settings_shop.html):
 * the shop's details and the receipt's text, width and language (PATCH /settings with only
 * what changed, the server's error under its field); the receipt logo (shrunk here to at
 * most 1200 px, sent as the request body, shown back exactly as it prints); a sample
 * receipt laid out by the server with the current settings. */
"use strict";
(function () {
  const {api, h, t} = TB;
  const $ = (id) => document.getElementById(id);
  const form = $("st-shop-form");
  if (!form) return;
  const MAX_SIDE = 1200;
  const NUMBERS = ["receipt.width_mm"];
  let saved = {};      // the values as the server has them
  let logoHash = "";   // receipt.logo as the server has it

  const value = (el) => (NUMBERS.includes(el.name) ? parseInt(el.value, 10) : el.value);
  const fields = () => [...form.elements].filter((el) => el.name);

  function remember(settings) {
    saved = {};
    for (const el of fields()) {
      if (settings && el.name in settings) {
        saved[el.name] = settings[el.name];
        el.value = String(settings[el.name]);
      } else saved[el.name] = value(el);
    }
  }

  const {clearErrors, showError, save} = TB.settingsForm(form, "shop");

  function showShopName(name) {
    // The page's title (and the bar, if it shows the shop) follow at once.
    document.title = document.title.replace(/·.*$/, "· " + name);
    const bar = document.getElementById("shop-name");
    if (bar) bar.textContent = name;
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors();
    const changes = {};
    for (const el of fields()) {
      const v = value(el);
      if (v !== saved[el.name]) changes[el.name] = v;
    }
    const data = await save("PATCH", "/settings", changes);
    if (!data) return;
    remember(data.settings);
    if ("shop.name" in changes) showShopName(data.settings["shop.name"]);
    if ("receipt.width_mm" in changes) showLogo(data.settings["receipt.logo"]);
    await loadReceipt().catch(showError);
  });

  // -- the logo ----------------------------------------------------------------------------
  function showLogo(hash) {
    logoHash = hash || "";
    const img = $("st-logo-preview");
    const none = $("st-logo-none");
    $("st-logo-remove").hidden = !hash;
    none.textContent = t("st_shop_logo_none");
    none.hidden = !!hash;
    if (!hash) { img.hidden = true; img.removeAttribute("src"); $("st-logo-size").textContent = ""; return; }
    const width = form.elements["receipt.width_mm"].value;
    img.src = "/api/v1/settings/logo/preview.png?width_mm=" + width + "&v=" + hash.slice(0, 16);
    img.hidden = false;
  }

  // Trying the other paper width shows the logo as it would print there, before saving.
  form.elements["receipt.width_mm"].addEventListener("change", () => showLogo(logoHash));

  $("st-logo-preview").addEventListener("load", (e) => {
    // One image pixel is one printer dot: shown at its own size, never smoothed.
    const img = e.target;
    img.style.width = img.naturalWidth + "px";
    $("st-logo-size").textContent = t("st_shop_logo_size", {w: img.naturalWidth, h: img.naturalHeight});
  });

  function decode(file) {
    return new Promise((resolve, reject) => {
      const url = URL.createObjectURL(file);
      const img = new Image();
      img.onload = () => { URL.revokeObjectURL(url); resolve(img); };
      img.onerror = () => { URL.revokeObjectURL(url); reject(new Error(t("st_shop_logo_unreadable"))); };
      img.src = url;
    });
  }

  const blobOf = (canvas, type, quality) =>
    new Promise((resolve) => canvas.toBlob(resolve, type, quality));

  // A photo straight from a phone is far bigger than a receipt needs (576 dots at most):
  // shrink it, on white (transparent parts are paper), and send the smallest of PNG or JPEG
  // that fits the box's request limit.
  async function shrink(file, limit) {
    const img = await decode(file);
    let side = MAX_SIDE;
    for (let attempt = 0; attempt < 4; attempt++, side = Math.round(side * 0.7)) {
      const canvas = TB.onWhite(img, side);
      const png = await blobOf(canvas, "image/png");
      if (png && png.size <= limit) return png;
      const jpeg = await blobOf(canvas, "image/jpeg", 0.9);
      if (jpeg && jpeg.size <= limit) return jpeg;
    }
    throw new Error(t("st_shop_logo_too_big"));
  }

  async function send(method, blob) {
    const headers = {"Accept": "application/json", "X-CSRF-Token": TB.csrf || ""};
    if (blob) headers["Content-Type"] = blob.type;
    const resp = await fetch("/api/v1/settings/logo", {method, headers, body: blob,
      credentials: "same-origin"});
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) throw new Error(data.error || t("error"));
    return data;
  }

  $("st-logo-file").addEventListener("change", async (e) => {
    const file = e.target.files[0];
    e.target.value = "";
    if (!file) return;
    $("st-logo-error").textContent = "";
    $("st-logo-size").textContent = t("st_shop_logo_sending");
    try {
      // Leave room for the request's own overhead under web.max_request_kb.
      const limit = parseInt($("st-logo").dataset.limit, 10) - 2048;
      const data = await send("POST", await shrink(file, limit));
      showLogo(data.logo);
      TB.toast(t("st_shop_logo_saved"));
      await loadReceipt();
    } catch (err) {
      $("st-logo-size").textContent = "";
      $("st-logo-error").textContent = err.message;
    }
  });

  $("st-logo-remove").addEventListener("click", async () => {
    if (!confirm(t("st_shop_logo_confirm"))) return;
    $("st-logo-error").textContent = "";
    try {
      await send("DELETE");
      showLogo("");
      TB.toast(t("st_shop_logo_removed"));
      await loadReceipt();
    } catch (err) { $("st-logo-error").textContent = err.message; }
  });

  // -- the sample receipt ------------------------------------------------------------------
  async function loadReceipt() {
    const data = await api("GET", "/settings/receipt-preview");
    const paper = h("div", {class: "st-paper", style: `--cols: ${data.columns}`});
    if (data.logo) {
      paper.append(h("img", {class: "st-paper-logo", alt: "",
        src: $("st-logo-preview").getAttribute("src") || ""}));
    }
    for (const ln of data.lines) {
      paper.append(h("div", {class: "st-line " + ln.align + (ln.bold ? " bold" : "") +
        (ln.double ? " double" : "")}, ln.text || "\u00a0"));
    }
    $("st-receipt").replaceChildren(paper);
  }

  TB.signedIn
    .then(() => api("GET", "/settings"))
    .then((data) => {
      remember(data.settings);
      showLogo(data.settings["receipt.logo"]);
      return loadReceipt();
    })
    .catch((err) => TB.toast(err.message, "error"));
})();
