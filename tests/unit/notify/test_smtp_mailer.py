"""notifyd's e-mail against a real SMTP server (aiosmtpd on 127.0.0.1): plain, STARTTLS with a
self-signed CA and a login, TLS from the start, untrusted certificates, refused recipients
(permanent) and temporary refusals (retried)."""

from __future__ import annotations

import email
import email.policy
import ssl

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from appliance.config import load
from conftest import free_port
from services.notifyd import Mailer, SendError, build_email
from services.tls import ensure_certificates


class Inbox:
    """An aiosmtpd handler that keeps what it gets; ``refuse_rcpt``/``refuse_data`` make it
    answer with that reply instead."""

    def __init__(self):
        self.messages = []
        self.refuse_rcpt = ""
        self.refuse_data = ""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_data:
            return self.refuse_data
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.original_content,
                                                       policy=email.policy.default)))
        return "250 Message accepted"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"shop" and auth_data.password == b"s3cret-pw"
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return ensure_certificates(tmp_path_factory.mktemp("tls"), "smtp-test", ["127.0.0.1"])


def server_context(certs) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certs.cert, certs.key)
    return ctx


@pytest.fixture
def smtp(certs):
    started = []

    def start(mode="none", auth=False):
        inbox = Inbox()
        port = free_port()
        kw = {}
        if mode == "starttls":
            kw.update(tls_context=server_context(certs), require_starttls=True)
        elif mode == "tls":
            kw.update(ssl_context=server_context(certs))
        if auth:
            # aiosmtpd counts only STARTTLS as TLS for AUTH: with TLS from the start the
            # connection is encrypted anyway
            kw.update(authenticator=authenticator, auth_required=True,
                      auth_require_tls=mode == "starttls")
        c = Controller(inbox, hostname="127.0.0.1", port=port, **kw)
        c.start()
        started.append(c)
        return inbox, port
    yield start
    for c in started:
        c.stop()


def mailer(tmp_path, port, tls="none", *, username="", password="", ca=""):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[notify]\nsmtp_password = "{password}"\n', encoding="utf-8")
    secrets.chmod(0o600)
    cfg = tmp_path / "t.toml"
    cfg.write_text(f"""
[paths]
data = "d"
secrets = "{secrets}"
[notify]
email = "smtp"
smtp_host = "127.0.0.1"
smtp_port = {port}
smtp_tls = "{tls}"
smtp_username = "{username}"
smtp_from = "shop@example.com"
smtp_ca_file = "{ca}"
timeout_seconds = 5
""", encoding="utf-8")
    return Mailer(load(cfg, environ={}))


SUBJECT = "清风茶庄: 订单 20261126-0001 已可自提"
TEXT = "【清风茶庄】您的订单 20261126-0001 已可到店自提。\n详情 https://r.example.com/r/x.y"


def check_message(inbox, ref):
    [(sender, rcpts, msg)] = inbox.messages
    assert sender == "shop@example.com" and rcpts == ["zhou@example.com"]
    assert msg["Subject"] == SUBJECT                      # decoded from RFC 2047
    assert msg["Message-ID"].strip("<>") == ref
    assert msg.get_content_type() == "multipart/alternative"
    plain = msg.get_body(("plain",))
    assert plain.get_content_charset() == "utf-8"
    assert plain.get_content().replace("\r\n", "\n").rstrip("\n") == TEXT
    assert "已可到店自提" in msg.get_body(("html",)).get_content()


def test_plain_smtp_delivers_a_utf8_multipart_message(tmp_path, smtp):
    inbox, port = smtp()
    ref = mailer(tmp_path, port).send("zhou@example.com", SUBJECT, TEXT)
    check_message(inbox, ref)


def test_the_raw_subject_is_encoded_and_ascii_only():
    raw = bytes(build_email("shop@example.com", "a@example.com", SUBJECT, TEXT))
    header = [line for line in raw.split(b"\r\n") + raw.split(b"\n")
              if line.startswith(b"Subject:")][0]
    assert header.isascii() and b"=?utf-8?" in header.lower()


def test_starttls_with_a_self_signed_ca_and_a_login(tmp_path, smtp, certs):
    inbox, port = smtp("starttls", auth=True)
    m = mailer(tmp_path, port, "starttls", username="shop", password="s3cret-pw",
               ca=certs.ca_cert)
    check_message(inbox, m.send("zhou@example.com", SUBJECT, TEXT))


def test_a_wrong_password_is_a_transient_failure_naming_the_fix(tmp_path, smtp, certs):
    inbox, port = smtp("starttls", auth=True)
    m = mailer(tmp_path, port, "starttls", username="shop", password="wrong",
               ca=certs.ca_cert)
    with pytest.raises(SendError) as err:
        m.send("zhou@example.com", SUBJECT, TEXT)
    assert not err.value.permanent and "smtp_password" in str(err.value)
    assert inbox.messages == []


def test_an_untrusted_certificate_is_refused(tmp_path, smtp):
    inbox, port = smtp("starttls")
    with pytest.raises(SendError) as err:
        mailer(tmp_path, port, "starttls").send("zhou@example.com", SUBJECT, TEXT)
    assert "not trusted" in str(err.value) and not err.value.permanent
    assert inbox.messages == []


def test_tls_from_the_start(tmp_path, smtp, certs):
    inbox, port = smtp("tls", auth=True)
    m = mailer(tmp_path, port, "tls", username="shop", password="s3cret-pw", ca=certs.ca_cert)
    check_message(inbox, m.send("zhou@example.com", SUBJECT, TEXT))


def test_starttls_asked_of_a_server_without_it_is_explained(tmp_path, smtp, certs):
    _inbox, port = smtp("none")
    with pytest.raises(SendError) as err:
        mailer(tmp_path, port, "starttls", ca=certs.ca_cert).send("a@example.com", "s", "t")
    assert "STARTTLS" in str(err.value)


def test_a_refused_recipient_is_permanent(tmp_path, smtp):
    inbox, port = smtp()
    inbox.refuse_rcpt = "550 5.1.1 no such mailbox"
    with pytest.raises(SendError) as err:
        mailer(tmp_path, port).send("nobody@example.com", SUBJECT, TEXT)
    assert err.value.permanent


def test_a_temporary_refusal_is_transient(tmp_path, smtp):
    inbox, port = smtp()
    inbox.refuse_data = "451 4.3.0 try again later"
    with pytest.raises(SendError) as err:
        mailer(tmp_path, port).send("zhou@example.com", SUBJECT, TEXT)
    assert not err.value.permanent and "451" in str(err.value)


def test_a_non_ascii_password_is_explained(tmp_path, smtp):
    _inbox, port = smtp(auth=True)
    with pytest.raises(SendError) as err:
        mailer(tmp_path, port, username="shop", password="密码").send("a@example.com", "s", "t")
    assert "ASCII" in str(err.value)


def test_no_server_listening_is_transient(tmp_path):
    with pytest.raises(SendError) as err:
        mailer(tmp_path, free_port()).send("zhou@example.com", SUBJECT, TEXT)
    assert not err.value.permanent
