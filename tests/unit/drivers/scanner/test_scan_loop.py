"""The run loop all scanner sources share: retry policy, logging, emit, stop, heartbeat."""

import logging
import threading

import pytest

from drivers.scanner import Backoff, ReconnectingSource


def test_backoff_doubles_from_half_a_second_to_ten_and_resets():
    backoff = Backoff()
    assert [backoff.next() for _ in range(7)] == [0.5, 1, 2, 4, 8, 10, 10]
    backoff.reset()
    assert backoff.next() == 0.5


@pytest.mark.parametrize("initial,maximum", [(0, 1), (2, 1), (-1, 10)])
def test_backoff_refuses_nonsense(initial, maximum):
    with pytest.raises(ValueError, match="backoff"):
        Backoff(initial, maximum)


class Scripted(ReconnectingSource):
    """A source that plays a script: each step is what the next _open/_read does
    ("ok", "fail" or a list of codes); it sets ``stop`` when the script runs out. Waits are
    recorded instead of slept, so the retry policy is seen exactly."""

    def __init__(self, script, stop):
        super().__init__()
        self.script, self.stop = list(script), stop
        self.waits, self.calls = [], []
        self.open_now = False

    def describe(self):
        return "scripted scanner"

    def _step(self, what):
        self.calls.append(what)
        if not self.script:
            self.stop.set()
            return []
        step = self.script.pop(0)
        if step == "fail":
            raise OSError(19, "No such device")
        return [] if step == "ok" else step

    def _open(self):
        self._step("open")
        self.open_now = True

    def _read(self, timeout):
        return self._step("read")

    def _close(self):
        self.open_now = False

    def _wait(self, delay, stop):
        self.waits.append(delay)


def run_script(script, emit=lambda d, c: None):
    stop = threading.Event()
    source = Scripted(script, stop)
    source.run(emit, stop)
    return source


def test_failed_opens_wait_longer_each_time_and_a_good_read_resets():
    source = run_script(["fail", "fail", "fail", "ok", ["1"], "fail", "fail", "ok", []])
    assert source.waits == [0.5, 1, 2, 0.5, 1]
    assert not source.open_now and not source.connected   # closed when stopped


def test_a_device_that_opens_and_fails_at_once_is_not_retried_every_half_second():
    source = run_script(["ok", "fail", "ok", "fail", "ok", "fail"])
    assert source.waits == [0.5, 1, 2]


def test_codes_are_emitted_and_blank_ones_skipped():
    got = []
    run_script(["ok", ["1", " ", "", "2"], ["3"]], emit=lambda d, c: got.append((d, c)))
    assert got == [("scripted scanner", "1"), ("scripted scanner", "2"),
                   ("scripted scanner", "3")]


def test_first_failure_warns_retries_are_quiet_and_recovery_is_told(caplog):
    with caplog.at_level(logging.DEBUG, logger="drivers.scanner"):
        run_script(["fail", "fail", "ok", []])
    levels = [(r.levelname, r.getMessage().split(" (")[0]) for r in caplog.records]
    assert levels == [("WARNING", "scripted scanner is not available"),
                      ("DEBUG", "scripted scanner is not available"),
                      ("INFO", "scripted scanner is back")]


def test_an_error_that_is_not_a_device_error_is_not_hidden():
    class Broken(Scripted):
        def _read(self, timeout):
            raise KeyError("bug")

    stop = threading.Event()
    source = Broken(["ok"], stop)
    with pytest.raises(KeyError):
        source.run(lambda d, c: None, stop)
    assert not source.open_now   # still closed on the way out


def test_poll_must_stay_short_for_the_watchdog():
    with pytest.raises(ValueError, match="poll 2 s"):
        ReconnectingSource(poll=2)


def test_waiting_is_cut_short_by_stop_and_keeps_the_heartbeat_fresh():
    stop = threading.Event()
    source = Scripted([], stop)
    source.poll = 0.01
    before = source.heartbeat
    timer = threading.Timer(0.05, stop.set)
    timer.start()
    ReconnectingSource._wait(source, 30.0, stop)   # returns when stop is set, not after 30 s
    timer.join()
    assert stop.is_set() and source.heartbeat > before
