"""The benchmarks keep working: `make bench` at toy sizes writes one JSON report."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_quick_run_writes_a_json_report(tmp_path):
    out = tmp_path / "report.json"
    env = {**os.environ, "TILLBOX_BENCH_CACHE": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "run_all.py"), "--quick",
                           # the boot bench is checked with the system tests' own build
                           # (tests/system/test_boot_bench.py): not built twice per run
                           "--skip", "boot", "--out", str(out)],
                          capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    results = report["results"]
    assert set(results) >= {"ledger_commit", "ledger_verify", "barcode_lookup"}
    commit = results["ledger_commit"]["sizes"]
    for size in commit.values():
        assert size["sale_commit"]["p50_ms"] > 0 and size["bare_append_fsync"]["p99_ms"] > 0
    assert commit["600"]["journal_records"] >= 600
    assert results["ledger_verify"]["ok"] and results["ledger_verify"]["cli_exit"] == 0
    assert results["barcode_lookup"]["misses"] > 0 and results["barcode_lookup"]["hits"] > 0
    load = results["api_load"]
    assert load["one_client"]["errors"] == 0 and load["ledger_verify"]["ok"]
    assert load["core_memory"]["end"]["vmrss_mib"] > 0
    weight = results["page_weight"]
    assert weight["page_and_assets"]["requests"] >= 3 and weight["bytes"] > 0
    scans = results["scan_latency"]
    assert scans["samples"] == 10 and 0 < scans["p50_ms"] <= scans["p99_ms"]
    assert set(scans["exit_codes"].values()) == {0}   # every daemon stopped cleanly
    render = results["receipt_render"]["cases"]
    assert render["native_80mm"]["bytes"] > render["native_58mm"]["bytes"] > 0
    assert render["raster_80mm"]["bytes"] > render["native_80mm"]["bytes"]
    pricing = results["pricing"]
    assert (pricing["rules"], pricing["lines"], pricing["samples"]) == (200, 30, 50)
    price = pricing["price"]
    assert 0 < price["p50_ms"] <= price["p99_ms"] <= price["max_ms"]
    assert pricing["rules_applied"] > 0 and pricing["discount"] > 0
    drain = results["uplink_drain"]
    assert drain["records"] == 300 and drain["records_per_s"] > 0
    month = results["month_report"]
    assert month["orders_in_report"] == 1000 and 0 < month["warm_seconds_median"]
    audit = results["audit_page"]
    assert audit["sensitive_actions"] > 0 and audit["csv_everything"]["p50_ms"] > 0
    after = results["after_sale"]
    assert after["customers"] == 10 and after["records"] > 600
    for figure in ("find_by_phone", "find_by_number", "ereceipt_box", "ereceipt_head_office",
                   "forged_link_head_office"):
        assert 0 < after[figure]["p50_ms"] <= after[figure]["max_ms"], figure
    rebuild = results["rebuild"]
    assert rebuild["records"] >= 600 and rebuild["verify_exit"] == 0
    assert rebuild["import_s"] > 0 and rebuild["import_peak_rss_mib"] > 0
    assert "boot" not in results
    assert drain["raw_paho"]["records_per_s_pubacked"] > 0 and drain["ratio_to_raw_received"] > 0
    assert all(run["headoffice_records"] == 300 and set(run["exit_codes"].values()) == {0}
               for run in drain["runs"])                 # everything stored, clean stops
    latency = results["uplink_latency"]
    to_ho = latency["commit_to_headoffice"]
    assert to_ho["n"] == 10 and 0 < to_ho["p50_ms"] <= to_ho["p99_ms"] <= to_ho["max_ms"]
    assert latency["headoffice_records"] == latency["journal_records"]
    assert set(latency["exit_codes"].values()) == {0}
