"""appliance.config_watch: a daemon learns cheaply that its configuration files changed."""

import os

from appliance.config import load
from appliance.config_watch import ConfigWatch
from appliance.provisioning import write_overlay


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_rewritten_overlay_or_extra_file_is_noticed_once(tmp_path):
    (tmp_path / "t.toml").write_text('[paths]\ndata = "d"\nsecrets = "s.toml"\n')
    (tmp_path / "d").mkdir()
    cfg = load(tmp_path / "t.toml", environ={})
    extra = tmp_path / "d" / "mqtt-password"
    clock = Clock()
    watch = ConfigWatch(cfg, lambda c: [extra], interval=1.0, clock=clock)
    assert watch.changed() is False
    write_overlay(cfg.overlay_path, {"mqtt": {"port": 1883}})
    assert watch.changed() is False             # not looked again within the interval
    clock.now = 1.5
    assert watch.changed() is True
    clock.now = 3.0
    assert watch.changed() is False             # once per change
    extra.write_text("x")                       # a file that did not exist appears
    clock.now = 4.5
    assert watch.changed() is True
    os.unlink(extra)
    clock.now = 6.0
    assert watch.changed() is True
    (tmp_path / "s.toml").write_text('[mqtt]\npassword = "p"\n')
    clock.now = 7.5
    assert watch.changed() is True
    clock.now = 9.0
    assert watch.changed() is False


def test_rebase_watches_the_new_configurations_files(tmp_path):
    (tmp_path / "t.toml").write_text('[paths]\ndata = "d"\nsecrets = "s.toml"\n')
    (tmp_path / "d").mkdir()
    cfg = load(tmp_path / "t.toml", environ={})
    clock = Clock()
    watch = ConfigWatch(cfg, lambda c: [c.mqtt.ca_file], interval=0, clock=clock)
    ca = tmp_path / "d" / "ca.pem"
    ca.write_text("one")
    assert watch.changed() is False             # ca_file was not configured yet
    write_overlay(cfg.overlay_path, {"mqtt": {"ca_file": str(ca)}})
    assert watch.changed() is True
    watch.rebase(load(tmp_path / "t.toml", environ={}))
    ca.write_text("two, longer")
    assert watch.changed() is True
