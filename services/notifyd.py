"""notifyd: sends customers' notifications that leave the box directly (docs/notifications.md).

One working loop: long-poll core for the next due notification of its routes (``smtp`` when
notify.email = smtp, ``modem`` when notify.sms = modem), send it, report the outcome (sent
with the provider's reference, retry later, or failed for good); between messages, collect
the modem's delivery reports and pass them on. Core keeps the queue, the attempts and the
backoff; notifyd holds nothing that a restart would lose (a claim it never answered is offered
again when its lease runs out). Head office's relay (SMS without a modem, WeChat) is uplinkd's.

A send runs in a helper thread while the loop keeps feeding the systemd watchdog, so a slow
mail server costs time, never a restart.
"""

from __future__ import annotations

import html
import logging
import smtplib
import ssl
import threading
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from appliance.backoff import Backoff
from appliance.secrets_file import secret
from drivers.modem import MAX_PARTS

from .daemon import CoreClient, CoreUnreachable, Daemon

log = logging.getLogger(__name__)

POLL_WAIT = 2.0          # long-poll wait; keeps the loop turning for the watchdog
REPORTS_EVERY = 10.0     # seconds between reads of the modem's delivery reports


class SendError(Exception):
    """A send that did not go; ``permanent`` when trying again cannot help (a bad address)."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


def routes_for(cfg) -> list[str]:
    routes = []
    if cfg.notify.email == "smtp":
        routes.append("smtp")
    if cfg.notify.sms == "modem":
        routes.append("modem")
    return routes


# -- e-mail --------------------------------------------------------------------------------

def build_email(sender: str, to: str, subject: str, text: str) -> EmailMessage:
    """multipart/alternative: UTF-8 text and the same as simple HTML; the subject is
    RFC 2047-encoded by the email package when it is not ASCII."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender.rpartition("@")[2] or None
    msg["Message-ID"] = make_msgid(domain=domain)
    msg.set_content(text, charset="utf-8")
    body = "<br>\n".join(html.escape(line) for line in text.splitlines())
    msg.add_alternative(f"<!DOCTYPE html><html><body><p>{body}</p></body></html>",
                        subtype="html", charset="utf-8")
    return msg


class Mailer:
    """One SMTP connection per message (a shop sends a few a day): connect, TLS as
    configured with the certificate verified, log in when a user name is set, send, quit."""

    def __init__(self, cfg):
        self.cfg = cfg.notify
        self.secrets_path = cfg.paths.secrets

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.cfg.smtp_ca_file or None)

    def describe(self) -> str:
        return f"mail server {self.cfg.smtp_host}:{self.cfg.smtp_port} ({self.cfg.smtp_tls})"

    def send(self, to: str, subject: str, text: str) -> str:
        """The Message-ID of the sent message; raises SendError."""
        c = self.cfg
        if not c.smtp_host or not c.smtp_from:
            raise SendError("notify.smtp_host and notify.smtp_from must be set for e-mail")
        msg = build_email(c.smtp_from, to, subject, text)
        stage = "connect"
        try:
            if c.smtp_tls == "tls":
                server = smtplib.SMTP_SSL(c.smtp_host, c.smtp_port, timeout=c.timeout_seconds,
                                          context=self.context())
            else:
                server = smtplib.SMTP(c.smtp_host, c.smtp_port, timeout=c.timeout_seconds)
            try:
                server.ehlo()
                if c.smtp_tls == "starttls":
                    stage = "starttls"
                    server.starttls(context=self.context())
                    server.ehlo()
                if c.smtp_username:
                    stage = "login"
                    password = secret(self.secrets_path, "notify", "smtp_password")
                    if not (c.smtp_username + password).isascii():
                        # smtplib sends AUTH PLAIN/LOGIN as ASCII only
                        raise SendError("notify.smtp_username and the smtp_password in the "
                                        "secrets file must be ASCII")
                    server.login(c.smtp_username, password)
                stage = "send"
                server.send_message(msg)
            finally:
                try:
                    server.quit()
                except (smtplib.SMTPException, OSError):
                    server.close()
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _msg in exc.recipients.values()]
            raise SendError(f"{self.describe()} refused the recipient ({codes})",
                            permanent=all(code >= 500 for code in codes)) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(f"{self.describe()} refused the login of notify.smtp_username "
                            f"({exc.smtp_code}): check notify.smtp_password in the secrets "
                            "file") from None
        except smtplib.SMTPDataError as exc:
            raise SendError(f"{self.describe()} refused the message ({exc.smtp_code})",
                            permanent=exc.smtp_code >= 500) from None
        except smtplib.SMTPNotSupportedError:
            if stage == "starttls":
                raise SendError(f"{self.describe()} does not offer STARTTLS: set "
                                "notify.smtp_tls to tls (port 465) or ask the mail provider"
                                ) from None
            raise SendError(f"{self.describe()} offers no login ({stage}): clear "
                            "notify.smtp_username or use TLS") from None
        except ssl.SSLCertVerificationError as exc:
            raise SendError(f"{self.describe()}: its certificate is not trusted "
                            f"({exc.verify_message}); set notify.smtp_ca_file") from None
        except smtplib.SMTPResponseException as exc:
            raise SendError(f"{self.describe()} answered {exc.smtp_code}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise SendError(f"{self.describe()}: {exc.__class__.__name__}: {exc}") from None
        return msg["Message-ID"].strip("<>")


# -- text messages -------------------------------------------------------------------------

class Texts:
    """The modem's SMS sender (drivers/modem), opened on demand and reopened after an
    unexpected error (a modem unplugged and plugged back)."""

    def __init__(self, cfg):
        self.cfg = cfg
        self._sender = None

    def sender(self):
        if self._sender is None:
            import drivers.modem as modem
            from appliance.secrets_file import read_secrets
            self._sender = modem.open_sms_sender(self.cfg, read_secrets(self.cfg.paths.secrets))
        return self._sender

    def send(self, to: str, text: str) -> str:
        import drivers.modem as modem
        try:
            return self.sender().send(to, text)
        except modem.PermanentSmsError as exc:
            raise SendError(f"modem: {exc}", permanent=True) from None
        except modem.TransientSmsError as exc:
            raise SendError(f"modem: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - unknown trouble: reopen, try later
            self.close()
            raise SendError(f"modem: {exc.__class__.__name__}: {exc}") from None

    def reports(self) -> list:
        try:
            return list(self.sender().reports())
        except Exception as exc:  # noqa: BLE001 - reports come again on the next poll
            log.warning("modem delivery reports unreadable: %s", exc)
            self.close()
            return []

    def close(self) -> None:
        if self._sender is not None:
            try:
                self._sender.close()
            except Exception:  # noqa: BLE001
                log.exception("closing the modem failed")
            self._sender = None


# -- the loop ------------------------------------------------------------------------------

class Notifyd:
    def __init__(self, cfg, core: CoreClient, daemon: Daemon, *, mailer=None, texts=None):
        self.cfg = cfg
        self.core = core
        self.daemon = daemon
        self.routes = routes_for(cfg)
        self.mailer = mailer or (Mailer(cfg) if "smtp" in self.routes else None)
        self.texts = texts or (Texts(cfg) if "modem" in self.routes else None)
        self._backoff = Backoff(0.5, 10.0)
        self._next_reports = 0.0
        self._reports: list = []
        self.sent = 0

    def run(self) -> None:
        while not self.daemon.stop.is_set():
            self.daemon.alive()
            if not self.routes:
                self.daemon.sleep(5)
                continue
            try:
                self.turn()
                self._backoff.reset()
            except CoreUnreachable as exc:
                log.warning("%s", exc)
                self.daemon.sleep(self._backoff.next())

    def turn(self) -> bool:
        """Claim one notification and send it; True when one was handled."""
        self.poll_reports()
        status, job = self.core.call("POST", "/device/notifications/claim",
                                     {"routes": self.routes, "wait": POLL_WAIT},
                                     timeout=POLL_WAIT + 10)
        if status == 204 or not job:
            return False
        if status != 200:
            log.error("core refused the claim (%s): %s", status, job)
            self.daemon.sleep(5)
            return False
        outcome, ref, error = self.send(job)
        self.report(job["id"], outcome, ref, error)
        return True

    def send(self, job: dict) -> tuple[str, str, str]:
        """(outcome, provider_ref, error) of one attempt, feeding the watchdog meanwhile."""
        box: dict = {}

        def work():
            try:
                if job["route"] == "smtp":
                    box["ref"] = self.mailer.send(job["to"], job["subject"], job["text"])
                elif job["route"] == "modem":
                    box["ref"] = self.texts.send(job["to"], job["text"])
                else:
                    box["error"] = SendError(f"notifyd does not send route {job['route']}",
                                             permanent=True)
            except SendError as exc:
                box["error"] = exc
            except Exception as exc:  # noqa: BLE001 - reported as a transient failure
                log.exception("sending notification %s failed", job["id"])
                box["error"] = SendError(f"{exc.__class__.__name__}: {exc}")

        worker = threading.Thread(target=work, name="notify-send", daemon=True)
        worker.start()
        # The senders time out by themselves (SMTP, each AT command); a long text message is
        # up to MAX_PARTS sends. Never report a retry while the send may still go through
        # (the customer would get it twice): past the deadline the watchdog goes hungry, so
        # systemd restarts a notifyd whose send hangs.
        parts = MAX_PARTS if job["route"] == "modem" else 3
        deadline = time.monotonic() + parts * self.cfg.notify.timeout_seconds + 10
        while worker.is_alive() and time.monotonic() < deadline:
            self.daemon.alive()
            worker.join(0.5)
        if worker.is_alive():
            log.error("notification %s: the %s send hangs; waiting for it (the watchdog"
                      " restarts notifyd if it never ends)", job["id"], job["route"])
            worker.join()
        if "error" in box:
            err = box["error"]
            log.warning("notification %s (%s, attempt %s) not sent: %s", job["id"],
                        job["route"], job.get("attempts"), err)
            return ("failed" if err.permanent else "retry"), "", str(err)
        self.sent += 1
        log.info("notification %s (%s, %s) sent", job["id"], job["event"], job["route"])
        return "sent", str(box.get("ref", "")), ""

    def report(self, notification_id: str, outcome: str, ref: str, error: str) -> None:
        """Tell core; keep trying while core is away (a sent message must not be sent
        again because its report was lost), within the claim's lease."""
        body = {"outcome": outcome, "provider_ref": ref, "error": error}
        backoff = Backoff(0.5, 5.0)
        deadline = time.monotonic() + self.cfg.notify.timeout_seconds + 25
        while True:
            try:
                status, answer = self.core.call(
                    "POST", f"/device/notifications/{notification_id}/result", body)
                if status >= 400:
                    log.warning("core did not take the result of %s (%s): %s",
                                notification_id, status, answer)
                return
            except CoreUnreachable as exc:
                if time.monotonic() > deadline or self.daemon.sleep(backoff.next()):
                    log.error("result of notification %s lost: %s", notification_id, exc)
                    return

    def poll_reports(self, force: bool = False) -> int:
        if self.texts is None or (not force and time.monotonic() < self._next_reports):
            return 0
        self._next_reports = time.monotonic() + REPORTS_EVERY
        # Reports core has not heard yet stay here (core away: told on a later turn).
        self._reports += self.texts.reports()
        n = 0
        while self._reports:
            rep = self._reports[0]
            status, _answer = self.core.call("POST", "/device/notifications/delivery",
                                             {"route": "modem", "reference": str(rep.reference),
                                              "status": rep.status})
            self._reports.pop(0)
            if status < 400:
                n += 1
        return n

    def close(self) -> None:
        if self.texts is not None:
            self.texts.close()


def serve(cfg) -> None:
    daemon = Daemon("notifyd")
    daemon.install_signals()
    core = CoreClient.from_config(cfg, "notifyd")
    worker = Notifyd(cfg, core, daemon)
    daemon.ready("sending " + (", ".join(worker.routes) if worker.routes else
                               "nothing (notify.email and notify.sms are not smtp/modem)"))
    try:
        worker.run()
    finally:
        worker.close()
        log.info("notifyd stopped")
