"""The data directory's format: new ones are stamped, older ones migrated step by step after
a backup, newer ones refused untouched."""

import json
import sqlite3
import subprocess
import sys

import pytest

from appliance import migrations
from appliance.box import Box
from appliance.config import load
from appliance.orders import Actor
from appliance.migrations import MigrationError, current_format, migrate


@pytest.fixture
def cfg(tmp_path):
    (tmp_path / "tillbox.toml").write_text('[paths]\ndata = "data"\n')
    return load(tmp_path / "tillbox.toml", environ={})


def test_a_new_data_directory_is_stamped_with_this_format(cfg):
    assert migrate(cfg) == []
    assert current_format(cfg.data_dir) == migrations.DATA_FORMAT
    Box(cfg).close()
    assert json.loads((cfg.data_dir / "format.json").read_text())["format"] == \
        migrations.DATA_FORMAT


def test_data_from_before_format_files_counts_as_format_1(cfg):
    Box(cfg).close()
    (cfg.data_dir / "format.json").unlink()
    assert current_format(cfg.data_dir) == 1


def format_1(cfg):
    """Data written by a box of format 1 (the first release)."""
    Box(cfg).close()
    (cfg.data_dir / "format.json").write_text('{"format": 1}')


def test_steps_run_in_order_after_a_backup_and_keep_the_sales(cfg):
    with Box(cfg) as box:
        cashier = box.master.staff.add("收银", "cashier", "1001")
        box.orders.open_order(Actor(cashier.id, "cashier", "counter"))
        head = box.ledger.head()
    (cfg.data_dir / "format.json").write_text('{"format": 1}')
    assert head[0] >= 1
    ran = []

    def to_2(c):
        """price tags get a currency"""
        ran.append(2)
        db = sqlite3.connect(c.ledger_path)
        db.execute("CREATE TABLE tag_currency (tag TEXT)")
        db.commit()
        db.close()

    def to_3(c):
        """nothing else"""
        ran.append(3)
        assert current_format(c.data_dir) == 2   # each step is recorded as it finishes

    done = migrate(cfg, steps={1: to_2, 2: to_3}, target=3)
    assert ran == [2, 3]
    assert current_format(cfg.data_dir) == 3
    assert done[0].startswith("backup of format 1 in ")
    assert done[1:] == ["format 1 → 2: price tags get a currency", "format 2 → 3: nothing else"]
    backups = list((cfg.data_dir / "backups").iterdir())
    assert len(backups) == 1
    old = sqlite3.connect(backups[0] / "ledger.db")
    assert old.execute("SELECT name FROM sqlite_master WHERE name = 'tag_currency'").fetchall() == []
    assert (backups[0] / "master").is_dir()
    assert migrate(cfg, steps={1: to_2, 2: to_3}, target=3) == []   # nothing left to do
    assert ran == [2, 3]
    db = sqlite3.connect(cfg.ledger_path)
    assert db.execute("SELECT COALESCE(MAX(seq), 0) FROM journal").fetchone()[0] == head[0]


def test_a_failed_step_leaves_the_format_where_it_was(cfg):
    format_1(cfg)

    def broken(_c):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        migrate(cfg, steps={1: broken}, target=2)
    assert current_format(cfg.data_dir) == 1


def test_newer_data_is_refused_and_left_alone(cfg):
    Box(cfg).close()
    (cfg.data_dir / "format.json").write_text('{"format": 99}')
    with pytest.raises(MigrationError, match="format 99, newer than"):
        migrate(cfg)
    with pytest.raises(MigrationError):
        Box(cfg)
    assert json.loads((cfg.data_dir / "format.json").read_text()) == {"format": 99}
    assert not (cfg.data_dir / "backups").exists()


def test_a_missing_step_is_an_error(cfg):
    format_1(cfg)
    with pytest.raises(MigrationError, match="no migration from data format 1 to 2"):
        migrate(cfg, steps={}, target=2)


def test_the_cli_says_why_in_one_line_with_status_2(cfg, tmp_path):
    Box(cfg).close()
    run = [sys.executable, "-m", "appliance.cli", "--config", str(tmp_path / "tillbox.toml"),
           "migrate", "--from-version", "0.0.9"]
    ok = subprocess.run(run, capture_output=True, text=True)
    assert ok.returncode == 0 and "upgraded from tillbox 0.0.9" in ok.stdout
    (cfg.data_dir / "format.json").write_text('{"format": 7}')
    bad = subprocess.run(run, capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "format 7, newer than" in bad.stderr


def test_format_2_rebuilds_the_projections_with_each_products_stock_history(cfg):
    """A format-1 ledger has stock levels but no stock_moves; the step projects them from
    the journal, keeps the print queue's states, and the projections equal a replay."""
    from appliance.ledger import projections
    from appliance.master.catalog import Product
    with Box(cfg) as box:
        owner = box.master.staff.add("店主", "owner", "2468")
        who = Actor(owner.id, "owner", "counter")
        tea = box.master.catalog.save_product(Product(
            id="", sku="T", name="龙井", category_id=None, unit="盒", price=6800, cost=0))
        box.orders.adjust_stock(who, tea.id, 10, "opening_stock")
        order = box.orders.open_order(who)
        box.orders.add_line(who, order.id, product_id=tea.id, qty=2)
        box.orders.add_payment(who, order.id, "cash", 13600)
    db = sqlite3.connect(cfg.ledger_path)
    db.execute("DELETE FROM stock_moves")             # as a format-1 box left it
    db.execute("DELETE FROM till_moves")
    db.execute("UPDATE print_jobs SET state = 'printed'")
    db.commit()
    db.close()
    (cfg.data_dir / "format.json").write_text('{"format": 1}')
    done = migrate(cfg)
    assert done[1:] == ["format 1 → 2: the projections are built again from the journal"
                        " (stock moves per record, issue 8)",
                        "format 2 → 3: the projections are built again from the journal"
                        " (till moves per tender, issue 9)"]
    db = sqlite3.connect(cfg.ledger_path)
    assert db.execute("SELECT method, delta, kind FROM till_moves").fetchall() == \
        [("cash", 13600, "sale")]
    assert db.execute("SELECT delta, after, reason FROM stock_moves ORDER BY seq").fetchall() \
        == [(10, 10, "opening_stock"), (-2, 8, "sale")]
    assert {s for (s,) in db.execute("SELECT state FROM print_jobs")} == {"printed"}
    from appliance.ledger import iter_records
    replayed = projections.replay(iter_records(db))
    assert projections.snapshot(replayed) == projections.snapshot(db)
