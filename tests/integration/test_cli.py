"""The tillbox command as an operator runs it: exit codes, one-line errors, real files."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def tillbox(*args, config=None, stdin="", env=None):
    cmd = [sys.executable, "-m", "appliance.cli"]
    if config:
        cmd += ["--config", str(config)]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TILLBOX_")}
    full_env.update(env or {})
    return subprocess.run(cmd + list(args), cwd=ROOT, capture_output=True, text=True,
                          input=stdin, env=full_env, timeout=120)


@pytest.fixture
def cfg(tmp_path):
    p = tmp_path / "tillbox.toml"
    p.write_text('[paths]\ndata = "data"\n[clock]\nassume_synced = true\n', encoding="utf-8")
    return p


@pytest.fixture
def demo(cfg):
    r = tillbox("demo", "load", config=cfg)
    assert r.returncode == 0, r.stderr
    return cfg


def test_bad_config_value_is_one_line_and_exit_2(cfg):
    r = tillbox("config", "check", config=cfg, env={"TILLBOX_WEB__PORT": "http"})
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0
    assert "web.port" in r.stderr and "TILLBOX_WEB__PORT" in r.stderr


def test_config_check_prints_effective_values(cfg):
    r = tillbox("config", "check", config=cfg, env={"TILLBOX_MQTT__PORT": "1883"})
    assert r.returncode == 0
    out = json.loads(r.stdout)
    assert out["mqtt"]["port"] == 1883 and out["paths"]["data"] == str(cfg.parent / "data")


def test_demo_load_prints_pins_and_refuses_a_second_time(demo):
    r = tillbox("demo", "load", config=demo)
    assert r.returncode == 2 and "already has a shop" in r.stderr


def test_verify_sound_ledger_then_tampered_one(demo):
    r = tillbox("ledger", "verify", "--projections", config=demo)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("ledger OK")
    db = demo.parent / "data" / "ledger.db"
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER journal_no_update")
    conn.execute("UPDATE journal SET data = replace(data, '\"delta\":', '\"delta\":1') "
                 "WHERE seq = 5")
    conn.commit()
    conn.close()
    r = tillbox("ledger", "verify", config=demo)
    assert r.returncode == 1
    assert "seq 5: changed" in r.stdout


def test_verify_projections_finds_a_projection_the_journal_does_not_explain(demo):
    # The replay goes to a scratch file, compared in SQL table by table (a 1M-record shop's
    # replay does not fit a Pi's memory): a changed row, and a removed one, are both found.
    db = demo.parent / "data" / "ledger.db"
    conn = sqlite3.connect(db)
    conn.execute("UPDATE stock_levels SET qty = qty + 1 WHERE rowid = "
                 "(SELECT MIN(rowid) FROM stock_levels)")
    conn.commit()
    r = tillbox("ledger", "verify", "--projections", config=demo)
    assert r.returncode == 1 and "table stock_levels differs" in r.stdout, r.stdout
    conn.execute("UPDATE stock_levels SET qty = qty - 1 WHERE rowid = "
                 "(SELECT MIN(rowid) FROM stock_levels)")
    conn.execute("DELETE FROM stock_moves WHERE rowid = (SELECT MAX(rowid) FROM stock_moves)")
    conn.commit()
    conn.close()
    r = tillbox("ledger", "verify", "--projections", config=demo)
    assert r.returncode == 1 and "table stock_moves differs" in r.stdout, r.stdout
    assert not list((demo.parent / "data").glob(".verify-replay-*"))   # scratch removed


def test_verify_detects_truncation_against_a_known_head(demo, tmp_path):
    out = tmp_path / "j.jsonl"
    assert tillbox("ledger", "export", "--format", "jsonl", "-o", str(out),
                   config=demo).returncode == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    head = json.loads(lines[-1])
    cut = tmp_path / "cut.jsonl"
    cut.write_text("\n".join(lines[:-3]) + "\n", encoding="utf-8")
    r = tillbox("ledger", "verify", "--file", str(cut), "--head", head["hash"],
                "--head-seq", str(head["seq"]), config=demo)
    assert r.returncode == 1 and "truncated" in r.stdout
    r = tillbox("ledger", "verify", "--file", str(out), "--head", head["hash"], config=demo)
    assert r.returncode == 0


def test_verify_bad_arguments_exit_2(demo):
    r = tillbox("ledger", "verify", "--head", "xyz", config=demo)
    assert r.returncode == 2 and "--head" in r.stderr


def test_export_csv(demo):
    r = tillbox("ledger", "export", "--format", "csv", config=demo)
    assert r.returncode == 0
    rows = r.stdout.splitlines()
    assert rows[0].startswith("seq,id,ts,clock_synced,type")
    assert any("stock.adjusted" in row for row in rows[1:])


def test_catalog_import_errors_are_row_numbered_and_nothing_is_imported(cfg, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "sku,name,name_en,category,unit,price,cost,stock_tracked,spec,variant_sku,"
        "variant_price,barcodes\n"
        "A1,龙井,Longjing,绿茶,盒,68.00,40.00,1,,,,6901234567892\n"
        "A2,碧螺春,Biluochun,绿茶,盒,12.345,40.00,1,,,,\n", encoding="utf-8")
    r = tillbox("catalog", "import", str(bad), config=cfg)
    assert r.returncode == 2
    assert "row 3" in r.stderr and "price" in r.stderr
    r = tillbox("catalog", "export", config=cfg)
    assert r.returncode == 0 and "龙井" not in r.stdout


def test_catalog_export_import_round_trip(demo, tmp_path):
    out = tmp_path / "cat.csv"
    assert tillbox("catalog", "export", str(out), config=demo).returncode == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # so Excel shows the Chinese
    other = tmp_path / "other.toml"
    other.write_text('[paths]\ndata = "other"\n', encoding="utf-8")
    r = tillbox("catalog", "import", str(out), config=other)
    assert r.returncode == 0, r.stderr
    assert "imported 86 products" in r.stdout
    r2 = tillbox("catalog", "export", config=other)
    exported = out.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    assert sorted(r2.stdout.replace("\r\n", "\n").splitlines()) == sorted(exported.splitlines())


def test_catalog_export_to_an_unwritable_place_exits_2(demo, tmp_path):
    r = tillbox("catalog", "export", str(tmp_path / "no" / "such" / "dir.csv"), config=demo)
    assert r.returncode == 2 and "cannot write" in r.stderr and "Traceback" not in r.stderr


def test_staff_add_reads_the_pin_from_stdin_and_list_never_shows_it(cfg):
    r = tillbox("staff", "add", "--name", "孙店主", "--role", "owner", config=cfg,
                stdin="5820\n")
    assert r.returncode == 0, r.stderr
    r = tillbox("staff", "list", config=cfg)
    assert "孙店主" in r.stdout and "5820" not in r.stdout and "scrypt" not in r.stdout
    r = tillbox("staff", "add", "--name", "x", "--role", "owner", config=cfg, stdin="12\n")
    assert r.returncode == 2


def test_unknown_config_key_is_warned_about_but_the_command_runs(tmp_path):
    p = tmp_path / "t.toml"
    p.write_text('[paths]\ndata = "d"\n[web]\nprot = 8080\n', encoding="utf-8")
    r = tillbox("config", "check", config=p)
    assert r.returncode == 0
    assert "unknown config key web.prot" in r.stderr


def test_ledger_of_another_device_is_a_one_line_error(demo):
    r = tillbox("demo", "load", config=demo, env={"TILLBOX_SHOP__DEVICE_ID": "till-9"})
    assert r.returncode == 2 and "belongs to device" in r.stderr
    assert "Traceback" not in r.stderr


def test_verify_of_a_damaged_database_file_says_broken(demo):
    db = demo.parent / "data" / "ledger.db"
    for extra in ("-wal", "-shm"):
        (db.parent / (db.name + extra)).unlink(missing_ok=True)
    db.write_bytes(b"this is not a database" * 100)
    r = tillbox("ledger", "verify", config=demo)
    assert r.returncode == 1 and "cannot be read" in r.stdout and "Traceback" not in r.stderr


def test_verify_file_with_wrongly_typed_records_exits_2(demo, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"seq":"1","id":"x","ts":"t","clock_synced":true,"type":"t","actor":{},'
                   '"data":{},"prev_hash":"0","hash":"0"}\n', encoding="utf-8")
    r = tillbox("ledger", "verify", "--file", str(bad), config=demo)
    assert r.returncode == 2 and "line 1" in r.stderr and "seq" in r.stderr
