/* Training mode (docs/training.md): the banner's way out on every page, and the /training
 * page: switch training mode, the product quiz one question at a time, the scores. */
"use strict";
(function () {
  const TB = window.TB;
  if (TB.trainingLoaded) return;
  TB.trainingLoaded = true;
  const $ = (id) => document.getElementById(id);

  // Works on any page, also one that never loaded api.js: ask for the CSRF token first.
  async function setTraining(on) {
    const me = await (await fetch("/api/v1/auth/me", {credentials: "same-origin"})).json();
    const resp = await fetch("/api/v1/training/session", {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json",
                "X-CSRF-Token": me.csrf_token},
      body: JSON.stringify({on})});
    if (!resp.ok) throw new Error((await resp.json().catch(() => ({}))).error || resp.status);
    location.reload();  // every screen part reloads from the other ledger
  }
  const leave = $("training-leave");
  if (leave) leave.onclick = () => setTraining(false).catch((e) => alert(e.message));

  if (!$("quiz")) return;  // the rest is the /training page
  const {api, h, t, money} = TB;
  $("training-on").onclick = () => setTraining(true).catch((e) => TB.toast(e.message, "error"));
  $("training-off").onclick = () => setTraining(false).catch((e) => TB.toast(e.message, "error"));

  let quiz = null;     // {quiz_id, questions}
  let answers = [];

  const subject = (q) => TB.name(q) + (q.spec ? ` (${q.spec})` : "");
  const prompt = (q) => t(q.kind === "price" ? "tr_q_price" : "tr_q_category", {name: subject(q)});
  const choiceText = (q, i) => (i == null ? t("tr_no_answer")
    : q.kind === "price" ? money(q.choices[i]) : TB.name(q.choices[i]));

  async function start() {
    $("quiz-error").textContent = "";
    $("quiz-start").disabled = true;
    try {
      quiz = await api("POST", "/training/quiz", {});
      answers = [];
      $("quiz-result").hidden = true;
      $("quiz-start").hidden = true;
      ask();
    } catch (e) {
      $("quiz-error").textContent = e.message;
    } finally { $("quiz-start").disabled = false; }
  }

  function ask() {
    const n = answers.length;
    const q = quiz.questions[n];
    $("quiz-question").hidden = false;
    $("quiz-progress").textContent = t("tr_question_n", {n: n + 1, total: quiz.questions.length});
    $("quiz-prompt").textContent = prompt(q);
    $("quiz-choices").replaceChildren(...q.choices.map((_c, i) => h("button", {
      type: "button", class: "secondary big wide quiz-choice", "data-i": i,
      onclick: () => choose(i)}, choiceText(q, i))));
  }

  async function choose(i) {
    answers.push(i);
    if (answers.length < quiz.questions.length) { ask(); return; }
    $("quiz-question").hidden = true;
    try {
      show(await api("POST", `/training/quiz/${quiz.quiz_id}`, {answers}));
    } catch (e) {
      $("quiz-error").textContent = e.message;
    }
    $("quiz-start").hidden = false;
    loadScores();
  }

  function show(result) {
    $("quiz-result").hidden = false;
    $("quiz-score").textContent = t("tr_score", {score: result.score, total: result.total});
    $("quiz-review").replaceChildren(...result.results.map((r, n) => {
      const q = quiz.questions[n];
      return h("li", {class: r.correct ? "right" : "wrong"},
        h("span", {}, prompt(q)), " ",
        h("strong", {}, r.correct ? t("tr_right") : t("tr_wrong")),
        r.correct ? null : h("div", {class: "meta"},
          t("tr_your_answer", {answer: choiceText(q, r.answer)}), " · ",
          t("tr_right_answer", {answer: choiceText(q, r.right)})));
    }));
  }

  const attempt = (a) => (a ? `${a.score}/${a.total}` : "-");

  async function loadScores() {
    const {scores} = await api("GET", "/training/scores");
    $("scores-body").replaceChildren(...(scores.length ? scores.map((s) => h("tr", {},
      h("td", {}, s.name), h("td", {class: "price"}, s.attempts),
      h("td", {class: "price"}, attempt(s.last)), h("td", {class: "price"}, attempt(s.best))))
      : [h("tr", {}, h("td", {colspan: 4, class: "empty"}, t("tr_no_scores")))]));
  }

  $("quiz-start").onclick = start;
  TB.whoami().then(loadScores).catch((e) => { $("quiz-error").textContent = e.message; });
})();
