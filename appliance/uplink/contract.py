"""The MQTT contract with head office (ARCHITECTURE section 6; docs/mqtt.md).

Topics live under ``{prefix}/{store}/{device}/``. Every payload is a JSON object with a
``schema`` number; readers ignore fields they do not know, so a field can be added without a
new schema number (a field's meaning never changes under the same number).
"""

from __future__ import annotations

import json

SCHEMA = 1

#: (QoS, retain) per topic leaf.
QOS = {"status": (1, True), "journal": (1, False), "hb": (0, False), "ack": (1, True),
       "cmd": (1, False), "cmd_ack": (1, False), "notify": (1, False)}

COMMANDS = ("catalog.update", "promotions.update", "resend", "rebirth", "order.create",
            "customer.request",
            "journal.restore")   # issue 11: head office's journal for a rebuild
#: Commands uplinkd hands to core as they are: command name -> core's /api/v1 path.
CORE_COMMANDS = {"catalog.update": "/device/catalog", "promotions.update": "/device/promotions",
                 "order.create": "/device/orders",            # issue 10: online orders
                 "customer.request": "/device/customer-requests"}  # issue 10: e-receipt page
                                                                   # at head office
CORE_COMMANDS["journal.restore"] = "/device/journal-restore"   # issue 11: replacing a box
#: Commands whose 4xx answer from core means the box refuses them for good: cmd_ack
#: ``rejected`` (not ``failed``, which says sending again may work).
REJECTED_ON_4XX = ("journal.restore",)
CMD_STATUSES = ("accepted", "rejected", "done", "failed")
#: The shared-subscription group head-office ingest replicas join.
SHARE_GROUP = "tillbox-ingest"


def root(prefix: str, store: str, device: str) -> str:
    return f"{prefix}/{store}/{device}"


def topic(prefix: str, store: str, device: str, leaf: str) -> str:
    return f"{root(prefix, store, device)}/{leaf}"


def parse_topic(prefix: str, name: str) -> tuple[str, str, str] | None:
    """(store, device, leaf) of a topic under ``prefix``; leaf keeps ``cmd/{name}`` whole."""
    if not name.startswith(prefix + "/"):
        return None
    parts = name[len(prefix) + 1:].split("/", 2)
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1], parts[2]


def encode(payload: dict) -> bytes:
    return json.dumps({"schema": SCHEMA, **payload}, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def decode(raw: bytes) -> dict:
    """A payload as a dict; ValueError for anything that is not a JSON object."""
    obj = json.loads(raw.decode("utf-8"))
    if not isinstance(obj, dict):
        raise ValueError("payload is not a JSON object")
    return obj


def journal_payload(record, store: str, device: str) -> dict:
    """One journal record as it goes on ``journal`` (the fields of ARCHITECTURE section 3)."""
    return {"store": store, "device": device, "seq": record.seq, "id": record.id,
            "ts": record.ts, "clock_synced": record.clock_synced, "type": record.type,
            "actor": record.actor, "data": record.data, "prev_hash": record.prev_hash,
            "hash": record.hash}
