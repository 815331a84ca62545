"""The "Backups" section's panel for a rebuild from head office's journal received over the
link (issue 11; docs/replacing-a-box.md "Rebuild over the network"): template
_settings_rebuild.html (included by _settings_backup.html), script js/settings_rebuild.js,
API webui/api/rebuild.py. Its strings join the Backups section's (settings_backup.py)."""

from __future__ import annotations

from flask_babel import gettext as _


def _reasons() -> dict:
    """received.REASONS: why a transfer or a rebuild failed, as the page says it."""
    return {
        "not_verified": _("the history does not check out (a record or a link is wrong)"),
        "parts_unreadable": _("the parts that came cannot be put together"),
        "no_space": _("there is not enough free space on this till"),
        "file_missing": _("the received history is missing on this till"),
        "ledger_not_empty": _("this till has sales of its own already"),
        "import_refused": _("the history could not be imported (the till's log says why)"),
        "crashed": _("the rebuild stopped unexpectedly (the till's log says why)"),
        "stopped": _("the rebuild was stopped before it finished"),
    }


def script_strings() -> dict:
    """Strings js/settings_rebuild.js shows; keys start with ``st_rebuild_``."""
    return {
        "st_rebuild_receiving": _("Head office is sending this till's history: part "
                                  "%(received)s of %(parts)s here.", received="{received}",
                                  parts="{parts}"),
        "st_rebuild_checking": _("Head office's history is here: checking it…"),
        "st_rebuild_ready": _("Head office sent this till's history: %(records)s records up "
                              "to #%(seq)s, checked (%(time)s).", records="{records}",
                              seq="{seq}", time="{time}"),
        "st_rebuild_sold": _("Head office sent this till's history, but this till holds "
                             "%(n)s records of its own now: it can no longer take it.",
                             n="{n}"),
        "st_rebuild_bad": _("The history head office sent does not check out: %(reason)s. "
                            "Ask head office to send it again.", reason="{reason}"),
        "st_rebuild_applying": _("Rebuilding: the till stops and starts again. This page "
                                 "shows the outcome when it is back."),
        "st_rebuild_done": _("Rebuilt from head office's history at %(time)s: %(records)s "
                             "records up to #%(seq)s.", time="{time}", records="{records}",
                             seq="{seq}"),
        "st_rebuild_failed": _("The rebuild failed: %(reason)s", reason="{reason}"),
        "st_rebuild_ready_take": _("When rebuilt, this till will become %(device)s.",
                                   device="{device}"),
        "st_rebuild_requested": _("Rebuild asked for at %(time)s: waiting for the till to "
                                  "stop.", time="{time}"),
        "st_rebuild_not_picked": _("Rebuild asked for at %(time)s, but nothing has picked "
                                   "the request up: the till's rebuild service is not "
                                   "running. On a development machine run `tillbox ledger "
                                   "import --received`.", time="{time}"),
        "st_rebuild_warn_cursor_not_set": _("Warning: the link to head office could not be "
                                            "told where the history ends; the till does it "
                                            "when it starts."),
        "st_rebuild_warn_settings_not_restored": _("Warning: the shop settings could not be "
                                                   "taken from the history: check them "
                                                   "here."),
        **{f"st_rebuild_reason_{code}": text for code, text in _reasons().items()},
        "st_rebuild_confirm": _("Stop the till now and rebuild it from head office's "
                                "history?"),
    }
