"""The head-office ingest: every box's journal from MQTT into the database, exactly once.

Flow (ARCHITECTURE section 6): replicas share ``$share/tillbox-ingest/{prefix}/+/+/journal``
so the broker splits records between them. paho's callbacks only queue a message; one
worker thread verifies and stores a batch in one transaction, and only after the commit
publishes each device's retained ``ack`` (its highest contiguous stored seq) and PUBACKs the
messages to the broker (``manual_ack``), so nothing is acknowledged that is not on disk.

A record is stored only if its hash is right and it links to the stored records on either
side; otherwise it goes to the ``rejects`` table with a reason code. When a device's stored
seqs have a hole that does not fill (a record was lost, or a replica died holding it), the
device is sent ``cmd/resend`` from the first missing seq, at most once per ``resend_every``.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from ..backoff import Backoff
from ..clock import SystemClock, format_ts
from ..ledger.records import GENESIS_HASH, Record, reject_floats
from ..uplink import contract
from .store import HeadOfficeStore

log = logging.getLogger(__name__)

RESEND_EXPIRES = timedelta(minutes=5)
ACK_WAIT = 2.0   # seconds to hold the devices' lock for the broker to take an ack
RESEND_MAX_INTERVAL = 600.0   # an unanswered resend is repeated ever more slowly, up to this

# Reject reason codes (the ``rejects.reason`` column).
MALFORMED = "malformed"            # not a journal record (JSON, fields, types, floats)
TOPIC_MISMATCH = "topic_mismatch"  # the payload names another store or device than its topic
BAD_HASH = "bad_hash"              # the content does not match its hash
BAD_PREV_LINK = "bad_prev_link"    # prev_hash is not the stored previous record's hash
BAD_NEXT_LINK = "bad_next_link"    # the stored next record does not link to this one
CONFLICT = "conflict"              # another record with this seq is stored already
INTERNAL = "internal_error"        # a bug here; the record can be resent after a fix
# issue 11: replacing a box (docs/replacing-a-box.md)
BAD_LINK = "bad_link"              # a device.linked head office cannot tie to its predecessor
SUPERSEDED = "superseded"          # an old device's record after its successor's link
LINK_TYPE = "device.linked"


@dataclass
class IngestSettings:
    host: str = "localhost"
    port: int = 1883
    prefix: str = "pos/v1"
    client_id: str = "tillbox-headoffice"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    #: Seconds the broker keeps this replica's session (and its unacked messages) while it
    #: is away. Mosquitto keeps handing an offline member its share of a shared subscription
    #: until then, so keep it short: a restart resumes, a replica gone for good stops
    #: swallowing records soon (they come back by resend).
    session_expiry: int = 60
    resend_every: float = 10.0   # at most one cmd/resend per device per this many seconds
    gap_grace: float = 2.0       # a hole must stay unfilled this long (replicas race)
    batch_max: int = 200
    keepalive: int = 30

    @property
    def tls(self) -> bool:
        return bool(self.tls_ca or self.tls_cert or self.tls_key)

    @property
    def broker(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Outcome:
    status: str          # "stored" | "duplicate" | "rejected"
    seq: int = 0
    reason: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Incoming:
    generation: int      # which connection it came on (PUBACK only on that one)
    topic: str
    payload: bytes
    qos: int
    mid: int


def accept_journal(db: HeadOfficeStore, store: str, device: str, raw: bytes, *, at: str,
                   ingested_by: str = "") -> Outcome:
    """Verify one journal message and store it or record the reject; inside a transaction."""
    text = raw.decode("utf-8", "replace")
    body: dict = {}
    try:
        body = contract.decode(raw)
        rec = Record.from_dict(body)
        reject_floats(rec.actor, "actor")
        reject_floats(rec.data)
        if rec.seq < 1:
            raise ValueError(f"seq {rec.seq} is below 1")
    except (ValueError, TypeError) as exc:
        seq = body.get("seq") if isinstance(body.get("seq"), int) else 0
        hash_ = body.get("hash") if isinstance(body.get("hash"), str) else ""
        return _reject(db, store, device, seq, hash_, MALFORMED, str(exc), text, at)

    def reject(reason: str, detail: str) -> Outcome:
        return _reject(db, store, device, rec.seq, rec.hash, reason, detail, text, at)

    for key, expected in (("store", store), ("device", device)):
        if key in body and body[key] != expected:
            return reject(TOPIC_MISMATCH, f"payload {key} {body[key]!r} on the topic of "
                          f"{key} {expected!r}")
    if rec.recomputed_hash() != rec.hash:
        return reject(BAD_HASH, f"record {rec.seq} ({rec.type}) does not match its hash")
    existing = db.record_hashes(store, device, rec.seq)
    if existing is not None:
        if existing[1] == rec.hash:
            return Outcome("duplicate", rec.seq)
        return reject(CONFLICT, f"a different record {rec.seq} is stored already")
    linked = None
    if rec.type == LINK_TYPE:
        problem, linked = _link_problem(db, store, device, rec)
        if problem:
            return reject(BAD_LINK, problem)
    else:
        succ = db.successor_of(store, device)
        if succ is not None and rec.seq > succ["pred_seq"]:
            return reject(SUPERSEDED, f"device {device} continues as {succ['store']}/"
                          f"{succ['device']} after its seq {succ['pred_seq']}: this box must "
                          "not sell under the old id any more")
        link = db.link_of(store, device)
        if link is not None and rec.seq < link["first_seq"]:
            return reject(BAD_LINK, f"device {device}'s journal starts at its device.linked "
                          f"(seq {link['first_seq']})")
    if linked is not None:
        pass  # the link checked its predecessor; seq - 1 is another device's record
    elif rec.seq == 1:
        if rec.prev_hash != GENESIS_HASH:
            return reject(BAD_PREV_LINK, "record 1 does not start the chain")
    else:
        prev = db.record_hashes(store, device, rec.seq - 1)
        if prev is not None and prev[1] != rec.prev_hash:
            return reject(BAD_PREV_LINK, f"record {rec.seq} does not link to stored record "
                          f"{rec.seq - 1}")
    nxt = db.record_hashes(store, device, rec.seq + 1)
    if nxt is not None and nxt[0] != rec.hash:
        return reject(BAD_NEXT_LINK, f"stored record {rec.seq + 1} does not link to record "
                      f"{rec.seq}")
    if db.insert_record(store, device, rec, at, ingested_by):
        if linked is not None:
            # The new device's chain continues the predecessor's: 1..seq-1 count as held.
            db.add_link(store, device, rec.seq, linked, at)
            db.save_progress(store, device, rec.seq - 1, at)
            log.info("device %s/%s continues %s/%s after its seq %d", store, device,
                     linked["store"], linked["device"], linked["seq"])
        return Outcome("stored", rec.seq)
    # Another writer stored this seq in between (only without the per-device lock).
    existing = db.record_hashes(store, device, rec.seq)
    if existing is not None and existing[1] == rec.hash:
        return Outcome("duplicate", rec.seq)
    return reject(CONFLICT, f"a different record {rec.seq} is stored already")


def _link_problem(db: HeadOfficeStore, store: str, device: str, rec: Record
                  ) -> tuple[str, dict | None]:
    """Why a ``device.linked`` record cannot be stored ("" when it can), and its predecessor.

    It must name a record head office holds of the same store (store, device, seq, hash),
    follow it directly
    (seq + 1, prev_hash = its hash), be the new device's first record, and be the only
    successor of that device."""
    pred = rec.data.get("predecessor")
    if not (isinstance(pred, dict) and all(isinstance(pred.get(k), str) and pred.get(k)
                                           for k in ("store", "device", "hash"))
            and isinstance(pred.get("seq"), int) and not isinstance(pred.get("seq"), bool)
            and pred["seq"] >= 1):
        return "device.linked without a predecessor {store, device, seq, hash}", None
    pred = {k: pred[k] for k in ("store", "device", "seq", "hash")}
    if pred["store"] != store:
        # A box continues a device of its own store only: another store's ledger (its sales,
        # stock and members) is not this store's history.
        return (f"device.linked names a predecessor in another store ({pred['store']}/"
                f"{pred['device']}): a box can only continue a device of its own store"), None
    if (pred["store"], pred["device"]) == (store, device):
        return "device.linked names its own device as predecessor", None
    if rec.seq != pred["seq"] + 1 or rec.prev_hash != pred["hash"]:
        return (f"device.linked (seq {rec.seq}) does not directly follow its predecessor's "
                f"seq {pred['seq']}"), None
    held = db.record_hashes(pred["store"], pred["device"], pred["seq"])
    if held is None or held[1] != pred["hash"]:
        return (f"head office does not hold {pred['store']}/{pred['device']} seq {pred['seq']}"
                " with that hash (yet): its records must arrive first"), None
    held_to = db.contiguous(pred["store"], pred["device"])
    if held_to > pred["seq"]:
        return (f"head office holds {pred['store']}/{pred['device']} up to seq {held_to}, after "
                f"the seq {pred['seq']} this box links to: the box lacks those sales; rebuild "
                "it from head office (tillbox headoffice export-device) and link again"), None
    if db.contiguous(store, device) or db.link_of(store, device) is not None:
        return f"device {device} already has a journal of its own", None
    succ = db.successor_of(pred["store"], pred["device"])
    if succ is not None:
        return (f"{pred['store']}/{pred['device']} is already continued by "
                f"{succ['store']}/{succ['device']}"), None
    return "", pred


def _reject(db, store, device, seq, hash_, reason, detail, text, at) -> Outcome:
    db.add_reject(store, device, seq, hash_, reason, detail, text, at)
    log.warning("device %s/%s: journal record %s rejected (%s): %s", store, device, seq,
                reason, detail)
    return Outcome("rejected", seq, reason, detail)


class Ingest:
    """One ingest replica: an MQTT client, a queue and a worker thread."""

    def __init__(self, db: HeadOfficeStore, settings: IngestSettings, *, clock=None):
        self.db = db
        self.settings = settings
        self.clock = clock or SystemClock()
        self.stats: Counter = Counter()
        self.heartbeat = time.monotonic()
        self._queue: queue.Queue[Incoming] = queue.Queue()
        self._stop = threading.Event()
        self._subscribed = threading.Event()
        self._generation = 0
        self._worker: threading.Thread | None = None
        self._closed = False
        self._acked: dict[tuple[str, str], int] = {}      # last ack this replica published
        self._gaps: dict[tuple[str, str], tuple[float, int]] = {}  # since, contiguous then
        self._last_resend: dict[tuple[str, str], float] = {}
        self._unanswered: Counter = Counter()   # resends since the hole last shrank
        self._hb_last_seq: dict[tuple[str, str], int] = {}
        self.client = self._make_client()

    # -- MQTT side (paho's network thread: queue only) ---------------------------------------

    def _make_client(self) -> mqtt.Client:
        s = self.settings
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=s.client_id,
                             protocol=mqtt.MQTTv5, manual_ack=True)
        if s.username:
            client.username_pw_set(s.username, s.password)
        if s.tls:
            client.tls_set(ca_certs=s.tls_ca, certfile=s.tls_cert, keyfile=s.tls_key)
        client.reconnect_delay_set(1, 30)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    def _subscriptions(self) -> list[tuple[str, SubscribeOptions]]:
        p = self.settings.prefix
        return [(f"$share/{contract.SHARE_GROUP}/{p}/+/+/journal", SubscribeOptions(qos=1)),
                (f"{p}/+/+/status", SubscribeOptions(qos=1)),
                (f"{p}/+/+/hb", SubscribeOptions(qos=0)),
                (f"{p}/+/+/cmd_ack", SubscribeOptions(qos=1)),
                # messages the boxes ask head office to send (SMS, WeChat): stored once,
                # for head office's sender (docs/notifications.md)
                (f"$share/{contract.SHARE_GROUP}/{p}/+/+/notify", SubscribeOptions(qos=1))]

    def _on_connect(self, client, _userdata, flags, reason_code, _properties) -> None:
        if reason_code.is_failure:
            log.error("broker %s refused ingest %s: %s (check the user name, password and "
                      "the broker's ACL)", self.settings.broker, self.settings.client_id,
                      reason_code)
            return
        self._generation += 1
        log.info("ingest %s connected to broker %s (session resumed: %s)",
                 self.settings.client_id, self.settings.broker, flags.session_present)
        client.subscribe(self._subscriptions())

    def _on_disconnect(self, _client, _userdata, _flags, reason_code, _properties) -> None:
        self._subscribed.clear()
        if not self._stop.is_set():
            log.warning("ingest %s lost broker %s (%s); reconnecting",
                        self.settings.client_id, self.settings.broker, reason_code)

    def _on_subscribe(self, _client, _userdata, _mid, reason_codes, _properties) -> None:
        refused = [str(rc) for rc in reason_codes if rc.is_failure]
        if refused:
            log.error("broker %s refused ingest %s's subscriptions: %s (check the broker's "
                      "ACL for this user)", self.settings.broker, self.settings.client_id,
                      ", ".join(refused))
            return
        self._subscribed.set()

    def _on_message(self, _client, _userdata, msg) -> None:
        self._queue.put(Incoming(self._generation, msg.topic, msg.payload, msg.qos, msg.mid))

    # -- life cycle --------------------------------------------------------------------------

    def start(self) -> None:
        s = self.settings
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = s.session_expiry
        # clean_start=False: a restarted replica resumes its session and gets what the
        # broker held for it (and redelivers what it had not PUBACKed).
        self.client.connect_async(s.host, s.port, keepalive=s.keepalive, clean_start=False,
                                  properties=props)
        self._worker = threading.Thread(target=self._work, name="headoffice-ingest",
                                        daemon=True)
        self._worker.start()
        self.client.loop_start()

    def wait_subscribed(self, timeout: float) -> bool:
        return self._subscribed.wait(timeout)

    def healthy(self, within: float = 30.0) -> bool:
        """The worker loop turned recently (for the systemd watchdog)."""
        return time.monotonic() - self.heartbeat < within

    def stats_line(self) -> str:
        s = self.stats
        return (f"stored {s['stored']}, duplicates {s['duplicate']}, rejected "
                f"{s['rejected']}, resends {s['resend']}, queued {self._queue.qsize()}")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self._worker is not None:
            self._worker.join(10)
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- the worker --------------------------------------------------------------------------

    def _work(self) -> None:
        pending: list[Incoming] = []
        backoff = Backoff(0.5, 10.0)  # stays well inside healthy()
        while not self._stop.is_set():
            self.heartbeat = time.monotonic()
            if not pending:
                pending = self._take_batch()
            try:
                if pending:
                    self._process(pending)
                    pending = []
                    backoff.reset()
                self._check_gaps()
            except self.db.db_errors as exc:
                # No PUBACK went out: keep the batch and try again (whatever was committed
                # comes back as duplicates). Meanwhile the broker holds back further messages.
                log.error("%s failed: %s; retrying", self.db.name, exc)
                if self._stop.wait(backoff.next()):
                    return
                try:
                    self.db.reconnect()
                except Exception as again:  # noqa: BLE001 - the loop retries
                    log.error("%s: %s", self.db.name, again)
            except Exception:  # noqa: BLE001 - one bad batch must not stop the ingest
                log.exception("ingest %s: a batch of %d messages failed; dropped (the devices "
                              "send again what head office has not acked)",
                              self.settings.client_id, len(pending))
                # PUBACK them anyway: unanswered, they would fill the broker's in-flight
                # window for this client and stop all deliveries.
                self._puback(pending)
                pending = []

    def _take_batch(self) -> list[Incoming]:
        try:
            batch = [self._queue.get(timeout=0.25)]
        except queue.Empty:
            return []
        while len(batch) < self.settings.batch_max:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _process(self, batch: list[Incoming]) -> None:
        prefix = self.settings.prefix
        at = format_ts(self.clock.now())
        parsed = [(m, contract.parse_topic(prefix, m.topic)) for m in batch]
        journal_keys = {(t[0], t[1]) for _, t in parsed if t and t[2] == "journal"}
        duplicates: set[tuple[str, str]] = set()
        heard: set[tuple[str, str]] = set()
        progress: dict[tuple[str, str], tuple[int, int]] = {}
        outcomes: list[str] = []   # counted only once committed (a failed batch is retried)
        with self.db.transaction():
            self.db.lock_devices(journal_keys)
            for m, where in parsed:
                if where is None:
                    log.debug("ignoring message on %s (not under %s)", m.topic, prefix)
                    continue
                store, device, leaf = where
                try:
                    if leaf == "journal":
                        out = accept_journal(self.db, store, device, m.payload, at=at,
                                             ingested_by=self.settings.client_id)
                        outcomes.append(out.status)
                        if out.status == "duplicate":
                            duplicates.add((store, device))
                    elif leaf in ("status", "hb"):
                        self._latest(store, device, leaf, m.payload, at)
                        heard.add((store, device))
                    elif leaf == "cmd_ack":
                        self._cmd_ack(store, device, m.payload, at)
                    elif leaf == "notify":
                        self._notify(store, device, m.payload, at)
                except self.db.db_errors:
                    raise
                except Exception as exc:  # noqa: BLE001 - a bug with one message, not all
                    log.exception("device %s/%s: %s message could not be handled", store,
                                  device, leaf)
                    if leaf == "journal":
                        self.db.add_reject(store, device, 0, "", INTERNAL, repr(exc),
                                           m.payload.decode("utf-8", "replace"), at)
                        outcomes.append("rejected")
            for key in journal_keys | (heard & set(self._hb_last_seq)):
                contiguous = self.db.contiguous(*key)
                if contiguous:
                    self.db.save_progress(*key, contiguous, at)
                progress[key] = (contiguous, self.db.max_seq(*key))
        # Committed: counted first (so what a device has been told is safe is always in
        # the figures), then the devices may hear that these records are safe.
        self.stats.update(outcomes)
        if journal_keys:
            self._publish_acks(journal_keys, duplicates)
        for key, (contiguous, highest) in progress.items():
            self._note_gap(key, contiguous, max(highest, self._hb_last_seq.get(key, 0)))
        self._puback(batch)

    def _puback(self, batch: list[Incoming]) -> None:
        """Acknowledge to the broker; only messages from the current connection (a mid from
        an earlier one may now name another message)."""
        generation = self._generation
        for m in batch:
            if m.qos and m.generation == generation:
                self.client.ack(m.mid, m.qos)

    def _latest(self, store: str, device: str, kind: str, raw: bytes, at: str) -> None:
        try:
            body = contract.decode(raw)
        except ValueError:
            if raw:  # an empty payload only clears a retained message
                log.warning("device %s/%s: %s payload is not a JSON object", store, device,
                            kind)
            return
        self.db.set_latest(store, device, kind, raw.decode("utf-8"), at)
        if kind == "status":
            log.info("device %s/%s is %s (session %s)", store, device,
                     "online" if body.get("online") else "offline", body.get("session"))
        last_seq = body.get("last_seq")
        if kind == "hb" and isinstance(last_seq, int) and not isinstance(last_seq, bool):
            # The device's own head: a hole at the tail shows here, not by later records.
            self._hb_last_seq[(store, device)] = last_seq

    def _notify(self, store: str, device: str, raw: bytes, at: str) -> None:
        """A message a box asks head office to send; kept once per id (a box resends what
        it is not sure was taken), committed before the PUBACK like journal records."""
        try:
            body = contract.decode(raw)
        except ValueError:
            log.warning("device %s/%s: notify payload is not a JSON object", store, device)
            return
        fields = [body.get(k) for k in ("id", "channel", "to", "text")]
        if not all(isinstance(v, str) and v for v in fields):
            log.warning("device %s/%s: notify message without id, channel, to or text",
                        store, device)
            return
        if self.db.add_notify_message(store, device, body, raw.decode("utf-8"), at):
            log.info("device %s/%s: %s message %s to send", store, device, body["channel"],
                     body["id"])

    def _cmd_ack(self, store: str, device: str, raw: bytes, at: str) -> None:
        try:
            body = contract.decode(raw)
        except ValueError:
            log.warning("device %s/%s: cmd_ack payload is not a JSON object", store, device)
            return
        cmd_id, status = body.get("id"), body.get("status")
        if not isinstance(cmd_id, str) or status not in contract.CMD_STATUSES:
            log.warning("device %s/%s: cmd_ack without a command id or a known status",
                        store, device)
            return
        detail = body.get("detail") if isinstance(body.get("detail"), str) else ""
        if self.db.add_cmd_ack(store, device, cmd_id, status, detail, raw.decode("utf-8"), at):
            log.info("device %s/%s: command %s %s%s", store, device, cmd_id, status,
                     f" ({detail})" if detail else "")

    def _publish_acks(self, keys: set[tuple[str, str]], duplicates: set) -> None:
        """Publish each device's ack, in the order replicas reach the stored state.

        uplinkd takes an ack that goes down as head office having lost records (and
        resends), so a replica's ack must not overtake another's higher one: under the
        devices' lock, read the contiguous seq afresh, publish, and hold the lock until the
        broker has it (PUBACK) or ``ACK_WAIT`` passes (broker away: paho sends it later).
        """
        qos, retain = contract.QOS["ack"]
        with self.db.transaction():
            self.db.lock_devices(keys)
            sent = []
            for key in sorted(keys):
                seq = self.db.contiguous(*key)
                if not seq or (self._acked.get(key) == seq and key not in duplicates):
                    continue
                sent.append(self.client.publish(
                    contract.topic(self.settings.prefix, *key, "ack"),
                    contract.encode({"seq": seq}), qos=qos, retain=retain))
                self._acked[key] = seq
                self.stats["ack"] += 1
            deadline = time.monotonic() + ACK_WAIT
            for info in sent:
                if info.rc == mqtt.MQTT_ERR_SUCCESS:
                    with contextlib.suppress(RuntimeError, ValueError):
                        info.wait_for_publish(max(0.0, deadline - time.monotonic()))

    # -- holes ---------------------------------------------------------------------------------

    def _note_gap(self, key: tuple[str, str], contiguous: int, highest: int) -> None:
        if highest <= contiguous:
            self._gaps.pop(key, None)
            self._unanswered.pop(key, None)
        elif key not in self._gaps or self._gaps[key][1] != contiguous:
            # A new hole, or one that is filling: give it the grace period from now.
            self._gaps[key] = (time.monotonic(), contiguous)
            self._unanswered.pop(key, None)

    def _resend_interval(self, key: tuple[str, str]) -> float:
        """resend_every, doubling while the device does not answer (it may be offline)."""
        every = self.settings.resend_every
        n = self._unanswered[key]
        return min(every * 2 ** max(0, n - 1), max(every, RESEND_MAX_INTERVAL))

    def _check_gaps(self) -> None:
        for key, (since, was) in list(self._gaps.items()):
            now = time.monotonic()
            if now - since < self.settings.gap_grace or \
                    now - self._last_resend.get(key, -1e9) < self._resend_interval(key):
                continue
            contiguous = self.db.contiguous(*key)
            highest = max(self.db.max_seq(*key), self._hb_last_seq.get(key, 0))
            if highest <= contiguous or contiguous != was:
                self._note_gap(key, contiguous, highest)
            else:
                self._send_resend(key, contiguous + 1)
                self._last_resend[key] = now
                self._unanswered[key] += 1

    def _send_resend(self, key: tuple[str, str], from_seq: int) -> None:
        expires = format_ts(self.clock.now() + RESEND_EXPIRES)
        qos, retain = contract.QOS["cmd"]
        self.client.publish(contract.topic(self.settings.prefix, *key, "cmd/resend"),
                            contract.encode({"id": str(uuid.uuid4()), "expires": expires,
                                             "args": {"from_seq": from_seq}}),
                            qos=qos, retain=retain)
        self.stats["resend"] += 1
        log.info("device %s/%s: records from %d are missing; asked for a resend", *key,
                 from_seq)
