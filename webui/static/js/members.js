/* Members (会员), shared by the phone and the counter: find by phone, name or card; sign up
 * in seconds; the member's page (level, points, balance, history); top-up, points
 * corrections and gifts. The server decides who may do what; buttons only follow it. */
"use strict";
(function () {
  const TB = window.TB;
  const {api, h, t, money} = TB;
  const $ = (id) => document.getElementById(id);
  const formDialog = TB.formDialog;
  let levelsCache = null;

  async function levels() {
    if (!levelsCache) {
      levelsCache = api("GET", "/member-levels").then((r) => r.levels || r.member_levels || [])
        .catch(() => { levelsCache = null; return []; });
    }
    return levelsCache;
  }

  // An exact phone or card code; null when nobody has it (404), other errors go up.
  async function lookup(code) {
    try {
      return await api("GET", "/members/lookup?code=" + encodeURIComponent(code));
    } catch (e) {
      if (e.status === 404) return null;
      throw e;
    }
  }

  async function find(q) {
    return (await api("GET", "/members?q=" + encodeURIComponent(q))).members;
  }

  // Lookup first (a card or a whole phone number), then a search (a name or the start of a
  // phone number). Returns a list: one hit is attached at once by the caller.
  async function resolve(text) {
    const code = text.trim();
    if (!code) return [];
    const exact = await lookup(code);
    return exact ? [exact] : (await find(code)).slice(0, 8);
  }

  // -- dialogs ---------------------------------------------------------------------------
  // Opens a dialog with a form; submit runs `send(form)`; resolves with its answer, or null
  // when cancelled. API errors ({"error", "field"}) stay on the form, next to the field.

  async function fillLevels(select, current) {
    const list = await levels();
    select.replaceChildren(...list.filter((l) => l.active !== false || l.id === current)
      .map((l) => h("option", {value: l.id}, TB.name(l))));
    if (current) select.value = current;
  }

  // Sign-up (member === undefined) or edit. prefill: {phone, name} typed elsewhere.
  async function memberForm(member, prefill) {
    const form = $("member-form");
    form.reset();
    const editing = !!member;
    $("member-form-title").textContent = editing ? t("m_edit") : t("m_new");
    const m = member || prefill || {};
    for (const k of ["phone", "name", "birthday", "card_code", "note", "email"]) {
      form.elements[k].value = m[k] || "";
    }
    form.elements.active.checked = editing ? member.active !== false : true;
    form.querySelector("[data-edit-only]").hidden = !editing;
    const levelRow = form.querySelector("[data-need=manager]");
    levelRow.hidden = !TB.atLeast("manager");
    if (!levelRow.hidden) await fillLevels(form.elements.level_id, m.level_id);
    return formDialog("member-dialog", "member-error", async (f) => {
      const body = {phone: f.elements.phone.value.trim(), name: f.elements.name.value.trim(),
        birthday: f.elements.birthday.value.trim(), note: f.elements.note.value.trim(),
        email: f.elements.email.value.trim(),
        // No card: null on sign-up; "" takes a card off a member who had one.
        card_code: f.elements.card_code.value.trim() ||
          (editing && member.card_code ? "" : null)};
      if (!levelRow.hidden && f.elements.level_id.value &&
          (!editing || f.elements.level_id.value !== member.level_id)) {
        body.level_id = f.elements.level_id.value;
      }
      if (editing) {
        body.active = f.elements.active.checked;
        return api("PATCH", "/members/" + member.id, body);
      }
      const made = await api("POST", "/members", body);
      TB.toast(t("m_signed_up", {name: made.name}));
      return made;
    });
  }

  const TOPUP_METHODS = ["cash", "wechat", "alipay", "card", "transfer"];
  let bonusRules = null;

  // The bonus the box will add (充500送50): a hint only; the answer of the top-up says
  // what really applied.
  async function bonusFor(fen) {
    if (!bonusRules) {
      bonusRules = api("GET", "/promotions").then((r) => r.promotions.filter(
        (p) => p.kind === "topup_bonus" && p.active && p.live !== false)).catch(() => []);
    }
    let best = null;
    for (const rule of await bonusRules) {
      for (const tier of rule.tiers || []) {
        const min = TB.fen(tier.min), bonus = TB.fen(tier.bonus);
        if (fen >= min && (!best || bonus > best.bonus)) best = {bonus, name: rule.name};
      }
    }
    return best;
  }

  async function topUp(member) {
    const form = $("topup-form");
    form.reset();
    bonusRules = null;
    $("topup-who").textContent = `${member.name} · ${t("m_balance")} ${money(member.balance)}`;
    $("topup-method").replaceChildren(...TOPUP_METHODS.map((m) =>
      h("option", {value: m}, t("method_" + m))));
    const sync = () => {
      const cash = form.elements.method.value === "cash";
      form.querySelector("[data-for=cash]").hidden = !cash;
      form.querySelector("[data-for=ref]").hidden = cash;
    };
    const hint = async () => {
      const fen = TB.fen(form.elements.amount.value);
      const best = fen > 0 ? await bonusFor(fen) : null;
      $("topup-bonus-hint").textContent = best ?
        t("m_bonus_hint", {bonus: TB.yuan(best.bonus), rule: best.name}) : "";
    };
    form.elements.method.onchange = sync;
    form.elements.amount.oninput = hint;
    sync();
    hint();
    // One key per dialog: a retry after a lost answer gets the first answer, not a second
    // top-up (the server remembers the key).
    const key = crypto.randomUUID ? crypto.randomUUID()
      : `${Date.now()}-${Math.random().toString(36).slice(2)}`;
    return formDialog("topup-dialog", "topup-error", async (f) => {
      const body = {amount: f.elements.amount.value.trim(), method: f.elements.method.value};
      if (body.method === "cash") {
        if (f.elements.tendered.value.trim()) body.tendered = f.elements.tendered.value.trim();
      } else {
        if (!f.elements.reference.value.trim()) {
          const err = new Error(t("reference_needed"));
          err.field = "reference";
          throw err;
        }
        body.reference = f.elements.reference.value.trim();
      }
      body.idempotency_key = key;
      return api("POST", `/members/${member.id}/topups`, body);
    });
  }

  // Stored value handed back (closing a card, before erasing a customer's data): a manager.
  async function payOut(member) {
    const form = $("payout-form");
    form.reset();
    $("payout-who").textContent = `${member.name} · ${t("m_balance")} ${money(member.balance)}`;
    form.elements.amount.value = member.balance;
    $("payout-method").replaceChildren(...TOPUP_METHODS.map((m) =>
      h("option", {value: m}, t("method_" + m))));
    const sync = () => { form.querySelector("[data-for=ref]").hidden =
      form.elements.method.value === "cash"; };
    form.elements.method.onchange = sync;
    sync();
    return formDialog("payout-dialog", "payout-error", (f) => {
      const body = {amount: f.elements.amount.value.trim(), method: f.elements.method.value,
                    reason: f.elements.reason.value.trim()};
      if (body.method !== "cash") {
        if (!f.elements.reference.value.trim()) {
          const err = new Error(t("reference_needed"));
          err.field = "reference";
          throw err;
        }
        body.reference = f.elements.reference.value.trim();
      }
      return api("POST", `/members/${member.id}/payouts`, body);
    });
  }

  function topUpText(r) {
    let s = t("m_topped_up", {amount: r.amount, balance: r.balance});
    if (r.bonus && TB.fen(r.bonus) > 0) s += " " + t("m_bonus_applied", {bonus: r.bonus});
    if (r.change && TB.fen(r.change) > 0) s += " " + t("change_due") + " " + money(r.change);
    return s;
  }

  async function correctPoints(member) {
    $("points-form").reset();
    $("points-who").textContent = `${member.name} · ${t("m_points")} ${member.points}`;
    return formDialog("points-dialog", "points-error", (f) => {
      const delta = Number(f.elements.delta.value);
      if (!Number.isInteger(delta) || delta === 0) {
        const err = new Error(t("m_points_whole"));
        err.field = "delta";
        return Promise.reject(err);
      }
      return api("POST", `/members/${member.id}/points`, {delta,
        reason: f.elements.reason.value.trim(), note: f.elements.note.value.trim()});
    });
  }

  // Gifts for points: resolves with the member after a redemption, null when closed.
  async function gifts(member) {
    const dialog = $("gift-dialog");
    $("gift-error").textContent = "";
    $("gift-who").textContent = `${member.name} · ${t("m_points")} ${member.points}`;
    const list = (await api("GET", "/promotions/gifts?member_id=" +
      encodeURIComponent(member.id))).gifts;
    return new Promise((resolve) => {
      let result = null;
      dialog.onclose = () => resolve(result);
      dialog.querySelector("[data-close]").onclick = () => dialog.close();
      $("gift-list").replaceChildren(...(list.length ? list.map((g) => h("li", {class: "gift"},
        h("span", {class: "name"}, g.name, g.product_name && g.product_name !== g.name ?
          h("small", {}, g.product_name) : null),
        h("span", {class: "points"}, t("m_n_points", {n: g.points})),
        h("button", {type: "button", class: "primary", disabled: member.points < g.points,
          onclick: async (e) => {
            e.target.disabled = true;
            try {
              result = await api("POST", `/members/${member.id}/gifts`, {rule_id: g.rule_id});
              TB.toast(t("m_gift_taken", {gift: g.name}));
              dialog.close();
            } catch (err) {
              $("gift-error").textContent = err.message;
              e.target.disabled = false;
            }
          }}, t("m_redeem")))) : [h("li", {class: "empty"}, t("m_no_gifts"))]));
      dialog.showModal();
    });
  }

  // -- pieces of screen ------------------------------------------------------------------
  // The chip on a cart or the counter: level, name, points, balance; × detaches.
  function chip(member, onClear) {
    return h("div", {class: "member-chip", "data-member": member.id},
      h("span", {class: "level"}, member.level_name || t("m_member")),
      h("b", {class: "m-name"}, member.name),
      h("span", {class: "m-phone"}, TB.maskPhone(member.phone)),
      h("span", {class: "m-points"}, t("m_points"), " ", h("b", {}, String(member.points))),
      h("span", {class: "m-balance"}, t("m_balance"), " ", h("b", {}, money(member.balance))),
      onClear ? h("button", {type: "button", class: "link clear", "aria-label": t("m_detach"),
        onclick: onClear}, "×") : null);
  }

  // A list of found members to choose from (several matched the typed text).
  function choices(list, onPick) {
    return h("ul", {class: "members"}, list.length ? list.map((m) => h("li", {
      class: "member", onclick: () => onPick(m)},
      h("b", {}, m.name), h("span", {class: "m-phone"}, m.phone),
      h("span", {class: "level"}, m.level_name || ""),
      h("span", {class: "meta"},
        `${t("m_points")} ${m.points} · ${t("m_balance")} ${money(m.balance)}`)))
      : [h("li", {class: "empty"}, t("m_none_found"))]);
  }

  const REASONS = ["earned", "redeemed", "reversed", "refund", "top_up", "bonus", "change",
                   "gift", "adjusted", "payment", "void", "payout", "store_credit", "erased"];
  const when = (ts) => ts ? new Date(ts).toLocaleString(TB.locale.replace("_", "-"),
    {timeZone: TB.timezone, month: "2-digit", day: "2-digit", hour: "2-digit",
     minute: "2-digit"}) : "";

  function moveItem(m) {
    const points = m.kind === "points";
    const n = typeof m.delta === "number" && !points ? TB.yuan(m.delta) : String(m.delta);
    const out = String(n).startsWith("-");
    const signed = (out ? "-" : "+") + (points ? "" : "￥") + String(n).replace(/^-/, "");
    const after = typeof m.after === "number" && !points ? TB.yuan(m.after) : m.after;
    return h("li", {class: "move " + (out ? "out" : "in")},
      h("span", {class: "when"}, when(m.ts)),
      h("span", {class: "why"}, REASONS.includes(m.reason) ? t("mv_" + m.reason) : m.reason,
        m.note ? h("small", {}, m.note) : null, m.order_number ? h("small", {}, m.order_number)
          : null),
      h("span", {class: "delta"}, points ? `${signed} ${t("m_points_unit")}` : signed),
      h("span", {class: "after"}, after == null ? "" :
        (points ? `= ${after}` : `= ￥${after}`)));
  }

  // The member's page in `box`. opts.onAttach(member): a button "add to the order".
  async function detail(box, id, opts) {
    opts = opts || {};
    const m = await api("GET", "/members/" + id);
    const again = () => detail(box, id, opts);
    const act = (id, label, fn) => h("button", {type: "button", class: "secondary", id,
      onclick: async () => {
        try {
          const r = await fn(m);
          if (r) {
            if (r.topup_id) opts.notice = topUpText(r);
            if (r.payout_id) opts.notice = t("m_paid_out", {amount: r.amount, balance: r.balance});
            again();
          }
        } catch (e) { TB.toast(e.message, "error"); }
      }}, label);
    const actions = [
      opts.onAttach ? h("button", {type: "button", class: "primary", id: "m-attach",
        onclick: () => opts.onAttach(m)}, t("m_attach")) : null,
      TB.atLeast("cashier") ? act("m-act-topup", t("m_topup"), topUp) : null,
      TB.atLeast("cashier") ? act("m-act-gifts", t("m_gifts"), gifts) : null,
      TB.atLeast("manager") ? act("m-act-points", t("m_correct_points"), correctPoints) : null,
      TB.atLeast("manager") && TB.fen(m.balance) > 0 ?
        act("m-act-payout", t("m_payout"), payOut) : null,
      TB.atLeast("cashier") ? act("m-act-edit", t("m_edit"), (x) => memberForm(x)) : null,
    ];
    box.replaceChildren(...[
      opts.onBack ? h("button", {type: "button", class: "link back", onclick: opts.onBack},
        "‹ ", t("m_back")) : null,
      h("div", {class: "member-card", "data-member": m.id},
        h("h2", {}, m.name, " ", h("span", {class: "level"}, m.level_name || "")),
        h("p", {class: "muted"}, [m.phone, m.card_code ? `${t("m_card")} ${m.card_code}` : null,
          m.birthday ? `${t("m_birthday")} ${m.birthday}` : null,
          m.active === false ? t("m_inactive") : null].filter(Boolean).join(" · ")),
        m.note ? h("p", {class: "muted"}, m.note) : null,
        h("div", {class: "member-stats"},
          h("div", {}, h("span", {}, t("m_points")), h("b", {id: "m-points"}, String(m.points))),
          h("div", {}, h("span", {}, t("m_balance")), h("b", {id: "m-balance"},
            money(m.balance))))),
      opts.notice ? h("p", {class: "notice", role: "status"}, opts.notice) : null,
      h("div", {class: "member-actions"}, actions),
      h("h3", {}, t("m_orders")),
      h("ul", {class: "orders compact"}, (m.orders || []).length ? m.orders.map((o) =>
        h("li", {class: "order"}, h("b", {}, o.number), h("span", {class: "price"},
          money(o.total)), h("span", {class: "who"}, o.day || ""),
          h("span", {class: "status"}, t("status_" + o.status) === "status_" + o.status ?
            o.status : t("status_" + o.status))))
        : [h("li", {class: "empty"}, t("no_orders"))]),
      h("h3", {}, t("m_moves")),
      h("ul", {class: "moves", id: "m-moves"}, (m.moves || []).length ? m.moves.map(moveItem)
        : [h("li", {class: "empty"}, t("m_no_moves"))])].filter(Boolean));
    opts.notice = null;
    return m;
  }

  TB.Members = {lookup, find, resolve, levels, signUp: (prefill) => memberForm(undefined,
    prefill), edit: memberForm, topUp, topUpText, correctPoints, gifts, chip, choices, detail};
})();
