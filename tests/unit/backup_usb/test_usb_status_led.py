"""The USB copy's status file as the LED, the pages and the counter read it; the status LED's
USB patterns on gpiozero's MockFactory through printerd's GpioParts."""

from __future__ import annotations

import io
import json
import time
from types import SimpleNamespace

import pytest

from appliance.backup.cli import ProgressBar
from appliance.backup.status import (LED_DONE_SECONDS, LED_FAILED_SECONDS,
                                     WRITING_STALE_SECONDS, UsbLedWatch, led_pattern,
                                     read_usb_status, usb_status_path, write_usb_status)
from drivers.gpio import pin_factory
from drivers.indicators.status_light import BLINKS

PIN = 17


def status(tmp_path, state, **extra):
    write_usb_status(tmp_path, {"state": state, "device": "/dev/sda1", "label": "S",
                                "file": "f.tar", "size": 1, "percent": 0, "reason": None,
                                "started_at": "x", "finished_at": None, **extra})


def test_patterns_follow_the_state_and_fade_back_to_normal(tmp_path):
    assert led_pattern(read_usb_status(tmp_path)) is None          # no stick ever
    status(tmp_path, "writing")
    doc = read_usb_status(tmp_path)
    assert led_pattern(doc) == "usb_writing"
    status(tmp_path, "done")
    doc = read_usb_status(tmp_path)
    assert led_pattern(doc, doc["at"] + 1) == "usb_done"
    assert led_pattern(doc, doc["at"] + LED_DONE_SECONDS + 1) is None
    status(tmp_path, "failed", reason="full")
    doc = read_usb_status(tmp_path)
    assert led_pattern(doc, doc["at"] + LED_DONE_SECONDS + 1) == "usb_failed"
    assert led_pattern(doc, doc["at"] + LED_FAILED_SECONDS + 1) is None


def test_a_writing_status_left_by_a_killed_run_reads_as_failed(tmp_path):
    status(tmp_path, "writing")
    at = json.loads(usb_status_path(tmp_path).read_text())["at"]
    doc = read_usb_status(tmp_path, now=at + WRITING_STALE_SECONDS + 1)
    assert doc["state"] == "failed" and "insert the stick again" in doc["reason"]


def test_a_damaged_status_file_is_ignored(tmp_path):
    usb_status_path(tmp_path).write_text("{not json")
    assert read_usb_status(tmp_path) is None
    usb_status_path(tmp_path).write_text('{"state": "exploded"}')
    assert read_usb_status(tmp_path) is None


def test_the_usb_patterns_are_distinct_from_the_others():
    usb = {BLINKS[p] for p in ("usb_writing", "usb_done", "usb_failed")}
    assert len(usb) == 3 and not usb & {BLINKS[p] for p in ("offline", "printer", "error",
                                                            "stock")}
    # writing flickers faster than anything else
    assert max(BLINKS["usb_writing"][0]) < min(min(s) for p in ("printer", "error")
                                              for s in BLINKS[p])


@pytest.fixture
def factory():
    f = pin_factory("mock")
    yield f
    f.close()


def test_printerd_shows_the_usb_copy_over_its_own_pattern(factory, tmp_path):
    from services.printerd import GpioParts
    cfg = SimpleNamespace(data_dir=tmp_path,
                          gpio=SimpleNamespace(status_led_pin=PIN, button_pin=0),
                          drawer=SimpleNamespace(kick="escpos", sensor="none"))
    parts = GpioParts.from_config(cfg, factory)
    try:
        parts.show(printer_ok=True, uplink_ok=True, error=False)
        assert parts.light.pattern == "ready"
        status(tmp_path, "writing")
        parts.show(printer_ok=False, uplink_ok=False, error=True)
        assert parts.light.pattern == "usb_writing"
        pin = factory.pin(PIN)
        deadline = time.monotonic() + 2
        while len(pin.states) < 8 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(pin.states) >= 8       # it really blinks
        status(tmp_path, "done")
        parts.show(printer_ok=True, uplink_ok=True, error=False)
        assert parts.light.pattern == "usb_done"
        doc = json.loads(usb_status_path(tmp_path).read_text())
        doc["at"] -= LED_DONE_SECONDS + 1        # the few seconds are over
        usb_status_path(tmp_path).write_text(json.dumps(doc))
        parts.show(printer_ok=True, uplink_ok=True, error=False)
        assert parts.light.pattern == "ready"
    finally:
        parts.close()


def test_the_watch_stats_and_rereads_only_on_change(tmp_path):
    watch = UsbLedWatch(tmp_path)
    assert watch.pattern() is None
    status(tmp_path, "failed", reason="r")
    assert watch.pattern() == "usb_failed"
    usb_status_path(tmp_path).unlink()
    assert watch.pattern() is None


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_the_terminal_bar_shows_rate_and_time_left():
    now = [100.0]
    out = Tty()
    bar = ProgressBar(out, width=10, clock=lambda: now[0])
    bar("copy", 0, 100 << 20)
    now[0] += 2
    bar("copy", 50 << 20, 100 << 20)
    bar.close()
    text = out.getvalue()
    assert "[#####.....]  50%  25.0 MB/s  0:02 left" in text and text.endswith("\n")


def test_without_a_terminal_a_plain_line_every_interval():
    now = [0.0]
    out = io.StringIO()
    bar = ProgressBar(out, clock=lambda: now[0], interval=10)
    bar("ledger", 10, 100)
    now[0] = 5
    bar("ledger", 40, 100)
    assert out.getvalue() == ""           # a short run says nothing
    now[0] = 11
    bar("ledger", 50, 100)
    bar.close()
    assert out.getvalue() == "ledger: 50% (5 pages/s, about 11 s left)\n"


def test_a_stick_that_vanished_mid_copy_reads_as_pulled():
    from appliance.backup.usb import StickError
    from appliance.backup.usbauto import _reason, reason_code
    gone = "/dev/no-such-stick-sdz9"
    r = _reason(OSError(5, "Input/output error"), gone)
    assert "pulled" in r and reason_code(r) == "pulled"
    r = _reason(StickError("writing to the stick at /run/x failed: Input/output error"), gone)
    assert reason_code(r) == "pulled"
    r = _reason(OSError(5, "Input/output error"), "/dev/null")   # still there: the stick
    assert reason_code(r) == "other" and "Input/output error" in r
