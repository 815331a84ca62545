"use strict";
(function () {
  const {api, h, t} = window.TB;
  const dots = document.getElementById("dots");
  const error = document.getElementById("error");
  const terminal = document.getElementById("terminal");
  let pin = "";
  terminal.value = localStorage.getItem("tillbox.terminal") ||
    (matchMedia("(max-width: 600px)").matches ? "phone" : "counter");

  const show = () => dots.replaceChildren(...[...pin].map(() => h("span", {class: "dot"})));

  // Only back to a page of this box: "/\\evil.example" and the like resolve elsewhere.
  function safeNext() {
    const next = new URLSearchParams(location.search).get("next");
    if (!next) return null;
    try {
      const url = new URL(next, location.origin);
      return url.origin === location.origin ? url.pathname + url.search : null;
    } catch (e) { return null; }
  }

  async function submit() {
    if (pin.length < 4) return;
    const name = terminal.value.trim() || "web";
    localStorage.setItem("tillbox.terminal", name);
    try {
      const r = await api("POST", "/auth/login", {pin, terminal: name});
      const home = r.staff.role === "assistant" ? "/phone" : "/counter";
      location.href = safeNext() || home;
    } catch (e) {
      error.textContent = e.status === 401 ? t("wrong_pin") : e.message;
      pin = "";
      show();
    }
  }

  document.getElementById("pinpad").addEventListener("click", (e) => {
    const d = e.target.dataset.d;
    if (!d) return;
    error.textContent = "";
    if (d === "back") pin = pin.slice(0, -1);
    else if (d === "ok") return submit();
    else if (pin.length < 8) pin += d;
    show();
  });
  document.addEventListener("keydown", (e) => {
    if (e.target === terminal) return;
    if (/^[0-9]$/.test(e.key) && pin.length < 8) pin += e.key;
    else if (e.key === "Backspace") pin = pin.slice(0, -1);
    else if (e.key === "Enter") return submit();
    show();
  });
})();
