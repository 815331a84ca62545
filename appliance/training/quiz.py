"""The product quiz (issue 9: the seed's staff training and assessment): questions made from
the live catalog, price ("What does 西湖龙井 cost?") and category ("Which category is 西湖龙井
in?"), four choices each.

A quiz is two records in the training ledger: ``training.quiz_started`` holds the questions
with their right answers (so a score can be checked later against exactly what was asked) and
``training.quiz_finished`` the answers and the score. The screen gets the questions without
the answers, and the answers only with the score.
"""

from __future__ import annotations

import json
import random
import uuid
from fractions import Fraction

from .. import money
from ..errors import Conflict, Forbidden, NotFound, ValidationError
from ..i18n import _
from ..orders.permissions import Actor, require

QUESTIONS = 10
MAX_QUESTIONS = 20
CHOICES = 4
#: One question in three asks for the category (when the shop has two categories or more).
CATEGORY_EVERY = 3
#: Wrong prices are the right one moved by these percentages, or other prices of the catalog
#: near it: close enough that the question needs knowing, not guessing.
_NEAR = (70, 80, 85, 90, 110, 115, 120, 125, 130, 150)


class QuizDesk:
    def __init__(self, ledger, catalog, rng: random.Random | None = None):
        self.ledger = ledger
        self.catalog = catalog
        self.rng = rng or random.SystemRandom()

    # -- commands --------------------------------------------------------------------------

    def start(self, actor: Actor, count: int = QUESTIONS) -> dict:
        """A new quiz for ``actor``: its id and the questions, without the right answers."""
        require(actor, "training", what="taking the product quiz")
        if isinstance(count, bool) or not isinstance(count, int) or \
                not 1 <= count <= MAX_QUESTIONS:
            raise ValidationError(_("count must be from 1 to {n}", n=MAX_QUESTIONS),
                                  field="count")
        questions = make_questions(self.catalog, count, self.rng)
        if not questions:
            raise Conflict(_("there are no products with a price to ask about yet"))
        quiz_id = str(uuid.uuid4())
        with self.ledger.transaction() as tx:
            tx.append("training.quiz_started", actor.journal(self.ledger.device_id),
                      {"quiz_id": quiz_id, "staff": actor.staff_id, "questions": questions})
        return {"quiz_id": quiz_id, "questions": [public(q) for q in questions]}

    def finish(self, actor: Actor, quiz_id: str, answers) -> dict:
        """Score the answers (a choice's index per question, None for none); returns the
        score and, per question, the right answer."""
        require(actor, "training", what="taking the product quiz")
        with self.ledger.transaction() as tx:
            row = tx.one("SELECT staff, questions, finished_at FROM quizzes WHERE id = ?",
                         (quiz_id,))
            if row is None:
                raise NotFound(_("quiz {quiz_id} does not exist", quiz_id=quiz_id))
            staff, questions_json, finished_at = row
            if staff != actor.staff_id:
                raise Forbidden(_("this quiz belongs to someone else"))
            if finished_at is not None:
                raise Conflict(_("this quiz is finished already: start a new one"))
            questions = json.loads(questions_json)
            answers = _checked_answers(answers, questions)
            score = sum(1 for a, q in zip(answers, questions) if a == q["answer"])
            tx.append("training.quiz_finished", actor.journal(self.ledger.device_id),
                      {"quiz_id": quiz_id, "staff": staff, "answers": answers, "score": score,
                       "total": len(questions)})
        return {"quiz_id": quiz_id, "score": score, "total": len(questions),
                "results": [{"id": q["id"], "answer": a, "right": q["answer"],
                             "correct": a == q["answer"]} for a, q in zip(answers, questions)]}

    # -- reading ---------------------------------------------------------------------------

    def scores(self, staff_id: str | None = None) -> list[dict]:
        """Per staff member (everyone, or one): finished attempts, the last and the best."""
        sql = ("SELECT staff, score, total, finished_at FROM quizzes WHERE finished_at IS NOT"
               " NULL")
        params: tuple = ()
        if staff_id is not None:
            sql += " AND staff = ?"
            params = (staff_id,)
        with self.ledger.reading() as conn:
            rows = conn.execute(sql + " ORDER BY seq", params).fetchall()
        out: dict[str, dict] = {}
        for staff, score, total, at in rows:
            attempt = {"score": score, "total": total, "at": at}
            entry = out.setdefault(staff, {"staff_id": staff, "attempts": 0, "best": attempt})
            entry["attempts"] += 1
            entry["last"] = attempt
            best = entry["best"]
            if Fraction(score, total) > Fraction(best["score"], best["total"]):
                entry["best"] = attempt
        return list(out.values())


def public(question: dict) -> dict:
    """A question as the screen gets it before answering: no right answer."""
    return {k: v for k, v in question.items() if k != "answer"}


def _checked_answers(answers, questions: list[dict]) -> list:
    if not isinstance(answers, list) or len(answers) != len(questions):
        raise ValidationError(_("answers must be a list with one entry per question ({n})",
                                n=len(questions)), field="answers")
    for a, q in zip(answers, questions):
        if a is None:
            continue
        if isinstance(a, bool) or not isinstance(a, int) or not 0 <= a < len(q["choices"]):
            raise ValidationError(_("each answer is the number of a choice, from 0 to {n}, or"
                                    " null", n=len(q["choices"]) - 1), field="answers")
    return list(answers)


# -- making questions ----------------------------------------------------------------------

def make_questions(catalog, count: int, rng: random.Random) -> list[dict]:
    products = catalog.list_products()
    categories = {c.id: c for c in catalog.list_categories()}
    items = [(p, v) for p in products for v in (p.active_variants() or [None])
             if p.price_of(v) > 0]
    prices = sorted({p.price_of(v) for p, v in items})
    categorised = [p for p in products if p.category_id in categories]
    rng.shuffle(items)
    rng.shuffle(categorised)
    ask_category = len(categories) >= 2
    questions: list[dict] = []
    while len(questions) < count and (items or (ask_category and categorised)):
        n = len(questions) + 1
        if ask_category and categorised and (n % CATEGORY_EVERY == 0 or not items):
            q = _category_question(categorised.pop(), categories, rng)
        else:
            product, variant = items.pop()
            q = _price_question(product, variant, prices, rng)
        questions.append({"id": f"q{n}", **q})
    return questions


def _about(product, variant) -> dict:
    spec = " ".join(variant.spec.values()) if variant is not None else ""
    return {"product_id": product.id, "variant_id": variant.id if variant else "",
            "name": product.name, "name_en": product.name_en, "spec": spec}


def _price_question(product, variant, prices: list[int], rng: random.Random) -> dict:
    right = product.price_of(variant)
    wrong = _wrong_prices(right, prices, rng)
    choices = [right, *wrong]
    rng.shuffle(choices)
    return {"kind": "price", **_about(product, variant),
            "choices": [money.format_amount(c) for c in choices],
            "answer": choices.index(right)}


def _wrong_prices(right: int, prices: list[int], rng: random.Random) -> list[int]:
    """Three other plausible prices: the catalog's own near this one first, then the right
    one moved a little, rounded as the right one is (a shop that prices in whole yuan)."""
    step = 100 if right % 100 == 0 else 10 if right % 10 == 0 else 1
    near = [p for p in prices if p != right and right // 2 <= p <= right * 2]
    moved = [max(step, right * pct // 100 // step * step) for pct in _NEAR]
    rng.shuffle(near)
    rng.shuffle(moved)
    wrong: list[int] = []
    for p in near[:2] + moved + [right + step * k for k in range(1, 5)]:
        if p != right and p not in wrong:
            wrong.append(p)
        if len(wrong) == CHOICES - 1:
            break
    return wrong


def _category_question(product, categories: dict, rng: random.Random) -> dict:
    others = [c for cid, c in categories.items() if cid != product.category_id]
    rng.shuffle(others)
    choices = [categories[product.category_id], *others[:CHOICES - 1]]
    rng.shuffle(choices)
    return {"kind": "category", **_about(product, None),
            "choices": [{"id": c.id, "name": c.name, "name_en": c.name_en} for c in choices],
            "answer": [c.id for c in choices].index(product.category_id)}
