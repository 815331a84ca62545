"""Notifications end to end: notifyd's loop (in a thread) against a real core (waitress on
loopback) sending e-mail to aiosmtpd and text messages through the simulated modem on a pty
pair, with failures retried; and uplinkd (a real process) relaying through a real mosquitto
on the ``notify`` topic."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from datetime import datetime, timezone

import pytest
from aiosmtpd.controller import Controller

from appliance.box import Box
from appliance.clock import FixedClock
from appliance.config import load
from appliance.orders import Actor
from conftest import free_port, wait_until
from loopback import LoopbackServer
from mqtt_broker import Broker
from services.daemon import CoreClient, Daemon
from services.notifyd import Notifyd
from uplink_rig import LinkedBox, Probe
from webui.app import create_app

MANAGER = Actor("s-manager", "manager", "counter")
ASSISTANT = Actor("s-assistant", "assistant", "phone-1")


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


class Core:
    """A box and its core on loopback, with a clock the test moves."""

    def __init__(self, tmp, notify: str):
        cfg = tmp / "t.toml"
        cfg.write_text(f'[paths]\ndata = "d"\n[notify]\n{notify}\n', encoding="utf-8")
        self.cfg = load(cfg, environ={})
        self.clock = FixedClock(datetime.now(timezone.utc))
        self.box = Box(self.cfg, clock=self.clock)
        self.box.master.settings.set("shop.name", "清风茶庄")
        self.server = LoopbackServer(create_app(self.box), threads=6)
        self.daemon = Daemon("notifyd")
        self.worker = Notifyd(self.cfg, CoreClient(self.server.url, self.box.device_token,
                                                   "notifyd"), self.daemon)
        self.thread = threading.Thread(target=self.worker.run, daemon=True)

    def row(self, notification_id):
        return self.box.notifications.get(notification_id)

    def close(self):
        self.daemon.stop.set()
        self.thread.join(20)
        self.worker.close()
        self.server.close()
        self.box.close()


def test_an_email_is_retried_until_the_mail_server_answers(tmp_path):
    port = free_port()
    core = Core(tmp_path, f'email = "smtp"\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\n'
                          'smtp_tls = "none"\nsmtp_from = "shop@example.com"\n'
                          'timeout_seconds = 3')
    smtp = None
    try:
        made = core.box.notifications.send_test(MANAGER, "email", "boss@example.com")
        core.thread.start()
        # No mail server yet: the attempt fails and is queued again for later.
        row = wait_until(lambda: (r := core.row(made["id"]))["attempts"] == 1
                         and r["state"] == "queued" and r, 15, "the failed attempt")
        assert "127.0.0.1" in row["last_error"]
        inbox = Inbox()
        smtp = Controller(inbox, hostname="127.0.0.1", port=port)
        smtp.start()
        core.clock.advance(seconds=31)          # the first retry delay is 30 s
        row = wait_until(lambda: (r := core.row(made["id"]))["state"] == "sent" and r, 15,
                         "sent on the retry")
        assert row["attempts"] == 2 and row["provider_ref"]
        [(rcpts, raw)] = inbox.messages
        assert rcpts == ["boss@example.com"]
        assert row["provider_ref"].encode() in raw
    finally:
        if smtp is not None:
            smtp.stop()
        core.close()


def test_text_messages_through_the_simulated_modem_fail_then_go_and_report_delivery(tmp_path):
    from drivers.modem.simulated import sent_messages, write_faults
    core = Core(tmp_path, 'sms = "modem"\ntimeout_seconds = 5\n[modem]\nbackend = "simulated"')
    state = core.cfg.data_dir / "sim" / "modem"
    try:
        write_faults(state, fail_next=1, report_delay_s=0.2)
        member = core.box.members.sign_up(ASSISTANT, name="周女士", phone="13800138000")
        [welcome] = core.box.notifications.list(MANAGER, event="member_welcome")[
            "notifications"]
        assert welcome["member_id"] == member.id
        core.thread.start()
        row = wait_until(lambda: (r := core.row(welcome["id"]))["attempts"] == 1
                         and r["state"] == "queued" and r, 30, "the failed attempt")
        assert row["last_error"].startswith("modem")
        core.clock.advance(seconds=31)
        row = wait_until(lambda: (r := core.row(welcome["id"]))["state"] == "sent" and r, 30,
                         "sent on the retry")
        [sms] = [m for m in sent_messages(state) if m.get("number", "").endswith("13800138000")]
        assert sms["text"].startswith("【清风茶庄】")
        # the network's delivery report comes back to the row
        core.worker._next_reports = 0
        wait_until(lambda: core.row(welcome["id"])["delivery"] == "delivered", 30,
                   "the delivery report")
        # a number the network rejects fails at once, without retries
        write_faults(state, reject_numbers=["+8613900139000", "13900139000"])
        rejected = core.box.notifications.send_test(MANAGER, "sms", "13900139000")
        row = wait_until(lambda: (r := core.row(rejected["id"]))["state"] == "failed" and r,
                         30, "the permanent failure")
        assert row["attempts"] == 1
    finally:
        core.close()


@pytest.fixture
def relay_box(tmp_path, broker):
    box = LinkedBox(tmp_path / "box", broker.port,
                    extra='[notify]\nsms = "relay"\nwechat = "relay"')
    yield box
    box.close()


def test_uplinkd_relays_sms_and_wechat_on_the_notify_topic(relay_box, broker):
    probe = Probe(broker.port)
    try:
        relay_box.box.members.sign_up(ASSISTANT, name="周女士", phone="13800138000")
        relay_box.start_uplinkd()
        got = wait_until(lambda: len(probe.on("notify")) >= 2 and probe.on("notify"), 20,
                         "two relayed messages")
        assert {m["channel"] for m in got} == {"sms", "wechat"}
        for m in got:
            assert m["schema"] == 1 and m["to"] == "13800138000"
            assert m["event"] == "member_welcome" and m["language"] == "zh_CN"
            assert m["text"].startswith("【") and m["subject"]
        outbox = relay_box.box.notifications
        wait_until(lambda: all(outbox.get(m["id"])["state"] == "sent" for m in got), 15,
                   "marked sent")
        assert {outbox.get(m["id"])["provider_ref"] for m in got} == {m["id"] for m in got}
    finally:
        probe.close()


def test_a_relay_the_broker_refuses_is_not_counted_as_sent(tmp_path):
    acl = ("user till-1\ntopic readwrite pos/v1/hz-0012/till-1/status\n"
           "topic readwrite pos/v1/hz-0012/till-1/journal\n"
           "topic readwrite pos/v1/hz-0012/till-1/hb\n"
           "topic read pos/v1/hz-0012/till-1/#\n")
    broker = Broker(tmp_path / "broker", acl=acl, users={"till-1": "pw"})
    box = LinkedBox(tmp_path / "box", broker.port, extra='[notify]\nwechat = "relay"')
    (tmp_path / "box" / "secrets.toml").write_text('[mqtt]\npassword = "pw"\n')
    (tmp_path / "box" / "secrets.toml").chmod(0o600)
    box.cfg_path.write_text(box.cfg_path.read_text().replace(
        "[mqtt]\n", '[mqtt]\nusername = "till-1"\n'))
    try:
        made = box.box.notifications.send_test(MANAGER, "wechat", "13800138000")
        box.start_uplinkd()
        row = wait_until(lambda: (r := box.box.notifications.get(made["id"]))["attempts"] >= 1
                         and r["state"] == "queued" and r, 30, "the refused attempt")
        assert "refused" in row["last_error"]
    finally:
        box.close()
        broker.stop()


@pytest.mark.parametrize("notify,status", [
    ('email = "smtp"\nsmtp_host = "127.0.0.1"\nsmtp_from = "shop@example.com"', "sending smtp"),
    ("", "sending nothing"),
])
def test_notifyd_as_systemd_runs_it(tmp_path, notify, status):
    """READY=1, WATCHDOG=1 from the loop while core is away (or nothing is configured),
    STOPPING=1 and exit 0 on SIGTERM."""
    cfg = tmp_path / "t.toml"
    cfg.write_text(f'[paths]\ndata = "d"\n[web]\nport = {free_port()}\n[notify]\n{notify}\n',
                   encoding="utf-8")
    Box(load(cfg, environ={})).close()   # the data directory and the device token; no core
    sock_path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    sock.settimeout(0.5)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TILLBOX_", "WATCHDOG_"))}
    env.update(TILLBOX_CONFIG=str(cfg), NOTIFY_SOCKET=str(sock_path), WATCHDOG_USEC="1000000")
    proc = subprocess.Popen([sys.executable, "-m", "appliance.cli", "notifyd"],
                            cwd=Path(__file__).resolve().parents[2], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def messages(until, timeout):
        got, deadline = [], time.monotonic() + timeout
        while time.monotonic() < deadline and not until(got):
            try:
                got.append(sock.recv(4096).decode())
            except socket.timeout:
                pass
        return got
    try:
        got = messages(lambda g: sum("WATCHDOG=1" in m for m in g) >= 3, 20)
        assert got and got[0].startswith("READY=1") and status in got[0], got
        assert sum("WATCHDOG=1" in m for m in got) >= 3, got
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        assert any("STOPPING=1" in m for m in messages(lambda g: False, 0.5) + got)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sock.close()
    log = proc.stdout.read()
    assert "Traceback" not in log, log
