"""The product quiz: questions from the catalog, no right answer on the screen before
answering, the score and the answers after, scores per staff member; recorded in the
training ledger whether or not the session is in training mode."""

import json
import random

import pytest
from training_helpers import enter_training

from appliance import money
from appliance.master.catalog import Category, Product
from appliance.orders import Actor
from appliance.training.quiz import QuizDesk, make_questions


@pytest.fixture
def catalog(web):
    """Four categories in all, so both kinds of question have four choices."""
    c = web.box.master.catalog
    for name, price in (("白瓷盖碗", 12800), ("竹茶盘", 25900), ("铁壶", 88000)):
        cat = c.save_category(Category(id="", name=name + "类"))
        c.save_product(Product(id="", sku=name, name=name, category_id=cat.id, unit="个",
                               price=price, cost=0))
    return c


def right_answers(web, quiz_id):
    with web.box.training().ledger.reading() as conn:
        return [q["answer"] for q in json.loads(conn.execute(
            "SELECT questions FROM quizzes WHERE id = ?", (quiz_id,)).fetchone()[0])]


def test_questions_come_without_their_answers(web, catalog):
    api = web.as_role("assistant")
    r = api.post("/api/v1/training/quiz", {})
    assert r.status_code == 201, r.get_json()
    quiz = r.get_json()
    assert 1 <= len(quiz["questions"]) <= 10
    raw = r.get_data(as_text=True)
    assert '"answer"' not in raw and '"right"' not in raw
    for q in quiz["questions"]:
        assert q["kind"] in ("price", "category") and len(q["choices"]) == 4
        assert len({json.dumps(c, sort_keys=True) for c in q["choices"]}) == 4


def test_price_questions_offer_the_price_and_category_ones_the_category(web, catalog):
    questions = make_questions(catalog, 20, random.Random(7))
    kinds = {q["kind"] for q in questions}
    assert kinds == {"price", "category"}
    for q in questions:
        product = catalog.get_product(q["product_id"])
        right = q["choices"][q["answer"]]
        if q["kind"] == "price":
            variant = product.variant(q["variant_id"]) if q["variant_id"] else None
            assert money.parse_amount(right) == product.price_of(variant)
            assert all(money.parse_amount(c) > 0 for c in q["choices"])
        else:
            assert right["id"] == product.category_id


def test_scoring_and_the_answers_after(web, catalog):
    api = web.as_role("cashier")
    quiz = api.post("/api/v1/training/quiz", {"count": 5}).get_json()
    right = right_answers(web, quiz["quiz_id"])
    answers = [right[0], (right[1] + 1) % 4, None] + right[3:]
    r = api.post(f"/api/v1/training/quiz/{quiz['quiz_id']}", {"answers": answers})
    assert r.status_code == 200, r.get_json()
    result = r.get_json()
    assert result["total"] == len(right) and result["score"] == len(right) - 2
    assert [x["right"] for x in result["results"]] == right
    assert [x["correct"] for x in result["results"]] == [a == b for a, b in zip(answers, right)]
    # Finished is finished: no second go at the same questions.
    again = api.post(f"/api/v1/training/quiz/{quiz['quiz_id']}", {"answers": right})
    assert again.status_code == 409


def test_bad_answers_are_refused(web, catalog):
    api = web.as_role("cashier")
    quiz = api.post("/api/v1/training/quiz", {"count": 3}).get_json()
    path = f"/api/v1/training/quiz/{quiz['quiz_id']}"
    for bad in ([0, 0], [0, 0, 4], [0, 0, "1"], [0, 0, True], "0,0,0"):
        r = api.post(path, {"answers": bad})
        assert r.status_code == 400 and r.get_json()["field"] == "answers", bad
    assert api.post(path, {}).status_code == 400
    assert api.post("/api/v1/training/quiz/no-such-quiz", {"answers": []}).status_code == 404
    assert api.post("/api/v1/training/quiz", {"count": 0}).status_code == 400
    assert api.post("/api/v1/training/quiz", {"count": 21}).status_code == 400


def test_only_the_person_who_started_a_quiz_finishes_it(web, catalog):
    mine = web.as_role("cashier").post("/api/v1/training/quiz", {}).get_json()
    other = web.as_role("manager")
    r = other.post(f"/api/v1/training/quiz/{mine['quiz_id']}",
                   {"answers": [0] * len(mine["questions"])})
    assert r.status_code == 403


def finish(web, role, score_right: int):
    api = web.as_role(role)
    quiz = api.post("/api/v1/training/quiz", {"count": 4}).get_json()
    right = right_answers(web, quiz["quiz_id"])
    answers = [a if i < score_right else (a + 1) % 4 for i, a in enumerate(right)]
    return api.post(f"/api/v1/training/quiz/{quiz['quiz_id']}",
                    {"answers": answers}).get_json()


def test_scores_per_staff_managers_see_everyone(web, catalog):
    finish(web, "assistant", 1)
    finish(web, "assistant", 3)
    finish(web, "assistant", 2)
    finish(web, "cashier", 4)
    web.as_role("cashier").post("/api/v1/training/quiz", {})   # started, never finished
    mine = web.as_role("assistant").get("/api/v1/training/scores").get_json()
    assert mine["everyone"] is False
    assert [s["staff_id"] for s in mine["scores"]] == [web.staff_ids["assistant"]]
    s = mine["scores"][0]
    assert s["attempts"] == 3 and s["name"] == "assistant 张"
    assert (s["last"]["score"], s["best"]["score"], s["best"]["total"]) == (2, 3, 4)
    everyone = web.as_role("manager").get("/api/v1/training/scores").get_json()
    assert everyone["everyone"] is True
    by_id = {s["staff_id"]: s for s in everyone["scores"]}
    assert set(by_id) == {web.staff_ids["assistant"], web.staff_ids["cashier"]}
    assert by_id[web.staff_ids["cashier"]]["attempts"] == 1
    assert by_id[web.staff_ids["cashier"]]["best"]["score"] == 4


def test_the_quiz_is_recorded_in_the_training_ledger_in_or_out_of_training(web, catalog):
    api = web.as_role("cashier")
    finish(web, "cashier", 2)
    enter_training(api)
    quiz = api.post("/api/v1/training/quiz", {"count": 2}).get_json()
    api.post(f"/api/v1/training/quiz/{quiz['quiz_id']}", {"answers": [0, 1]})
    assert web.box.ledger.head()[0] == 0           # never the real journal
    records = web.box.training().ledger.records()
    started = [r for r in records if r.type == "training.quiz_started"]
    finished = [r for r in records if r.type == "training.quiz_finished"]
    assert len(started) == 2 and len(finished) == 2
    assert all("answer" in q for q in started[0].data["questions"])
    assert started[1].data["staff"] == web.staff_ids["cashier"]
    assert finished[1].data["answers"] == [0, 1]


def test_projections_equal_a_replay(web, catalog, ledger_invariants):
    finish(web, "cashier", 3)
    ledger_invariants(web.box.training().ledger)


def test_a_catalog_without_prices_cannot_make_a_quiz(tmp_path):
    from appliance.ledger import Ledger
    from appliance.master import MasterData
    with Ledger(tmp_path / "training.db") as ledger, MasterData(tmp_path / "m") as master:
        desk = QuizDesk(ledger, master.catalog)
        from appliance.errors import Conflict
        with pytest.raises(Conflict):
            desk.start(Actor("s1", "assistant", "phone"))
