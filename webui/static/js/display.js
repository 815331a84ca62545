/* Customer display: a second screen (another tab or window of the counter's browser) that
 * shows the order the counter has on screen, live. */
"use strict";
(function () {
  const TB = window.TB;
  const {api, h, money} = TB;
  const $ = (id) => document.getElementById(id);
  let shown = null;

  async function show() {
    let state = {};
    try { state = JSON.parse(localStorage.getItem("tillbox.display") || "{}"); } catch (e) {}
    if (!state.id) {
      shown = null;
      $("lines").replaceChildren();
      $("total").textContent = money("0.00");
      $("change").hidden = true;
      $("thanks").hidden = true;
      return;
    }
    const o = await api("GET", "/orders/" + state.id);
    shown = o;
    $("lines").replaceChildren(...o.lines.map((l) => h("li", {class: "line"},
      h("span", {class: "name"}, l.name, l.spec ? h("small", {}, l.spec) : null),
      h("span", {class: "qty"}, "× ", l.qty), h("span", {class: "price"},
        money(l.net ?? l.amount)))));
    $("total").textContent = money(o.total ?? o.due);
    $("change").hidden = !state.change;
    $("change-amount").textContent = money(state.change);
    $("thanks").hidden = o.status !== "paid";
  }

  window.addEventListener("storage", (e) => { if (e.key === "tillbox.display") show(); });
  TB.follow((kind, e) => { if (shown && e.id === shown.id) show(); });
  TB.whoami().then(show).catch(() => {});
})();
