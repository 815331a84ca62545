"""The settings page's "Backups" section (issue 11; docs/settings.md "Backups", docs/backup.md):
template _settings_backup.html, script js/settings_backup.js, API webui/api/backups.py.

The script loads GET /api/v1/backups and polls it while a backup or a USB copy is running:
the local backups, the last backup's outcome, "Back up now", the USB stick's state and the
backup passphrase (set, change, remove)."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from .settings_rebuild import script_strings as _rebuild_strings  # issue 11


def script_strings() -> dict:
    """Strings js/settings_backup.js shows; keys start with ``st_backup_``."""
    return {
        **_rebuild_strings(),   # the panel for a rebuild from head office
        "st_backup_none": _("No backups yet."),
        "st_backup_plain": _("not encrypted"),
        "st_backup_enc_key": _("encrypted (backup passphrase)"),
        "st_backup_enc_passphrase": _("encrypted (own passphrase)"),
        "st_backup_records": _("up to record #%(seq)s", seq="{seq}"),
        "st_backup_last_ok": _("Last backup %(time)s: OK (%(source)s)", time="{time}",
                               source="{source}"),
        "st_backup_last_failed": _("Last backup %(time)s FAILED (%(source)s): %(reason)s",
                                   time="{time}", source="{source}", reason="{reason}"),
        "st_backup_last_never": _("No backup has been taken yet."),
        "st_backup_source_timer": _("nightly"),
        "st_backup_source_command": _("by command"),
        "st_backup_source_page": _("from this page"),
        "st_backup_source_usb": _("for a USB stick"),
        "st_backup_running": _("Writing a backup… %(percent)s%%", percent="{percent}"),
        "st_backup_done": _("Backup written: %(file)s", file="{file}"),
        "st_backup_failed": _("The backup failed: %(reason)s", reason="{reason}"),
        "st_backup_usb_none": _("No USB stick has been inserted yet. With a backup passphrase "
                                "set, insert one: the newest backup is copied onto it by "
                                "itself."),
        "st_backup_usb_writing": _("Writing to the USB stick %(label)s… %(percent)s%% — do "
                                   "not pull it out", label="{label}", percent="{percent}"),
        "st_backup_usb_done": _("Backup copied to the USB stick %(label)s at %(time)s and "
                                "checked: safe to pull out", label="{label}", time="{time}"),
        "st_backup_usb_failed": _("Copying to the USB stick %(label)s failed at %(time)s: "
                                  "%(reason)s", label="{label}", time="{time}",
                                  reason="{reason}"),
        "st_backup_key_none": _("Not set: backups on the box are not encrypted, and USB "
                                "sticks get no copy until a passphrase is set."),
        "st_backup_key_set": _("Set (key %(fingerprint)s, %(time)s): every automatic backup "
                               "is encrypted; restoring needs the passphrase.",
                               fingerprint="{fingerprint}", time="{time}"),
        "st_backup_key_damaged": _("The backup key file is damaged: set the passphrase "
                                   "again."),
        "st_backup_key_saved": _("Passphrase set. Write it down and keep it with the shop's "
                                 "papers: without it nobody can restore these backups."),
        "st_backup_key_removed": _("Backups are no longer encrypted."),
        "st_backup_key_confirm_remove": _("Stop encrypting backups? Backups made until now "
                                          "still need their passphrase."),
        # why a USB copy failed, by its code (appliance/backup/usbauto.py REASON_CODES)
        "st_backup_reason_write_protected": _("the stick is write-protected: slide its lock "
                                              "switch or use another stick"),
        "st_backup_reason_full": _("the stick is full: delete old files from it or use a "
                                   "bigger one"),
        "st_backup_reason_no_filesystem": _("the stick has no filesystem the box can use: "
                                            "format it as FAT32 or exFAT"),
        "st_backup_reason_pulled": _("the stick was pulled out before the copy finished: "
                                     "insert it again"),
        "st_backup_reason_failing": _("the copy on the stick reads back wrong: the stick is "
                                      "failing, use another"),
        "st_backup_reason_unreadable": _("the stick cannot be read: it may be damaged, try "
                                         "another"),
        "st_backup_reason_interrupted": _("the copy stopped without finishing: insert the "
                                          "stick again"),
        "st_backup_reason_no_key": _("set a backup passphrase first (Settings, Backups): without "
                                     "it the stick would get the shop's data unencrypted. Nothing "
                                     "was written"),
        "st_backup_reason_bad_stick": _("the stick's tillbox-backups folder is a link or a "
                                        "file: nothing was written; use another stick"),
        # the counter's banner (js/usb_banner.js)
        "st_backup_banner_writing": _("Backing up to the USB stick (%(percent)s%%): do not "
                                      "pull it out", percent="{percent}"),
        "st_backup_banner_done": _("Backup on the USB stick is done: safe to pull out"),
        "st_backup_banner_failed": _("Backup to the USB stick failed: %(reason)s",
                                     reason="{reason}"),
        "st_backup_key_confirm_change": _("Backups made until now keep needing the old "
                                          "passphrase. Set a new one?"),
    }


def context() -> dict:
    """What _settings_backup.html needs besides the settings themselves."""
    cfg = current_app.config["BOX"].config
    return {"backup_keep": cfg.backup.keep}
