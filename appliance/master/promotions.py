"""Promotion rules as head office last sent them (cmd/promotions.update), kept whole for the
pricing seam (the promotion engine reads them; issue 7)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from appliance.durable import read_json, write_json

FILE = "promotions.json"


def store_promotions(master_dir: Path, promotions: list, source: str) -> None:
    write_json(Path(master_dir) / FILE, {
        "received_at": datetime.now(timezone.utc).isoformat(), "source": source,
        "promotions": promotions})


def load_promotions(master_dir: Path) -> dict:
    return read_json(Path(master_dir) / FILE, {"received_at": None, "source": "",
                                               "promotions": []})
