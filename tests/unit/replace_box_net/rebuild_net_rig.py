"""Helpers for the network-rebuild tests: an old box's sales at head office, the parts
``send-history`` would publish (appliance.replace.send_history.prepare), and the ``args`` of
each ``cmd/journal.restore``."""

from __future__ import annotations

from appliance.headoffice.ingest import accept_journal
from appliance.uplink import contract

STORE = "demo-store"
AT = "2026-11-27T01:00:00.000000Z"
TEA = "6901234567892"


def to_headoffice(db, records, store=STORE, device="till-1"):
    with db.transaction():
        for rec in records:
            raw = contract.encode(contract.journal_payload(rec, store, device))
            assert accept_journal(db, store, device, raw, at=AT).status == "stored"


def part_args(header, parts, transfer="t-0001"):
    """Every part's args, in order (part 1 first)."""
    return [{"transfer": transfer, "part": n, "parts": len(parts), "header": header,
             "lines": lines} for n, lines in enumerate(parts, start=1)]


def cfg_for(data, device: str = "till-1", store: str = STORE):
    from appliance import config as configmod
    return configmod.load(None, environ={"TILLBOX_PATHS__DATA": str(data),
                                         "TILLBOX_SHOP__DEVICE_ID": device,
                                         "TILLBOX_SHOP__STORE_ID": store},
                          log_warnings=False)
