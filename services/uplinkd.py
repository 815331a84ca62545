"""uplinkd: every journal record to head office over MQTT 5, exactly once in effect.

The journal is read read-only from ledger.db, from a durable cursor that moves only when head
office's retained ``ack`` says it has stored a record (ARCHITECTURE section 6,
docs/mqtt.md). After any start or reconnect everything above the cursor is sent again; head
office stores by (device, seq), so repeats are harmless and nothing depends on paho's
in-memory queue. A publish the broker refuses (PUBACK reason >= 0x80) is not counted as sent:
it is retried with backoff, logged, and shown as a warning.

paho runs its network loop in its own thread; its callbacks only put events on a queue. This
loop does the work: reading the journal, publishing, files, commands, heartbeats. Commands that
wait on core (a catalog can take seconds to check and write) run one at a time on a worker
thread, so the journal keeps flowing meanwhile.
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
import sys
import threading
import time
from datetime import datetime, timezone

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from appliance import __version__
from appliance.backoff import Backoff
from appliance.clock import SystemClock, format_ts, parse_ts
from appliance.ledger import open_readonly
from appliance.ledger.records import Record
from appliance.config import ConfigError
from appliance.config_changes import reload as reload_config
from appliance.config_watch import ConfigWatch
from appliance.headoffice_link import broker_password, classify
from appliance.uplink import contract
from appliance.uplink.state import UplinkState

from .daemon import CoreClient, CoreUnreachable, Daemon
from .notify_relay import Relay, relay_wanted

log = logging.getLogger(__name__)

REPORT_EVERY = 5.0      # seconds between reports of the link's state to core
#: What uplinkd's connection depends on: a change to any of these (settings page, issue 11)
#: makes it reconnect with the new values, keeping its cursor.
LINK_KEYS = ("host", "port", "tls", "prefix", "ca_file", "client_cert", "client_key",
             "username", "keepalive", "window")
IDLE_POLL = 0.05        # seconds between looks at the journal when nothing else happens


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Uplink:
    def __init__(self, cfg, core: CoreClient | None, daemon: Daemon):
        self.cfg = cfg
        self.m = cfg.mqtt
        self.core = core
        self.daemon = daemon
        self.store, self.device = cfg.shop.store_id, cfg.shop.device_id
        self.state = UplinkState(cfg.uplink_dir)
        self.events: queue.Queue = queue.Queue()
        self.journal = None
        self.floor = 1   # ledger meta first_seq: records below are a predecessor's (issue 11)
        self.connected = False
        self.inflight: dict[int, int] = {}       # paho mid -> seq
        self.next_seq = self.state.acked_seq + 1
        self.sent_seq = self.state.acked_seq     # highest seq the broker accepted
        self.last_ack_move = time.monotonic()
        self.last_contact: str | None = None
        self.warning = ""
        self.refusals = Backoff(2.0, 30.0)
        self.paused_until = 0.0
        self.next_hb = 0.0
        self.next_report = 0.0
        self.clock = SystemClock(cfg.clock.sync_flag, cfg.clock.assume_synced)
        #: shop.store_id or shop.device_id changed (the setup page): the loop ends, and
        #: serve() starts this program again with them (topics, client id, Will and the
        #: records' identity all hang on them)
        self.reexec = False
        # issue 11: the link's health for the settings page, and live reconfiguration
        self.connected_since: str | None = None
        self.last_error: dict | None = None      # {"kind", "detail", "at"}
        self.last_heartbeat: str | None = None
        self.acked_at: str | None = _acked_at(cfg.uplink_dir)
        self.watch = ConfigWatch(cfg, _link_files)
        self._link_stats = _stats(_link_files(cfg))
        self._password: str | None = None     # what the client logs in with (never logged)
        self.client = self._make_client() if self.m.host else None
        self.work: queue.Queue = queue.Queue()   # commands for core, in arrival order
        self.running: set[str] = set()           # their ids, until core has answered
        self.worker = threading.Thread(target=self._apply_commands, name="uplink-commands",
                                       daemon=True)
        # issue 10: customers' SMS/WeChat through head office (services/notify_relay.py)
        self.relay = (Relay(self) if self.client is not None and core is not None
                      and relay_wanted(cfg) else None)

    # -- the MQTT client; callbacks only queue events -------------------------------------

    def t(self, leaf: str) -> str:
        return contract.topic(self.m.prefix, self.store, self.device, leaf)

    def _make_client(self) -> mqtt.Client:
        c = mqtt.Client(CallbackAPIVersion.VERSION2,
                        client_id=f"tillbox-{self.store}-{self.device}",
                        protocol=mqtt.MQTTv5)
        if self.m.tls:
            try:
                c.tls_set(ca_certs=self.m.ca_file or None, certfile=self.m.client_cert or None,
                          keyfile=self.m.client_key or None)
            except (OSError, ValueError) as exc:   # a missing or unreadable certificate
                self.failed({"kind": "tls", "detail": f"cannot load the certificates: {exc}"})
                return None
        if self.m.username:
            try:
                password = broker_password(self.cfg)
            except ConfigError as exc:
                self.failed({"kind": "other", "detail": str(exc)})
                password = ""
            c.username_pw_set(self.m.username, password or None)
            self._password = password
        c.reconnect_delay_set(1, 60)
        c.max_inflight_messages_set(self.m.window)
        c.max_queued_messages_set(0)
        put = self.events.put
        c.on_connect = lambda _c, _u, _f, rc, _p: put(("connect", rc))
        c.on_disconnect = self._on_disconnect
        c.on_publish = lambda _c, _u, mid, rc, _p: put(("puback", mid, rc))
        c.on_message = lambda _c, _u, msg: put(("message", msg.topic, msg.payload))
        c.on_subscribe = lambda _c, _u, mid, rcs, _p: put(("suback", mid, rcs))
        # paho calls this inside its `except OSError`: the exception says why (DNS, TLS...)
        c.on_connect_fail = lambda _c, _u: put(("connect_fail", c, sys.exc_info()[1]))
        self._set_will(c)
        return c

    def _set_will(self, c) -> None:
        # The Will says offline under the number the next connection will announce.
        c.will_set(self.t("status"), self._status_for(self.state.session + 1, False),
                   qos=1, retain=True)

    def _status_for(self, session: int, online: bool) -> bytes:
        return contract.encode({"online": online, "session": session, "version": __version__,
                                "store": self.store, "device": self.device,
                                "since": format_ts(_now()), "warning": self.warning})

    def _on_disconnect(self, c, _u, _flags, rc, _p) -> None:
        self.events.put(("disconnect", rc))

    # -- the loop ---------------------------------------------------------------------------

    def failed(self, error: dict) -> None:
        """Remember why the link is down, for the settings page (never a secret)."""
        error = {**error, "at": format_ts(_now())}
        if self.last_error is None or (self.last_error["kind"], self.last_error["detail"]) != \
                (error["kind"], error["detail"]):
            log.warning("head-office link: %s: %s", error["kind"], error["detail"])
            self.next_report = 0.0      # the settings page shows it at once
        self.last_error = error

    def start(self) -> None:
        if self.client is None:
            if self.m.host:
                log.error("not connecting to head office: %s", (self.last_error or {}).get(
                    "detail", ""))
            else:
                log.info("mqtt.host is empty: this box is not linked to head office")
            return
        log.info("connecting to head office at %s:%s (%s)", self.m.host, self.m.port,
                 "TLS" if self.m.tls else "no TLS")
        if not self.worker.is_alive() and self.worker.ident is None:
            self.worker.start()
        if self.relay is not None and self.relay.thread.ident is None:
            # once: start() runs again on every reconnect with new settings, and a thread
            # can only be started once
            self.relay.start()
        self.client.connect_async(self.m.host, self.m.port, keepalive=self.m.keepalive)
        self.client.loop_start()

    def run(self) -> None:
        self.start()
        while not self.daemon.stop.is_set() and not self.reexec:
            self.daemon.alive()
            try:
                # Short: an idle link looks for new sales this often (the latency of a sale
                # to head office); the query is one primary-key lookup.
                event = self.events.get(timeout=IDLE_POLL)
            except queue.Empty:
                event = None
            if event is not None:
                self.handle(event)
            if self.watch.changed():
                self.reconfigure()
            if self.connected:
                self.pump()
                self.check_stalled()
                self.heartbeat()
            self.report_to_core()

    def handle(self, event) -> None:
        kind = event[0]
        if kind == "connect":
            rc = event[1]
            if rc.is_failure:
                log.warning("head office broker refused the connection: %s", rc)
                self.warning = f"connection refused: {rc}"
                self.failed(classify(reason=rc))
                return
            self.on_connected()
        elif kind == "connect_fail":
            if event[1] is self.client:      # not a client replaced since
                self.failed(classify(event[2], tls=self.m.tls))
        elif kind == "disconnect":
            was = self.connected
            self.connected = False
            self.connected_since = None
            self.next_report = 0.0
            self.inflight.clear()
            if self.relay is not None:
                self.relay.on_disconnect()
            if was:
                log.warning("disconnected from head office: %s", event[1])
                if getattr(event[1], "is_failure", False):
                    self.failed({"kind": "lost", "detail": str(event[1])})
            # The next connection gets a new number, and its Will must say so.
            self._set_will(self.client)
        elif kind == "puback":
            self.on_puback(event[1], event[2])
        elif kind == "message":
            self.last_contact = format_ts(_now())
            self.on_message(event[1], event[2])
        elif kind == "cmd_done":
            self.running.discard(event[1])
            self.cmd_ack(event[1], event[2], event[3])
        elif kind == "suback":
            for rc in event[2]:
                if rc.is_failure:
                    log.error("head office broker refused a subscription: %s", rc)
                    self.warning = f"subscription refused: {rc}"

    def on_connected(self) -> None:
        session = self.state.next_session()
        self.connected = True
        self.last_contact = format_ts(_now())
        self.connected_since = self.last_contact
        self.next_report = 0.0
        if self.warning.startswith("connection refused"):
            self.warning = ""
        self.inflight.clear()
        self.next_seq = self.state.acked_seq + 1   # resend everything head office lacks
        self.last_ack_move = time.monotonic()
        self.paused_until = 0.0
        self.client.subscribe([(self.t("ack"), 1), (self.t("cmd/+"), 1)])
        self.client.publish(self.t("status"), self._status_for(session, True), qos=1,
                            retain=True)
        self.next_hb = 0.0
        log.info("connected to head office (session %d); sending from seq %d", session,
                 self.next_seq)

    # -- journal ----------------------------------------------------------------------------

    def _journal(self):
        if self.journal is None:
            self.journal = open_readonly(self.cfg.ledger_path)
            from appliance.replace.relink import first_seq
            self.floor = first_seq(self.journal)
        return self.journal

    def head_seq(self) -> int:
        return self._journal().execute("SELECT COALESCE(MAX(seq), 0) FROM journal").fetchone()[0]

    def pump(self) -> None:
        if time.monotonic() < self.paused_until:
            return
        # In flight at most `window`; and never far ahead of what head office has stored,
        # or a slow ingest's queue at the broker overflows and records must be sent again.
        room = min(self.m.window - len(self.inflight),
                   self.state.acked_seq + self.m.max_unacked - self.next_seq + 1)
        if room <= 0:
            return
        journal = self._journal()
        # Never a record below first_seq: those are the predecessor device's (a relinked
        # box, docs/replacing-a-box.md), which head office holds under the old id.
        rows = journal.execute(
            "SELECT seq, id, ts, clock_synced, type, actor, data, prev_hash, hash FROM journal"
            " WHERE seq >= ? ORDER BY seq LIMIT ?", (max(self.next_seq, self.floor), room)
        ).fetchall()
        for row in rows:
            record = Record.from_row(row)
            payload = contract.encode(contract.journal_payload(record, self.store, self.device))
            info = self.client.publish(self.t("journal"), payload, qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                return  # not connected after all: the reconnect resends from the ack
            self.inflight[info.mid] = record.seq
            self.next_seq = record.seq + 1

    def on_puback(self, mid: int, rc) -> None:
        seq = self.inflight.pop(mid, None)
        if seq is None:
            if self.relay is not None:
                self.relay.on_puback(mid, rc)   # a relayed notification's
            return  # a status, cmd_ack or a message from before a reconnect
        if rc.is_failure:
            # Not sent: the broker said no (e.g. not authorised). Try again later from here.
            # A whole window is refused at once; that is one refusal, not one per record.
            self.next_seq = min(self.next_seq, seq)
            if time.monotonic() < self.paused_until:
                return
            delay = self.refusals.next()
            self.set_warning(f"broker refused journal seq {seq}: {rc}")
            log.error("%s; retrying in %.0f s", self.warning, delay)
            self.paused_until = time.monotonic() + delay
            return
        if self.warning.startswith("broker refused"):
            log.info("the broker accepts the journal again")
            self.set_warning("")
        self.refusals.reset()
        self.sent_seq = max(self.sent_seq, seq)

    def set_warning(self, text: str) -> None:
        """Head office sees a warning on the retained status (and in every heartbeat)."""
        if text == self.warning:
            return
        self.warning = text
        if self.connected:
            self.client.publish(self.t("status"), self._status_for(self.state.session, True),
                                qos=1, retain=True)

    def check_stalled(self) -> None:
        """Records went out but head office has not acked them for a while (its ingest was
        down, or lost them): send again from its ack."""
        if self.next_seq - 1 > self.state.acked_seq and not self.inflight and \
                time.monotonic() - self.last_ack_move > self.m.resend_after_seconds:
            log.warning("no ack from head office for %d s; resending from seq %d",
                        self.m.resend_after_seconds, self.state.acked_seq + 1)
            self.next_seq = self.state.acked_seq + 1
            self.last_ack_move = time.monotonic()

    # -- downlink ---------------------------------------------------------------------------

    def on_message(self, topic: str, raw: bytes) -> None:
        parsed = contract.parse_topic(self.m.prefix, topic)
        if parsed is None or parsed[:2] != (self.store, self.device):
            return
        leaf = parsed[2]
        try:
            payload = contract.decode(raw)
        except ValueError:
            log.warning("unreadable message on %s", topic)
            return
        if payload.get("schema") != contract.SCHEMA:
            # A newer head office speaking a schema this box does not know: do nothing
            # rather than guess (docs/mqtt.md: downlink is schema 1).
            log.warning("ignoring %s with schema %r", leaf, payload.get("schema"))
            if leaf.startswith("cmd/") and isinstance(payload.get("id"), str):
                self.cmd_ack(payload["id"], "rejected",
                             f"unsupported schema {payload.get('schema')!r}")
            return
        if leaf == "ack":
            self.on_ack(payload)
        elif leaf.startswith("cmd/"):
            self.on_command(leaf[4:], payload)

    def on_ack(self, payload: dict) -> None:
        seq = payload.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            log.warning("ignoring an ack without a valid seq: %r", payload)
            return
        if seq == self.state.acked_seq:
            return
        head = self.head_seq()
        if seq > head:
            # An ack for records this box never wrote (a wiped or swapped box meeting an old
            # retained ack): moving the cursor would skip its own new records.
            self.set_warning(f"head office acked seq {seq} but this box's newest is {head}")
            log.error("%s: ignored; clear the retained ack or give this box a new device id",
                      self.warning)
            return
        if seq < self.state.acked_seq:
            # Head office holds less than it said before (restored from a backup): it is the
            # authority on what it has, so send again from there.
            log.warning("head office's ack went back from %d to %d; resending from %d",
                        self.state.acked_seq, seq, seq + 1)
            self.next_seq = min(self.next_seq, seq + 1)
        else:
            # Head office holds these already (e.g. its retained ack after a restart of this
            # box, whose cursor lagged): no need to send them again.
            self.next_seq = max(self.next_seq, seq + 1)
        self.state.set_acked(seq)
        self.acked_at = format_ts(_now())
        self.last_ack_move = time.monotonic()

    def on_command(self, name: str, payload: dict) -> None:
        cmd_id = payload.get("id")
        if not isinstance(cmd_id, str) or not cmd_id:
            log.warning("ignoring command %s without an id", name)
            return
        if self.state.seen(cmd_id):
            # Handled before: say again how it ended (head office repeats until it hears),
            # but never run it twice.
            status, detail = self.state.outcome(cmd_id)
            if status != "accepted" or cmd_id in self.running:
                log.info("command %s %s seen before (%s): not run again", name, cmd_id, status)
                return self.cmd_ack(cmd_id, status, detail, remember=False)
            # Accepted by an uplinkd that stopped before core answered: running it again is
            # safe: core applies a catalog or promotions whole or not at all, an online order
            # once per external_ref, a customer's request once per command id.
            log.warning("command %s %s was never finished (uplinkd restarted): running it",
                        name, cmd_id)
        self.state.remember(cmd_id)
        expires = _parse_time(payload.get("expires"))
        if expires is None:
            return self.cmd_ack(cmd_id, "rejected", "expires must be a UTC time like "
                                "2026-11-26T08:00:00Z")
        if expires < _now():
            return self.cmd_ack(cmd_id, "rejected", "expired")
        if name not in contract.COMMANDS:
            return self.cmd_ack(cmd_id, "rejected", f"unknown command {name}")
        args = payload.get("args", {})
        if not isinstance(args, dict):
            return self.cmd_ack(cmd_id, "rejected", "bad args: must be an object")
        log.info("command %s %s from head office", name, cmd_id)
        if name == "resend":
            from_seq = args.get("from_seq")
            if not isinstance(from_seq, int) or isinstance(from_seq, bool) or from_seq < 1:
                return self.cmd_ack(cmd_id, "rejected", "bad args: from_seq must be >= 1")
            self.next_seq = min(self.next_seq, from_seq)
            self.inflight.clear()
            return self.cmd_ack(cmd_id, "done", f"resending from seq {from_seq}")
        if name == "rebirth":
            self.client.publish(self.t("status"), self._status_for(self.state.session, True),
                                qos=1, retain=True)
            return self.cmd_ack(cmd_id, "done", "")
        self.cmd_ack(cmd_id, "accepted", "")
        self.running.add(cmd_id)
        self.work.put((cmd_id, name, args))

    def _apply_commands(self) -> None:
        """The worker: hands catalog and promotions to core; the answer goes back to the loop
        as an event, which acknowledges it."""
        while (item := self.work.get()) is not None:
            cmd_id, name, args = item
            path = contract.CORE_COMMANDS[name]
            try:
                if name == "customer.request":
                    # the command id makes it idempotent: a command handed over again after
                    # a restart is recorded once (webui/api/ereceipt.py)
                    args = {**args, "command_id": cmd_id}
                status, body = self.core.call("POST", path, args, timeout=30)
            except CoreUnreachable as exc:
                outcome = ("failed", f"core unreachable: {exc}")
            else:
                outcome = (("done", (body or {}).get("detail", "")) if status in (200, 201)
                           else ("failed", (body or {}).get("error", f"core answered {status}")))
                if name in contract.REJECTED_ON_4XX and 400 <= status < 500:   # issue 11
                    outcome = ("rejected", outcome[1])
            self.events.put(("cmd_done", cmd_id, *outcome))

    def cmd_ack(self, cmd_id: str, status: str, detail: str, *, remember: bool = True) -> None:
        if status in ("rejected", "failed"):
            log.warning("command %s %s: %s", cmd_id, status, detail)
        if remember and status != "accepted":
            self.state.remember(cmd_id, status, detail)
        if self.client is None:     # unlinked meanwhile (settings page): nothing to tell
            return
        self.client.publish(self.t("cmd_ack"), contract.encode(
            {"id": cmd_id, "status": status, "detail": detail}), qos=1)

    # -- heartbeat and the shop's screens ---------------------------------------------------

    def summary(self) -> dict:
        head = self.head_seq()
        oldest = None
        if head > self.state.acked_seq:
            row = self._journal().execute("SELECT ts FROM journal WHERE seq = ?",
                                          (self.state.acked_seq + 1,)).fetchone()
            if row:
                oldest = max(0, int((_now() - parse_ts(row[0])).total_seconds()))
        return {"linked": bool(self.m.host), "connected": self.connected,
                "session": self.state.session, "last_seq": head,
                "acked_seq": self.state.acked_seq, "backlog": head - self.state.acked_seq,
                "oldest_unacked_age_s": oldest, "last_contact": self.last_contact,
                "warning": self.warning,
                # issue 11: the settings page's health view
                "broker": f"{self.m.host}:{self.m.port}" if self.m.host else "",
                "connected_since": self.connected_since, "last_error": self.last_error,
                "acked_at": self.acked_at, "last_heartbeat": self.last_heartbeat}

    def heartbeat(self) -> None:
        if time.monotonic() < self.next_hb:
            return
        self.next_hb = time.monotonic() + self.m.heartbeat_seconds
        s = self.summary()
        printer = low_stock = None
        if self.core is not None:
            try:
                printer = self.core.call("GET", "/device/printer", timeout=2)[1]
            except CoreUnreachable:
                printer = {"state": "unknown", "reason": "core_unreachable"}
            else:
                low_stock = self._low_stock()   # not a second wait on a core that is down
        self.client.publish(self.t("hb"), contract.encode({
            "ts": format_ts(_now()), "session": s["session"], "backlog": s["backlog"],
            "oldest_unacked_age_s": s["oldest_unacked_age_s"], "last_seq": s["last_seq"],
            "acked_seq": s["acked_seq"], "printer": printer, "low_stock": low_stock,
            "disk_free_mb": shutil.disk_usage(self.cfg.data_dir).free // 2 ** 20,
            "uptime_s": _uptime(), "clock_synced": self.clock.synced(),
            "version": __version__, "warning": self.warning}), qos=0)
        self.last_heartbeat = format_ts(_now())

    def _low_stock(self) -> int | None:
        """Items at or below their low-stock level, from core (it knows the catalog and the
        shop's default level); None when core cannot say."""
        try:
            status, answer = self.core.call("GET", "/device/stock", timeout=2)[:2]
        except CoreUnreachable:
            return None
        if status != 200 or not isinstance(answer, dict):
            return None
        n = answer.get("low_stock")
        return n if isinstance(n, int) and not isinstance(n, bool) else None

    def report_to_core(self) -> None:
        if self.core is None or time.monotonic() < self.next_report:
            return
        self.next_report = time.monotonic() + REPORT_EVERY
        try:
            self.core.call("PUT", "/device/uplink", self.summary(), timeout=2)
        except CoreUnreachable:
            pass

    # -- settings changed on the page (issue 11) --------------------------------------------

    def reconfigure(self) -> None:
        """A configuration file changed: reload, and when the link's settings differ,
        disconnect cleanly and connect with the new ones. The cursor, session counter and
        commands seen stay; everything above the ack is sent again, as after any reconnect."""
        try:
            new = reload_config(self.cfg)
        except ConfigError as exc:
            log.error("configuration changed but cannot be used (keeping the old): %s", exc)
            return
        self.watch.rebase(new)
        if (new.shop.store_id, new.shop.device_id) != (self.store, self.device):
            log.info("this box is now store %s, device %s (was %s, %s): starting again with "
                     "them", new.shop.store_id, new.shop.device_id, self.store, self.device)
            self.reexec = True
            return
        try:
            password = broker_password(new) if new.mqtt.username else None
        except ConfigError as exc:
            log.error("cannot read the broker password: %s", exc)
            password = self._password
        before = tuple(getattr(self.m, k) for k in LINK_KEYS)
        after = tuple(getattr(new.mqtt, k) for k in LINK_KEYS)
        files_changed = getattr(self, "_link_stats", None) != _stats(_link_files(new))
        self._link_stats = _stats(_link_files(new))
        if before == after and password == self._password and not files_changed:
            self.cfg, self.m = new, new.mqtt      # other keys (heartbeat, ...) apply as they are
            return
        log.info("head-office link settings changed: reconnecting to %s",
                 f"{new.mqtt.host}:{new.mqtt.port}" if new.mqtt.host else "nothing (unlinked)")
        self._drop_client()
        self.cfg, self.m = new, new.mqtt
        self.last_error = None
        self._password = None
        self.client = self._make_client() if self.m.host else None
        if self.client is not None and self.relay is None and self.core is not None and \
                relay_wanted(new):
            self.relay = Relay(self)     # started by start(), like the first one
        self.start()

    def _drop_client(self) -> None:
        old, self.client = self.client, None
        if old is not None:
            if self.connected:
                info = old.publish(self.t("status"), self._status_for(self.state.session, False),
                                   qos=1, retain=True)
                try:
                    info.wait_for_publish(timeout=2)
                except (RuntimeError, ValueError):
                    pass
            old.disconnect()
            old.loop_stop()
        self.connected = False
        self.connected_since = None
        self.inflight.clear()
        if self.relay is not None:
            self.relay.on_disconnect()
        # The old client's connect, disconnect and PUBACK events mean nothing now; a finished
        # command still needs its ack, and a message received (a command from head office,
        # its ack) is handled as if it came just before the reconnect.
        keep = []
        while True:
            try:
                event = self.events.get_nowait()
            except queue.Empty:
                break
            if event[0] in ("cmd_done", "message"):
                keep.append(event)
        for event in keep:
            self.events.put(event)

    def close(self) -> None:
        self.work.put(None)
        if self.relay is not None:
            self.relay.close()
        if self.client is not None:
            if self.connected:
                # A clean goodbye: the retained status says offline (the Will is for crashes).
                info = self.client.publish(self.t("status"),
                                           self._status_for(self.state.session, False),
                                           qos=1, retain=True)
                try:
                    info.wait_for_publish(timeout=2)
                except (RuntimeError, ValueError):
                    pass
            self.client.disconnect()
            self.client.loop_stop()
        if self.journal is not None:
            self.journal.close()


def _parse_time(value) -> datetime | None:
    """An ISO 8601 time with a zone (``Z`` or an offset), any fraction of a second."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _link_files(cfg) -> list:
    """Files whose contents the connection uses besides the configuration itself."""
    from appliance.headoffice_link import password_path
    return [password_path(cfg), *(p for p in (cfg.mqtt.ca_file, cfg.mqtt.client_cert,
                                              cfg.mqtt.client_key) if p)]


def _stats(paths) -> tuple:
    out = []
    for p in paths:
        try:
            st = os.stat(p)
            out.append((str(p), st.st_ino, st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((str(p), None))
    return tuple(out)


def _acked_at(uplink_dir) -> str | None:
    from appliance.durable import read_json
    try:
        at = read_json(uplink_dir / "cursor.json", {}).get("at")
    except ValueError:
        return None
    return format_ts(datetime.fromtimestamp(at, timezone.utc)) if isinstance(at, (int, float)) \
        else None


def _uptime() -> int:
    try:
        with open("/proc/uptime") as fh:
            return int(float(fh.read().split()[0]))
    except (OSError, ValueError, IndexError):
        return 0


def serve(cfg) -> None:
    daemon = Daemon("uplinkd")
    daemon.install_signals()
    core = CoreClient.from_config(cfg, "uplinkd")
    uplink = Uplink(cfg, core, daemon)
    log.info("uplinkd for store %s, device %s", cfg.shop.store_id, cfg.shop.device_id)
    daemon.ready(f"head office {cfg.mqtt.host}:{cfg.mqtt.port}" if cfg.mqtt.host
                 else "not linked to head office (mqtt.host is empty)")
    try:
        uplink.run()
    finally:
        uplink.close()
        log.info("uplinkd stopped")
    if uplink.reexec and not daemon.stop.is_set():
        # The same process (systemd keeps its unit, no restart counted), the new identity.
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])
