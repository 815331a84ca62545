"""drivers/printer/simulated.py: the virtual printer, driven through python-escpos Network."""

import json
import socket
import threading
import time

import pytest
from escpos.printer import Dummy, Network

from appliance.i18n import language
from drivers.printer.escpos_out import render
from drivers.printer.layout import Line, lay_out
from drivers.printer.simulated import (FAULT_DEFAULTS, SimulatedPrinter, clear_paper,
                                       close_drawer, drawer_state, paper_roll, read_faults,
                                       write_faults)
from test_decode import tea_receipt

STATUS = {n: b"\x10\x04" + bytes([n]) for n in (1, 2, 3, 4)}


def wait_for(predicate, timeout=2.0):
    """Poll until predicate() is truthy (the printer works in its own thread)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.01)


@pytest.fixture
def sim(tmp_path):
    with SimulatedPrinter(tmp_path) as printer:
        yield printer


@pytest.fixture
def client(sim):
    printer = Network("127.0.0.1", sim.port, timeout=2)
    printer.open()
    yield printer
    printer.close()


def status(printer, n) -> bytes:
    """Ask DLE EOT n. The answer also proves the printer has handled all earlier data."""
    printer._raw(STATUS[n])
    return printer._read()


def tea_lines(**extra):
    with language("zh_CN"):
        receipt = tea_receipt(**extra)
        return lay_out(receipt, 58), receipt.qr_url


def cut_pieces(state_dir):
    return [p for p in paper_roll(state_dir) if p["cut"]]


def test_status_of_a_healthy_printer_with_the_drawer_closed(client):
    assert [status(client, n) for n in (1, 2, 3, 4)] == [b"\x12", b"\x12", b"\x12", b"\x12"]


@pytest.mark.parametrize("fault,expected", [
    ("paper_out", {1: 0x1A, 2: 0x32, 3: 0x12, 4: 0x7E}),
    ("cover_open", {1: 0x1A, 2: 0x16, 3: 0x12, 4: 0x12}),
    ("paper_near_end", {1: 0x12, 2: 0x12, 3: 0x12, 4: 0x1E}),
])
def test_status_bytes_for_each_fault(sim, client, fault, expected):
    write_faults(sim.state_dir, **{fault: True})
    assert {n: status(client, n)[0] for n in (1, 2, 3, 4)} == expected


def test_python_escpos_reads_our_status_as_intended(sim, client):
    assert client.is_online() and client.paper_status() == 2
    write_faults(sim.state_dir, paper_near_end=True)
    assert client.paper_status() == 1
    write_faults(sim.state_dir, paper_out=True)
    assert not client.is_online() and client.paper_status() == 0


def test_faults_flip_live_on_an_open_connection(sim, client):
    assert status(client, 2) == b"\x12"
    write_faults(sim.state_dir, cover_open=True)
    assert status(client, 2) == b"\x16"
    write_faults(sim.state_dir, cover_open=False)
    assert status(client, 2) == b"\x12"


def test_a_receipt_lands_on_the_paper_roll_at_its_cut(sim, client):
    lines, qr_url = tea_lines()
    render(client, lines, qr_url=qr_url, cut=False)
    status(client, 1)
    assert paper_roll(sim.state_dir) == []  # printed, but still on the printer
    client.cut()
    status(client, 1)
    [piece] = paper_roll(sim.state_dir)
    assert piece["n"] == 1 and piece["cut"] is True and piece["at"].endswith("+00:00")
    printed = piece["lines"]
    expected = [{"text": ln.text, "align": ln.align, "bold": ln.bold, "double": ln.double}
                for ln in lines]
    assert printed[:len(expected)] == expected
    assert all(ln["text"] == "" for ln in printed[len(expected):])
    assert piece["qr"] == [qr_url] and piece["images"] == []
    stored = json.loads((sim.state_dir / "paper" / "000001.json").read_text("utf-8"))
    assert stored == piece


def test_receipt_size_counts_every_byte_up_to_the_cut(sim, client):
    lines = [Line("one"), Line("two", bold=True)]
    same = Dummy()  # the same default profile as the Network client
    render(same, lines)
    render(client, lines)
    client.close()
    [piece] = wait_for(lambda: paper_roll(sim.state_dir))
    assert piece["bytes"] == len(same.output)
    assert [ln["text"] for ln in piece["lines"][:2]] == ["one", "two"]


def test_receipts_are_numbered_newest_first_and_numbers_survive_clearing(sim, client):
    for text in ("first", "second", "third"):
        render(client, [Line(text)])
    status(client, 1)
    assert [p["lines"][0]["text"] for p in paper_roll(sim.state_dir)] == [
        "third", "second", "first"]
    assert [p["n"] for p in paper_roll(sim.state_dir, limit=2)] == [3, 2]
    clear_paper(sim.state_dir)
    assert paper_roll(sim.state_dir) == []
    render(client, [Line("fourth")])
    status(client, 1)
    assert [p["n"] for p in paper_roll(sim.state_dir)] == [4]


def test_paper_left_uncut_when_the_client_leaves_is_kept_as_uncut(sim, client):
    render(client, [Line("no cut")], cut=False)
    client.close()
    [piece] = wait_for(lambda: paper_roll(sim.state_dir))
    assert piece["cut"] is False and piece["lines"][0]["text"] == "no cut"


@pytest.mark.parametrize("fault", ["paper_out", "cover_open"])
def test_print_data_is_discarded_while_the_printer_is_stopped(sim, client, fault):
    write_faults(sim.state_dir, **{fault: True})
    render(client, [Line("lost")])
    status(client, 1)
    write_faults(sim.state_dir, **{fault: False})
    render(client, [Line("printed")])
    status(client, 1)
    assert [p["lines"][0]["text"] for p in paper_roll(sim.state_dir)] == ["printed"]


def test_paper_near_end_still_prints(sim, client):
    write_faults(sim.state_dir, paper_near_end=True)
    render(client, [Line("still here")])
    status(client, 1)
    assert paper_roll(sim.state_dir)[0]["lines"][0]["text"] == "still here"


def ask_status_on_a_new_connection(port) -> bytes:
    """DLE EOT 1 on a fresh connection; b"" if the connection is dropped (at any point:
    the reset can even beat connect() back to us)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.sendall(STATUS[1])
            return s.recv(16)
    except (ConnectionResetError, BrokenPipeError):
        return b""


def test_offline_printer_drops_every_connection_without_answering(sim):
    write_faults(sim.state_dir, offline=True)
    assert ask_status_on_a_new_connection(sim.port) == b""
    assert ask_status_on_a_new_connection(sim.port) == b""
    write_faults(sim.state_dir, offline=False)
    assert ask_status_on_a_new_connection(sim.port) == b"\x12"


def test_going_offline_drops_a_connection_that_is_already_open(sim, client):
    assert status(client, 1) == b"\x12"
    write_faults(sim.state_dir, offline=True)  # the power cord is pulled while connected
    with pytest.raises(OSError):
        for _ in range(20):
            client._raw(b"\x10\x04\x01")
            if client._read() == b"":
                raise ConnectionResetError("closed by the printer")
            time.sleep(0.1)


def test_disconnect_mid_job_drops_the_next_receipt_once_then_the_retry_prints(sim):
    write_faults(sim.state_dir, disconnect_mid_job=True)
    lines, qr_url = tea_lines()
    first = Network("127.0.0.1", sim.port, timeout=2)
    first.open()
    with pytest.raises(OSError):
        # The reset reaches us during the job or, at the latest, when we ask for the status.
        render(first, lines, qr_url=qr_url)
        assert status(first, 1) != b""
        raise AssertionError("the connection survived disconnect_mid_job")
    first.close()
    torn = wait_for(lambda: paper_roll(sim.state_dir))
    assert [p["cut"] for p in torn] == [False]
    assert [ln["text"] for ln in torn[0]["lines"]] == [lines[0].text]
    assert read_faults(sim.state_dir)["disconnect_mid_job"] is False

    retry = Network("127.0.0.1", sim.port, timeout=2)
    retry.open()
    render(retry, lines, qr_url=qr_url)
    assert status(retry, 1) == b"\x12"
    retry.close()
    [piece] = cut_pieces(sim.state_dir)
    assert [ln["text"] for ln in piece["lines"][:len(lines)]] == [ln.text for ln in lines]


def test_slow_ms_delays_each_chunk(sim):
    write_faults(sim.state_dir, slow_ms=300)
    with socket.create_connection(("127.0.0.1", sim.port), timeout=2) as s:
        s.sendall(STATUS[1])
        s.settimeout(0.05)
        with pytest.raises(TimeoutError):
            s.recv(16)  # the printer is still sleeping on this chunk
        s.settimeout(2)
        assert s.recv(16) == b"\x12"


def test_drawer_kick_opens_the_drawer_and_it_closes_itself(sim, client):
    write_faults(sim.state_dir, drawer_close_after_s=0.2)
    client.cashdraw(2)
    assert status(client, 1) == b"\x16"  # bit 2: drawer open
    drawer = drawer_state(sim.state_dir)
    assert drawer["open"] is True and drawer["kicks"] == 1
    assert drawer["last_kick"]["pin"] == 2
    assert (drawer["last_kick"]["on_ms"], drawer["last_kick"]["off_ms"]) == (100, 100)
    assert wait_for(lambda: not drawer_state(sim.state_dir)["open"])
    assert status(client, 1) == b"\x12"
    stored = json.loads((sim.state_dir / "drawer.json").read_text("utf-8"))
    assert stored["open"] is False and stored["kicks"] == 1


def test_drawer_with_auto_close_off_stays_open_until_closed(sim, client):
    write_faults(sim.state_dir, drawer_close_after_s=0)
    client.cashdraw(5)
    client.cashdraw(5)
    assert status(client, 1) == b"\x16"
    a_day_later = time.time() + 86400
    drawer = drawer_state(sim.state_dir, now=a_day_later)
    assert drawer["open"] is True and drawer["kicks"] == 2 and drawer["last_kick"]["pin"] == 5
    assert close_drawer(sim.state_dir)["open"] is False
    assert status(client, 1) == b"\x12"


def test_drawer_kick_through_printer_is_ignored_while_stopped_but_realtime_pulse_works(sim,
                                                                                       client):
    write_faults(sim.state_dir, paper_out=True, drawer_close_after_s=0)
    client.cashdraw(2)
    assert status(client, 1)[0] & 0x04 == 0
    client._raw(b"\x10\x14\x01\x00\x01")  # DLE DC4 1: real-time pulse
    assert status(client, 1)[0] & 0x04 == 0x04


def test_read_faults_fills_in_defaults(tmp_path):
    assert read_faults(tmp_path) == FAULT_DEFAULTS
    write_faults(tmp_path, paper_out=True, slow_ms=20)
    assert read_faults(tmp_path) == {**FAULT_DEFAULTS, "paper_out": True, "slow_ms": 20}
    write_faults(tmp_path, slow_ms=0)
    assert read_faults(tmp_path)["paper_out"] is True  # other faults keep their value


@pytest.mark.parametrize("changes,bad", [
    ({"paper_jam": True}, "paper_jam"),
    ({"paper_out": 1}, "paper_out"),
    ({"slow_ms": -5}, "slow_ms"),
    ({"slow_ms": 1.5}, "slow_ms"),
    ({"drawer_close_after_s": "5"}, "drawer_close_after_s"),
    ({"drawer_close_after_s": True}, "drawer_close_after_s"),
])
def test_write_faults_refuses_bad_names_and_types_naming_the_key(tmp_path, changes, bad):
    with pytest.raises(ValueError, match=bad):
        write_faults(tmp_path, **changes)
    assert read_faults(tmp_path) == FAULT_DEFAULTS  # nothing written


def test_a_broken_faults_file_is_named_and_the_printer_keeps_working(sim, client):
    write_faults(sim.state_dir, cover_open=True)
    assert status(client, 2) == b"\x16"
    (sim.state_dir / "faults.json").write_text("{not json", "utf-8")
    with pytest.raises(ValueError, match="faults.json"):
        read_faults(sim.state_dir)
    assert status(client, 2) == b"\x16"  # keeps the last good faults


def test_one_connection_at_a_time_like_a_real_printer(sim, client):
    other = socket.create_connection(("127.0.0.1", sim.port), timeout=2)
    try:
        other.sendall(STATUS[1])
        other.settimeout(0.1)
        with pytest.raises(TimeoutError):
            other.recv(16)  # queued behind the first connection
        client.close()
        other.settimeout(2)
        assert other.recv(16) == b"\x12"
    finally:
        other.close()


def test_close_is_idempotent_and_stops_serving(tmp_path):
    printer = SimulatedPrinter(tmp_path).start()
    port = printer.port
    assert port != 0
    printer.close()
    printer.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    with pytest.raises(RuntimeError, match="closed"):
        printer.start()


def test_close_does_not_wait_for_a_client_that_stays_connected(tmp_path):
    printer = SimulatedPrinter(tmp_path).start()
    s = socket.create_connection(("127.0.0.1", printer.port), timeout=2)
    try:
        done = threading.Event()
        threading.Thread(target=lambda: (printer.close(), done.set()), daemon=True).start()
        assert done.wait(2)
    finally:
        s.close()
