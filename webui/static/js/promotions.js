/* Promotions (促销) for managers, on the phone: the rules with their live state and switch,
 * a form per kind, a preview on a made-up cart with the draft rule, and member levels.
 * Amounts and percents go to the API as decimal strings, like everywhere else. */
"use strict";
(function () {
  const TB = window.TB;
  const {api, h, t, money} = TB;
  const $ = (id) => document.getElementById(id);
  const form = $("pr-form");
  if (!form) return;
  const F = form.elements;
  let editing = null;         // the rule being edited (null: a new one)
  let categories = [];
  let levels = [];
  const names = new Map();    // "p-..[:v-..]" -> what to call it on screen
  let picked = {cats: new Set(), prods: [], levels: [], days: new Set(), gift: null};
  let previewLines = [];      // [{key, product_id, variant_id, name, qty}]

  const KIND_DEFAULTS = {percent_off: 20, amount_off: 20, fixed_price: 10, multi_buy: 30,
                         threshold: 40, coupon: 50};
  const DAY_KEYS = ["day_1", "day_2", "day_3", "day_4", "day_5", "day_6", "day_7"];

  // -- the list ------------------------------------------------------------------------------
  function summary(r) {
    const tiers = (r.tiers || []).map((x) => r.kind === "topup_bonus" ?
      t("pr_bonus_tier", {min: x.min, bonus: x.bonus}) : t("pr_tier", {min: x.min, off: x.off}));
    const what = {
      percent_off: () => t("pr_percent_sum", {p: r.percent}),
      amount_off: () => t(r.per === "scope" ? "pr_amount_scope_sum" : "pr_amount_unit_sum",
                          {a: r.amount}),
      fixed_price: () => t("pr_price_sum", {p: r.price}),
      threshold: () => tiers.join(" / ") + (r.repeat ? " · " + t("pr_repeat") : ""),
      multi_buy: () => t("pr_multi_sum", {n: r.group_size, k: r.discounted, p: r.percent}),
      coupon: () => (r.codes || []).join(", "),
      topup_bonus: () => tiers.join(" / "),
      points_gift: () => t("m_n_points", {n: r.points}),
    }[r.kind];
    const when = [];
    if (r.valid_from || r.valid_to) {
      when.push(`${(r.valid_from || "").slice(0, 10)} – ${(r.valid_to || "").slice(0, 10)}`);
    }
    if (r.days && r.days.length) when.push(r.days.map((d) => t(DAY_KEYS[d - 1])).join(" "));
    if (r.hours) when.push(r.hours.join("–"));
    return [what ? what() : "", ...when].filter(Boolean).join(" · ");
  }

  async function loadList() {
    let rules;
    try { rules = (await api("GET", "/promotions")).promotions; } catch (e) {
      return TB.toast(e.message, "error");
    }
    $("pr-list").replaceChildren(...(rules.length ? rules.map(ruleItem) :
      [h("li", {class: "empty"}, t("pr_none"))]));
  }

  function ruleItem(r) {
    const state = !r.active ? "off" : r.live ? "live" : "idle";
    const sw = h("input", {type: "checkbox", role: "switch", checked: r.active,
      "aria-label": t("pr_switch"), onchange: async (e) => {
        try {
          await api("POST", `/promotions/${r.id}/switch`, {active: e.target.checked});
          loadList();
        } catch (err) { e.target.checked = !e.target.checked; TB.toast(err.message, "error"); }
      }});
    return h("li", {class: "rule " + state, "data-rule": r.id},
      h("div", {class: "rule-main", onclick: () => openRule(r)},
        h("b", {class: "name"}, TB.name(r)),
        h("span", {class: "badges"},
          h("span", {class: "badge " + state}, t("pr_state_" + state)),
          h("span", {class: "badge"}, t(r.source === "head_office" ? "pr_head_office" :
            "pr_shop")),
          h("span", {class: "badge kind"}, t("kind_" + r.kind))),
        h("span", {class: "summary"}, summary(r))),
      h("label", {class: "switch"}, sw, h("span", {class: "slider"})));
  }

  // -- pickers ---------------------------------------------------------------------------
  async function loadRefs() {
    const [cats, lv, prods] = await Promise.all([api("GET", "/categories"),
      api("GET", "/member-levels").catch(() => ({levels: []})),
      api("GET", "/products?limit=200").catch(() => ({products: []}))]);
    categories = cats.categories;
    levels = lv.levels || lv.member_levels || [];
    for (const p of prods.products) remember(p);
  }

  function remember(p) {
    names.set(p.id, TB.name(p));
    for (const v of p.variants || []) {
      names.set(`${p.id}:${v.id}`, `${TB.name(p)} ${Object.values(v.spec).join(" ")}`);
    }
  }

  // Products and their specs matching `q`, as buttons calling onPick(key, name, price).
  async function productChoices(q, list, onPick) {
    if (!q.trim()) { list.replaceChildren(); return; }
    const r = await api("GET", "/products?limit=20&q=" + encodeURIComponent(q.trim()));
    const rows = [];
    for (const p of r.products) {
      remember(p);
      rows.push(h("li", {}, h("button", {type: "button", class: "pick",
        onclick: () => onPick(p.id, "", names.get(p.id))}, TB.name(p),
        h("small", {}, money(p.price)))));
      for (const v of p.variants || []) {
        const key = `${p.id}:${v.id}`;
        rows.push(h("li", {}, h("button", {type: "button", class: "pick variant-pick",
          onclick: () => onPick(p.id, v.id, names.get(key))}, names.get(key),
          h("small", {}, money(v.price)))));
      }
    }
    list.replaceChildren(...(rows.length ? rows : [h("li", {class: "empty"}, "—")]));
  }

  function toggleChip(label, on, onclick, attrs) {
    return h("button", {type: "button", class: "chip" + (on ? " on" : ""),
      "aria-pressed": on ? "true" : "false", onclick, ...(attrs || {})}, label);
  }

  function renderPickers() {
    $("pr-cats").replaceChildren(...categories.map((c) => toggleChip(TB.name(c),
      picked.cats.has(c.id), () => { toggle(picked.cats, c.id); renderPickers(); },
      {"data-cat": c.id})));
    $("pr-prods").replaceChildren(...picked.prods.map((key) => h("span", {class: "chip on"},
      names.get(key) || key, h("button", {type: "button", class: "link",
        "aria-label": t("remove"), onclick: () => {
          picked.prods = picked.prods.filter((k) => k !== key); renderPickers();
        }}, "×"))));
    const lv = picked.levels;
    $("pr-levels").replaceChildren(
      toggleChip(t("pr_everyone"), !lv.length, () => { picked.levels = []; renderPickers(); }),
      toggleChip(t("pr_any_member"), lv.includes("*"),
        () => { picked.levels = ["*"]; renderPickers(); }),
      ...levels.map((l) => toggleChip(TB.name(l), lv.includes(l.id), () => {
        const set = new Set(lv.filter((x) => x !== "*"));
        toggle(set, l.id);
        picked.levels = [...set];
        renderPickers();
      })));
    $("pr-days").replaceChildren(...DAY_KEYS.map((k, i) => toggleChip(t(k),
      picked.days.has(i + 1), () => { toggle(picked.days, i + 1); renderPickers(); })));
    $("pr-gift").replaceChildren(picked.gift ? h("span", {class: "chip on"},
      names.get(picked.gift) || picked.gift) : h("span", {class: "hint"}, t("pr_pick_gift")));
  }
  const toggle = (set, v) => (set.has(v) ? set.delete(v) : set.add(v));

  let pickTimer = null;
  const debounced = (fn) => () => { clearTimeout(pickTimer); pickTimer = setTimeout(fn, 250); };
  $("pr-prod-q").addEventListener("input", debounced(() => productChoices($("pr-prod-q").value,
    $("pr-prod-results"), (pid, vid) => {
      const key = vid ? `${pid}:${vid}` : pid;
      if (!picked.prods.includes(key)) picked.prods.push(key);
      $("pr-prod-q").value = "";
      $("pr-prod-results").replaceChildren();
      renderPickers();
    }).catch((e) => TB.toast(e.message, "error"))));
  $("pr-gift-q").addEventListener("input", debounced(() => productChoices($("pr-gift-q").value,
    $("pr-gift-results"), (pid, vid) => {
      picked.gift = vid ? `${pid}:${vid}` : pid;
      $("pr-gift-q").value = "";
      $("pr-gift-results").replaceChildren();
      renderPickers();
    }).catch((e) => TB.toast(e.message, "error"))));

  // -- tiers ---------------------------------------------------------------------------------
  function tierRow(tier) {
    const bonus = F.kind.value === "topup_bonus";
    return h("div", {class: "tier"},
      h("label", {}, t("pr_tier_min"), h("input", {class: "tier-min", inputmode: "decimal",
        autocomplete: "off", value: tier ? tier.min : ""})),
      h("label", {}, bonus ? t("pr_tier_bonus") : t("pr_tier_off"), h("input", {
        class: "tier-off", inputmode: "decimal", autocomplete: "off",
        value: tier ? (bonus ? tier.bonus : tier.off) : ""})),
      h("button", {type: "button", class: "link", "aria-label": t("remove"),
        onclick: (e) => e.target.closest(".tier").remove()}, "×"));
  }
  $("pr-add-tier").addEventListener("click", () => $("pr-tiers").append(tierRow(null)));

  function showKind() {
    const kind = F.kind.value;
    form.querySelectorAll("fieldset[data-kind]").forEach((fs) => {
      fs.hidden = !fs.dataset.kind.split(" ").includes(kind);
    });
    F.priority.placeholder = KIND_DEFAULTS[kind] != null ?
      t("pr_default_n", {n: KIND_DEFAULTS[kind]}) : "";
    // Tier labels differ between 满减 and 充值送: rebuild them keeping what was typed.
    const tiers = readTiers();
    $("pr-tiers").replaceChildren(...(tiers.length ? tiers : [null]).map(tierRow));
    $("pr-preview-box").hidden = ["topup_bonus", "points_gift"].includes(kind);
  }
  F.kind.addEventListener("change", showKind);

  function readTiers() {
    const bonus = F.kind.value === "topup_bonus";
    return [...$("pr-tiers").querySelectorAll(".tier")].map((row) => ({
      min: row.querySelector(".tier-min").value.trim(),
      [bonus ? "bonus" : "off"]: row.querySelector(".tier-off").value.trim()}))
      .filter((x) => x.min || x.off || x.bonus);
  }

  // -- form <-> rule JSON ------------------------------------------------------------------
  // The shop's UTC offset at a shop-local time ("+08:00"), so validity is shop time.
  function shopOffset(local) {
    try {
      const part = new Intl.DateTimeFormat("en-US", {timeZone: TB.timezone,
        timeZoneName: "longOffset"}).formatToParts(new Date(local + ":00Z"))
        .find((p) => p.type === "timeZoneName").value;
      const m = /GMT([+-]\d{2}:\d{2})?/.exec(part);
      return m && m[1] ? m[1] : "+00:00";
    } catch (e) { return "+08:00"; }
  }
  const isoOf = (local) => (local ? `${local}:00${shopOffset(local)}` : null);
  const num = (v, dflt) => (v === "" || v == null ? dflt : Number(v));

  function draft() {
    const kind = F.kind.value;
    const r = {name: F.name.value.trim(), name_en: F.name_en.value.trim(), kind,
      active: F.active.checked, group: F.group.value.trim(),
      valid_from: isoOf(F.valid_from.value), valid_to: isoOf(F.valid_to.value),
      days: [...picked.days].sort(), levels: picked.levels,
      hours: F.hour_from.value && F.hour_to.value ? [F.hour_from.value, F.hour_to.value] : null,
      categories: [...picked.cats], products: picked.prods};
    if (F.priority.value !== "") r.priority = Number(F.priority.value);
    if (editing) r.id = editing.id;
    const pct = F.percent.value.trim() || "0", amt = F.amount.value.trim() || "0";
    Object.assign(r, {
      percent_off: () => ({percent: pct}),
      amount_off: () => ({amount: amt, per: F.per.value}),
      fixed_price: () => ({price: F.price.value.trim()}),
      threshold: () => ({tiers: readTiers(), repeat: F.repeat.checked,
                         cap: F.cap.value.trim() || "0"}),
      multi_buy: () => ({group_size: num(F.group_size.value, 2),
                         discounted: num(F.discounted.value, 1), percent: pct}),
      coupon: () => ({codes: F.codes.value.split(/[,，\s]+/).filter(Boolean),
                      min_spend: F.min_spend.value.trim() || "0", percent: pct, amount: amt,
                      max_uses: num(F.max_uses.value, 0),
                      max_uses_per_member: num(F.max_uses_per_member.value, 0)}),
      topup_bonus: () => ({tiers: readTiers()}),
      points_gift: () => {
        const [pid, vid] = (picked.gift || "").split(":");
        return {product_id: pid || "", variant_id: vid || "", points: num(F.points.value, 0)};
      },
    }[kind]());
    if (["topup_bonus", "points_gift"].includes(kind)) {
      r.categories = []; r.products = [];
    }
    return r;
  }

  function fill(r) {
    form.reset();
    for (const k of ["name", "name_en", "group", "per", "price", "amount", "percent", "cap",
                     "min_spend", "max_uses", "max_uses_per_member", "points", "group_size",
                     "discounted"]) {
      if (r[k] != null && F[k]) F[k].value = r[k];
    }
    F.kind.value = r.kind || "threshold";
    F.priority.value = r.priority != null && editing ? r.priority : "";
    F.active.checked = r.active !== false;
    F.repeat.checked = !!r.repeat;
    F.codes.value = (r.codes || []).join(", ");
    F.valid_from.value = (r.valid_from || "").slice(0, 16);
    F.valid_to.value = (r.valid_to || "").slice(0, 16);
    F.hour_from.value = r.hours ? r.hours[0] : "";
    F.hour_to.value = r.hours ? r.hours[1] : "";
    picked = {cats: new Set(r.categories || []), prods: [...(r.products || [])],
      levels: [...(r.levels || [])], days: new Set(r.days || []),
      gift: r.product_id ? (r.variant_id ? `${r.product_id}:${r.variant_id}` : r.product_id)
        : null};
    $("pr-tiers").replaceChildren();
    showKind();
    $("pr-tiers").replaceChildren(...((r.tiers || []).length ? r.tiers : [null]).map(tierRow));
    renderPickers();
  }

  async function openRule(r) {
    editing = r;
    try { await loadRefs(); } catch (e) { return TB.toast(e.message, "error"); }
    fill(r || {kind: "threshold", active: true, repeat: false});
    const readOnly = !!r && r.source === "head_office";
    $("pr-title").textContent = r ? TB.name(r) : t("pr_new");
    $("pr-readonly").hidden = !readOnly;
    form.querySelectorAll("input, select, textarea, fieldset button").forEach((n) => {
      if (!n.closest("#pr-preview-box")) n.disabled = readOnly;
    });
    $("pr-save").hidden = readOnly;
    $("pr-error").textContent = "";
    previewLines = [];
    renderPreviewLines();
    $("pv-result").replaceChildren();
    show("form");
  }

  function show(which) {
    $("pr-browse").hidden = which !== "list";
    form.hidden = which !== "form";
    $("lv-box").hidden = which !== "levels";
    window.scrollTo(0, 0);
    if (which === "list") loadList();
  }

  function showError(err, box) {
    box.textContent = err.message;
    form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
    const name = (err.field || "").split(/[.[]/)[0];
    const el = name && form.elements[name];
    if (el && el.setAttribute) el.setAttribute("aria-invalid", "true");
    box.scrollIntoView({block: "center"});
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const r = draft();
    delete r.id;
    $("pr-save").disabled = true;
    try {
      if (editing) await api("PUT", "/promotions/" + editing.id, r);
      else await api("POST", "/promotions", r);
      TB.toast(t("saved"));
      show("list");
    } catch (err) {
      showError(err, $("pr-error"));
    } finally { $("pr-save").disabled = false; }
  });
  form.querySelectorAll("[data-back]").forEach((b) => b.addEventListener("click",
    () => show("list")));
  $("pr-new").addEventListener("click", () => openRule(null));

  // -- preview ------------------------------------------------------------------------------
  function renderPreviewLines() {
    $("pv-lines").replaceChildren(...previewLines.map((l, i) => h("li", {class: "line"},
      h("span", {class: "name"}, l.name),
      h("span", {class: "qty"},
        h("button", {type: "button", "aria-label": "-", onclick: () => {
          l.qty -= 1;
          if (l.qty <= 0) previewLines.splice(i, 1);
          renderPreviewLines();
        }}, "−"),
        h("b", {}, l.qty),
        h("button", {type: "button", "aria-label": "+", onclick: () => {
          l.qty += 1; renderPreviewLines();
        }}, "+")),
      h("span", {class: "price"}, money(TB.yuan(l.price * l.qty))))));
  }
  $("pv-q").addEventListener("input", debounced(() => productChoices($("pv-q").value,
    $("pv-results"), async (pid, vid, name) => {
      const key = vid ? `${pid}:${vid}` : pid;
      const found = previewLines.find((l) => l.key === key);
      if (found) found.qty += 1;
      else {
        const p = (await api("GET", "/products?limit=20&q=" +
          encodeURIComponent($("pv-q").value.trim()))).products.find((x) => x.id === pid);
        const v = p && vid ? p.variants.find((x) => x.id === vid) : null;
        previewLines.push({key, product_id: pid, variant_id: vid, name, qty: 1,
                           price: TB.fen(v ? v.price : p ? p.price : "0")});
      }
      $("pv-q").value = "";
      $("pv-results").replaceChildren();
      renderPreviewLines();
    }).catch((e) => TB.toast(e.message, "error"))));

  $("pv-run").addEventListener("click", async () => {
    const box = $("pv-result");
    box.replaceChildren();
    if (!previewLines.length) {
      box.append(h("p", {class: "error"}, t("pv_add_products")));
      return;
    }
    const body = {rule: draft(), lines: previewLines.map((l) => ({product_id: l.product_id,
      variant_id: l.variant_id || "", qty: l.qty}))};
    try {
      const phone = $("pv-member").value.trim();
      if (phone) {
        const m = await TB.Members.lookup(phone);
        if (!m) throw new Error(t("m_none_found"));
        body.member_id = m.id;
      }
      const coupon = $("pv-coupon").value.trim();
      if (coupon) body.coupons = [coupon];
      const r = await api("POST", "/promotions/preview", body);
      const adj = h("ul", {class: "adjustments"});
      TB.renderAdjustments(adj, r);
      // Line ids of a preview are "l1", "l2", ... in the order sent.
      const nets = previewLines.map((l, i) => {
        const x = (r.lines || {})["l" + (i + 1)];
        return h("p", {class: "row"}, h("span", {}, `${l.name} × ${l.qty}`),
          h("span", {class: "price"}, x && TB.fen(x.discount) ?
            [h("s", {}, money(TB.yuan(l.price * l.qty))), " ", money(x.net)] :
            money(x ? x.net : TB.yuan(l.price * l.qty))));
      });
      box.replaceChildren(h("div", {class: "preview-result"}, ...nets,
        h("p", {class: "row"}, h("span", {}, t("subtotal")), h("span", {class: "price"},
          money(r.subtotal))),
        adj,
        (r.adjustments || []).length ? null : h("p", {class: "hint"}, t("pv_no_discount")),
        h("p", {class: "row total"}, h("span", {}, t("total")), h("strong", {class: "price",
          id: "pv-total"}, money(r.total)))));
    } catch (err) {
      box.replaceChildren(h("p", {class: "error", role: "alert"}, err.message));
    }
  });

  // -- member levels -------------------------------------------------------------------------
  function levelCard(l) {
    const excluded = new Set(l.excluded_categories || []);
    const field = (name, label, attrs) => h("label", {}, label, h("input", {name,
      value: l[name] ?? "", autocomplete: "off", ...(attrs || {})}));
    const err = h("p", {class: "error", role: "alert"});
    const cats = h("div", {class: "chips wrap"});
    const drawCats = () => cats.replaceChildren(...categories.map((c) => toggleChip(TB.name(c),
      excluded.has(c.id), () => { toggle(excluded, c.id); drawCats(); })));
    drawCats();
    const card = h("form", {class: "level-card", "data-level": l.id || "new",
      onsubmit: async (e) => {
        e.preventDefault();
        const el = e.target.elements;
        const body = {name: el.name.value.trim(), name_en: el.name_en.value.trim(),
          discount_percent: el.discount_percent.value.trim() || "0",
          points_per_yuan: el.points_per_yuan.value.trim() || "0",
          sort: num(el.sort.value, 0), active: el.active.checked,
          excluded_categories: [...excluded]};
        try {
          if (l.id) await api("PUT", "/member-levels/" + l.id, body);
          else await api("POST", "/member-levels", body);
          TB.toast(t("saved"));
          openLevels();
        } catch (x) { err.textContent = x.message; }
      }},
      h("div", {class: "two"}, field("name", t("name"), {required: true, maxlength: 20}),
        field("name_en", t("name_en"), {maxlength: 20})),
      h("div", {class: "two"},
        field("discount_percent", t("lv_discount"), {inputmode: "decimal"}),
        field("points_per_yuan", t("lv_points_per_yuan"), {inputmode: "decimal"})),
      h("div", {class: "two"}, field("sort", t("lv_sort"), {type: "number"}),
        h("label", {class: "check"}, h("input", {type: "checkbox", name: "active",
          checked: l.active !== false}), t("lv_active"))),
      h("p", {class: "hint"}, t("lv_excluded")), cats, err,
      h("button", {type: "submit", class: "primary wide"}, t("save")));
    return card;
  }

  async function openLevels() {
    try {
      await loadRefs();
    } catch (e) { return TB.toast(e.message, "error"); }
    $("lv-list").replaceChildren(...levels.map(levelCard));
    show("levels");
  }
  $("lv-open").addEventListener("click", openLevels);
  $("lv-new").addEventListener("click", () => {
    $("lv-list").append(levelCard({name: "", discount_percent: "0", points_per_yuan: "1",
                                   sort: levels.length + 1, active: true}));
  });
  $("lv-box").querySelector("[data-back]").addEventListener("click", () => show("list"));

  document.addEventListener("tillbox:tab", (e) => { if (e.detail === "promos") show("list"); });
})();
