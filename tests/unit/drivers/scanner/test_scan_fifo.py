"""The virtual scanner: a FIFO scannerd reads and the web UI / CLI write to with feed_fifo."""

import errno
import logging
import os
import queue
import select
import stat
import time

import pytest

from conftest import wait_until

from drivers.scanner import SourceThread
from drivers.scanner.codes import classify
from drivers.scanner.simulated import FifoScanner, ScannerdNotRunning, feed_fifo

FAST = dict(poll=0.02, retry_initial=0.01, retry_max=0.05)




@pytest.fixture
def running(tmp_path):
    """A FifoScanner on sim/scanner.fifo, running; yields (scanner, codes queue)."""
    scanner = FifoScanner(tmp_path / "sim" / "scanner.fifo", **FAST)
    codes = queue.Queue()
    thread = SourceThread(scanner, lambda device, code: codes.put((device, code))).start()
    wait_until(lambda: scanner.connected)
    yield scanner, codes
    assert thread.stop()


def get_codes(codes, n):
    return [codes.get(timeout=1)[1] for _ in range(n)]


def test_the_fifo_is_created_private_with_its_directory(running):
    scanner, _ = running
    mode = os.stat(scanner.path).st_mode
    assert stat.S_ISFIFO(mode) and stat.S_IMODE(mode) == 0o600


def test_fed_codes_are_scanned_in_order_one_writer_after_another(running):
    scanner, codes = running
    for code in ("6901234567892", "VIP000123", "20261126-0007"):
        feed_fifo(scanner.path, code)
    assert codes.get(timeout=1) == (f"simulated scanner {scanner.path}", "6901234567892")
    assert get_codes(codes, 2) == ["VIP000123", "20261126-0007"]


def test_one_writer_many_lines_and_a_last_line_without_newline(running):
    scanner, codes = running
    fd = os.open(scanner.path, os.O_WRONLY | os.O_NONBLOCK)
    os.write(fd, b"111\r\n\n222\n333")
    os.close(fd)
    assert get_codes(codes, 3) == ["111", "222", "333"]


def test_a_writer_that_writes_nothing_does_not_stop_the_scanner(running):
    scanner, codes = running
    os.close(os.open(scanner.path, os.O_WRONLY | os.O_NONBLOCK))
    time.sleep(0.05)
    feed_fifo(scanner.path, "42")
    assert get_codes(codes, 1) == ["42"]


def test_after_a_writer_leaves_the_scanner_reads_a_fresh_end_that_does_not_spin(running):
    scanner, codes = running
    feed_fifo(scanner.path, "1")
    assert get_codes(codes, 1) == ["1"]
    time.sleep(0.05)
    # A read end that saw its writer go stays "readable" (EOF) for ever: select would spin.
    assert select.select([scanner._fd], [], [], 0)[0] == []


def test_bytes_that_are_not_utf8_make_an_unreadable_code(running):
    scanner, codes = running
    fd = os.open(scanner.path, os.O_WRONLY | os.O_NONBLOCK)
    os.write(fd, b"69\xff1\n")
    os.close(fd)
    assert classify(get_codes(codes, 1)[0]).error == "unreadable"


def test_feeding_without_scannerd_says_it_is_not_running(tmp_path):
    path = tmp_path / "scanner.fifo"
    with pytest.raises(ScannerdNotRunning, match="scannerd is not running") as err:
        feed_fifo(path, "1")
    assert err.value.code == "scannerd_not_running"
    with FifoScanner(path, **FAST) as scanner:   # creates the FIFO, then stops reading
        scanner._open()
    with pytest.raises(ScannerdNotRunning, match=f"nobody reads the scanner FIFO {path}"):
        feed_fifo(path, "1")


def test_feeding_a_full_fifo_times_out(tmp_path):
    path = tmp_path / "scanner.fifo"
    os.mkfifo(path, 0o600)
    reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)   # a stuck scannerd: never reads
    filler = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    try:
        with pytest.raises(BlockingIOError):
            while True:
                os.write(filler, b"x" * 4096)
        with pytest.raises(TimeoutError, match="did not take code '1'"):
            feed_fifo(path, "1", timeout=0.05)
    finally:
        os.close(filler)
        os.close(reader)


@pytest.mark.parametrize("code", ["1\n2", "1\r", "x" * 5000])
def test_a_fed_code_is_one_short_line(tmp_path, code):
    with pytest.raises(ValueError, match="simulated scan"):
        feed_fifo(tmp_path / "scanner.fifo", code)


def test_a_regular_file_in_the_way_is_reported_and_not_replaced(tmp_path, caplog):
    path = tmp_path / "scanner.fifo"
    path.write_text("not a fifo")
    scanner = FifoScanner(path, **FAST)
    with caplog.at_level(logging.WARNING, logger="drivers.scanner"):
        thread = SourceThread(scanner, lambda d, c: None).start()
        try:
            wait_until(lambda: "is not a FIFO" in caplog.text)
            assert not scanner.connected
        finally:
            assert thread.stop()
    assert path.read_text() == "not a fifo"
    with pytest.raises(OSError, match="is not a FIFO") as err:
        feed_fifo(path, "1")
    assert err.value.errno == errno.EEXIST


def test_a_deleted_fifo_is_made_again(running, caplog):
    scanner, codes = running
    with caplog.at_level(logging.WARNING, logger="drivers.scanner"):
        os.unlink(scanner.path)
        wait_until(lambda: "the FIFO was deleted or replaced" in caplog.text)
    wait_until(lambda: os.path.exists(scanner.path) and scanner.connected)
    feed_fifo(scanner.path, "2")
    assert get_codes(codes, 1) == ["2"]
