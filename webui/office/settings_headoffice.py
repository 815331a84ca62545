"""The settings page's "Head office" section (issue 11; docs/settings.md "Head office"):
template _settings_headoffice.html, script js/settings_headoffice.js, API
webui/api/headoffice_settings.py. The script loads the link's settings and health from the
API and polls the health every few seconds."""

from __future__ import annotations

from flask_babel import gettext as _


def script_strings() -> dict:
    """Strings js/settings_headoffice.js shows; keys start with ``st_headoffice_``."""
    return {
        "st_headoffice_state": _("State"),
        "st_headoffice_state_connected": _("Connected"),
        "st_headoffice_state_offline": _("Not connected"),
        "st_headoffice_state_not_linked": _("Not linked to head office"),
        "st_headoffice_state_unknown": _("Unknown: the head-office link service is not running"),
        "st_headoffice_since": _("since %(time)s", time="{time}"),
        "st_headoffice_broker": _("Broker"),
        "st_headoffice_backlog": _("Records not yet confirmed by head office"),
        "st_headoffice_acked": _("Last confirmed record"),
        "st_headoffice_acked_at": _("#%(seq)s at %(time)s", seq="{seq}", time="{time}"),
        "st_headoffice_heartbeat": _("Last heartbeat"),
        "st_headoffice_last_error": _("Last error"),
        "st_headoffice_never": _("never"),
        "st_headoffice_none": _("none"),
        "st_headoffice_err_dns": _("the broker's name was not found (DNS)"),
        "st_headoffice_err_refused": _("the broker refused the connection"),
        "st_headoffice_err_unreachable": _("the broker cannot be reached"),
        "st_headoffice_err_tls": _("secure connection (TLS) failed"),
        "st_headoffice_err_auth": _("refused: wrong user name or password"),
        "st_headoffice_err_lost": _("the connection was lost"),
        "st_headoffice_err_other": _("connection failed"),
        "st_headoffice_saved": _("Saved. The box reconnects to head office in a few seconds."),
        "st_headoffice_unchanged": _("Nothing changed."),
        "st_headoffice_prefix_confirm": _("The topic prefix is agreed with head office. "
                                          "Change it only when head office tells you to. "
                                          "Change it?"),
        "st_headoffice_pw_set_page": _("A password is set (on this page)."),
        "st_headoffice_pw_set_file": _("A password is set (in the secrets file)."),
        "st_headoffice_pw_none": _("No password is set."),
        "st_headoffice_pw_saved": _("Password saved."),
        "st_headoffice_pw_cleared": _("Password removed from this page."),
        "st_headoffice_pw_confirm_clear": _("Remove the password set on this page?"),
        "st_headoffice_cert_none": _("not uploaded"),
        "st_headoffice_cert_until": _("%(subject)s, valid until %(date)s", subject="{subject}",
                                      date="{date}"),
        "st_headoffice_key_set": _("uploaded"),
        "st_headoffice_tls_saved": _("Certificates saved."),
        "st_headoffice_tls_removed": _("Removed."),
        "st_headoffice_tls_pick": _("Choose the files to upload first."),
        "st_headoffice_remove": _("Remove"),
        "st_headoffice_test_running": _("Testing the connection…"),
        "st_headoffice_test_ok": _("Connection works: %(broker)s accepted this box.",
                                   broker="{broker}"),
        "st_headoffice_test_failed": _("Connection test failed: %(reason)s",
                                       reason="{reason}"),
    }


def context() -> dict:
    """What _settings_headoffice.html needs besides the settings themselves (none: the
    script loads them from /api/v1/settings/headoffice)."""
    return {}
