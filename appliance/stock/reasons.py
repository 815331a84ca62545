"""Why stock moved: one word per move, kept in the journal and in each product's history."""

from __future__ import annotations

from ..errors import ValidationError
from ..i18n import _

#: Every reason a stock move can carry.
REASONS = ("sale", "return", "receiving", "damaged", "lost", "gift", "own_use", "count",
           "opening_stock", "transfer_in", "transfer_out", "other")

#: What a manager may give as the reason of a manual adjustment (``stock.adjusted``).
MANUAL = ("damaged", "lost", "gift", "own_use", "count", "opening_stock", "receiving",
          "transfer_in", "transfer_out", "other")

# Marked for the translation catalog: the screens show these names.
LABELS = {"sale": _("sale"), "return": _("return"), "receiving": _("receiving"),
          "damaged": _("damaged"), "lost": _("lost"), "gift": _("gift"),
          "own_use": _("own use"), "count": _("count correction"),
          "opening_stock": _("opening stock"), "transfer_in": _("transfer in"),
          "transfer_out": _("transfer out"), "other": _("other")}


def manual_reason(reason, note: str) -> str:
    """The reason of a manual adjustment, or a ValidationError naming the choices."""
    if reason not in MANUAL:
        raise ValidationError(_("reason must be one of {choices}", choices=", ".join(MANUAL)),
                              field="reason")
    if reason == "other" and not note:
        raise ValidationError(_("say what happened in the note when the reason is other"),
                              field="note")
    return reason
