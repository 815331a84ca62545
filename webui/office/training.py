"""The training page (issue 9; docs/training.md): enter and leave training mode, take the
product quiz one question at a time, and the quiz scores."""

from __future__ import annotations

from flask import g
from flask_babel import gettext as _

from ..access import access
from . import bp, office_page


@bp.get("/training")
@access("training")
def training():
    return office_page("office_training.html", "office.training", training=g.session.training)


def script_strings() -> dict:
    return {
        "tr_q_price": _("What does %(name)s cost?", name="{name}"),
        "tr_q_category": _("Which category is %(name)s in?", name="{name}"),
        "tr_question_n": _("Question %(n)s of %(total)s", n="{n}", total="{total}"),
        "tr_score": _("You got %(score)s of %(total)s right", score="{score}",
                      total="{total}"),
        "tr_right": _("Right"), "tr_wrong": _("Wrong"),
        "tr_right_answer": _("Right answer: %(answer)s", answer="{answer}"),
        "tr_your_answer": _("Your answer: %(answer)s", answer="{answer}"),
        "tr_no_answer": _("no answer"),
        "tr_no_scores": _("No quiz finished yet."),
    }
