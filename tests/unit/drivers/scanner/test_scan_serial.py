"""Serial scanners: CR/LF framing, pyserial loop://, and a pty pair standing in for a USB serial
scanner that is unplugged and plugged back in (a by-id style symlink that comes and goes)."""

import logging
import os
import queue
import time

import pytest

from conftest import wait_until
import serial

from drivers.scanner import LineFramer, SourceThread
from drivers.scanner.serial_scanner import SerialScanner

FAST = dict(poll=0.02, retry_initial=0.01, retry_max=0.05)




def start(scanner):
    codes = queue.Queue()
    thread = SourceThread(scanner, lambda device, code: codes.put((device, code))).start()
    return thread, codes


# -- framing

def test_cr_lf_and_crlf_all_end_a_code_and_empty_frames_are_skipped():
    framer = LineFramer("test")
    assert framer.feed(b"111\r222\n333\r\n\r\n\n444") == ["111", "222", "333"]
    assert framer.feed(b"4\r") == ["4444"]


def test_a_code_split_over_reads_is_joined():
    framer = LineFramer("test")
    assert [framer.feed(bytes([b])) for b in b"12\r\n"] == [[], [], ["12"], []]


def test_overlong_frame_is_dropped_whole_with_a_warning(caplog):
    framer = LineFramer("serial scanner /dev/ttyUSB0")
    with caplog.at_level(logging.WARNING, logger="drivers.scanner"):
        assert framer.feed(b"9" * 60) == []
        assert framer.feed(b"9" * 10) == []           # past 64: dropped
        assert framer.feed(b"123\r\n456\r\n") == ["456"]   # its tail is not a code
    assert "serial scanner /dev/ttyUSB0: dropped a frame longer than 64 bytes" in caplog.text


def test_sixty_four_bytes_are_still_a_code():
    assert LineFramer("test").feed(b"A" * 64 + b"\r") == ["A" * 64]


def test_high_bytes_decode_as_latin1_and_never_fail():
    assert LineFramer("test").feed(b"\xff\x90ab\r") == ["\xff\x90ab"]


def test_cr_only_framing_drops_line_feeds():
    scanner = SerialScanner("loop://", framing="cr")
    assert scanner._framer.feed(b"\n12\r\n34\r") == ["12", "34"]


def test_unknown_framing_is_refused_naming_it():
    with pytest.raises(ValueError, match="serial framing 'etx'"):
        SerialScanner("loop://", framing="etx")


# -- loop://

def test_codes_through_a_loop_port():
    ports = []

    def opener(url, **kw):
        ports.append(serial.serial_for_url(url, **kw))
        return ports[-1]

    scanner = SerialScanner("loop://", baudrate=115200, opener=opener, **FAST)
    thread, codes = start(scanner)
    try:
        wait_until(lambda: scanner.connected)
        assert ports[0].baudrate == 115200
        ports[0].write(b"6901234567892\r\n2026112")
        assert codes.get(timeout=1) == ("serial scanner loop://", "6901234567892")
        ports[0].write(b"6-0007\r")
        assert codes.get(timeout=1)[1] == "20261126-0007"
    finally:
        assert thread.stop()
    assert not ports[0].is_open


# -- a pty as the scanner's serial port

class PtyScanner:
    """A virtual serial scanner: writes go into a pty whose slave is reached through a
    symlink, as /dev/serial/by-id/... points at /dev/ttyACM0."""

    def __init__(self, link):
        self.link = link
        self.master = None

    def plug(self):
        self.master, slave = os.openpty()
        tmp = f"{self.link}.new"
        os.symlink(os.ttyname(slave), tmp)
        os.replace(tmp, self.link)
        os.close(slave)   # the scanner opens it by path; the pty lives while master is open

    def unplug(self):
        os.unlink(self.link)
        os.close(self.master)
        self.master = None

    def send(self, data):
        os.write(self.master, data)


@pytest.fixture
def pty_scanner(tmp_path):
    dev = PtyScanner(str(tmp_path / "usb-Newland_scanner-if00"))
    yield dev
    if dev.master is not None:
        os.close(dev.master)


def test_codes_through_a_pty(pty_scanner):
    pty_scanner.plug()
    scanner = SerialScanner(pty_scanner.link, **FAST)
    thread, codes = start(scanner)
    try:
        wait_until(lambda: scanner.connected)
        pty_scanner.send(b"96385074\r\nVIP000123\r\n")
        assert codes.get(timeout=1) == (f"serial scanner {pty_scanner.link}", "96385074")
        assert codes.get(timeout=1)[1] == "VIP000123"
    finally:
        assert thread.stop()


def test_vanished_port_is_reopened_when_it_comes_back(pty_scanner, caplog):
    pty_scanner.plug()
    scanner = SerialScanner(pty_scanner.link, **FAST)
    thread, codes = start(scanner)
    try:
        wait_until(lambda: scanner.connected)
        pty_scanner.send(b"123")   # half a code, then the cable is pulled
        time.sleep(0.05)
        with caplog.at_level(logging.WARNING, logger="drivers.scanner"):
            pty_scanner.unplug()
            wait_until(lambda: not scanner.connected)
            time.sleep(0.1)   # reopen attempts fail while it is away
        assert f"serial scanner {pty_scanner.link} read failed" in caplog.text
        pty_scanner.plug()
        wait_until(lambda: scanner.connected)
        pty_scanner.send(b"456\r")
        assert codes.get(timeout=1)[1] == "456"
    finally:
        assert thread.stop()
    assert codes.empty()


def test_port_missing_at_start_is_logged_and_picked_up_later(pty_scanner, caplog):
    scanner = SerialScanner(pty_scanner.link, **FAST)
    with caplog.at_level(logging.WARNING, logger="drivers.scanner"):
        thread, codes = start(scanner)
        try:
            wait_until(lambda: f"serial scanner {pty_scanner.link} is not available"
                       in caplog.text)
            pty_scanner.plug()
            wait_until(lambda: scanner.connected)
            pty_scanner.send(b"7\n")
            assert codes.get(timeout=1)[1] == "7"
        finally:
            assert thread.stop()
