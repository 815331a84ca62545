"""uplinkd taking settings changes live (issue 11 review): a reconnect with the notify relay
on, commands received just before a reconnect, and a new store or device id."""

from __future__ import annotations

import socket

from appliance.config import load
from appliance.provisioning import write_overlay
from services.daemon import Daemon
from services.uplinkd import Uplink


class Core:
    """Core as the relay and the reports see it: nothing to relay, reports taken."""

    def call(self, method, path, body=None, timeout=None):
        return 204, None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make(tmp_path, *, relay: bool, host: str = "127.0.0.1"):
    (tmp_path / "d").mkdir(exist_ok=True)
    notify = '[notify]\nsms = "relay"\n' if relay else ""
    (tmp_path / "t.toml").write_text(
        f'[paths]\ndata = "d"\n[shop]\nstore_id = "hz-0012"\ndevice_id = "till-1"\n'
        f'[mqtt]\nhost = "{host}"\nport = {free_port()}\n{notify}', encoding="utf-8")
    cfg = load(tmp_path / "t.toml", environ={})
    return cfg, Uplink(cfg, Core(), Daemon("uplinkd-test"))


def test_a_link_change_with_the_notify_relay_on_reconnects_without_crashing(tmp_path):
    cfg, up = make(tmp_path, relay=True)
    try:
        assert up.relay is not None
        up.start()
        first = up.relay.thread
        assert first.is_alive()
        write_overlay(cfg.overlay_path, {"mqtt": {"port": free_port()}})
        up.reconfigure()            # raised "threads can only be started once" before
        write_overlay(cfg.overlay_path, {"mqtt": {"keepalive": 30}})
        up.reconfigure()
        assert up.relay.thread is first and first.is_alive()
        assert up.m.keepalive == 30 and up.client is not None
    finally:
        up.close()
    assert not first.is_alive()


def test_commands_received_before_a_reconnect_are_still_handled(tmp_path):
    cfg, up = make(tmp_path, relay=False)
    try:
        up.events.put(("connect", None))
        up.events.put(("message", up.t("cmd/resend"), b"{}"))
        up.events.put(("puback", 7, None))
        up.events.put(("cmd_done", "c-1", "done", ""))
        up.events.put(("disconnect", None))
        up._drop_client()
        kept = []
        while not up.events.empty():
            kept.append(up.events.get_nowait())
        assert kept == [("message", up.t("cmd/resend"), b"{}"), ("cmd_done", "c-1", "done", "")]
    finally:
        up.close()


def test_a_new_store_id_makes_uplinkd_start_again_and_a_link_change_does_not(tmp_path):
    cfg, up = make(tmp_path, relay=False, host="")
    try:
        write_overlay(cfg.overlay_path, {"mqtt": {"keepalive": 30}})
        up.reconfigure()
        assert up.reexec is False and up.m.keepalive == 30
        write_overlay(cfg.overlay_path, {"shop": {"store_id": "sh-0007"}})
        up.reconfigure()
        assert up.reexec is True
        assert up.store == "hz-0012"    # the new one is read by the program started again
        up.run()                        # the loop ends at once (serve() then re-executes)
    finally:
        up.close()
