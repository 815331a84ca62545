"""notifyd's place among the daemons: the routes it serves by config, `tillbox run` starting it
only when there is something for it to send, and the CLI knowing it."""

from __future__ import annotations

import subprocess
import sys

from appliance.config import load
from services import runner
from services.notifyd import routes_for
from services.notify_relay import relay_wanted


def cfg_with(tmp_path, notify: str):
    p = tmp_path / "t.toml"
    p.write_text(f'[paths]\ndata = "d"\n[notify]\n{notify}\n', encoding="utf-8")
    return load(p, environ={})


def test_routes_follow_the_configuration(tmp_path):
    assert routes_for(cfg_with(tmp_path, "")) == []
    both = cfg_with(tmp_path, 'email = "smtp"\nsms = "modem"')
    assert routes_for(both) == ["smtp", "modem"]
    relay = cfg_with(tmp_path, 'sms = "relay"\nwechat = "relay"')
    assert routes_for(relay) == [] and relay_wanted(relay)
    assert not relay_wanted(both)


def test_tillbox_run_starts_notifyd_only_for_email_or_the_modem(tmp_path):
    assert "notifyd" not in runner.daemons(cfg_with(tmp_path, 'sms = "relay"'))
    assert "notifyd" in runner.daemons(cfg_with(tmp_path, 'email = "smtp"'))
    assert "notifyd" in runner.daemons(cfg_with(tmp_path, 'sms = "modem"'))


def test_the_cli_offers_notifyd():
    out = subprocess.run([sys.executable, "-m", "appliance.cli", "--help"], capture_output=True,
                         text=True, timeout=60).stdout
    assert "notifyd" in out
