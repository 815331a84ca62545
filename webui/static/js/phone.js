/* Phone order entry (手机开单): search or scan, pick a spec, build the cart, park it. */
"use strict";
(function () {
  const TB = window.TB;
  const {api, h, t, money} = TB;
  const $ = (id) => document.getElementById(id);
  const KEY = "tillbox.phone.order";
  let order = null;          // the order being built on this phone
  let category = null;
  let searchTimer = null;
  let filledFor = undefined;  // the order whose customer fields are on screen

  // -- the current order ---------------------------------------------------------------
  let opening = null;  // two quick scans must not open two orders
  async function ensureOrder() {
    if (order && order.status === "open") return order;
    if (!opening) {
      opening = api("POST", "/orders", {}).then((o) => {
        order = o;
        localStorage.setItem(KEY, o.id);
        return o;
      }).finally(() => { opening = null; });
    }
    return opening;
  }

  async function loadOrder() {
    const id = localStorage.getItem(KEY);
    if (!id) return;
    try {
      const o = await api("GET", "/orders/" + id);
      order = o.status === "open" ? o : null;
    } catch (e) { order = null; }
    if (!order) localStorage.removeItem(KEY);
  }

  async function addItem(body) {
    try {
      await ensureOrder();
      order = await api("POST", `/orders/${order.id}/lines`, body);
      TB.toast(t("added"));
      renderCart();
    } catch (e) {
      if (e.field === "variant_id" && body.product_id) return;  // picker handles it
      TB.toast(e.message, "error");
    }
  }

  // -- products ----------------------------------------------------------------------------
  const canEdit = () => TB.me && (TB.me.role === "manager" || TB.me.role === "owner");

  function productItem(p, withStock) {
    const stock = p.stock_tracked && p.stock != null ? `${t("stock")} ${p.stock}` : "";
    return h("li", {class: "product", onclick: () => (withStock && canEdit() ?
        editProduct(p) : pick(p))},
      h("span", {class: "name"}, TB.locale.startsWith("en") && p.name_en ? p.name_en : p.name),
      h("span", {class: "meta"}, p.variants.length ? p.variants.length + " × " + t("choose_spec")
        : stock),
      h("span", {class: "price"}, money(p.price)),
      withStock && p.variants.length ? h("ul", {class: "variant-stock"},
        p.variants.map((v) => h("li", {}, Object.values(v.spec).join(" "), " · ",
          `${t("stock")} ${v.stock ?? "-"}`))) : null);
  }

  async function search(q, target, withStock) {
    const params = new URLSearchParams({limit: "60"});
    if (q) params.set("q", q);
    if (category && !withStock) params.set("category", category);
    const r = await api("GET", "/products?" + params);
    $(target).replaceChildren(...r.products.map((p) => productItem(p, withStock)));
  }

  function pick(p) {
    if (!p.variants.length) return addItem({product_id: p.id, qty: 1});
    $("variant-title").textContent = TB.locale.startsWith("en") && p.name_en ? p.name_en : p.name;
    $("variant-qty").value = 1;
    $("variants").replaceChildren(...p.variants.map((v) => h("button", {
      type: "button", class: "variant",
      onclick: () => {
        $("variant-dialog").close();
        addItem({product_id: p.id, variant_id: v.id,
                 qty: parseInt($("variant-qty").value, 10) || 1});
      }}, Object.values(v.spec).join(" "), h("small", {}, money(v.price)),
      v.stock != null ? h("small", {}, `${t("stock")} ${v.stock}`) : null)));
    $("variant-dialog").showModal();
  }

  async function loadCategories() {
    const r = await api("GET", "/categories");
    const chip = (id, name) => h("button", {type: "button", class: "chip" +
      (category === id ? " on" : ""), onclick: () => { category = id; loadCategories();
        search($("q").value.trim(), "products"); }}, name);
    $("categories").replaceChildren(chip(null, t("all")),
      ...r.categories.map((c) => chip(c.id, TB.locale.startsWith("en") && c.name_en ?
        c.name_en : c.name)));
  }

  // A scanner wedge or a typed code ends with Enter: treat an all-digit entry as a barcode.
  $("q").addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return;
    const v = $("q").value.trim();
    if (/^[0-9]{6,14}$/.test(v)) { addItem({barcode: v}); $("q").value = ""; }
  });
  $("q").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => search($("q").value.trim(), "products"), 250);
  });

  // -- camera scanning -------------------------------------------------------------------
  // BarcodeDetector where the browser has it (Chrome on Android); elsewhere the vendored
  // zxing decoder, loaded only now. Cameras need a secure context (HTTPS or localhost).
  async function scanWithZxing(video, done) {
    if (!window.ZXing) await TB.loadScript("/static/vendor/zxing/zxing.min.js");
    const reader = new window.ZXing.BrowserMultiFormatReader();
    const result = await reader.decodeOnceFromVideoDevice(undefined, video);
    reader.reset();
    done(result.getText());
  }

  // Product barcodes and member cards (EAN, Code 128, QR) through the one camera view.
  async function startScan(onCode, typeInto) {
    if (!window.isSecureContext || !navigator.mediaDevices) {
      TB.toast(t("scan_unavailable"), "error");
      typeInto.focus();
      return;
    }
    const video = $("camera");
    video.hidden = false;
    const found = (code) => { video.hidden = true; onCode(code); };
    try {
      if (!("BarcodeDetector" in window)) return await scanWithZxing(video, found);
      const wanted = ["ean_13", "ean_8", "code_128", "qr_code"];
      const supported = await window.BarcodeDetector.getSupportedFormats().catch(() => wanted);
      const formats = wanted.filter((f) => supported.includes(f));
      const detector = new window.BarcodeDetector({formats: formats.length ? formats : wanted});
      const stream = await navigator.mediaDevices.getUserMedia(
        {video: {facingMode: "environment"}});
      video.srcObject = stream;
      await video.play();
      const stop = () => { stream.getTracks().forEach((tr) => tr.stop()); video.hidden = true; };
      video.onclick = stop;
      const tick = async () => {
        if (video.hidden) return;
        const codes = await detector.detect(video).catch(() => []);
        if (codes.length) { stop(); found(codes[0].rawValue); return; }
        requestAnimationFrame(tick);
      };
      tick();
    } catch (e) {
      video.hidden = true;
      TB.toast(t("scan_unavailable"), "error");
    }
  }
  $("scan").addEventListener("click", () => startScan((code) => addItem({barcode: code}), $("q")));
  TB.scan = startScan;  // the stock, stocktake and receiving screens scan through it too

  // -- the cart ----------------------------------------------------------------------------
  function renderCart() {
    const lines = order ? order.lines : [];
    $("cart-number").textContent = order ? order.number : t("new_order");
    $("cart-count").textContent = lines.length ? `× ${lines.reduce((n, l) => n + l.qty, 0)}` : "";
    $("cart-total").textContent = money(order ? (order.due ?? order.subtotal) : "0.00");
    $("cart-due").textContent = $("cart-total").textContent;
    $("lines").replaceChildren(...(lines.length ? lines.map(lineItem) :
      [h("li", {class: "empty"}, t("cart_empty"))]));
    renderAdjustments($("adjustments"), order);
    renderMember();
    $("coupons").replaceChildren(...(order && order.coupons || []).map((code) =>
      h("span", {class: "chip on coupon"}, code, h("button", {type: "button", class: "link",
        "aria-label": t("remove"), onclick: () => removeCoupon(code)}, "×"))));
    $("park").disabled = !lines.length;
    $("cancel-order").hidden = !order;
    // Fill the customer fields only when another order comes on screen, never while
    // someone is typing into them (a save of one field re-renders the cart).
    const id = order ? order.id : null;
    if (id !== filledFor) {
      filledFor = id;
      $("c-name").value = order ? order.customer.name : "";
      $("c-phone").value = order ? order.customer.phone : "";
      $("c-note").value = order ? order.note : "";
    }
    // issue 10: delivery or pick-up of this order (js/delivery_panel.js)
    if (TB.DeliveryPanel) {
      TB.DeliveryPanel.render($("delivery-panel"), order, ensureOrder,
        (o) => { order = o.status === "open" ? o : null; renderCart(); });
    }
    if (TB.SerialsPanel) {   // issue 10: serial numbers of serialised goods (js/serials_panel.js)
      TB.SerialsPanel.render($("serials-panel"), order, () => api("GET", "/orders/" + order.id)
        .then((o) => { order = o; renderCart(); }).catch((e) => TB.toast(e.message, "error")));
    }
  }

  function lineItem(l) {
    const setQty = (q) => async () => {
      try {
        order = q > 0 ? await api("PATCH", `/orders/${order.id}/lines/${l.id}`, {qty: q})
                      : await api("DELETE", `/orders/${order.id}/lines/${l.id}`);
        renderCart();
      } catch (e) { TB.toast(e.message, "error"); }
    };
    return h("li", {class: "line"},
      h("span", {class: "name"}, l.name, l.spec ? h("small", {}, l.spec) : null),
      h("span", {class: "qty"},
        h("button", {type: "button", "aria-label": "-", onclick: setQty(l.qty - 1)}, "−"),
        h("b", {}, l.qty),
        h("button", {type: "button", "aria-label": "+", onclick: setQty(l.qty + 1)}, "+")),
      h("span", {class: "price"}, money(l.amount)));
  }

  $("cart-toggle").addEventListener("click", () => { $("cart-body").hidden = !$("cart-body").hidden; });

  // -- member, coupons and discount lines of the cart --------------------------------------
  // Discount explanation lines (满减, 会员折扣, coupons, round-off), priced by the server.
  function renderAdjustments(list, o) {
    const adj = o && o.adjustments || [];
    list.replaceChildren(...adj.map((a) => h("li", {class: "adjustment " + (a.kind || "")},
      h("span", {class: "label"}, a.label === "round_off" ? t("round_off") : a.label),
      h("span", {class: "price"}, a.amount))));
  }
  TB.renderAdjustments = renderAdjustments;

  let shownMember;  // the member row is rebuilt only when the attached member changes
  function renderMember() {
    const m = order && order.member;
    const key = m ? `${m.id}:${m.points}:${m.balance}:${m.level_name}` : null;
    if (key === shownMember) return;
    shownMember = key;
    if (m) {
      $("cart-member").replaceChildren(TB.Members.chip(m, () => attachMember(null)));
      return;
    }
    const code = h("input", {id: "cm-code", type: "search", inputmode: "tel", autocomplete: "off",
      enterkeyhint: "search", placeholder: t("m_phone_or_card"),
      "aria-label": t("m_phone_or_card")});
    const choices = h("div", {id: "cm-choices"});
    const findIt = async () => {
      try {
        const list = await TB.Members.resolve(code.value);
        if (list.length === 1 && (list[0].phone === code.value.trim() ||
                                  list[0].card_code === code.value.trim())) {
          return attachMember(list[0].id);
        }
        choices.replaceChildren(TB.Members.choices(list, (m) => attachMember(m.id)));
      } catch (e) { TB.toast(e.message, "error"); }
    };
    code.addEventListener("keydown", (e) => { if (e.key === "Enter") findIt(); });
    $("cart-member").replaceChildren(h("div", {class: "searchrow"}, code,
      h("button", {type: "button", id: "cm-find", class: "secondary", onclick: findIt},
        t("m_find")),
      h("button", {type: "button", id: "cm-new", class: "secondary", onclick: async () => {
        const v = code.value.trim();
        const made = await TB.Members.signUp(/^[0-9+ -]{5,}$/.test(v) ? {phone: v} : {name: v});
        if (made) attachMember(made.id);
      }}, t("m_sign_up"))), choices);
  }

  async function attachMember(memberId) {
    try {
      await ensureOrder();
      order = await api("PUT", `/orders/${order.id}/member`, {member_id: memberId});
      if (memberId) TB.toast(t("m_attached", {name: order.member ? order.member.name : ""}));
      renderCart();
    } catch (e) { TB.toast(e.message, "error"); }
  }

  async function addCoupon() {
    const code = $("coupon-code").value.trim();
    if (!code) return;
    try {
      await ensureOrder();
      order = await api("POST", `/orders/${order.id}/coupons`, {code});
      $("coupon-code").value = "";
      renderCart();
    } catch (e) { TB.toast(e.message, "error"); }
  }
  async function removeCoupon(code) {
    try {
      order = await api("DELETE", `/orders/${order.id}/coupons/${encodeURIComponent(code)}`);
      renderCart();
    } catch (e) { TB.toast(e.message, "error"); }
  }
  $("coupon-add").addEventListener("click", addCoupon);
  $("coupon-code").addEventListener("keydown", (e) => { if (e.key === "Enter") addCoupon(); });

  // -- the members tab ---------------------------------------------------------------------
  let memberTimer = null;
  async function memberSearch() {
    const q = $("m-q").value.trim();
    if (!q) { $("m-results").replaceChildren(); return; }
    try {
      const list = await TB.Members.resolve(q);
      $("m-results").replaceChildren(TB.Members.choices(list, (m) => showMember(m.id)));
    } catch (e) { TB.toast(e.message, "error"); }
  }
  async function showMember(id) {
    $("m-browse").hidden = true;
    $("m-detail").hidden = false;
    try {
      await TB.Members.detail($("m-detail"), id, {
        onBack: () => {
          $("m-detail").hidden = true;
          $("m-browse").hidden = false;
          memberSearch();
        },
        onAttach: async (m) => {
          await attachMember(m.id);
          showTab("entry");
          $("cart-body").hidden = false;
        }});
    } catch (e) { TB.toast(e.message, "error"); }
  }
  $("m-q").addEventListener("input", () => {
    clearTimeout(memberTimer);
    memberTimer = setTimeout(memberSearch, 300);
  });
  $("m-q").addEventListener("keydown", async (e) => {
    if (e.key !== "Enter") return;
    clearTimeout(memberTimer);
    const list = await TB.Members.resolve($("m-q").value).catch(() => []);
    if (list.length === 1) showMember(list[0].id); else memberSearch();
  });
  $("m-scan").addEventListener("click", () => startScan(async (code) => {
    const m = await TB.Members.lookup(code).catch(() => null);
    if (m) showMember(m.id);
    else { $("m-q").value = code; memberSearch(); }
  }, $("m-q")));
  $("m-new").addEventListener("click", async () => {
    const v = $("m-q").value.trim();
    const made = await TB.Members.signUp(/^[0-9+ -]{5,}$/.test(v) ? {phone: v} : {name: v});
    if (made) showMember(made.id);
  });

  async function saveCustomer() {
    if (!order) return;
    try {
      order = await api("PATCH", "/orders/" + order.id, {customer_name: $("c-name").value,
        customer_phone: $("c-phone").value, note: $("c-note").value});
    } catch (e) { TB.toast(e.message, "error"); }
  }
  ["c-name", "c-phone", "c-note"].forEach((id) => $(id).addEventListener("change", saveCustomer));

  $("park").addEventListener("click", async () => {
    try {
      await saveCustomer();
      order = await api("POST", `/orders/${order.id}/park`, {});
      $("parked-number").textContent = order.number;
      $("parked-qr").src = `/api/v1/orders/${order.id}/qr.svg`;
      $("parked-dialog").showModal();
      localStorage.removeItem(KEY);
    } catch (e) { TB.toast(e.message, "error"); }
  });
  $("parked-close").addEventListener("click", () => {
    $("parked-dialog").close();
    order = null;
    renderCart();
  });
  $("cancel-order").addEventListener("click", async () => {
    const reason = prompt(t("cancel_reason"));
    if (!reason) return;
    try {
      await api("POST", `/orders/${order.id}/cancel`, {reason});
      order = null;
      localStorage.removeItem(KEY);
      renderCart();
    } catch (e) { TB.toast(e.message, "error"); }
  });
  $("variant-close").addEventListener("click", () => $("variant-dialog").close());

  // -- adding and editing products (managers) ---------------------------------------------
  let editing = null;
  async function editProduct(p) {
    editing = p;
    const f = $("product-form");
    const cats = (await api("GET", "/categories")).categories;
    $("product-category").replaceChildren(h("option", {value: ""}, "—"),
      ...cats.map((c) => h("option", {value: c.id}, c.name)));
    $("product-title").textContent = p ? p.name : t("new_product");
    $("product-error").textContent = "";
    f.elements.stock.defaultValue = "";
    f.reset();
    if (p) {
      for (const k of ["name", "name_en", "description", "unit", "price", "cost"]) {
        f.elements[k].value = p[k] ?? "";
      }
      f.elements.category_id.value = p.category_id || "";
      f.elements.barcodes.value = p.barcodes.join(", ");
      f.elements.stock.value = f.elements.stock.defaultValue = p.stock ?? "";
      f.elements.specs.value = p.variants.map((v) => [Object.entries(v.spec).map(
        ([k, x]) => `${k}=${x}`).join(";"), v.price_override || "", v.barcodes.join(","),
        v.stock ?? ""].join(" | ")).join("\n");
    }
    $("product-dialog").showModal();
  }

  function productBody(f) {
    const codes = (s) => s.split(/[,，\s]+/).filter(Boolean);
    const body = {name: f.elements.name.value, name_en: f.elements.name_en.value,
      description: f.elements.description.value, unit: f.elements.unit.value,
      price: f.elements.price.value.trim(), category_id: f.elements.category_id.value || null,
      barcodes: codes(f.elements.barcodes.value)};
    if (f.elements.cost.value.trim()) body.cost = f.elements.cost.value.trim();
    const lines = f.elements.specs.value.split("\n").map((l) => l.trim()).filter(Boolean);
    if (lines.length) {
      body.variants = lines.map((line) => {
        const [spec, price, barcodes, stock] = line.split("|").map((x) => (x || "").trim());
        const v = {spec: Object.fromEntries(spec.split(/[;；]/).filter(Boolean)
          .map((kv) => kv.split(/[=＝]/).map((x) => x.trim())))};
        const old = editing && editing.variants.find((o) =>
          JSON.stringify(o.spec) === JSON.stringify(v.spec));
        if (old) v.id = old.id;
        if (price) v.price = price;
        v.barcodes = codes(barcodes || "");
        // A count is sent only when the manager typed a new one: re-sending the level shown
        // when the form opened would undo every sale made meanwhile.
        const counted = stock !== "" && stock !== undefined ? parseInt(stock, 10) : null;
        if (counted !== null && (!old || counted !== old.stock)) v.stock = counted;
        return v;
      });
    } else if (f.elements.stock.value !== "" &&
               f.elements.stock.value !== f.elements.stock.defaultValue) {
      body.stock = parseInt(f.elements.stock.value, 10);
    }
    return body;
  }

  $("product-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const body = productBody(e.target);
      if (editing) await api("PATCH", "/products/" + editing.id, body);
      else await api("POST", "/products", body);
      $("product-dialog").close();
      TB.toast(t("saved"));
      document.dispatchEvent(new CustomEvent("tillbox:product-saved"));  // js/stock.js
    } catch (err) {
      $("product-error").textContent = err.message;
    }
  });
  $("product-cancel").addEventListener("click", () => $("product-dialog").close());
  $("new-product").addEventListener("click", () => editProduct(null));
  TB.editProduct = editProduct;

  // -- my orders and stock tabs ------------------------------------------------------------
  async function loadMine() {
    const r = await api("GET", "/orders");
    const mine = r.orders.filter((o) => o.opened_by === TB.me.id &&
      (o.status === "open" || o.status === "parked"));
    $("mine").replaceChildren(...(mine.length ? mine.map((o) => h("li", {class: "order",
      onclick: async () => {
        try {
          order = o.status === "parked" ? await api("POST", `/orders/${o.id}/recall`) : o;
          localStorage.setItem(KEY, order.id);
          showTab("entry");
          renderCart();
        } catch (e) { TB.toast(e.message, "error"); }
      }}, h("b", {}, o.number), h("span", {class: "price"}, money(o.due ?? o.subtotal)),
      h("span", {class: "who"}, o.customer.name || ""),
      h("span", {class: "status"}, t("status_" + o.status)))) :
      [h("li", {class: "empty"}, t("no_orders"))]));
  }

  function showTab(name) {
    for (const b of document.querySelectorAll(".tabs button")) {
      b.classList.toggle("on", b.dataset.tab === name);
    }
    for (const s of ["entry", "mine", "stock", "members", "promos", "count", "buy"]) {
      $("tab-" + s).hidden = s !== name;
    }
    // The cart bar belongs to order entry; rules, counts and deliveries have the screen.
    $("cart").hidden = ["promos", "count", "buy"].includes(name);
    if (name !== "entry") $("cart-body").hidden = true;  // fold it: the tab's page shows
    document.dispatchEvent(new CustomEvent("tillbox:tab", {detail: name}));
    if (name === "mine") loadMine();
  }
  TB.showTab = showTab;
  document.querySelectorAll(".tabs button").forEach((b) =>
    b.addEventListener("click", () => showTab(b.dataset.tab)));

  // Another screen changed our order (the counter recalled or settled it): follow it.
  TB.follow(async (kind, e) => {
    // Stock, counts, purchase orders and labels: for js/stock.js, stocktake.js, purchasing.js.
    document.dispatchEvent(new CustomEvent("tillbox:event", {detail: {kind, data: e}}));
    if (["stock", "count", "purchase_order", "label"].includes(kind)) return;
    if (kind === "settings") return TB.refreshSettings();  // issue 11: modules on or off
    // A rule changed (price the cart again), or the attached member's points or balance.
    if (order && (kind === "promotions" || kind === "levels" ||
                  (kind === "member" && order.member && order.member.id === e.id))) {
      order = await api("GET", "/orders/" + order.id);
      return renderCart();
    }
    if (order && e.id === order.id && e.version !== order.version) {
      const o = await api("GET", "/orders/" + order.id);
      order = o.status === "open" ? o : null;
      if (!order) localStorage.removeItem(KEY);
      renderCart();
    }
  }, ["order", "promotions", "levels", "member", "stock", "count", "purchase_order", "label",
      "settings"]);

  (async function start() {
    await TB.whoami();
    $("new-product").hidden = !canEdit();
    document.querySelector(".tabs button[data-tab=promos]").hidden = !canEdit();
    // /phone#members and /phone#promotions (links from the counter) open that tab.
    // /phone#stock-low (the counter's low-stock chip), #stock, #count and #receiving too.
    const fromHash = () => {
      const hash = location.hash;
      if (hash === "#members") showTab("members");
      else if (hash === "#promotions" && canEdit()) showTab("promos");
      else if (hash === "#stock" || hash === "#stock-low") showTab("stock");
      else if (hash === "#count") showTab("count");
      else if (hash === "#receiving") showTab("buy");
    };
    window.addEventListener("hashchange", fromHash);
    fromHash();
    await Promise.all([loadOrder(), loadCategories(), search("", "products")]);
    renderCart();
  })().catch((e) => TB.toast(e.message, "error"));
})();
