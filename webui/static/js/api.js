/* Tillbox: the small shared layer every page uses. No framework, no build step.
 * - api(): JSON calls to /api/v1 with the CSRF token; 401 sends the person to sign in.
 * - t(): translated strings, rendered by the server into window.TB.strings.
 * - h(): builds DOM nodes; text is always set as text, never parsed as HTML.
 * - follow(): Server-Sent Events with reconnect and an offline banner. */
"use strict";
(function () {
  const TB = window.TB;
  TB.csrf = null;

  TB.t = function (key, params) {
    let s = TB.strings[key] || key;
    for (const [k, v] of Object.entries(params || {})) s = s.replace("{" + k + "}", v);
    return s;
  };

  TB.h = function (tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "class") node.className = v;
      else if (v === true) node.setAttribute(k, "");
      else if (v !== false && v != null) node.setAttribute(k, v);
    }
    for (const c of children.flat()) {
      if (c == null) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  };

  TB.money = (s) => "￥" + (s == null ? "0.00" : s);
  // Amounts are decimal strings on the wire; sums on screen are done in whole fen.
  TB.fen = function (s) {
    const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(String(s == null ? "0" : s).trim());
    if (!m) return NaN;
    const v = parseInt(m[2], 10) * 100 + parseInt(((m[3] || "") + "00").slice(0, 2), 10);
    return m[1] ? -v : v;
  };
  TB.yuan = (f) => (f < 0 ? "-" : "") + Math.floor(Math.abs(f) / 100) + "." +
    String(Math.abs(f) % 100).padStart(2, "0");
  TB.maskPhone = (p) => (p && p.length >= 7 ? p.slice(0, 3) + "****" + p.slice(-4) : p || "");
  const RANKS = ["assistant", "cashier", "manager", "owner"];
  TB.atLeast = (role) => !!TB.me && RANKS.indexOf(TB.me.role) >= RANKS.indexOf(role);
  // A localised name when the screen is in English and the record has one.
  TB.name = (o) => (TB.locale.startsWith("en") && o && o.name_en ? o.name_en : (o || {}).name);

  TB.banner = function (text) {
    const b = document.getElementById("banner");
    if (!b) return;
    b.textContent = text || "";
    b.hidden = !text;
  };

  TB.api = async function (method, path, body) {
    const headers = {"Accept": "application/json"};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET" && TB.csrf) headers["X-CSRF-Token"] = TB.csrf;
    let resp;
    try {
      resp = await fetch("/api/v1" + path, {method, headers, credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body)});
    } catch (e) {
      TB.banner(TB.t("offline"));
      throw e;
    }
    TB.banner("");
    const data = resp.status === 204 ? {} : await resp.json().catch(() => ({}));
    if (resp.status === 401 && !path.startsWith("/auth/login")) {
      location.href = "/login?next=" + encodeURIComponent(location.pathname);
      throw new Error(data.error || "signed out");
    }
    if (!resp.ok) {
      const err = new Error(data.error || TB.t("error"));
      err.status = resp.status;
      err.field = data.field;
      throw err;
    }
    return data;
  };

  TB.whoami = async function () {
    const me = await TB.api("GET", "/auth/me");
    TB.csrf = me.csrf_token;
    TB.me = me.staff;
    TB.terminal = me.terminal;
    const who = document.getElementById("who");
    if (who) {
      who.replaceChildren(TB.t("signed_in_as", {name: me.staff.name}), " ",
        TB.h("button", {type: "button", class: "link", onclick: TB.logout}, TB.t("logout")));
    }
    return me;
  };

  TB.logout = async function () {
    try { await TB.api("POST", "/auth/logout"); } finally { location.href = "/login"; }
  };

  // Follow the box's events; kinds: "order" (default), "scan", "printer", "print_job".
  // onOpen runs on every (re)connection, e.g. to tell core again what this screen shows.
  TB.follow = function (onEvent, kinds, onOpen) {
    let source;
    const open = () => {
      source = new EventSource("/api/v1/events");
      for (const kind of kinds || ["order"]) {
        source.addEventListener(kind, (e) => onEvent(kind, JSON.parse(e.data)));
      }
      source.onopen = () => { TB.banner(""); if (onOpen) onOpen(); };
      source.onerror = () => {
        TB.banner(TB.t("offline"));
        if (source.readyState === EventSource.CLOSED) setTimeout(open, 3000);
      };
    };
    open();
  };

  // A form in a <dialog>: resolves with what ``send(form)`` returned, or null when closed;
  // the API's error is shown in the dialog, on the field it names, and nothing is lost.
  TB.formDialog = function (dialogId, errorId, send) {
    const $ = (id) => document.getElementById(id);
    const dialog = $(dialogId);
    const form = dialog.querySelector("form");
    $(errorId).textContent = "";
    form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
    return new Promise((resolve) => {
      let done = false;
      const finish = (value) => {
        if (done) return;
        done = true;
        form.onsubmit = null;
        dialog.onclose = null;
        if (dialog.open) dialog.close();
        resolve(value);
      };
      form.onsubmit = async (e) => {
        e.preventDefault();
        const submit = form.querySelector("[type=submit]");
        submit.disabled = true;
        try {
          finish(await send(form));
        } catch (err) {
          $(errorId).textContent = err.message;
          const bad = err.field && form.elements[err.field];
          if (bad && bad.setAttribute) { bad.setAttribute("aria-invalid", "true"); bad.focus(); }
        } finally { submit.disabled = false; }
      };
      dialog.onclose = () => finish(null);
      dialog.querySelectorAll("[data-close]").forEach((b) => { b.onclick = () => finish(null); });
      dialog.showModal();
      // Straight to the first empty field: a sign-up at the till takes seconds.
      const empty = [...form.elements].find((el) => el.tagName === "INPUT" && el.type !== "checkbox"
        && !el.value && !el.closest("[hidden]"));
      if (empty) empty.focus();
    });
  };

  // issue 11 (docs/settings.md): modules switched off and the tenders' order. The page
  // renders them (body classes module-off-<name> that hide [data-module=<name>], TB.modules,
  // TB.tenders); on a "settings" event a screen calls refreshSettings() to follow at once.
  TB.applySettings = function (settings) {
    TB.modules = Object.assign({}, TB.modules);
    for (const [key, on] of Object.entries(settings || {})) {
      if (!key.startsWith("modules.")) continue;
      TB.modules[key.slice(8)] = on;
      document.body.classList.toggle("module-off-" + key.slice(8), !on);
    }
    if (settings && settings["tenders.enabled"]) TB.tenders = settings["tenders.enabled"];
    document.dispatchEvent(new CustomEvent("tillbox:settings", {detail: settings}));
  };
  TB.refreshSettings = async function () {
    TB.applySettings((await TB.api("GET", "/settings")).settings);
  };
  TB.moduleOn = (name) => !TB.modules || TB.modules[name] !== false;

  // A script fetched only when first needed (the zxing decoder is large): resolves once it ran.
  TB.loadScript = function (src) {
    return new Promise((resolve, reject) => {
      const s = TB.h("script", {src});
      s.onload = resolve;
      s.onerror = reject;
      document.head.append(s);
    });
  };

  TB.toast = function (text, kind) {
    // One message at a time: a newer one replaces the one still showing.
    document.querySelectorAll(".toast").forEach((old) => old.remove());
    const n = TB.h("div", {class: "toast " + (kind || ""), role: "status"}, text);
    document.body.append(n);
    setTimeout(() => n.remove(), kind === "error" ? 5000 : 1800);
  };
})();
