"""Opening the printer per backend: a TCP listener in the test, pty pairs for serial and
usblp-like device files, and the USB error path on a machine without the printer."""

from __future__ import annotations

import os
import select
import socket
import threading
import tty
from types import SimpleNamespace

import pytest

from drivers.printer import transport
from drivers.printer.transport import (FilePrinter, PrinterUnavailable, bulk_endpoints,
                                       describe, open_printer)


class Listener:
    """A TCP server on loopback that keeps what one client sends."""

    def __init__(self, backlog: int = 1):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(backlog)
        self.port = self.sock.getsockname()[1]
        self.received = bytearray()
        self.done = threading.Event()
        self.stop = threading.Event()
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
            while not self.stop.is_set():
                if not select.select([conn], [], [], 0.02)[0]:
                    continue
                try:
                    chunk = conn.recv(4096)
                except OSError:
                    break
                if not chunk:
                    break
                self.received += chunk
        self.done.set()

    def close(self):
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def pty_pair():
    master, slave = os.openpty()
    tty.setraw(slave)  # as a usblp device: bytes pass through untouched
    yield master, slave, os.ttyname(slave)
    for fd in (master, slave):
        try:
            os.close(fd)
        except OSError:
            pass


def read_master(master: int, n: int, timeout: float = 1.0) -> bytes:
    got = b""
    while len(got) < n and select.select([master], [], [], timeout)[0]:
        got += os.read(master, n - len(got))
    return got


def test_network_printer_sends_its_bytes_to_the_host_and_port(listener):
    with open_printer("network", host="127.0.0.1", port=listener.port, timeout=1) as p:
        assert p.device_name == f"network 127.0.0.1:{listener.port}"
        p._raw(b"\x1b@hello\n")
        p.cut()
    assert listener.done.wait(2)
    assert bytes(listener.received).startswith(b"\x1b@hello\n")
    assert bytes(listener.received).endswith(b"\x1dV\x00")


def test_close_is_idempotent_and_a_closed_printer_stays_closed(listener):
    p = open_printer("simulated", port=listener.port, timeout=1)
    assert p.device_name == f"simulated 127.0.0.1:{listener.port}"
    p.close()
    p.close()
    assert listener.done.wait(2) and p._device is False


def test_a_refused_connection_names_the_printer_and_the_fix():
    blocker = socket.socket()  # bound, never listening: connecting is refused
    blocker.bind(("127.0.0.1", 0))
    port = blocker.getsockname()[1]
    try:
        with pytest.raises(PrinterUnavailable) as err:
            open_printer("network", host="127.0.0.1", port=port, timeout=1)
        assert err.value.reason == "refused"
        assert str(err.value).startswith(f"network 127.0.0.1:{port}: refused the connection")
        with pytest.raises(PrinterUnavailable, match="simulated printer running") as err:
            open_printer("simulated", port=port, timeout=1)
        assert err.value.reason == "refused"
    finally:
        blocker.close()


def test_an_unknown_host_name_is_not_found():
    with pytest.raises(PrinterUnavailable) as err:
        open_printer("network", host="printer.invalid", port=9100, timeout=0.5)
    assert err.value.reason == "not_found" and "IP address" in str(err.value)


def test_serial_printer_over_a_pty(pty_pair):
    master, _, path = pty_pair
    with open_printer("serial", serial_device=path, baudrate=19200, timeout=0.2) as p:
        assert p.device_name == f"serial {path}"
        assert p._device.baudrate == 19200 and p._device.write_timeout == 0.2
        p._raw(b"\x1b@abc")
        assert read_master(master, 5) == b"\x1b@abc"


def test_a_missing_serial_port_is_not_found(tmp_path):
    with pytest.raises(PrinterUnavailable) as err:
        open_printer("serial", serial_device=str(tmp_path / "ttyUSB9"))
    assert err.value.reason == "not_found" and "serial_device" in str(err.value)
    assert err.value.device == f"serial {tmp_path / 'ttyUSB9'}"


def test_file_printer_writes_and_reads_the_device(pty_pair):
    master, _, path = pty_pair
    with open_printer("file", device=path, timeout=0.2) as p:
        assert isinstance(p, FilePrinter) and p.device_name == f"file {path}"
        p._raw(b"\x10\x04\x01")
        assert read_master(master, 3) == b"\x10\x04\x01"
        os.write(master, b"\x16")
        assert p._read() == b"\x16"
        assert p._read(timeout=0.05) == b""  # nothing more: an empty read, not a hang
    p.close()
    with pytest.raises(OSError):
        p._raw(b"x")


def test_a_file_printer_that_takes_no_data_times_out(pty_pair):
    _, _, path = pty_pair
    with open_printer("file", device=path, timeout=0.1) as p:
        with pytest.raises(TimeoutError, match=f"file {path}: took no data"):
            p._raw(b"x" * 1_000_000)  # nobody reads the master: the pty buffer fills


def test_a_missing_device_file_is_not_found(tmp_path):
    with pytest.raises(PrinterUnavailable) as err:
        open_printer("file", device=str(tmp_path / "lp0"))
    assert err.value.reason == "not_found"
    assert str(err.value).startswith(f"file {tmp_path / 'lp0'}: printer device not found")


def test_a_usb_printer_that_is_not_plugged_in_is_not_found():
    import usb.backend.libusb1
    import usb.backend.libusb0
    has_backend = usb.backend.libusb1.get_backend() or usb.backend.libusb0.get_backend()
    with pytest.raises(PrinterUnavailable) as err:
        open_printer("usb", usb_vendor=0xFFFE, usb_product=0xFFFD, timeout=0.5)
    assert err.value.reason == ("not_found" if has_backend else "usb_backend_missing")
    assert str(err.value).startswith("usb fffe:fffd: ")


def test_pyusb_without_libusb_says_which_package_is_missing(monkeypatch):
    import usb.core

    def no_backend(**kw):
        raise usb.core.NoBackendError("No backend available")
    monkeypatch.setattr(usb.core, "find", no_backend)
    with pytest.raises(PrinterUnavailable, match="libusb-1.0-0") as err:
        open_printer("usb", usb_vendor=0x0416, usb_product=0x5011)
    assert err.value.reason == "usb_backend_missing"


def test_bulk_endpoints_are_found_in_the_configuration():
    ep = lambda address, kind: SimpleNamespace(bEndpointAddress=address, bmAttributes=kind)  # noqa
    config = [[ep(0x83, 0x03), ep(0x81, 0x02), ep(0x03, 0x02)]]  # interrupt IN, bulk IN, OUT
    assert bulk_endpoints(config, 0x82, 0x01) == (0x81, 0x03)
    assert bulk_endpoints([[ep(0x83, 0x03)]], 0x82, 0x01) == (0x82, 0x01)


def test_describe_names_each_backend():
    assert describe("usb", usb_vendor=0x0416, usb_product=0x5011) == "usb 0416:5011"
    assert describe("network", host="192.168.1.50") == "network 192.168.1.50:9100"
    assert describe("file", device="/dev/usb/lp0") == "file /dev/usb/lp0"
    assert describe("serial", serial_device="/dev/ttyS0") == "serial /dev/ttyS0"
    assert describe("simulated", port=9109) == "simulated 127.0.0.1:9109"


@pytest.mark.parametrize("backend,kwargs,match", [
    ("bluetooth", {}, "unknown printer backend 'bluetooth'"),
    ("network", {"host": "127.0.0.1", "profile": "TM-NOPE"}, "unknown printer profile"),
    ("usb", {"usb_vendor": 0x0416}, "usb_product"),
    ("serial", {}, "serial_device"),
    ("network", {}, "host"),
    ("file", {}, "device"),
])
def test_settings_that_cannot_work_are_value_errors(backend, kwargs, match):
    with pytest.raises(ValueError, match=match):
        open_printer(backend, **kwargs)


def test_the_unknown_profile_is_named_before_anything_is_opened(listener):
    with pytest.raises(ValueError, match="'TM-NOPE'"):
        open_printer("network", host="127.0.0.1", port=listener.port, profile="TM-NOPE")
    assert not listener.done.is_set()


def test_a_profile_is_handed_to_the_printer(listener):
    with open_printer("network", host="127.0.0.1", port=listener.port,
                      profile="TM-T88III") as p:
        assert p.profile.profile_data["name"] == "TM-T88III"


def test_reason_codes_of_transport_errors():
    import errno

    import usb.core
    assert transport.reason_for(TimeoutError()) == "timeout"
    assert transport.reason_for(OSError(errno.EACCES, "denied")) == "permission"
    assert transport.reason_for(usb.core.USBError("busy", errno=errno.EBUSY)) == "busy"
    assert transport.reason_for(OSError(errno.EIO, "gone")) == "disconnected"
    assert transport.reason_for(OSError(errno.EROFS, "?")) == "io_error"
