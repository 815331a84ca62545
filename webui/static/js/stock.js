/* Stock (库存) on the phone: levels with the low-stock filter, an item's page (movement
 * history, a manager's adjustment, the stock rule, labels, an in-store barcode) and the
 * stock report. Also the pieces the stocktake and receiving screens share (TB.Stock).
 * The server decides who may do what; buttons only follow it. */
"use strict";
(function () {
  const TB = window.TB;
  const {api, h, t, money} = TB;
  const $ = (id) => document.getElementById(id);
  const formDialog = TB.formDialog;
  if (!$("tab-stock")) return;
  const manager = () => TB.atLeast("manager");
  // Manual adjustment reasons (appliance/stock/reasons.py MANUAL), in the order offered.
  const MANUAL = ["damaged", "lost", "gift", "own_use", "count", "opening_stock", "receiving",
                  "transfer_in", "transfer_out", "other"];
  let lowOnly = false;
  let category = "";
  let timer = null;
  let current = null;     // the item whose page is open

  // -- shared pieces ---------------------------------------------------------------------
  const specText = (spec) => (spec && typeof spec === "object" ? Object.values(spec).join(" ")
    : spec || "");
  const itemName = (i) => [i.name, specText(i.spec)].filter(Boolean).join(" · ");
  const key = (pid, vid) => `${pid}:${vid || ""}`;
  const when = (ts) => ts ? new Date(ts).toLocaleString(TB.locale.replace("_", "-"),
    {timeZone: TB.timezone, month: "2-digit", day: "2-digit", hour: "2-digit",
     minute: "2-digit"}) : "";
  const reasonLabel = (r) => (t("rs_" + r) === "rs_" + r ? r : t("rs_" + r));

  // A quantity on screen; below zero it is red and says so in words (not colour alone).
  function qtyNode(n, extra) {
    const neg = typeof n === "number" && n < 0;
    return h("span", {class: "stock-qty" + (neg ? " negative" : "") + (extra ? " " + extra : "")},
      h("b", {}, neg ? "−" + Math.abs(n) : String(n ?? "-")),
      neg ? h("span", {class: "neg-mark"}, t("st_negative")) : null);
  }


  const intOf = (v) => (String(v).trim() === "" ? NaN : Number(v));

  // Labels for items [{product_id, variant_id, name, copies}]: shelf or product labels.
  async function printLabels(items) {
    const form = $("label-form");
    form.reset();
    $("label-items").replaceChildren(...items.map((i, n) => h("li", {class: "label-item"},
      h("span", {class: "name"}, i.name),
      h("label", {}, t("lb_copies"), h("input", {type: "number", min: "0", max: "999",
        name: "copies-" + n, value: String(i.copies ?? 1), inputmode: "numeric"})))));
    $("label-printer").textContent = "";
    api("GET", "/labels/printer").then((p) => {
      $("label-printer").textContent = p.ready === false ?
        t("lb_printer_problem", {why: t("why_no_printer")}) :
        t("lb_printer", {name: p.device || p.backend});
    }).catch(() => {});
    const done = await formDialog("label-dialog", "label-error", (f) => {
      const chosen = items.map((i, n) => ({product_id: i.product_id,
        variant_id: i.variant_id || undefined,
        copies: parseInt(f.elements["copies-" + n].value, 10) || 0})).filter((x) => x.copies > 0);
      if (!chosen.length) return Promise.reject(new Error(t("lb_none")));
      return api("POST", "/labels", {items: chosen, kind: f.elements.kind.value});
    });
    if (done) TB.toast(t("lb_queued"));
    return done;
  }

  // Product choices for a typed text: one button per product, or per spec.
  async function productChoices(text, list, onPick) {
    const q = text.trim();
    if (!q) { list.replaceChildren(); return; }
    const r = await api("GET", "/products?limit=12&q=" + encodeURIComponent(q));
    const rows = [];
    for (const p of r.products) {
      const targets = p.variants.length ? p.variants.map((v) => ({vid: v.id,
        name: `${TB.name(p)} · ${Object.values(v.spec).join(" ")}`, stock: v.stock}))
        : [{vid: "", name: TB.name(p), stock: p.stock}];
      for (const x of targets) {
        rows.push(h("li", {}, h("button", {type: "button", class: "pick secondary",
          onclick: () => onPick(p.id, x.vid, x.name, p)}, x.name)));
      }
    }
    list.replaceChildren(...(rows.length ? rows : [h("li", {class: "empty"}, t("st_none"))]));
  }

  // A barcode -> {product_id, variant_id, name, product}; null when no product has it.
  async function byBarcode(code) {
    try {
      const r = await api("GET", "/products/by-barcode/" + encodeURIComponent(code));
      const p = r.product;
      const v = r.variant_id ? p.variants.find((x) => x.id === r.variant_id) : null;
      return {product_id: p.id, variant_id: r.variant_id || "", product: p,
              name: v ? `${TB.name(p)} · ${Object.values(v.spec).join(" ")}` : TB.name(p)};
    } catch (e) {
      if (e.status === 404) return null;
      throw e;
    }
  }

  TB.Stock = {formDialog, printLabels, productChoices, byBarcode, itemName, specText, key, when,
              qtyNode, reasonLabel};

  // -- the list ----------------------------------------------------------------------------
  async function loadCategories() {
    try {
      const r = await api("GET", "/categories");
      $("st-cat").replaceChildren(h("option", {value: ""}, t("st_all_categories")),
        ...r.categories.map((c) => h("option", {value: c.id}, TB.name(c))));
      $("st-cat").value = category;
    } catch (e) { TB.toast(e.message, "error"); }
  }

  function stockItem(i) {
    const cls = "stock-item" + (i.low ? " low" : "") + (i.qty < 0 ? " negative" : "");
    return h("li", {class: cls, "data-product": i.product_id, "data-variant": i.variant_id || "",
      onclick: () => openItem(i)},
      h("span", {class: "name"}, i.name, i.spec ? h("small", {}, specText(i.spec)) : null),
      h("span", {class: "qty-box"}, qtyNode(i.qty), i.unit ? h("small", {}, i.unit) : null),
      h("span", {class: "meta"}, [i.sku,
        i.low_level ? t("st_low_level", {n: i.low_level}) : null,
        i.value != null ? t("st_value", {v: i.value}) : null].filter(Boolean).join(" · "),
        i.low ? h("span", {class: "badge low"}, t("st_low")) : null));
  }

  async function loadList() {
    const params = new URLSearchParams();
    const q = $("stock-q").value.trim();
    if (q) params.set("q", q);
    if (category) params.set("category", category);
    if (lowOnly) params.set("low", "1");
    try {
      const r = await api("GET", "/stock?" + params);
      $("stock-list").replaceChildren(...(r.items.length ? r.items.map(stockItem) :
        [h("li", {class: "empty"}, lowOnly ? t("st_none_low") : t("st_none"))]));
    } catch (e) { TB.toast(e.message, "error"); }
  }

  async function loadAlerts() {
    try {
      const a = await api("GET", "/stock/alerts");
      for (const id of ["tab-stock-low", "st-low-n"]) {
        $(id).textContent = a.low_stock ? String(a.low_stock) : "";
        $(id).hidden = !a.low_stock;
      }
      $("tab-stock-low").title = t("st_low_n", {n: a.low_stock});
    } catch (e) { /* an older core, or no permission: no badge */ }
  }

  function showFilter() {
    $("st-low").classList.toggle("on", lowOnly);
    $("st-all").classList.toggle("on", !lowOnly);
    $("st-low").setAttribute("aria-pressed", String(lowOnly));
    $("st-all").setAttribute("aria-pressed", String(!lowOnly));
  }
  function setLow(on) {
    lowOnly = on;
    showFilter();
    loadList();
  }
  $("st-all").addEventListener("click", () => setLow(false));
  $("st-low").addEventListener("click", () => setLow(true));
  $("st-cat").addEventListener("change", () => { category = $("st-cat").value; loadList(); });
  $("stock-q").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(loadList, 250);
  });
  $("stock-q").addEventListener("keydown", async (e) => {
    if (e.key !== "Enter") return;
    clearTimeout(timer);
    const v = $("stock-q").value.trim();
    if (/^[0-9]{6,14}$/.test(v)) return openCode(v);
    loadList();
  });
  async function openCode(code) {
    try {
      const found = await byBarcode(code);
      if (!found) return TB.toast(t("scan_not_found", {code}), "error");
      openItem({product_id: found.product_id, variant_id: found.variant_id, name: found.name});
    } catch (e) { TB.toast(e.message, "error"); }
  }
  $("st-scan").addEventListener("click", () => TB.scan && TB.scan(openCode, $("stock-q")));

  function show(which) {
    $("st-browse").hidden = which !== "list";
    $("st-item").hidden = which !== "item";
    $("st-report").hidden = which !== "report";
    if (which === "list") { current = null; loadList(); loadAlerts(); }
    window.scrollTo(0, 0);
  }

  // -- one item's page ---------------------------------------------------------------------
  async function fetchItem(i) {
    const vq = i.variant_id ? "?variant_id=" + encodeURIComponent(i.variant_id) : "";
    return api("GET", `/stock/${encodeURIComponent(i.product_id)}${vq}`);
  }

  async function productOf(pid, hint) {
    const r = await api("GET", "/products?limit=50&q=" + encodeURIComponent(hint || ""));
    return r.products.find((p) => p.id === pid) || null;
  }

  function moveItem(m) {
    const out = m.delta < 0;
    return h("li", {class: "move " + (out ? "out" : "in"), "data-reason": m.reason},
      h("span", {class: "when"}, when(m.ts)),
      h("span", {class: "why"}, m.reason_label || reasonLabel(m.reason),
        m.ref_label || m.ref ? h("small", {}, m.ref_label || m.ref) : null,
        m.note ? h("small", {}, m.note) : null),
      h("span", {class: "delta"}, (out ? "−" : "+") + Math.abs(m.delta)),
      h("span", {class: "after"}, "= ", qtyNode(m.after)));
  }

  async function openItem(row, notice) {
    show("item");
    const box = $("st-item");
    box.replaceChildren(h("p", {class: "hint"}, "…"));
    let i, moves, product;
    try {
      i = await fetchItem(row);
      const vq = i.variant_id ? `variant_id=${encodeURIComponent(i.variant_id)}&` : "";
      [moves, product] = await Promise.all([
        api("GET", `/stock/${i.product_id}/moves?${vq}limit=100`).then((r) => r.moves),
        productOf(i.product_id, i.sku || i.name).catch(() => null)]);
    } catch (e) {
      box.replaceChildren(h("button", {type: "button", class: "link back",
        onclick: () => show("list")}, "‹ ", t("st_back")), h("p", {class: "error"}, e.message));
      return;
    }
    current = i;
    const variant = product && i.variant_id ?
      product.variants.find((v) => v.id === i.variant_id) : null;
    const barcodes = variant ? variant.barcodes : product ? product.barcodes : [];
    const again = (msg) => openItem(i, msg);
    const act = (id, label, fn, cls) => h("button", {type: "button", id,
      class: cls || "secondary", onclick: async () => {
        try {
          const r = await fn();
          if (r) again(typeof r === "string" ? r : null);
        } catch (e) { TB.toast(e.message, "error"); }
      }}, label);
    const actions = [
      act("st-act-label", t("st_print_label"), () => printLabels([{product_id: i.product_id,
        variant_id: i.variant_id, name: itemName(i), copies: 1}]).then(() => null)),
      product && !barcodes.length && manager() ? act("st-act-barcode", t("st_give_barcode"),
        async () => {
          await api("POST", `/products/${i.product_id}/barcode`,
                    i.variant_id ? {variant_id: i.variant_id} : {});
          return t("st_barcode_given");
        }) : null,
      manager() ? act("st-act-adjust", t("st_adjust"), () => adjust(i)
        .then((r) => (r ? t("saved") : null))) : null,
      manager() ? act("st-act-rule", t("st_rule"), () => editRule(i)
        .then((r) => (r ? t("saved") : null))) : null,
      manager() && product && TB.editProduct ? act("st-act-edit", t("st_edit_product"),
        () => { TB.editProduct(product); return null; }) : null,
    ].filter(Boolean);
    const rule = i.rule || {};
    box.replaceChildren(...[
      h("button", {type: "button", class: "link back", onclick: () => show("list")},
        "‹ ", t("st_back")),
      h("div", {class: "stock-card" + (i.low ? " low" : "") + (i.qty < 0 ? " negative" : ""),
        "data-product": i.product_id, "data-variant": i.variant_id || ""},
        h("h2", {}, i.name, i.spec ? h("small", {}, " ", specText(i.spec)) : null),
        h("p", {class: "muted"}, [i.sku, barcodes.length ? barcodes.join(", ") :
          t("st_no_barcode")].filter(Boolean).join(" · ")),
        h("div", {class: "member-stats"},
          h("div", {}, h("span", {}, t("st_on_hand")), h("span", {id: "st-qty"},
            qtyNode(i.qty, "big")), i.unit ? h("small", {}, i.unit) : null),
          h("div", {}, h("span", {}, t("st_low_at")), h("b", {id: "st-low-level"},
            String(i.low_level ?? 0)), i.low ? h("span", {class: "badge low"}, t("st_low"))
            : null)),
        i.qty < 0 ? h("p", {class: "hint error"}, t("st_negative_hint")) : null,
        i.avg_cost != null ? h("p", {class: "muted"}, t("st_cost_value",
          {cost: i.avg_cost, value: i.value ?? "-"})) : null,
        rule.supplier_name || rule.lead_time_days || rule.pack_qty > 1 ?
          h("p", {class: "muted"}, [rule.supplier_name, rule.lead_time_days ?
            t("st_lead", {n: rule.lead_time_days}) : null, rule.pack_qty > 1 ?
            t("st_pack", {n: rule.pack_qty}) : null].filter(Boolean).join(" · ")) : null),
      notice ? h("p", {class: "notice", role: "status"}, notice) : null,
      h("div", {class: "member-actions"}, actions),
      h("h3", {}, t("st_history")),
      h("ul", {class: "moves", id: "st-moves"}, moves.length ? moves.map(moveItem) :
        [h("li", {class: "empty"}, t("m_no_moves"))])].filter(Boolean));
  }

  async function adjust(i) {
    const form = $("adjust-form");
    form.reset();
    $("adjust-who").textContent = `${itemName(i)} · ${t("st_on_hand")} ${i.qty}`;
    $("adjust-reason").replaceChildren(...MANUAL.map((r) =>
      h("option", {value: r}, reasonLabel(r))));
    return formDialog("adjust-dialog", "adjust-error", (f) => {
      const delta = intOf(f.elements.delta.value);
      if (!Number.isInteger(delta) || delta === 0) {
        const err = new Error(t("st_delta_whole"));
        err.field = "delta";
        return Promise.reject(err);
      }
      const body = {delta, reason: f.elements.reason.value, note: f.elements.note.value.trim()};
      if (i.variant_id) body.variant_id = i.variant_id;
      return api("POST", `/stock/${i.product_id}/adjust`, body);
    });
  }

  async function suppliers() {
    try { return (await api("GET", "/suppliers")).suppliers || []; } catch (e) { return []; }
  }

  async function editRule(i) {
    const form = $("stock-rule-form");
    form.reset();
    const rule = i.rule || {};
    $("rule-who").textContent = itemName(i);
    const list = await suppliers();
    $("rule-supplier").replaceChildren(h("option", {value: ""}, "—"),
      ...list.filter((s) => s.active !== false || s.id === rule.supplier_id)
        .map((s) => h("option", {value: s.id}, s.name)));
    form.elements.low_level.value = rule.low_level ?? i.low_level ?? 0;
    form.elements.lead_time_days.value = rule.lead_time_days ?? 0;
    form.elements.pack_qty.value = rule.pack_qty ?? 1;
    form.elements.supplier_id.value = rule.supplier_id || i.supplier_id || "";
    return formDialog("rule-dialog", "rule-error", (f) => {
      const body = {};
      for (const k of ["low_level", "lead_time_days", "pack_qty"]) {
        body[k] = intOf(f.elements[k].value);
        if (!Number.isInteger(body[k])) {
          const err = new Error(t("st_whole_number"));
          err.field = k;
          return Promise.reject(err);
        }
      }
      body.supplier_id = f.elements.supplier_id.value || null;
      if (i.variant_id) body.variant_id = i.variant_id;
      return api("PUT", `/stock/${i.product_id}/rule`, body);
    });
  }

  // -- the stock report (owners and managers) ----------------------------------------------
  async function openReport() {
    show("report");
    const box = $("st-report");
    const back = h("button", {type: "button", class: "link back", onclick: () => show("list")},
      "‹ ", t("st_back"));
    try {
      const r = await api("GET", "/stock/report");
      const slow = r.slow_movers || [];
      box.replaceChildren(back, h("h2", {}, t("st_report")),
        h("div", {class: "member-stats"},
          h("div", {}, h("span", {}, t("st_total_value")), h("b", {id: "st-total-value"},
            money(r.value))),
          h("div", {}, h("span", {}, t("st_items")), h("b", {}, String(r.items ?? "-")))),
        h("h3", {}, t("st_slow_movers")),
        h("ul", {class: "stock-items", id: "st-slow"}, slow.length ? slow.map((s) =>
          h("li", {class: "stock-item", onclick: () => openItem(s)},
            h("span", {class: "name"}, s.name, s.spec ? h("small", {}, specText(s.spec)) : null),
            h("span", {class: "qty-box"}, qtyNode(s.qty)),
            h("span", {class: "meta"}, [s.last_sale ? t("st_last_sale", {d: when(s.last_sale)})
              : t("st_never_sold"), s.value != null ? t("st_value", {v: s.value}) : null]
              .filter(Boolean).join(" · "))))
          : [h("li", {class: "empty"}, t("st_no_slow"))]));
    } catch (e) {
      box.replaceChildren(back, h("p", {class: "error", role: "alert"}, e.message));
    }
  }
  $("st-report-open").addEventListener("click", openReport);

  // -- following the box -------------------------------------------------------------------
  let refresh = null;
  document.addEventListener("tillbox:event", (e) => {
    const kind = e.detail.kind;
    if (!["stock", "order", "count", "purchase_order"].includes(kind)) return;
    // Sales and deliveries move stock: refresh the badge (and the list on screen) shortly.
    clearTimeout(refresh);
    refresh = setTimeout(() => {
      loadAlerts();
      if (!$("tab-stock").hidden && !$("st-browse").hidden) loadList();
    }, 400);
  });
  document.addEventListener("tillbox:product-saved", () => {
    if (current) openItem(current); else loadList();
  });
  document.addEventListener("tillbox:tab", (e) => {
    if (e.detail !== "stock") return;
    $("st-report-open").hidden = !manager();
    if (location.hash === "#stock-low") {
      lowOnly = true;
      history.replaceState(null, "", location.pathname + location.search + "#stock");
    }
    showFilter();
    if (!$("st-cat").options.length) loadCategories();
    show("list");
  });
  loadAlerts();  // the badge on the tab shows from the start
})();
