"""Helpers for the network-rebuild tests: an old box's sales at head office, the parts
``send-history`` would publish (appliance.replace.send_history.prepare), and the ``args`` of
each ``cmd/journal.restore``."""

from __future__ import annotations

from appliance.headoffice.ingest import accept_journal
from appliance.replace import received
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

def four_sales_sent(shop, tmp_path, monkeypatch, export=None):
    """Four sales at head office, split as send-history splits them into several parts
    (small parts, so there are at least three); also exported to ``export`` when given.
    (header, parts)."""
    from appliance.headoffice.store import open_store
    from appliance.replace import send_history
    from appliance.replace.headoffice_export import export_device
    for _ in range(4):
        shop.sale(TEA)
    db = open_store(f"sqlite://{tmp_path}/ho.db")
    to_headoffice(db, shop.ledger.records())
    monkeypatch.setattr(send_history, "PART_BYTES", 4000)
    header, parts = send_history.prepare(db, STORE, "till-1")
    if export is not None:
        export_device(db, STORE, "till-1", export)
    db.close()
    assert len(parts) >= 3
    return header, parts


class BoxOverTheLink:
    """send_history's Sender with the box behind it in-process: each part goes straight to
    receive_part; ``lose`` parts vanish the first time (an uplinkd restarted before it ran
    them: accepted, never answered)."""

    def __init__(self, cfg, lose=(), old_online=False):
        self.cfg, self.lose, self.acks, self.sent = cfg, set(lose), {}, []
        self.old_online = old_online

    def __call__(self, settings, store, device, old_device=None):
        self.device, self.old_device = device, old_device
        return self

    def old_device_online(self):
        assert self.old_device is not None
        return self.old_online

    def connect(self):
        pass

    def box_online(self):
        return True

    def publish(self, name, args, timeout):
        assert name == "journal.restore"
        cmd_id = f"c-{len(self.sent)}"
        self.sent.append(args["part"])
        if args["part"] in self.lose:
            self.lose.discard(args["part"])
            return cmd_id
        try:
            out = received.receive_part(self.cfg, 0, args, background=False)
            self.acks[cmd_id] = ("done", out["detail"])
        except received.PartRefused as exc:
            self.acks[cmd_id] = ("rejected", exc.message)
        return cmd_id

    def rejected(self, ids):
        return next(((i, f"rejected: {self.acks[i][1]}") for i in ids
                     if self.acks.get(i, ("",))[0] == "rejected"), None)

    def answers(self, ids, timeout):
        return {i: self.acks[i] for i in ids if i in self.acks}

    def close(self):
        pass
