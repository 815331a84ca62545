/* Customer display: a second screen (another tab or window of the counter's browser) that
 * shows the order the counter has on screen, live. */
"use strict";
(function () {
  const TB = window.TB;
  const {api, h, t, money} = TB;
  const $ = (id) => document.getElementById(id);
  let shown = null;
  let qrVersion = Date.now();   // a new picture after the owner replaced the code

  // issue 11: the shop's own WeChat Pay / Alipay code with the amount, while the counter
  // takes that payment (state.pay from js/counter.js); none set: nothing is shown.
  function showPayQr(pay, o) {
    const box = $("pay-qr");
    const on = !!(pay && o && o.status === "open" && ["wechat", "alipay"].includes(pay.method));
    if (!on) { box.hidden = true; return; }
    for (const s of box.querySelectorAll("[data-method]")) s.hidden = s.dataset.method !== pay.method;
    $("pay-qr-amount").textContent = money(pay.amount);
    const img = $("pay-qr-img");
    img.onload = () => { box.hidden = false; };
    img.onerror = () => { box.hidden = true; };   // 404: the shop has no code for it
    const src = `/api/v1/payment-qr/${pay.method}.svg?v=${qrVersion}`;
    if (img.getAttribute("src") !== src) img.src = src;
    else box.hidden = !img.complete || !img.naturalWidth;
  }

  async function show() {
    let state = {};
    try { state = JSON.parse(localStorage.getItem("tillbox.display") || "{}"); } catch (e) {}
    if (!state.id) {
      shown = null;
      $("lines").replaceChildren();
      $("adjustments").replaceChildren();
      $("member").hidden = true;
      $("total").textContent = money("0.00");
      $("change").hidden = true;
      $("thanks").hidden = true;
      $("pay-qr").hidden = true;
      return;
    }
    const o = await api("GET", "/orders/" + state.id);
    shown = o;
    $("lines").replaceChildren(...o.lines.map((l) => h("li", {class: "line"},
      h("span", {class: "name"}, l.name, l.spec ? h("small", {}, l.spec) : null),
      h("span", {class: "qty"}, "× ", l.qty), h("span", {class: "price"},
        money(l.net ?? l.amount)))));
    // Discount lines (满减, member price, coupons) so the customer sees why it costs less.
    $("adjustments").replaceChildren(...(o.adjustments || []).map((a) => h("li",
      {class: "adjustment " + (a.kind || "")},
      h("span", {class: "label"}, a.label === "round_off" ? t("round_off") : a.label),
      h("span", {class: "price"}, a.amount))));
    // The member's name with a masked phone: the screen faces the queue.
    const m = o.member;
    $("member").hidden = !m;
    if (m) {
      $("member").replaceChildren(h("span", {class: "level"}, m.level_name || t("m_member")),
        " ", m.name, " ", TB.maskPhone(m.phone));
    }
    $("total").textContent = money(o.total ?? o.due);
    $("change").hidden = !state.change;
    $("change-amount").textContent = money(state.change);
    $("thanks").hidden = o.status !== "paid";
    showPayQr(state.pay, o);
  }

  window.addEventListener("storage", (e) => { if (e.key === "tillbox.display") show(); });
  TB.follow((kind, e) => {
    if (kind === "settings") {   // the owner replaced a collection code
      if ((e.keys || []).some((k) => k.startsWith("payment.qr_"))) { qrVersion = Date.now(); show(); }
      return;
    }
    if (shown && e.id === shown.id) show();
  }, ["order", "settings"]);
  TB.whoami().then(show).catch(() => {});
})();
