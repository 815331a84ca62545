"""DLE EOT status: decoding recorded replies, and queries against a TCP printer and a pty
that answer with those bytes (or stay silent)."""

from __future__ import annotations

import os
import select
import socket
import threading
import tty

import pytest

from drivers.printer.status import NO_REPLY, PrinterStatus, decode, query
from drivers.printer.transport import PrinterUnavailable, open_printer

# Replies to DLE EOT 1, 2, 3, 4, as Epson-compatible printers give them.
IDLE = {1: 0x16, 2: 0x12, 3: 0x12, 4: 0x12}         # online, cover shut, paper in; pin 3 high
DRAWER_PIN_LOW = {**IDLE, 1: 0x12}                    # the same with drawer pin 3 low
COVER_OPEN = {1: 0x1E, 2: 0x16, 3: 0x12, 4: 0x12}   # offline; cover open
NEAR_END = {1: 0x16, 2: 0x12, 3: 0x12, 4: 0x1E}     # still prints; roll nearly done
PAPER_OUT = {1: 0x1E, 2: 0x32, 3: 0x12, 4: 0x7E}    # offline; stopped by paper end
CUTTER_ERROR = {1: 0x1E, 2: 0x52, 3: 0x1A, 4: 0x12}  # offline; error; autocutter
UNRECOVERABLE = {1: 0x1E, 2: 0x52, 3: 0x32, 4: 0x12}
AUTO_RECOVERABLE = {1: 0x1E, 2: 0x52, 3: 0x52, 4: 0x12}  # head too hot: waits, then goes on
MECHANICAL = {1: 0x1E, 2: 0x52, 3: 0x16, 4: 0x12}
GARBAGE = {1: 0xFF, 2: 0x00, 3: 0x12, 4: 0x12}       # wrong baud rate, line noise


def test_an_idle_printer_is_ready():
    st = decode(IDLE)
    assert st == PrinterStatus(online=True, cover_open=False, paper_near_end=False,
                               paper_out=False, drawer_open=True, error="")
    assert st.ready and st.reason == ""


def test_drawer_pin_polarity_is_a_setting():
    assert decode(IDLE).drawer_open is True
    assert decode(IDLE, drawer_open_when_high=False).drawer_open is False
    assert decode(DRAWER_PIN_LOW).drawer_open is False
    assert decode(DRAWER_PIN_LOW, drawer_open_when_high=False).drawer_open is True
    assert decode(DRAWER_PIN_LOW).ready  # the drawer does not stop printing


def test_cover_open():
    st = decode(COVER_OPEN)
    assert (st.online, st.cover_open, st.paper_out) == (False, True, False)
    assert not st.ready and st.reason == "cover_open"


def test_paper_near_end_still_prints():
    st = decode(NEAR_END)
    assert st.paper_near_end and not st.paper_out
    assert st.ready and st.reason == ""


def test_paper_out():
    st = decode(PAPER_OUT)
    assert st.paper_out and st.paper_near_end and st.online is False
    assert not st.ready and st.reason == "paper_out"
    # Either report is enough: the paper-end stop (n=2) or the sensor (n=4).
    assert decode({**IDLE, 2: 0x32}).paper_out and decode({**IDLE, 4: 0x72}).paper_out


@pytest.mark.parametrize("replies,error", [
    (CUTTER_ERROR, "cutter_error"), (UNRECOVERABLE, "unrecoverable_error"),
    (AUTO_RECOVERABLE, "auto_recoverable_error"), (MECHANICAL, "mechanical_error"),
    ({1: 0x1E, 2: 0x52, 3: 0x7E, 4: 0x12}, "unrecoverable_error"),  # the worst one wins
])
def test_errors_name_their_cause_before_offline(replies, error):
    st = decode(replies)
    assert st.error == error and st.online is False
    assert not st.ready and st.reason == error


def test_offline_without_a_known_cause():
    st = decode({**IDLE, 1: 0x1E})
    assert not st.ready and st.reason == "offline"


@pytest.mark.parametrize("byte", [0xFF, 0x00, 0x13, 0x96, 0x02, 0x10])
def test_a_byte_breaking_the_fixed_bits_is_garbled(byte):
    st = decode({**IDLE, 3: byte})
    assert st.error == "garbled_reply" and st.online is None
    assert not st.ready and st.reason == "garbled_reply"


def test_garbage_replies_are_not_trusted():
    st = decode(GARBAGE)
    assert st.error == "garbled_reply"
    assert (st.online, st.cover_open, st.drawer_open) == (None, None, None)
    assert st.paper_out is False  # from the one good paper reply (n=4)


def test_missing_replies_leave_fields_unknown():
    st = decode({1: 0x16})
    assert st.online is True and st.cover_open is None and st.paper_near_end is None
    assert st.ready  # nothing known against it


def test_to_dict_carries_ready_and_reason():
    assert decode(PAPER_OUT).to_dict() == {
        "online": False, "cover_open": False, "paper_near_end": True, "paper_out": True,
        "drawer_open": True, "error": "", "ready": False, "reason": "paper_out"}
    assert NO_REPLY.to_dict()["reason"] == "no_reply" and not NO_REPLY.ready


# -- query over real transports --------------------------------------------------------------

def answers(request: bytes, replies: dict[int, int] | None) -> bytes:
    """What a printer sends back for the bytes it received (None: a silent printer)."""
    out = b""
    i = 0
    while replies is not None and (i := request.find(b"\x10\x04", i)) >= 0 \
            and i + 2 < len(request):
        out += bytes([replies[request[i + 2]]])
        i += 3
    return out


class TcpPrinter:
    """A loopback TCP 'printer' answering DLE EOT from a table; ``stale`` is sent first,
    as a printer with Automatic Status Back would."""

    def __init__(self, replies, stale: bytes = b""):
        self.replies, self.stale = replies, stale
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.stale_sent = threading.Event()
        self.drop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        conn = None
        while conn is None and not self.stop.is_set():
            if select.select([self.sock], [], [], 0.02)[0]:
                conn, _ = self.sock.accept()
        if conn is None:
            return
        with conn:
            conn.sendall(self.stale)
            self.stale_sent.set()
            while not self.stop.is_set() and not self.drop.is_set():
                if select.select([conn], [], [], 0.02)[0]:
                    data = conn.recv(256)
                    if not data:
                        return
                    conn.sendall(answers(data, self.replies))

    def close(self):
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def tcp_printer():
    made = []

    def make(replies, stale=b""):
        server = TcpPrinter(replies, stale)
        made.append(server)
        return server
    yield make
    for server in made:
        server.close()


class PtyPrinter:
    """The far end of a pty answering DLE EOT from a table."""

    def __init__(self, replies):
        self.replies = replies
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop.is_set():
            if select.select([self.master], [], [], 0.02)[0]:
                try:
                    data = os.read(self.master, 256)
                except OSError:
                    return
                os.write(self.master, answers(data, self.replies))

    def close(self):
        self.stop.set()
        self.thread.join(2)
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


@pytest.fixture
def pty_printer():
    made = []

    def make(replies):
        p = PtyPrinter(replies)
        made.append(p)
        return p
    yield make
    for p in made:
        p.close()


def wait_readable(printer_socket, timeout=1.0):
    assert select.select([printer_socket], [], [], timeout)[0], "stale byte never arrived"


@pytest.mark.parametrize("replies,reason", [(IDLE, ""), (PAPER_OUT, "paper_out"),
                                            (CUTTER_ERROR, "cutter_error")])
def test_query_over_tcp(tcp_printer, replies, reason):
    server = tcp_printer(replies)
    with open_printer("network", host="127.0.0.1", port=server.port, timeout=1) as p:
        st = query(p, timeout=1)
        assert st == decode(replies) and st.reason == reason
        assert p._device.gettimeout() == 1  # the printer's own timeout is back


def test_query_discards_stale_bytes_first(tcp_printer):
    server = tcp_printer(IDLE, stale=b"\x00\x1e")  # looks like a garbled/offline reply
    with open_printer("network", host="127.0.0.1", port=server.port, timeout=1) as p:
        assert server.stale_sent.wait(1)
        wait_readable(p._device)
        assert query(p, timeout=1) == decode(IDLE)


def test_a_silent_printer_is_no_reply_not_a_hang(tcp_printer):
    server = tcp_printer(None)
    with open_printer("network", host="127.0.0.1", port=server.port, timeout=1) as p:
        st = query(p, timeout=0.2)
    assert st == PrinterStatus(online=False, error="no_reply")
    assert st.reason == "no_reply" and not st.ready


def test_a_dropped_connection_is_unavailable(tcp_printer):
    server = tcp_printer(IDLE)
    with open_printer("network", host="127.0.0.1", port=server.port, timeout=1) as p:
        assert server.stale_sent.wait(1)
        server.drop.set()  # the printer closes the connection (power off, cable out)
        wait_readable(p._device)
        with pytest.raises(PrinterUnavailable) as err:
            query(p, timeout=0.2)
    assert err.value.reason == "disconnected"
    assert str(err.value).startswith(f"network 127.0.0.1:{server.port}: closed")


@pytest.mark.parametrize("replies", [IDLE, COVER_OPEN, NEAR_END, GARBAGE])
def test_query_over_serial(pty_printer, replies):
    far = pty_printer(replies)
    with open_printer("serial", serial_device=far.path, timeout=1) as p:
        assert query(p, timeout=1) == decode(replies)
        assert p._device.timeout == 1


@pytest.mark.parametrize("replies", [IDLE, PAPER_OUT])
def test_query_over_a_device_file(pty_printer, replies):
    far = pty_printer(replies)
    with open_printer("file", device=far.path, timeout=1) as p:
        assert query(p, timeout=1, drawer_open_when_high=False) == decode(
            replies, drawer_open_when_high=False)


def test_a_silent_serial_printer_is_no_reply(pty_printer):
    far = pty_printer(None)
    with open_printer("serial", serial_device=far.path, timeout=1) as p:
        assert query(p, timeout=0.2) == NO_REPLY


def test_a_silent_device_file_is_no_reply(pty_printer):
    far = pty_printer(None)
    with open_printer("file", device=far.path, timeout=1) as p:
        assert query(p, timeout=0.2) == NO_REPLY


def test_a_device_file_whose_printer_went_away_is_unavailable(pty_printer):
    far = pty_printer(IDLE)
    with open_printer("file", device=far.path, timeout=0.5) as p:
        far.close()  # the far end hangs up: reads fail with EIO, as usblp on unplug
        with pytest.raises(PrinterUnavailable) as err:
            query(p, timeout=0.2)
    assert err.value.reason == "disconnected"
    assert err.value.device == f"file {far.path}"


def test_a_closed_printer_is_not_reopened_by_a_query(tcp_printer):
    server = tcp_printer(IDLE)
    p = open_printer("network", host="127.0.0.1", port=server.port, timeout=1)
    p.close()
    with pytest.raises(PrinterUnavailable) as err:
        query(p, timeout=0.2)
    assert err.value.reason == "closed" and p._device is False
