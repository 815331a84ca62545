"""The evdev scanner's run loop, through a fake input device built on a pipe (so select works),
with unplugging and plugging back in."""

import collections
import errno
import logging
import os
import queue
import threading
import time

import pytest

from conftest import wait_until
from evdev import InputEvent, ecodes as e

from drivers.scanner import SourceThread
from drivers.scanner.hid import HidScanner, open_input_device

SPEC = "/dev/input/by-id/usb-Symbol_Bar_Code_Scanner-event-kbd"
FAST = dict(poll=0.02, retry_initial=0.01, retry_max=0.05)




def key_events(text, suffix=e.KEY_ENTER):
    """What a US-layout scanner sends for digits/upper-case letters, with SYN and MSC noise."""
    codes = []
    for ch in text:
        key = getattr(e, f"KEY_{ch}")
        shift = ch.isalpha()
        if shift:
            codes.append((e.KEY_LEFTSHIFT, 1))
        codes += [(key, 1), (key, 0)]
        if shift:
            codes.append((e.KEY_LEFTSHIFT, 0))
    if suffix:
        codes += [(suffix, 1), (suffix, 0)]
    out = []
    for code, value in codes:
        out += [InputEvent(0, 0, e.EV_MSC, e.MSC_SCAN, 458782),
                InputEvent(0, 0, e.EV_KEY, code, value), InputEvent(0, 0, e.EV_SYN, 0, 0)]
    return out


class FakeInputDevice:
    """evdev.InputDevice's small surface: fileno (a pipe), read, grab, ungrab, close."""

    def __init__(self, path=SPEC, name="Symbol Bar Code Scanner", keys=(e.KEY_1, e.KEY_A)):
        self.path, self.name, self._keys = path, name, list(keys)
        self._events = collections.deque()
        self._lock = threading.Lock()
        self.grabbed = self.gone = False
        self.busy = False   # another program holds the grab
        self.closed = True
        self.open()

    def open(self):
        """A fresh file descriptor, as each evdev.InputDevice(path) has."""
        if self.closed:
            self._r, self._w = os.pipe()
            os.set_blocking(self._r, False)
            self.closed = False
        return self

    def capabilities(self):
        return {e.EV_KEY: self._keys}

    def fileno(self):
        return self._r

    def type(self, events):
        with self._lock:
            self._events.extend(events)
        os.write(self._w, b"!")

    def unplug(self):
        self.gone = True
        os.write(self._w, b"!")   # evdev wakes select, then read fails with ENODEV

    def read(self):
        if self.gone:
            raise OSError(errno.ENODEV, "No such device")
        try:
            os.read(self._r, 4096)
        except BlockingIOError:
            pass
        with self._lock:
            if not self._events:
                raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
            events = list(self._events)
            self._events.clear()
        return iter(events)

    def grab(self):
        if self.busy or self.grabbed:
            raise OSError(errno.EBUSY, "Device or resource busy")
        self.grabbed = True

    def ungrab(self):
        if self.gone:
            raise OSError(errno.ENODEV, "No such device")
        self.grabbed = False

    def close(self):
        if not self.closed:
            os.close(self._r)
            os.close(self._w)
            self.closed = True


class Socket:
    """The USB socket: what the scanner's opener finds at the path (or nothing)."""

    def __init__(self):
        self.device = None
        self.opened = []

    def plug(self, **kw):
        self.device = FakeInputDevice(**kw)
        return self.device

    def opener(self, spec):
        if self.device is None or self.device.gone:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", spec)
        self.opened.append(self.device)
        return self.device.open()

    def close_all(self):
        for device in self.opened:
            device.close()


@pytest.fixture
def socket_():
    socket_ = Socket()
    yield socket_
    socket_.close_all()


def start(scanner):
    codes = queue.Queue()
    thread = SourceThread(scanner, lambda device, code: codes.put((device, code))).start()
    return thread, codes


def test_codes_are_emitted_with_the_device_and_the_device_is_grabbed_then_released(socket_):
    device = socket_.plug()
    scanner = HidScanner(SPEC, opener=socket_.opener, **FAST)
    thread, codes = start(scanner)
    try:
        wait_until(lambda: scanner.connected)
        assert device.grabbed
        device.type(key_events("6901234567892") + key_events("VIP42"))
        assert codes.get(timeout=1) == (f"evdev scanner {SPEC}", "6901234567892")
        assert codes.get(timeout=1)[1] == "VIP42"
    finally:
        assert thread.stop()
    assert not device.grabbed and device.closed and not scanner.connected


def test_unplugged_scanner_is_picked_up_again_without_its_half_code(socket_, caplog):
    first = socket_.plug()
    scanner = HidScanner(SPEC, opener=socket_.opener, **FAST)
    thread, codes = start(scanner)
    try:
        wait_until(lambda: scanner.connected)
        first.type(key_events("12", suffix=None))
        wait_until(lambda: scanner.decoder.pending)
        with caplog.at_level(logging.WARNING, logger="drivers.scanner"):
            first.unplug()
            wait_until(lambda: not scanner.connected)
        assert first.closed
        assert f"evdev scanner {SPEC} read failed" in caplog.text
        time.sleep(0.1)   # a few failed reopen attempts while unplugged
        second = socket_.plug()
        wait_until(lambda: scanner.connected)
        assert second.grabbed
        second.type(key_events("34"))
        assert codes.get(timeout=1)[1] == "34"
    finally:
        assert thread.stop()
    assert codes.empty()


def test_scanner_grabbed_elsewhere_is_retried_until_free(socket_, caplog):
    device = socket_.plug()
    device.busy = True
    scanner = HidScanner(SPEC, opener=socket_.opener, **FAST)
    with caplog.at_level(logging.WARNING, logger="drivers.scanner"):
        thread, codes = start(scanner)
        try:
            wait_until(lambda: "grabbed by another program" in caplog.text)
            assert not scanner.connected
            device.busy = False
            wait_until(lambda: scanner.connected)
            device.type(key_events("7"))
            assert codes.get(timeout=1)[1] == "7"
        finally:
            assert thread.stop()


def test_without_grab_the_device_is_left_shared(socket_):
    device = socket_.plug()
    scanner = HidScanner(SPEC, grab=False, opener=socket_.opener, **FAST)
    thread, codes = start(scanner)
    try:
        device.type(key_events("5"))
        assert codes.get(timeout=1)[1] == "5"
        assert not device.grabbed
    finally:
        assert thread.stop()


def test_without_suffix_a_pause_ends_the_code(socket_):
    device = socket_.plug()
    scanner = HidScanner(SPEC, suffix="none", gap=0.05, opener=socket_.opener, **FAST)
    thread, codes = start(scanner)
    try:
        device.type(key_events("96385074", suffix=None))
        assert codes.get(timeout=1)[1] == "96385074"
    finally:
        assert thread.stop()


def test_failing_hand_over_is_logged_and_the_loop_goes_on(socket_, caplog):
    device = socket_.plug()
    got = queue.Queue()

    def emit(device_name, code):
        if code == "1":
            raise ConnectionError("core is down")
        got.put(code)

    scanner = HidScanner(SPEC, opener=socket_.opener, **FAST)
    thread = SourceThread(scanner, emit).start()
    try:
        with caplog.at_level(logging.ERROR, logger="drivers.scanner"):
            device.type(key_events("1") + key_events("2"))
            assert got.get(timeout=1) == "2"
        assert "handing over code '1' failed" in caplog.text
    finally:
        assert thread.stop()


def test_untranslatable_keys_are_logged_naming_the_device(socket_, caplog):
    device = socket_.plug()
    scanner = HidScanner(SPEC, opener=socket_.opener, **FAST)
    thread, codes = start(scanner)
    try:
        with caplog.at_level(logging.WARNING, logger="drivers.scanner"):
            device.type([InputEvent(0, 0, e.EV_KEY, e.KEY_F5, 1)] + key_events("1"))
            assert codes.get(timeout=1)[1] == "\ufffd1"
        assert f"evdev scanner {SPEC} typed 1 key(s) the us layout cannot" in caplog.text
    finally:
        assert thread.stop()


def test_stop_ends_the_loop_while_the_scanner_is_missing_and_heartbeat_moves(socket_):
    scanner = HidScanner(SPEC, opener=socket_.opener, poll=0.02, retry_initial=5, retry_max=10)
    thread, _ = start(scanner)
    before = scanner.heartbeat
    wait_until(lambda: scanner.heartbeat > before + 0.05)   # alive inside a 5 s backoff
    assert thread.stop(timeout=1)


def test_close_is_idempotent_and_context_manager_closes(socket_):
    device = socket_.plug()
    with HidScanner(SPEC, opener=socket_.opener, **FAST) as scanner:
        scanner._open()
        assert device.grabbed
    assert device.closed and not device.grabbed
    scanner.close()


# -- finding the device by name

def fake_nodes(*devices):
    by_path = {d.path: d for d in devices}
    return dict(list_devices=lambda: list(by_path), input_device=lambda path: by_path[path])


def test_device_found_by_name_is_the_node_that_types_digits():
    consumer = FakeInputDevice("/dev/input/event3", keys=(e.KEY_VOLUMEUP,))
    keyboard = FakeInputDevice("/dev/input/event4")
    other = FakeInputDevice("/dev/input/event2", name="AT Translated Set 2 keyboard")
    try:
        found = open_input_device("Symbol Bar Code Scanner",
                                  **fake_nodes(consumer, keyboard, other))
        assert found is keyboard and not keyboard.closed
        assert consumer.closed and other.closed
    finally:
        for d in (consumer, keyboard, other):
            d.close()


def test_missing_device_name_is_reported_with_the_names_found():
    other = FakeInputDevice("/dev/input/event2", name="AT Translated Set 2 keyboard")
    try:
        with pytest.raises(FileNotFoundError, match=r"no input device named 'Honeywell 1900'"
                           r".*'AT Translated Set 2 keyboard'.*scanner.devices"):
            open_input_device("Honeywell 1900", **fake_nodes(other))
    finally:
        other.close()


def test_a_path_is_opened_as_given():
    device = FakeInputDevice()
    try:
        assert open_input_device(SPEC, list_devices=lambda: [],
                                 input_device=lambda p: device if p == SPEC else None) is device
    finally:
        device.close()


def test_unknown_layout_is_refused_when_configured():
    with pytest.raises(ValueError, match="keyboard layout 'fr'"):
        HidScanner(SPEC, layout="fr")
