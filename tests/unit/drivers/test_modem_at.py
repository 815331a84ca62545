"""The AT session and SMS commands against the simulated modem on a pty pair, through real
pyserial: text mode, PDU mode with Chinese, long messages, delivery reports (+CDS and the
+CDSI / AT+CMGR route), final result codes, URCs in the middle of a command, timeouts, a port
that vanishes, the SIM PIN."""

import time

import pytest

from conftest import wait_until
from drivers.modem import pdu as pdus
from drivers.modem.at import (AtCommandError, AtSession, AtTimeout, PortGone, SimLocked,
                              SmsModem, Urc, is_permanent, is_plain)
from drivers.modem.simulated import (SimulatedModem, reports_sent, sent_messages, sent_parts,
                                     write_faults)


@pytest.fixture
def sim(tmp_path):
    state = tmp_path / "sim"
    write_faults(state, report_delay_s=0.05)
    modem = SimulatedModem(state).start()
    yield modem
    modem.stop()


@pytest.fixture
def session(sim):
    s = AtSession(str(sim.path), command_timeout=1.0)
    s.open()
    yield s
    s.close()


def reports_until(modem, count, timeout=5.0):
    got = []

    def enough():
        got.extend(modem.read_reports(0.05))
        return len(got) >= count
    wait_until(enough, timeout=timeout, what=f"{count} delivery report(s)")
    return got


# -- the session

def test_echo_is_skipped_and_information_lines_returned(session):
    assert session.command("AT") == []               # echo still on: "AT" comes back
    assert session.command("ATI") == ["Tillbox", "Simulated 4G modem", "Revision: SIM1"]
    session.command("ATE0")
    assert session.command("AT+CSQ") == ["+CSQ: 23,99"]


def test_error_final_codes_raise_with_kind_and_code(session):
    with pytest.raises(AtCommandError) as err:
        session.command("AT+NOSUCH")
    assert (err.value.kind, err.value.code) == ("ERROR", None)
    session.command("AT+CMEE=1")
    with pytest.raises(AtCommandError) as err:
        session.command('AT+CPIN="1234"')            # no PIN wanted: operation not allowed
    assert (err.value.kind, err.value.code) == ("+CME ERROR", 3)


def test_error_messages_never_show_a_pin_or_a_number(session):
    session.command("AT+CMEE=1")
    with pytest.raises(AtCommandError) as err:
        session.command('AT+CPIN="8642"')
    assert "8642" not in str(err.value) and "AT+CPIN=..." in str(err.value)


def test_unsolicited_codes_during_a_command_are_kept_aside(sim, session, tmp_path):
    write_faults(sim.state_dir, sim_pin="2468")
    sim.restart()                                     # power cycle: the SIM wants its PIN
    session.close()
    session.open()
    session.command("AT+CMEE=1")
    session.command('AT+CPIN="2468"')                 # the modem then says +CPIN: READY...
    time.sleep(0.2)
    assert session.command("AT+CSQ") == ["+CSQ: 23,99"]
    names = [u.line for u in session.urcs]
    assert "+CPIN: READY" in names and "SMS DONE" in names


def test_answer_to_own_command_is_not_a_urc(session):
    assert session.command("AT+CPIN?") == ["+CPIN: READY"]
    assert session.urcs == []


def test_a_silent_modem_times_out(sim, session):
    write_faults(sim.state_dir, silent=True)
    started = time.monotonic()
    with pytest.raises(AtTimeout, match="did not answer AT within 1 s"):
        session.command("AT")
    assert 0.9 < time.monotonic() - started < 3


def test_a_vanished_port_raises_port_gone_and_a_new_session_works(sim, session):
    session.command("AT")
    sim.stop()                                        # unplugged
    with pytest.raises(PortGone):
        session.command("AT")
        session.command("AT")
    session.close()
    with pytest.raises(PortGone, match="cannot open"):
        AtSession(str(sim.path)).open()
    sim.start()                                       # plugged back in, same path
    again = AtSession(str(sim.path), command_timeout=1.0)
    again.open()
    try:
        assert again.command("AT") == []
    finally:
        again.close()


# -- SMS

def test_text_mode_send_and_report(sim, session):
    modem = SmsModem(session, mode="text", send_timeout=2)
    modem.init()
    assert modem.reports_on
    mr = modem.send_text("+8613800138000", "Your order 1042 is ready.")
    [sent] = sent_messages(sim.state_dir)
    assert sent["text"] == "Your order 1042 is ready." and sent["mode"] == "text"
    assert sent["references"] == [mr] and sent["number"] == "+8613800138000"
    [report] = reports_until(modem, 1)
    assert (report.message_reference, report.outcome) == (mr, "delivered")
    assert report.number == "+8613800138000"


def test_pdu_mode_chinese_is_decoded_by_the_modem(sim, session):
    modem = SmsModem(session, mode="pdu", send_timeout=2)
    modem.init()
    text = "您好！您的订单已发货，顺丰单号 SF1234567890。"
    [part] = pdus.encode_submit("13800138000", text, status_report=True)
    mr = modem.send_pdu(part)
    [sent] = sent_messages(sim.state_dir)
    assert (sent["text"], sent["encoding"], sent["mode"]) == (text, "ucs2", "pdu")
    [report] = reports_until(modem, 1)
    assert report.message_reference == mr and report.number == "13800138000"


def test_long_message_goes_out_in_parts_joined_by_the_modem_log(sim, session):
    modem = SmsModem(session, mode="pdu", send_timeout=2)
    modem.init()
    text = "售后工单 A-0042 已处理完毕，" * 11          # 198 UCS-2 units: 3 parts
    parts = pdus.encode_submit("13800138000", text, status_report=True, concat_reference=5)
    assert len(parts) == 3
    mrs = [modem.send_pdu(p) for p in parts]
    assert len(set(mrs)) == 3
    [message] = sent_messages(sim.state_dir)
    assert message["text"] == text and message["complete"] and message["references"] == mrs
    assert [p["part"] for p in sent_parts(sim.state_dir)] == [3, 2, 1]
    reports = reports_until(modem, 3)
    assert sorted(r.message_reference for r in reports) == sorted(mrs)


def test_auto_mode_uses_text_mode_only_for_plain_single_messages():
    assert is_plain("Order 12 ready, thanks!")
    assert not is_plain("price $5")            # $ is not the same code in GSM 7-bit
    assert not is_plain("user@example.com")
    assert not is_plain("您好")
    assert not is_plain("a" * 161)
    assert not is_plain("line\nbreak")


def test_reports_stored_on_the_sim_are_read_and_deleted(sim, session):
    write_faults(sim.state_dir, report_storage=True)
    modem = SmsModem(session, mode="pdu", send_timeout=2)
    modem.init()                                      # AT+CNMI ds=1 refused, ds=2 taken
    assert modem.reports_on and sim.cnmi_ds == 2
    [part] = pdus.encode_submit("13800138000", "取货通知", status_report=True)
    mr = modem.send_pdu(part)
    [report] = reports_until(modem, 1)
    assert (report.message_reference, report.outcome) == (mr, "delivered")
    assert sim.stored == {}                           # AT+CMGD removed it


def test_reports_stored_in_text_mode_are_read_too(sim, session):
    write_faults(sim.state_dir, report_storage=True, undeliverable=True)
    modem = SmsModem(session, mode="text", send_timeout=2)
    modem.init()
    mr = modem.send_text("10086", "Ready for pick-up")
    [report] = reports_until(modem, 1)
    assert (report.message_reference, report.outcome, report.status) == (mr, "failed", 0x41)


def test_no_reports_requested_when_turned_off(sim, session):
    modem = SmsModem(session, mode="pdu", delivery_reports=False, send_timeout=2)
    modem.init()
    assert not modem.reports_on and sim.cnmi_ds == 0


def test_undeliverable_number_gives_a_failed_report(sim, session):
    write_faults(sim.state_dir, undeliverable_numbers=["13900000000"])
    modem = SmsModem(session, mode="pdu", send_timeout=2)
    modem.init()
    [part] = pdus.encode_submit("13900000000", "你好", status_report=True)
    modem.send_pdu(part)
    [report] = reports_until(modem, 1)
    assert report.outcome == "failed"
    assert reports_sent(sim.state_dir)[0]["status"] == "failed"


@pytest.mark.parametrize("faults, code, permanent", [
    ({"no_network": True}, 331, False),
    ({"busy": True}, 500, False),
    ({"fail_next": 1, "fail_code": 38}, 38, False),
    ({"reject_numbers": ["+8613800138000"]}, 21, True),
])
def test_send_failures_carry_their_cms_code(sim, session, faults, code, permanent):
    modem = SmsModem(session, mode="pdu", send_timeout=2)
    modem.init()
    write_faults(sim.state_dir, **faults)
    [part] = pdus.encode_submit("+8613800138000", "测试")
    with pytest.raises(AtCommandError) as err:
        modem.send_pdu(part)
    assert (err.value.kind, err.value.code) == ("+CMS ERROR", code)
    assert is_permanent(err.value) is permanent
    assert sent_messages(sim.state_dir) == []


def test_fail_next_counts_down_then_sends(sim, session):
    modem = SmsModem(session, mode="text", send_timeout=2)
    modem.init()
    write_faults(sim.state_dir, fail_next=2, fail_code=500)
    for _ in range(2):
        with pytest.raises(AtCommandError):
            modem.send_text("10086", "retry me")
    modem.send_text("10086", "retry me")
    assert [m["text"] for m in sent_messages(sim.state_dir)] == ["retry me"]


def test_a_wrong_pdu_length_is_refused_by_the_modem(sim, session):
    modem = SmsModem(session, mode="pdu", send_timeout=2)
    modem.init()
    [part] = pdus.encode_submit("10086", "hi")
    bad = pdus.SubmitPdu(hex=part.hex, tpdu_length=part.tpdu_length + 1)
    with pytest.raises(AtCommandError) as err:
        modem.send_pdu(bad)
    assert err.value.code == 304 and is_permanent(err.value)


def test_a_modem_silent_after_the_prompt_times_out_the_send(sim, session):
    modem = SmsModem(session, mode="pdu", send_timeout=1)
    modem.init()
    [part] = pdus.encode_submit("10086", "hi")
    write_faults(sim.state_dir, silent=True)
    with pytest.raises(AtTimeout):
        modem.send_pdu(part)


def test_a_modem_left_at_the_prompt_by_a_dead_program_is_recovered(sim, session):
    session.command("ATE0")
    session._write(b"AT+CMGS=20\r")                 # then the program dies at "> "
    wait_until(lambda: session._fill(time.monotonic() + 0.05) and session._prompt_waiting(),
               what="the prompt")
    session.close()
    fresh = AtSession(str(sim.path), command_timeout=1.0)
    fresh.open()
    try:
        modem = SmsModem(fresh, mode="text", send_timeout=2)
        modem.init()
        modem.send_text("10086", "after the crash")
    finally:
        fresh.close()
    assert [m["text"] for m in sent_messages(sim.state_dir)] == ["after the crash"]


# -- SIM

def test_no_sim_stops_init_with_cme_10(sim, session):
    write_faults(sim.state_dir, no_sim=True)
    with pytest.raises(AtCommandError) as err:
        SmsModem(session).init()
    assert (err.value.kind, err.value.code) == ("+CME ERROR", 10)


def test_sim_pin_is_entered_from_the_secret(sim, session):
    write_faults(sim.state_dir, sim_pin="1234")
    sim.restart()
    session.close()
    session.open()
    modem = SmsModem(session, pin="1234", send_timeout=2)
    modem.init()
    assert sim.sim_unlocked
    [part] = pdus.encode_submit("10086", "解锁后发送")
    modem.send_pdu(part)
    assert sent_messages(sim.state_dir)[0]["text"] == "解锁后发送"


def test_a_missing_pin_is_named(sim, session):
    write_faults(sim.state_dir, sim_pin="1234")
    sim.restart()
    session.close()
    session.open()
    with pytest.raises(SimLocked, match="modem.sim_pin"):
        SmsModem(session).init()


def test_a_refused_pin_is_remembered_and_never_tried_again(sim, session):
    write_faults(sim.state_dir, sim_pin="1234")
    sim.restart()
    session.close()
    session.open()
    refused = set()
    kw = dict(pin="9999", pin_refused=lambda p: p in refused, refuse_pin=refused.add)
    with pytest.raises(SimLocked, match="refused"):
        SmsModem(session, **kw).init()
    assert refused == {"9999"} and sim.pin_tries == 2
    with pytest.raises(SimLocked, match="not tried again"):
        SmsModem(session, **kw).init()
    assert sim.pin_tries == 2                         # no second wrong try
    SmsModem(session, pin="1234").init()
    assert sim.sim_unlocked


def test_a_puk_locked_sim_is_not_given_a_pin(sim, session):
    write_faults(sim.state_dir, sim_pin="1234")
    sim.restart()
    sim.pin_tries = 0
    session.close()
    session.open()
    with pytest.raises(SimLocked, match="SIM PUK"):
        SmsModem(session, pin="1234").init()


def test_urc_names():
    assert Urc("+CDS: 25", "00").name == "+CDS"
    assert Urc("RING").name == "RING"
