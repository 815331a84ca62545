"""The network rebuild when things go wrong: two transfers overlapping, a full disk, the
rebuild service failing (a child crashing, SIGTERM, the claim failing: the till is started
again and the state is failed), a failure after the COMMIT (done, with a warning), and
send-history's refusals (--to while the old device is online; no "all parts here")."""

from __future__ import annotations

import os
import signal
import stat
import sys

import pytest

from appliance.headoffice.store import open_store
from appliance.replace import catch_up_cursor, rebuild, received, send_history
from appliance.replace.apply import import_received, run_service
from appliance.uplink.state import UplinkState
from rebuild_net_rig import (STORE, TEA, BoxOverTheLink, cfg_for, four_sales_sent, part_args,
                             to_headoffice)


@pytest.fixture
def sent(shop, tmp_path, monkeypatch):
    return four_sales_sent(shop, tmp_path, monkeypatch)


def _ready(cfg, header, parts, transfer="t-a"):
    for a in part_args(header, parts, transfer):
        received.receive_part(cfg, 0, a, background=False)
    assert received.read_status(cfg)["state"] == "ready"


# -- two transfers ---------------------------------------------------------------------------

def test_a_check_finishing_after_a_newer_transfer_took_over_leaves_that_one_alone(
        sent, tmp_path, monkeypatch):
    header, parts = sent
    cfg = cfg_for(tmp_path / "box")
    real = rebuild.check_file

    def check_then_b_arrives(path, *a, **kw):
        result = real(path, *a, **kw)
        if path.parent.name == "t-a":     # A verified; B is sent whole before A records it
            for args in part_args(header, parts, "t-b"):
                received.receive_part(cfg, 0, args, background=False)
        return result
    monkeypatch.setattr(rebuild, "check_file", check_then_b_arrives)
    for args in part_args(header, parts, "t-a"):
        received.receive_part(cfg, 0, args, background=False)
    st = received.read_status(cfg)
    assert (st["state"], st["transfer"]) == ("ready", "t-b")
    assert received.ready_file(cfg)[0].parent.name == "t-b"      # B's file is still there
    a_dir = received.rebuild_dir(cfg) / "t-a"
    assert [p.name for p in a_dir.iterdir()] == [received.TRANSFER]
    assert received._read_meta(a_dir)["state"] == "superseded"
    with pytest.raises(received.PartRefused, match="replaced by a newer one"):
        received.receive_part(cfg, 0, part_args(header, parts, "t-a")[0], background=False)
    assert received.read_status(cfg)["transfer"] == "t-b"


def test_a_new_transfer_drops_unfinished_ones_and_a_ready_one_only_when_it_is_ready(
        sent, tmp_path):
    header, parts = sent
    cfg = cfg_for(tmp_path / "box")
    received.receive_part(cfg, 0, part_args(header, parts, "t-a")[0], background=False)
    _ready(cfg, header, parts, "t-b")                 # A was unfinished: dropped
    assert received._read_meta(received.rebuild_dir(cfg) / "t-a")["state"] == "superseded"
    received.receive_part(cfg, 0, part_args(header, parts, "t-c")[0], background=False)
    st = received.read_status(cfg)
    assert (st["state"], st["transfer"]) == ("receiving", "t-c")   # the newest one's status
    assert (received.rebuild_dir(cfg) / "t-b" / received.FILE).is_file()   # B kept for now
    for args in part_args(header, parts, "t-c")[1:]:
        received.receive_part(cfg, 0, args, background=False)
    assert received.read_status(cfg)["transfer"] == "t-c"
    assert not (received.rebuild_dir(cfg) / "t-b" / received.FILE).exists()  # older: gone


# -- disk ------------------------------------------------------------------------------------

def test_more_parts_than_the_header_has_records_are_refused(sent, tmp_path):
    header, parts = sent
    cfg = cfg_for(tmp_path / "box")
    args = {**part_args(header, parts)[0], "parts": header["head_seq"] + 1}
    with pytest.raises(received.PartRefused, match="impossible"):
        received.receive_part(cfg, 0, args, background=False)
    assert not (received.rebuild_dir(cfg) / "t-0001").exists()


def test_no_room_for_a_part_or_for_the_assembled_file_is_refused_with_a_clear_reason(
        sent, tmp_path, monkeypatch):
    header, parts = sent
    cfg = cfg_for(tmp_path / "box")
    monkeypatch.setattr(received, "RESERVE", 1 << 60)      # more than any real disk has
    with pytest.raises(received.PartRefused, match="not enough free space"):
        received.receive_part(cfg, 0, part_args(header, parts)[0], background=False)
    assert not (received.rebuild_dir(cfg) / "t-0001").exists()
    # room for each part, not for the file put together from them
    monkeypatch.setattr(received, "RESERVE", 0)
    monkeypatch.setattr(received, "_free", lambda _path: 20_000)
    for args in part_args(header, parts):
        received.receive_part(cfg, 0, args, background=False)
    st = received.read_status(cfg)
    assert (st["state"], st["reason"]) == ("bad", "no_space")
    assert "not enough free space" in st["detail"]
    page = received.public_status(st)
    assert page["reason"] == "no_space" and "detail" not in page


# -- the service failing ---------------------------------------------------------------------

@pytest.fixture
def service(sent, tmp_path, monkeypatch):
    """A box with a ready transfer and the owner's request, its configuration file, and a
    systemctl that logs what it is asked."""
    header, parts = sent
    data = tmp_path / "box"
    cfg = cfg_for(data)
    _ready(cfg, header, parts)
    received.request_rebuild(cfg, "owner-1", 0)
    conf = tmp_path / "tillbox.toml"
    conf.write_text(f'[paths]\ndata = "{data}"\n\n[shop]\nstore_id = "{STORE}"\n'
                    'device_id = "till-1"\n')
    for k in [k for k in os.environ if k.startswith("TILLBOX_")]:
        monkeypatch.delenv(k)
    calls = tmp_path / "systemctl.log"
    fake = tmp_path / "systemctl"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {calls}\n'
                    # SIGTERM: `systemctl stop tillbox-rebuild` while the till is stopped
                    f'if [ "$1" = stop ] && [ -e {tmp_path}/term ]; then kill -TERM $PPID; '
                    'sleep 1; fi\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return cfg, conf, fake, calls


def _python_that(tmp_path, monkeypatch, when: str, then: str) -> None:
    """run_service's children run this instead of Python: ``then`` (shell) when their
    arguments end with ``when``, the real Python else."""
    wrapper = tmp_path / "python"
    wrapper.write_text(f'#!/bin/sh\ncase "$*" in *"{when}") {then} ;; esac\n'
                       f'exec {sys.executable} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(wrapper))


def _after(cfg, calls):
    return received.read_status(cfg), calls.read_text().split()


def test_an_import_child_killed_leaves_the_state_failed_and_the_till_started(
        service, tmp_path, monkeypatch):
    cfg, conf, fake, calls = service
    _python_that(tmp_path, monkeypatch, "import --received", "kill -KILL $$")
    assert run_service(cfg, config=str(conf), systemctl=str(fake)) == -signal.SIGKILL
    st, called = _after(cfg, calls)
    assert (st["state"], st["reason"]) == ("failed", "stopped")
    assert st["detail"] == f"failed (stopped, exit {-signal.SIGKILL})"
    assert called == ["stop", "tillbox.target", "start", "tillbox.target"]
    assert received.ready_file(cfg)[0].is_file()           # it can be tried again


def test_a_claim_that_fails_after_taking_the_request_leaves_it_failed_not_requested(
        service, tmp_path, monkeypatch):
    cfg, conf, fake, calls = service
    req = received.rebuild_dir(cfg) / received.REQUESTED
    _python_that(tmp_path, monkeypatch, "--claim-request", f"rm {req}; exit 1")
    assert run_service(cfg, config=str(conf), systemctl=str(fake)) == 1
    st, called = _after(cfg, calls)
    assert (st["state"], st["detail"]) == ("failed", "failed (stopped, exit 1)")
    assert called == ["start", "tillbox.target"]


def test_sigterm_to_the_service_starts_the_till_again_and_records_failed(
        service, tmp_path):
    cfg, conf, fake, calls = service
    (tmp_path / "term").touch()
    before = signal.getsignal(signal.SIGTERM)
    assert run_service(cfg, config=str(conf), systemctl=str(fake)) == 128 + signal.SIGTERM
    st, called = _after(cfg, calls)
    assert (st["state"], st["reason"]) == ("failed", "stopped")
    assert called == ["stop", "tillbox.target", "start", "tillbox.target"]
    assert signal.getsignal(signal.SIGTERM) is before
    assert not cfg.ledger_path.exists() or not rebuild._ledger_state(cfg.ledger_path)[1]


def test_an_import_cut_short_by_an_unexpected_exception_is_recorded_then_raised(
        sent, tmp_path, monkeypatch):
    header, parts = sent
    cfg = cfg_for(tmp_path / "box")
    _ready(cfg, header, parts)

    def interrupted(*_a, **_kw):
        raise KeyboardInterrupt
    monkeypatch.setattr(rebuild, "import_journal", interrupted)
    with pytest.raises(KeyboardInterrupt):
        import_received(cfg)
    st = received.read_status(cfg)
    assert (st["state"], st["reason"]) == ("failed", "crashed")
    assert "KeyboardInterrupt" in st["detail"]


# -- after the COMMIT ------------------------------------------------------------------------

def test_a_cursor_that_cannot_be_set_after_the_commit_is_done_with_a_warning(
        sent, tmp_path):
    header, parts = sent
    cfg = cfg_for(tmp_path / "box")
    _ready(cfg, header, parts)
    cfg.uplink_dir.parent.mkdir(parents=True, exist_ok=True)
    cfg.uplink_dir.write_text("not a directory")           # UplinkState cannot make it
    assert import_received(cfg) == 0
    st = received.read_status(cfg)
    assert (st["state"], st["warnings"]) == ("done", ["cursor_not_set"])
    assert received.public_status(st)["warnings"] == ["cursor_not_set"]
    assert rebuild._ledger_state(cfg.ledger_path)[1] == header["head_seq"]
    # core's start sets it
    cfg.uplink_dir.unlink()
    assert catch_up_cursor(cfg, cfg.ledger_path) == header["head_seq"]
    assert UplinkState(cfg.uplink_dir).acked_seq == header["head_seq"]
    assert catch_up_cursor(cfg, cfg.ledger_path) is None         # once


# -- send-history ----------------------------------------------------------------------------

def test_send_history_to_a_new_id_is_refused_while_the_old_device_says_online(
        shop, tmp_path, monkeypatch):
    for _ in range(2):
        shop.sale(TEA)
    db = open_store(f"sqlite://{tmp_path}/ho.db")
    to_headoffice(db, shop.ledger.records())
    cfg = cfg_for(tmp_path / "box", device="till-9f3a2b")
    link = BoxOverTheLink(cfg, old_online=True)
    monkeypatch.setattr(send_history, "Sender", link)
    with pytest.raises(send_history.SendError, match="old device demo-store/till-1 is online"):
        send_history.send_history(db, None, STORE, "till-1", to="till-9f3a2b", wait=1)
    assert link.sent == [] and link.old_device == "till-1"
    sent = send_history.send_history(db, None, STORE, "till-1", to="till-9f3a2b", wait=1,
                                     force=True)
    assert sent["answer"][0] == "done" and received.read_status(cfg)["take_ids"] is True
    db.close()


def test_send_history_is_not_done_without_an_answer_saying_all_parts_are_here(sent):
    class Sender:
        def answers(self, ids, _wait):
            return {i: ("done", f"part {n}/2 stored ({n} of 2)")
                    for n, i in enumerate(ids, start=1)}
    status, why = send_history._outcome(Sender(), ["a", "b"], 1)
    assert status == "failed" and "never said all parts are here" in why


def test_a_path_unit_firing_with_nothing_to_do_leaves_the_till_as_it_is(service):
    cfg, conf, fake, calls = service
    assert import_received(cfg) == 0                 # a technician imported by hand (stopped)
    (received.rebuild_dir(cfg) / received.REQUESTED).write_text("{}")   # a late request
    assert run_service(cfg, config=str(conf), systemctl=str(fake)) == 0
    assert not calls.exists()                        # neither stopped nor started
    assert received.read_status(cfg)["state"] == "done"
