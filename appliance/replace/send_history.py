"""``tillbox headoffice send-history``: a device's journal from head office's database to a
replacement box over the MQTT link, as ``cmd/journal.restore`` parts (docs/mqtt.md,
docs/replacing-a-box.md "Rebuild over the network").

The file is exactly what ``export-device`` writes (it is written by export_device into a
temporary file and read back): its header, then the records. Each part carries at most
``PART_BYTES`` of records (the box's core takes request bodies up to web.max_request_kb, 256
KB by default), the header, and ``transfer``/``part``/``parts``; it is published with QoS 1
and the next one only after the broker's PUBACK says it took it (the reason code is read in
``on_publish``: paho's ``wait_for_publish`` reports success even when the broker refused).
The box answers each part on ``cmd_ack`` (head office's ingest stores those as for any
command); the sender listens too, stops at the first ``rejected``, and waits (up to a
timeout) for the last part's answer.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from ..uplink import contract
from .headoffice_export import ExportRefused, export_device

#: Records per part at most this many bytes (as uplinkd hands them on to core: json.dumps
#: with its default separators), leaving room for the header and the envelope.
PART_BYTES = 240 * 1024
EXPIRES = timedelta(hours=1)


class SendError(Exception):
    """The history was not (all) delivered: the message says how far it got and why."""


def split_parts(path: Path) -> tuple[dict, list[list[dict]]]:
    """The export file's header and its records grouped into parts of at most PART_BYTES."""
    parts: list[list[dict]] = []
    current: list[dict] = []
    size = 0
    with open(path, encoding="utf-8") as fh:
        header = json.loads(fh.readline())
        for line in fh:
            if not line.strip():
                continue
            obj = json.loads(line)
            n = len(json.dumps(obj, ensure_ascii=False).encode("utf-8")) + 2
            if n > PART_BYTES:
                raise ExportRefused(f"record seq {obj.get('seq')} is {n} bytes, too large for "
                                    "one command: carry the journal as a file (export-device)")
            if current and size + n > PART_BYTES:
                parts.append(current)
                current, size = [], 0
            current.append(obj)
            size += n
    if current:
        parts.append(current)
    return header, parts


def prepare(db, store: str, device: str) -> tuple[dict, list[list[dict]]]:
    """export_device into a temporary file, split into parts (ExportRefused as export)."""
    fd, tmp = tempfile.mkstemp(prefix="tillbox-send-history-", suffix=".jsonl")
    os.close(fd)
    try:
        head = export_device(db, store, device, tmp)
        if head.get("holes_after"):
            raise ExportRefused(
                f"head office holds later records of {store}/{device} after a hole beyond seq "
                f"{head['head_seq']}: a box rebuilt from what it holds without a hole would "
                "sell those seqs again. Use export-device and relink the box to a new device "
                "id (docs/replacing-a-box.md)")
        return split_parts(Path(tmp))
    finally:
        Path(tmp).unlink(missing_ok=True)


def _outcome(sender: "Sender", ids: list[str], wait: float):
    """("done", detail) when the box answered done to every part (the detail of the part that
    completed the transfer), ("rejected"|"failed", "part N: …") for the first part refused,
    ("missing", detail, [part numbers]) for parts without a final answer or failed."""
    got = sender.answers(ids, wait)
    for n, cmd_id in enumerate(ids, start=1):
        if got.get(cmd_id, ("", ""))[0] == "rejected":
            return "rejected", f"part {n}: {got[cmd_id][1]}"
    missing = [n for n, cmd_id in enumerate(ids, start=1)
               if got.get(cmd_id, ("", ""))[0] != "done"]
    if missing:
        first = got.get(ids[missing[0] - 1])
        why = f"part {missing[0]}: {first[0]}: {first[1]}" if first else \
            f"no answer to {len(missing)} of {len(ids)} parts"
        return "missing", why, missing
    details = [got[i][1] for i in ids]
    complete = next((d for d in details if "all parts here" in d or "whole transfer is here" in d),
                    None)
    if complete is None:
        return "failed", ("the box took every part but never said all parts are here: "
                          + details[-1])
    return "done", complete


class Sender:
    """One MQTT client publishing the parts and listening to the box's status and cmd_ack.
    paho's callbacks only record what came (under a lock) and wake the caller."""

    def __init__(self, settings, store: str, device: str, old_device: str | None = None):
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.settings, self.store, self.device = settings, store, device
        self._cond = threading.Condition()
        self.connected = False
        self.refused: str | None = None
        self.subscribed = False
        self.status: dict | None = None
        #: ``--to``: the old device's retained status (it must not be online: two tills would
        #: sell as one device)
        self.old_device = old_device
        self.old_status: dict | None = None
        self.acks: dict[str, tuple[str, str]] = {}      # command id -> (status, detail)
        self.pubacks: dict[int, object] = {}             # mid -> reason code
        c = mqtt.Client(CallbackAPIVersion.VERSION2,
                        client_id=f"{settings.client_id}-send-{uuid.uuid4().hex[:8]}",
                        protocol=mqtt.MQTTv5)
        if settings.username:
            c.username_pw_set(settings.username, settings.password)
        if settings.tls:
            c.tls_set(ca_certs=settings.tls_ca, certfile=settings.tls_cert,
                      keyfile=settings.tls_key)
        c.on_connect = self._on_connect
        c.on_subscribe = self._on_subscribe
        c.on_publish = self._on_publish
        c.on_message = self._on_message
        self.client = c

    def t(self, leaf: str) -> str:
        return contract.topic(self.settings.prefix, self.store, self.device, leaf)

    def _old_topic(self) -> str:
        return contract.topic(self.settings.prefix, self.store, self.old_device, "status")

    # paho's thread -------------------------------------------------------------------------
    def _on_connect(self, client, _u, _flags, rc, _p) -> None:
        with self._cond:
            if rc.is_failure:
                self.refused = str(rc)
            else:
                self.connected = True
                topics = [(self.t("status"), 1), (self.t("cmd_ack"), 1)]
                if self.old_device:
                    topics.append((self._old_topic(), 1))
                client.subscribe(topics)
            self._cond.notify_all()

    def _on_subscribe(self, _c, _u, _mid, rcs, _p) -> None:
        with self._cond:
            bad = [str(rc) for rc in rcs if rc.is_failure]
            if bad:
                self.refused = "subscription refused: " + ", ".join(bad)
            self.subscribed = True
            self._cond.notify_all()

    def _on_publish(self, _c, _u, mid, rc, _p) -> None:
        with self._cond:
            self.pubacks[mid] = rc
            self._cond.notify_all()

    def _on_message(self, _c, _u, msg) -> None:
        try:
            body = contract.decode(msg.payload)
        except ValueError:
            return
        with self._cond:
            if self.old_device and msg.topic == self._old_topic():
                self.old_status = body
            elif msg.topic.endswith("/status"):
                self.status = body
            elif isinstance(body.get("id"), str) and body.get("status") in contract.CMD_STATUSES:
                status = body["status"]
                # "accepted" comes first; keep the last word (done/rejected/failed)
                if status != "accepted" or body["id"] not in self.acks:
                    self.acks[body["id"]] = (status, str(body.get("detail") or ""))
            self._cond.notify_all()

    # the caller's thread -------------------------------------------------------------------
    def _wait(self, pred, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(pred, timeout)

    def connect(self, timeout: float = 10.0) -> None:
        self.client.connect_async(self.settings.host, self.settings.port, keepalive=30)
        self.client.loop_start()
        if not self._wait(lambda: self.refused or self.subscribed, timeout):
            raise SendError(f"cannot reach the broker {self.settings.broker}")
        if self.refused:
            raise SendError(f"the broker {self.settings.broker} refused: {self.refused}")

    def box_online(self, timeout: float = 2.0) -> bool:
        """The box's retained status says online (it comes at once when there is one)."""
        self._wait(lambda: self.status is not None, timeout)
        with self._cond:
            return bool(self.status and self.status.get("online"))

    def old_device_online(self, timeout: float = 2.0) -> bool:
        """``--to``: the old device's retained status says online."""
        self._wait(lambda: self.old_status is not None, timeout)
        with self._cond:
            return bool(self.old_status and self.old_status.get("online"))

    def publish(self, name: str, args: dict, timeout: float) -> str:
        cmd_id = str(uuid.uuid4())
        expires = (datetime.now(timezone.utc) + EXPIRES).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        qos, retain = contract.QOS["cmd"]
        info = self.client.publish(self.t(f"cmd/{name}"), contract.encode(
            {"id": cmd_id, "expires": expires, "args": args}), qos=qos, retain=retain)
        if info.rc != 0:
            raise SendError(f"publish failed (rc {info.rc}): not connected")
        if not self._wait(lambda: info.mid in self.pubacks, timeout):
            raise SendError("the broker did not confirm in time")
        with self._cond:
            rc = self.pubacks.pop(info.mid)
        if getattr(rc, "is_failure", False):
            raise SendError(f"the broker refused the command: {rc}")
        return cmd_id

    def rejected(self, ids) -> tuple[str, str] | None:
        with self._cond:
            for cmd_id in ids:
                status, detail = self.acks.get(cmd_id, ("", ""))
                if status in ("rejected", "failed"):
                    return cmd_id, f"{status}: {detail}"
        return None

    def answer(self, cmd_id: str, timeout: float) -> tuple[str, str] | None:
        """The box's last word on a command (done/rejected/failed), or None in time."""
        def final():
            return self.acks.get(cmd_id, ("", ""))[0] in ("done", "rejected", "failed")
        if not self._wait(final, timeout):
            return None
        with self._cond:
            return self.acks[cmd_id]

    def answers(self, ids, timeout: float) -> dict[str, tuple[str, str]]:
        """The final answers to ``ids`` that came within ``timeout`` (waits for all)."""
        final = ("done", "rejected", "failed")

        def all_final():
            return all(self.acks.get(i, ("", ""))[0] in final for i in ids)
        self._wait(all_final, timeout)
        with self._cond:
            return {i: self.acks[i] for i in ids if self.acks.get(i, ("", ""))[0] in final}

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def send_history(db, settings, store: str, device: str, *, to: str | None = None,
                 wait: float = 60.0, require_online: bool = True,
                 puback_timeout: float = 30.0, progress=None, force: bool = False) -> dict:
    """Send the device's journal; returns {transfer, parts, records, head_seq, head_hash,
    answer: (status, detail) | None, ids}. SendError/ExportRefused say why it stopped.

    ``to``: the replacement box's own device id when it still has the one its first boot
    gave it: the parts go to its topics with ``take_ids``, and the import makes it the old
    device (as ``tillbox ledger import --take-ids`` does). Refused while the OLD device's
    retained status says online (it is only offline, not replaced: two tills would sell as
    one device, a fork), unless ``force``."""
    header, parts = prepare(db, store, device)
    transfer = uuid.uuid4().hex
    target = to or device
    extra = {"take_ids": True} if target != device else {}
    sender = Sender(settings, store, target, old_device=device if extra else None)
    try:
        sender.connect()
        if extra and not force and sender.old_device_online():
            raise SendError(f"the old device {store}/{device} is online (its retained status "
                            f"says so): {target} would become a second till selling as "
                            f"{device}. Switch the old box off first, or add --force when it "
                            "is gone for good and its status is stale")
        if require_online and not sender.box_online():
            raise SendError(f"the box {store}/{target} is not online (its retained status "
                            "says offline, or it never connected): switch it on, finish its "
                            "setup with this store and device id, and send again")
        ids = []

        def publish(n: int) -> str:
            return sender.publish("journal.restore", {
                "transfer": transfer, "part": n, "parts": len(parts), "header": header,
                "lines": parts[n - 1], **extra}, puback_timeout)
        for n in range(1, len(parts) + 1):
            problem = sender.rejected(ids)
            if problem:
                raise SendError(f"the box refused part {ids.index(problem[0]) + 1}: "
                                f"{problem[1]}")
            ids.append(publish(n))
            if progress:
                progress(n, len(parts))
        answer = _outcome(sender, ids, wait) if wait > 0 else None
        if answer is not None and answer[0] == "missing":
            # Parts the box never finished (its uplinkd restarted while they waited, or core
            # was away: "failed"): the box keeps the parts it has, so those go once more.
            for n in answer[2]:
                ids[n - 1] = publish(n)
            answer = _outcome(sender, ids, wait)
        if answer is not None:
            answer = ("failed", answer[1]) if answer[0] == "missing" else answer[:2]
    finally:
        sender.close()
    return {"transfer": transfer, "parts": len(parts), "records": header["head_seq"],
            "head_seq": header["head_seq"], "head_hash": header["head_hash"],
            "answer": answer, "ids": ids}
