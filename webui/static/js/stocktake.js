/* Stocktake (盘点) on the phone. Managers start a count (whole shop or chosen categories,
 * blind), review it (counted, expected at the last entry, difference in quantity and value,
 * items nobody counted) and approve or cancel it. Everyone with the count permission picks
 * an open count and scans or types into it from several phones at once: each phone shows
 * only what it counted itself (kept on the phone, per count and person), never the
 * expected quantity. */
"use strict";
(function () {
  const TB = window.TB;
  const {api, h, t, money} = TB;
  const $ = (id) => document.getElementById(id);
  const form = $("ct-form");
  if (!form || !TB.Stock) return;
  const S = TB.Stock;
  const manager = () => TB.atLeast("manager");
  let count = null;        // the count on screen (counting or review)
  let categories = [];
  let picked = new Set();  // categories of a new count
  let busy = Promise.resolve();  // entries go one after another: undo must follow its entry

  // -- what this phone counted -------------------------------------------------------------
  // {entries: [{entry_id, k, product_id, variant_id, qty, name}], totals: {k: {name, qty}}}
  const storeKey = (id) => `tillbox.count.${id}.${TB.me ? TB.me.id : ""}`;
  function mine(id) {
    try {
      return JSON.parse(localStorage.getItem(storeKey(id))) || {entries: [], totals: {}};
    } catch (e) { return {entries: [], totals: {}}; }
  }
  const saveMine = (id, m) => localStorage.setItem(storeKey(id), JSON.stringify(m));

  // -- the list of counts ------------------------------------------------------------------
  function scopeText(c) {
    if (c.scope_text) return c.scope_text;
    const scope = c.scope || {};
    if (scope.all) return t("ct_whole_shop");
    const names = (scope.categories || []).map((id) => {
      const cat = categories.find((x) => x.id === id);
      return cat ? TB.name(cat) : id;
    });
    return names.join("、");
  }

  function countItem(c) {
    return h("li", {class: "order count-row", "data-count": c.id, onclick: () => openCount(c)},
      h("b", {}, c.number || c.id),
      h("span", {class: "status"}, t("ct_status_" + c.status) === "ct_status_" + c.status ?
        c.status : t("ct_status_" + c.status)),
      h("span", {class: "who"}, scopeText(c) + (c.blind ? " · " + t("ct_blind") : "")),
      h("span", {class: "meta"}, S.when(c.started_at)));
  }

  async function loadCategories() {
    if (categories.length) return;
    categories = (await api("GET", "/categories")).categories;
  }

  async function loadList() {
    $("ct-new").hidden = !manager();
    try {
      await loadCategories();
      const open = (await api("GET", "/counts?status=open")).counts;
      $("ct-open").replaceChildren(...(open.length ? open.map(countItem) :
        [h("li", {class: "empty"}, t("ct_none_open"))]));
      $("ct-done-box").hidden = !manager();
      if (manager()) {
        const all = (await api("GET", "/counts")).counts.filter((c) => c.status !== "open");
        $("ct-done").replaceChildren(...(all.length ? all.slice(0, 10).map(countItem) :
          [h("li", {class: "empty"}, t("ct_none_done"))]));
      }
    } catch (e) { TB.toast(e.message, "error"); }
  }

  function show(which) {
    $("ct-browse").hidden = which !== "list";
    form.hidden = which !== "form";
    $("ct-count").hidden = which !== "count";
    $("ct-review").hidden = which !== "review";
    window.scrollTo(0, 0);
    if (which === "list") { count = null; loadList(); }
  }
  document.querySelectorAll("#tab-count [data-back]").forEach((b) =>
    b.addEventListener("click", () => show("list")));

  // -- starting a count (managers) ----------------------------------------------------------
  function renderCats() {
    $("ct-cats").replaceChildren(...categories.map((c) => h("button", {type: "button",
      class: "chip" + (picked.has(c.id) ? " on" : ""), "data-cat": c.id,
      "aria-pressed": String(picked.has(c.id)), onclick: () => {
        if (picked.has(c.id)) picked.delete(c.id); else picked.add(c.id);
        renderCats();
      }}, TB.name(c))));
  }
  const scopeChoice = () => form.querySelector("[name=scope]:checked").value;
  form.querySelectorAll("[name=scope]").forEach((r) => r.addEventListener("change", () => {
    $("ct-cats").hidden = scopeChoice() !== "categories";
  }));

  $("ct-new").addEventListener("click", async () => {
    try { await loadCategories(); } catch (e) { return TB.toast(e.message, "error"); }
    form.reset();
    picked = new Set();
    renderCats();
    $("ct-cats").hidden = true;
    $("ct-form-error").textContent = "";
    show("form");
  });

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const byCategory = scopeChoice() === "categories";
    if (byCategory && !picked.size) {
      $("ct-form-error").textContent = t("ct_pick_category");
      return;
    }
    $("ct-start").disabled = true;
    try {
      const c = await api("POST", "/counts", {scope: byCategory ?
        {categories: [...picked]} : {all: true}, blind: form.elements.blind.checked,
        note: form.elements.note.value.trim()});
      TB.toast(t("ct_started", {n: c.number || ""}));
      openCount(c);
    } catch (err) {
      $("ct-form-error").textContent = err.message;
    } finally { $("ct-start").disabled = false; }
  });

  // -- counting ------------------------------------------------------------------------------
  async function openCount(c) {
    try {
      await loadCategories();
      count = await api("GET", "/counts/" + c.id);
    } catch (e) { return TB.toast(e.message, "error"); }
    if (count.status !== "open") {
      if (manager()) return openReview(count);
      TB.toast(t("ct_closed", {n: count.number, status: t("ct_status_" + count.status)}));
      return show("list");
    }
    $("ct-title").textContent = t("ct_title", {n: count.number || count.id});
    $("ct-scope").textContent = scopeText(count) + (count.note ? " · " + count.note : "");
    $("ct-blind").hidden = !count.blind;
    $("ct-review-open").hidden = !manager();
    $("ct-code").value = "";
    $("ct-qty").value = "1";
    $("ct-picks").replaceChildren();
    $("ct-last").hidden = true;
    show("count");
    renderMine();
  }

  function renderMine() {
    const m = mine(count.id);
    const rows = Object.entries(m.totals).filter(([, x]) => x.qty !== 0 || x.entries);
    $("ct-mine").replaceChildren(...(rows.length ? rows.map(([k, x]) => h("li", {
      class: "count-line", "data-key": k},
      h("span", {class: "name"}, x.name), h("b", {class: "mine-total"}, String(x.qty))))
      : [h("li", {class: "empty"}, t("ct_nothing_yet"))]));
    $("ct-undo").disabled = !m.entries.length;
  }

  function showLast(name, qty, total) {
    const box = $("ct-last");
    box.hidden = false;
    box.className = "count-last" + (qty < 0 ? " undo" : "");
    box.replaceChildren(h("span", {class: "name"}, name),
      h("span", {class: "delta"}, (qty < 0 ? "−" : "+") + Math.abs(qty)),
      h("span", {class: "mine-total", id: "ct-last-total"}, t("ct_mine_total", {n: total})));
  }

  // One entry: {barcode} or {product_id, variant_id}, qty. Serialised per phone.
  function enter(what, qty, name) {
    busy = busy.then(() => sendEntry(what, qty, name)).catch(() => {});
    return busy;
  }

  async function sendEntry(what, qty, name) {
    if (!count || count.status !== "open") return;
    const id = count.id;
    try {
      const r = await api("POST", `/counts/${id}/entries`, {...what, qty});
      let pid = r.product_id || what.product_id, vid = r.variant_id ?? what.variant_id ?? "";
      let label = r.name ? S.itemName(r) : name;
      if ((!pid || !label) && what.barcode) {
        const found = await S.byBarcode(what.barcode).catch(() => null);
        if (found) { pid = pid || found.product_id; vid = vid || found.variant_id; label = label || found.name; }
      }
      const k = S.key(pid, vid);
      const m = mine(id);
      m.entries.push({entry_id: r.entry_id || null, k, product_id: pid, variant_id: vid || "",
                      qty, name: label || pid});
      const tot = m.totals[k] || {name: label || pid, qty: 0, entries: 0};
      tot.qty += qty;
      tot.entries += 1;
      m.totals[k] = tot;
      saveMine(id, m);
      if (navigator.vibrate) navigator.vibrate(30);
      showLast(tot.name, qty, tot.qty);
      renderMine();
    } catch (e) {
      TB.toast(e.status === 404 && what.barcode ? t("scan_not_found", {code: what.barcode})
        : e.message, "error");
      if (e.status === 409) openCount(count);   // approved or cancelled meanwhile
    }
  }

  function typedQty() {
    const n = Number($("ct-qty").value);
    return Number.isInteger(n) && n !== 0 ? n : null;
  }

  async function addTyped() {
    const v = $("ct-code").value.trim();
    if (!v) return;
    const qty = typedQty();
    if (qty === null) return TB.toast(t("ct_qty_whole"), "error");
    if (/^[0-9A-Za-z-]{6,20}$/.test(v) && /[0-9]{6,}/.test(v)) {
      $("ct-code").value = "";
      $("ct-qty").value = "1";
      $("ct-picks").replaceChildren();
      await enter({barcode: v}, qty);
      $("ct-code").focus();
      return;
    }
    // A name: offer the matching products (and specs) to pick from.
    try {
      await S.productChoices(v, $("ct-picks"), (pid, vid, name) => {
        const n = typedQty() || 1;
        $("ct-code").value = "";
        $("ct-qty").value = "1";
        $("ct-picks").replaceChildren();
        enter({product_id: pid, variant_id: vid || undefined}, n, name);
      });
    } catch (e) { TB.toast(e.message, "error"); }
  }
  $("ct-code").addEventListener("keydown", (e) => { if (e.key === "Enter") addTyped(); });
  $("ct-add").addEventListener("click", addTyped);
  // The camera: every scan counts one.
  $("ct-cam").addEventListener("click", () => TB.scan && TB.scan((code) =>
    enter({barcode: code}, 1), $("ct-code")));

  $("ct-undo").addEventListener("click", () => {
    busy = busy.then(async () => {
      const m = mine(count.id);
      const last = m.entries[m.entries.length - 1];
      if (!last) return;
      try {
        await api("POST", `/counts/${count.id}/entries`, {product_id: last.product_id,
          variant_id: last.variant_id || undefined, qty: -last.qty});
        m.entries.pop();
        const tot = m.totals[last.k];
        tot.qty -= last.qty;
        tot.entries -= 1;
        if (!tot.entries && !tot.qty) delete m.totals[last.k];
        saveMine(count.id, m);
        showLast(last.name, -last.qty, tot.qty);
        renderMine();
        TB.toast(t("ct_undone"));
      } catch (e) { TB.toast(e.message, "error"); }
    }).catch(() => {});
  });
  $("ct-review-open").addEventListener("click", () => openReview(count));

  // -- the manager's review ----------------------------------------------------------------
  const fenOf = (s) => (s == null ? 0 : typeof s === "number" ? s : TB.fen(s));
  const signed = (n) => (n > 0 ? "+" + n : n < 0 ? "−" + Math.abs(n) : "0");
  const signedMoney = (f) => (f > 0 ? "+" : f < 0 ? "−" : "") + money(TB.yuan(Math.abs(f)));

  function reviewLine(l) {
    const delta = l.delta ?? (l.counted - l.expected);
    const value = fenOf(l.value);
    return h("li", {class: "review-line" + (delta ? (delta < 0 ? " short" : " over") : ""),
      "data-product": l.product_id, "data-variant": l.variant_id || ""},
      h("span", {class: "name"}, S.itemName(l)),
      h("span", {class: "num counted"}, String(l.counted)),
      h("span", {class: "num expected"}, String(l.expected)),
      h("span", {class: "num delta"}, signed(delta)),
      h("span", {class: "num value"}, signedMoney(value)));
  }

  async function openReview(c) {
    const box = $("ct-review");
    const back = h("button", {type: "button", class: "link back", onclick: () => show("list")},
      "‹ ", t("ct_back"));
    show("review");
    box.replaceChildren(back, h("p", {class: "hint"}, "…"));
    let r;
    try {
      await loadCategories();
      r = await api("GET", `/counts/${c.id}/review`);
    } catch (e) {
      box.replaceChildren(back, h("p", {class: "error", role: "alert"}, e.message));
      return;
    }
    count = Object.assign({}, c, r);  // the review carries the count's head, fresh
    const lines = r.lines || r.items || [];
    const uncounted = r.not_counted || r.uncounted || [];
    const totals = r.totals || {};
    const sum = (f) => lines.reduce((a, l) => a + f(l), 0);
    const tDelta = totals.difference ?? sum((l) => l.delta ?? (l.counted - l.expected));
    const tValue = totals.value != null ? fenOf(totals.value) : sum((l) => fenOf(l.value));
    const open = count.status === "open";
    const zero = h("input", {type: "checkbox", id: "ct-zero"});
    const err = h("p", {class: "error", role: "alert", id: "ct-review-error"});
    const head = h("li", {class: "review-line head"}, h("span", {class: "name"}, t("ct_item")),
      h("span", {class: "num"}, t("ct_counted")), h("span", {class: "num"}, t("ct_expected")),
      h("span", {class: "num"}, t("ct_difference")), h("span", {class: "num"}, t("ct_value")));
    box.replaceChildren(...[back,
      h("h2", {}, t("ct_title", {n: count.number || count.id}), " ",
        h("span", {class: "badge " + (open ? "idle" : count.status === "approved" ? "live" :
          "off")}, t("ct_status_" + count.status))),
      h("p", {class: "hint"}, scopeText(count) + (count.blind ? " · " + t("ct_blind") : "")),
      h("p", {class: "hint"}, t("ct_expected_hint")),
      h("ul", {class: "review", id: "ct-lines"}, head, ...(lines.length ? lines.map(reviewLine)
        : [h("li", {class: "empty"}, t("ct_nothing_counted"))])),
      h("div", {class: "member-stats review-totals"},
        h("div", {}, h("span", {}, t("ct_total_difference")), h("b", {id: "ct-total-delta"},
          signed(tDelta))),
        h("div", {}, h("span", {}, t("ct_total_value")), h("b", {id: "ct-total-value"},
          signedMoney(tValue)))),
      h("h3", {}, t("ct_not_counted_n", {n: uncounted.length})),
      h("ul", {class: "review uncounted", id: "ct-uncounted"}, uncounted.length ?
        uncounted.slice(0, 200).map((u) => h("li", {class: "review-line"},
          h("span", {class: "name"}, S.itemName(u)),
          h("span", {class: "num expected"}, String(u.expected ?? u.qty ?? "")))) :
        [h("li", {class: "empty"}, t("ct_all_counted"))]),
      open && uncounted.length ? h("label", {class: "check"}, zero, t("ct_zero_uncounted"))
        : null,
      err,
      open ? h("button", {type: "button", id: "ct-approve", class: "primary big wide",
        onclick: async (e) => {
          e.target.disabled = true;
          try {
            await api("POST", `/counts/${count.id}/approve`, {zero_uncounted: zero.checked});
            TB.toast(t("ct_approved"));
            openReview(count);
          } catch (x) { err.textContent = x.message; e.target.disabled = false; }
        }}, t("ct_approve")) : null,
      h("div", {class: "member-actions"},
        h("a", {class: "button", id: "ct-csv", href: `/api/v1/counts/${count.id}/sheet.csv`,
          download: `${count.number || count.id}.csv`}, t("ct_export")),
        h("button", {type: "button", class: "secondary", id: "ct-print", onclick: async () => {
          try {
            await api("POST", `/counts/${count.id}/print`, {});
            TB.toast(t("ct_print_queued"));
          } catch (x) { TB.toast(x.message, "error"); }
        }}, t("ct_print")),
        open ? h("button", {type: "button", class: "secondary", id: "ct-back-count",
          onclick: () => openCount(count)}, t("ct_count_too")) : null,
        open ? h("button", {type: "button", class: "secondary", id: "ct-cancel",
          onclick: async () => {
            const reason = prompt(t("ct_cancel_reason"));
            if (!reason) return;
            try {
              await api("POST", `/counts/${count.id}/cancel`, {reason});
              TB.toast(t("ct_cancelled"));
              show("list");
            } catch (x) { err.textContent = x.message; }
          }}, t("ct_cancel")) : null)].filter(Boolean));
  }

  // -- following the box ---------------------------------------------------------------------
  let refresh = null;
  document.addEventListener("tillbox:event", (e) => {
    if (e.detail.kind !== "count" || $("tab-count").hidden) return;
    const d = e.detail.data || {};
    clearTimeout(refresh);
    refresh = setTimeout(() => {
      if (!$("ct-browse").hidden) loadList();
      // The manager watching the review sees the phones' entries come in.
      else if (!$("ct-review").hidden && count && (!d.id || d.id === count.id ||
               d.count_id === count.id) && count.status === "open") openReview(count);
      else if (!$("ct-count").hidden && count && (d.id === count.id || d.count_id === count.id)
               && d.status && d.status !== "open") openCount(count);
    }, 300);
  });
  document.addEventListener("tillbox:tab", (e) => { if (e.detail === "count") show("list"); });
})();
