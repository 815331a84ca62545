"""The SMS sender notifyd uses (drivers.modem.open_sms_sender) with modem.backend =
simulated: references, delivery reports matched to them (also across a restart), transient
and permanent failures, timeouts, a modem that vanishes and comes back, the SIM PIN from the
secrets file."""

import time

import pytest

from appliance import config
from conftest import wait_until
from drivers.modem import (DeliveryReport, PermanentSmsError, SmsSender, TransientSmsError,
                           open_sms_sender)
from drivers.modem.simulated import SimulatedModem, sent_messages, write_faults


def make_cfg(tmp_path, **modem):
    env = {"TILLBOX_PATHS__DATA": str(tmp_path / "data"), "TILLBOX_MODEM__BACKEND": "simulated",
           "TILLBOX_NOTIFY__TIMEOUT_SECONDS": "2"}
    env.update({f"TILLBOX_MODEM__{k.upper()}": str(v) for k, v in modem.items()})
    return config.load(None, environ=env, log_warnings=False)


@pytest.fixture
def cfg(tmp_path):
    cfg = make_cfg(tmp_path)
    write_faults(cfg.sim_dir / "modem", report_delay_s=0.05)
    return cfg


@pytest.fixture
def sender(cfg):
    s = open_sms_sender(cfg, {})
    yield s
    s.close()


def sim_dir(cfg):
    return cfg.sim_dir / "modem"


def collect(sender, count, timeout=5.0):
    got = []

    def enough():
        got.extend(sender.reports())
        return len(got) >= count
    wait_until(enough, timeout=timeout, what=f"{count} delivery report(s)")
    time.sleep(0.2)
    got.extend(sender.reports())
    return got


def test_backend_none_is_refused(tmp_path):
    cfg = make_cfg(tmp_path, backend="none")
    with pytest.raises(ValueError, match="modem.backend is 'none'"):
        open_sms_sender(cfg, {})


def test_opening_does_not_touch_the_modem(tmp_path):
    cfg = make_cfg(tmp_path, backend="serial", device=str(tmp_path / "no-such-tty"))
    s = open_sms_sender(cfg, {})
    try:
        assert not s.connected
        with pytest.raises(TransientSmsError, match="cannot open the modem port"):
            s.send("13800138000", "hi")
        assert s.reports() == []                    # never raises for a missing modem
        assert "cannot open" in s.last_error
    finally:
        s.close()


def test_chinese_message_sent_and_delivered(cfg, sender):
    reference = sender.send("13800138000", "您的订单 1042 已可自提。")
    assert reference.isdigit()
    [message] = sent_messages(sim_dir(cfg))
    assert message["text"] == "您的订单 1042 已可自提。" and message["mode"] == "pdu"
    [report] = collect(sender, 1)
    assert report == DeliveryReport(reference, "delivered", "13800138000",
                                    "received by the recipient")


def test_plain_message_goes_in_text_mode(cfg, sender):
    reference = sender.send("+8613800138000", "Order 1042 is ready")
    assert sent_messages(sim_dir(cfg))[0]["mode"] == "text"
    assert [r.reference for r in collect(sender, 1)] == [reference]


def test_long_message_one_reference_string_and_one_report(cfg, sender):
    text = "您好，" + "订单已发货，" * 30
    reference = sender.send("13800138000", text)
    parts = reference.split(",")
    assert len(parts) == 3 and all(p.isdigit() for p in parts)
    [message] = sent_messages(sim_dir(cfg))
    assert message["text"] == text and [str(r) for r in message["references"]] == parts
    reports = collect(sender, 1)
    assert [(r.reference, r.status) for r in reports] == [(reference, "delivered")]


def test_one_undeliverable_message_fails_once(cfg, sender):
    write_faults(sim_dir(cfg), undeliverable_numbers=["13900000000"])
    reference = sender.send("13900000000", "长消息" * 40)      # two parts, both fail
    reports = collect(sender, 1)
    assert len(reports) == 1
    assert (reports[0].reference, reports[0].status) == (reference, "failed")
    assert "incompatible destination" in reports[0].detail


def test_pdu_mode_forced_sends_plain_text_as_pdu(tmp_path):
    cfg = make_cfg(tmp_path, mode="pdu")
    with open_sms_sender(cfg, {}) as s:
        s.send("10086", "hello")
        assert sent_messages(sim_dir(cfg))[0]["mode"] == "pdu"


def test_text_mode_refuses_chinese_for_good(tmp_path):
    cfg = make_cfg(tmp_path, mode="text")
    with open_sms_sender(cfg, {}) as s:
        with pytest.raises(PermanentSmsError, match="modem.mode = auto"):
            s.send("10086", "你好")
        s.send("10086", "hello")
        assert sent_messages(sim_dir(cfg))[0]["mode"] == "text"


@pytest.mark.parametrize("number", ["", "not a number", "+86 138 0013 800a"])
def test_invalid_numbers_are_permanent(cfg, sender, number):
    with pytest.raises(PermanentSmsError, match="phone number"):
        sender.send(number, "hi")
    assert sent_messages(sim_dir(cfg)) == []


def test_too_long_is_permanent(sender):
    with pytest.raises(PermanentSmsError, match="at most 10"):
        sender.send("10086", "字" * 700)


def test_number_rejected_by_the_network_is_permanent(cfg, sender):
    write_faults(sim_dir(cfg), reject_numbers=["13800000000"])
    with pytest.raises(PermanentSmsError, match="CMS ERROR: 21"):
        sender.send("13800000000", "hi")


def test_no_network_is_transient_and_a_later_retry_sends(cfg, sender):
    write_faults(sim_dir(cfg), no_network=True)
    with pytest.raises(TransientSmsError, match="CMS ERROR: 331"):
        sender.send("13800138000", "重试")
    write_faults(sim_dir(cfg), no_network=False)
    sender.send("13800138000", "重试")
    assert [m["text"] for m in sent_messages(sim_dir(cfg))] == ["重试"]


def test_fail_next_n_then_success(cfg, sender):
    write_faults(sim_dir(cfg), fail_next=2, fail_code=38)
    for _ in range(2):
        with pytest.raises(TransientSmsError, match="38"):
            sender.send("10086", "hello")
    assert sender.send("10086", "hello")


def test_no_sim_is_transient(cfg, sender):
    write_faults(sim_dir(cfg), no_sim=True)
    with pytest.raises(TransientSmsError, match="CME ERROR: 10"):
        sender.send("10086", "hello")


def test_a_silent_modem_times_out_then_recovers(cfg, sender):
    sender.send("10086", "first")
    write_faults(sim_dir(cfg), silent=True)
    started = time.monotonic()
    with pytest.raises(TransientSmsError, match="did not answer|no prompt"):
        sender.send("10086", "second")
    assert time.monotonic() - started < 6
    assert not sender.connected                   # the session is started afresh
    write_faults(sim_dir(cfg), silent=False)
    sender.send("10086", "third")
    assert [m["text"] for m in sent_messages(sim_dir(cfg))] == ["third", "first"]


def test_modem_unplugged_and_back(cfg, sender):
    sender.send("10086", "before")
    modem = sender._simulated
    modem.stop()                                   # the USB modem re-enumerates...
    with pytest.raises(TransientSmsError):
        sender.send("10086", "during")
    modem.start()                                  # ...and is back at the same path
    sender.send("10086", "after")
    assert [m["text"] for m in sent_messages(sim_dir(cfg))] == ["after", "before"]


def test_a_report_after_a_restart_still_matches_the_reference(cfg, tmp_path):
    write_faults(sim_dir(cfg), report_delay_s=1.0)
    modem = SimulatedModem(sim_dir(cfg)).start()
    state = tmp_path / "data" / "modem"
    try:
        first = SmsSender(str(modem.path), state_dir=state, command_timeout=1, send_timeout=2)
        reference = first.send("13800138000", "分两条发送的消息" * 10)
        assert "," in reference
        first.close()                              # notifyd restarts before the report
        second = SmsSender(str(modem.path), state_dir=state, command_timeout=1, send_timeout=2)
        try:
            reports = collect(second, 1)
        finally:
            second.close()
    finally:
        modem.stop()
    assert [(r.reference, r.status) for r in reports] == [(reference, "delivered")]


def test_sim_pin_from_the_secrets_file(tmp_path):
    cfg = make_cfg(tmp_path)
    write_faults(sim_dir(cfg), sim_pin="4321", report_delay_s=0.05)
    with open_sms_sender(cfg, {"modem": {"sim_pin": "4321"}}) as s:
        s.send("10086", "unlocked")
    assert sent_messages(sim_dir(cfg))[0]["text"] == "unlocked"


def test_a_wrong_pin_is_tried_once_across_restarts(tmp_path):
    cfg = make_cfg(tmp_path)
    write_faults(sim_dir(cfg), sim_pin="4321")
    tries_left = []
    for _ in range(2):                             # two notifyd runs with the same wrong PIN
        with open_sms_sender(cfg, {"modem": {"sim_pin": "1111"}}) as s:
            with pytest.raises(TransientSmsError, match="refused"):
                s.send("10086", "x")
            with pytest.raises(TransientSmsError, match="not tried again"):
                s.send("10086", "x")
            tries_left.append(s._simulated.pin_tries)
    assert tries_left == [2, 3]                    # one wrong try; the second run none
    assert (tmp_path / "data" / "modem" / "pin_refused").stat().st_mode & 0o077 == 0
    with open_sms_sender(cfg, {"modem": {"sim_pin": "4321"}}) as s:   # corrected
        s.send("10086", "ok now")


def test_a_malformed_pin_secret_is_refused(tmp_path):
    with pytest.raises(ValueError, match="4-8 digits"):
        open_sms_sender(make_cfg(tmp_path), {"modem": {"sim_pin": 1234}})


def test_close_is_idempotent_and_stops_the_simulated_modem(cfg):
    s = open_sms_sender(cfg, {})
    modem = s._simulated
    s.close()
    s.close()
    assert not modem.running
    with pytest.raises(TransientSmsError, match="closed"):
        s.send("10086", "late")


def test_report_polling_notices_a_vanished_modem_and_reconnects(cfg, tmp_path):
    write_faults(sim_dir(cfg), report_delay_s=0.3)
    modem = SimulatedModem(sim_dir(cfg)).start()
    s = SmsSender(str(modem.path), state_dir=tmp_path / "state", command_timeout=1,
                  send_timeout=2, reconnect_after=0.1)
    try:
        s.send("10086", "before")
        modem.stop()
        assert s.reports() == []                  # no exception...
        assert not s.connected and "went away" in s.last_error
        modem.start()
        wait_until(lambda: s.reports() == [] and s.connected, what="the reconnection")
        reference = s.send("10086", "after")
        assert [r.reference for r in collect(s, 1)] == [reference]
    finally:
        s.close()
        modem.stop()
