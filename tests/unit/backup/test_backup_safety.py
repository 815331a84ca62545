"""What a backup or a restore must never do, found in review: write outside the data
directory, replace a ledger whose history split off, delete the newest backup when the clock
is wrong, or let the till start a new ledger after a restore was cut short."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from appliance.backup import (RESTORE_MARKER, BackupInvalid, RestoreRefused, create_backup,
                              list_backups, restore, rotate, verify_backup)
from appliance.backup.container import TRAILER_LEN
from appliance.errors import Conflict
from test_backup_restore import TEA, backed_up, cfg_for, journal  # noqa: F401 (fixture)


def members_of(path: Path) -> list[tuple[str, bytes]]:
    with tarfile.open(fileobj=io.BytesIO(path.read_bytes()[:-TRAILER_LEN]), mode="r|") as t:
        return [(i.name, t.extractfile(i).read()) for i in t]


def sealed(path: Path, members: list[tuple[str, bytes]]) -> Path:
    """A backup file as someone crafting one would write it (manifest, members, trailer)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w|", format=tarfile.PAX_FORMAT) as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    body = buf.getvalue()
    path.write_bytes(body + b"\nTILLBOX-SHA256 " + hashlib.sha256(body).hexdigest().encode()
                     + b"\n")
    return path


def test_a_member_that_climbs_out_of_the_data_directory_is_refused_and_not_written(
        backed_up, tmp_path):
    _cfg, good = backed_up
    members = members_of(good)
    manifest = json.loads(members[0][1])
    outside = tmp_path / "outside.txt"
    evil = "master/../../../../../../../../../.." + str(outside)
    manifest["members"][evil] = hashlib.sha256(b"x").hexdigest()
    members[0] = ("manifest.json", json.dumps(manifest).encode())
    bad = sealed(tmp_path / "evil.tar", members + [(evil, b"x")])
    with pytest.raises(BackupInvalid, match="unexpected member"):
        verify_backup(bad)
    with pytest.raises(BackupInvalid, match="unexpected member"):
        restore(cfg_for(tmp_path / "fresh"), bad)
    assert not outside.exists()


def test_a_backup_from_a_history_that_split_off_needs_force(backed_up, shop, tmp_path):
    cfg, older = backed_up                      # seq N
    shop.sale(TEA)
    newer = create_backup(cfg, dest=tmp_path / "out")   # seq N+k on the same history
    shop.ledger.close()
    restore(cfg, older, force=True)             # the owner rolls back on purpose...
    from appliance.ledger import Ledger
    from appliance.master import MasterData
    from appliance.orders import Actor, OrderEngine
    ledger, master = Ledger(tmp_path / "ledger.db"), MasterData(tmp_path / "master")
    engine = OrderEngine(ledger, master)
    order = engine.open_order(Actor("s-a", "assistant", "phone-1"))
    engine.add_line(Actor("s-a", "assistant", "phone-1"), order.id, barcode=TEA)
    ledger.close()
    master.close()                               # ...and sells again: a new history
    here = journal(tmp_path / "ledger.db")
    with pytest.raises(RestoreRefused, match="split"):
        restore(cfg, newer)                      # a higher seq, but not this history
    assert journal(tmp_path / "ledger.db") == here
    shop.ledger = Ledger(tmp_path / "ledger.db")


def test_rotation_never_deletes_the_backup_just_written_when_the_clock_is_wrong(backed_up,
                                                                               tmp_path):
    cfg, _path = backed_up
    dest = tmp_path / "rot"
    first = create_backup(cfg, dest=dest, now=1_790_000_000)     # 2026, the right time
    second = create_backup(cfg, dest=dest, now=1_790_086_400)
    wrong = create_backup(cfg, dest=dest, now=0)                 # a Pi booted without NTP
    os.utime(first, (1, 1))
    os.utime(second, (2, 2))
    assert rotate(dest, 2, spare=wrong) == [first]
    assert [b.path for b in list_backups(dest)] == [second, wrong]


def test_the_till_refuses_to_start_after_a_restore_was_cut_short(tmp_path):
    from appliance.box import Box
    data = tmp_path / "data"
    data.mkdir()
    (data / RESTORE_MARKER).write_text("{}")
    with pytest.raises(Conflict, match="cut short"):
        Box(cfg_for(data))
    assert not (data / "ledger.db").exists()     # no new, empty ledger was started
