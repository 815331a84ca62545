"""A virtual ESC/POS network printer on loopback, with a paper roll, a cash drawer and faults.

``SimulatedPrinter`` listens like a port-9100 printer, one connection at a time. It decodes
what it receives (``decode.Decoder``), answers DLE EOT status at once, tears off a receipt at
each cut into ``state_dir/paper/NNNNNN.json`` and opens the drawer on a kick
(``state_dir/drawer.json``). Faults come from ``state_dir/faults.json`` and are re-read when
the file changes, so the web UI (through ``write_faults``) or a test can flip them live.

Every file is written atomically and read-modify-writes hold ``state_dir/.lock``, because the
printer thread and the web UI (another process) share the directory.
"""

from __future__ import annotations

import logging
import math
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from appliance.durable import write_json

from .. import simstate

from .decode import (Barcode, Cut, Decoder, DrawerKick, Image, Qr, StatusRequest, Text,
                     Unknown)

log = logging.getLogger(__name__)

FAULT_DEFAULTS = {
    "offline": False,            # accept and drop every connection: the printer is unreachable
    "paper_out": False,          # status says so; print data is discarded
    "cover_open": False,         # status says so; print data is discarded
    "paper_near_end": False,     # status only
    "slow_ms": 0,                # delay before handling each received chunk
    "disconnect_mid_job": False,  # one-shot: drop the next receipt before its cut
    "drawer_close_after_s": 5,   # the drawer closes itself; 0 = stays open until closed
}
POLL_S = 0.1  # accept/recv timeout: how soon close() is noticed
CHUNK = 4096


# -- files -----------------------------------------------------------------------------------

def _now_iso(ts: float | None = None) -> str:
    return datetime.fromtimestamp(time.time() if ts is None else ts, timezone.utc).isoformat()


_write_json = write_json  # atomic and durable (appliance.durable)


_read_json = simstate.read_json
_locked = simstate.locked


# -- faults ----------------------------------------------------------------------------------

def _check_fault(key: str, value) -> None:
    if key not in FAULT_DEFAULTS:
        raise ValueError(f"unknown printer fault {key!r}: use one of {', '.join(FAULT_DEFAULTS)}")
    default = FAULT_DEFAULTS[key]
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"printer fault {key!r} must be true or false, not {value!r}")
        return
    if key == "slow_ms":
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    else:
        ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
              and math.isfinite(value) and value >= 0)
    if not ok:
        kind = "a whole number" if key == "slow_ms" else "a number"
        raise ValueError(f"printer fault {key!r} must be {kind} >= 0, not {value!r}")


def read_faults(state_dir: Path) -> dict:
    """The faults in force, defaults filled in. ValueError if faults.json is broken."""
    return simstate.read_faults(state_dir, FAULT_DEFAULTS, _check_fault)


def write_faults(state_dir: Path, **changes) -> dict:
    """Change some faults (the others keep their value); returns all of them."""
    return simstate.write_faults(state_dir, FAULT_DEFAULTS, _check_fault, changes, log,
                                 "printer")


# -- paper roll ------------------------------------------------------------------------------

def _paper_dir(state_dir: Path) -> Path:
    return Path(state_dir) / "paper"


def _tear_off(state_dir: Path, piece: dict) -> int:
    """Put a piece of paper on the roll; returns its number."""
    return simstate.add_pieces(state_dir, "paper", [piece])[0]


def paper_roll(state_dir: Path, limit: int = 20) -> list[dict]:
    """The last pieces of paper, newest first."""
    return simstate.newest_pieces(state_dir, "paper", limit)


def clear_paper(state_dir: Path) -> None:
    simstate.clear_pieces(state_dir, "paper")


# -- drawer ----------------------------------------------------------------------------------

CLOSED_DRAWER = {"open": False, "opened_at": None, "kicks": 0, "last_kick": None}


def _load_drawer(state_dir: Path, now: float) -> tuple[dict, bool]:
    """The drawer as stored, closed if its time is up; and whether that changed it."""
    drawer = {**CLOSED_DRAWER, **(_read_json(Path(state_dir) / "drawer.json") or {})}
    after = drawer.get("close_after_s") or 0
    if drawer["open"] and after > 0:
        opened = datetime.fromisoformat(drawer["opened_at"]).timestamp()
        if now >= opened + after:
            drawer.update(open=False, closed_at=_now_iso(opened + after))
            return drawer, True
    return drawer, False


def drawer_state(state_dir: Path, now: float | None = None) -> dict:
    """The drawer, closing it first if it has been open for drawer_close_after_s."""
    state_dir = Path(state_dir)
    with _locked(state_dir):
        drawer, changed = _load_drawer(state_dir, time.time() if now is None else now)
        if changed:
            _write_json(state_dir / "drawer.json", drawer)
            log.info("simulated drawer in %s closed itself", state_dir)
    return drawer


def close_drawer(state_dir: Path) -> dict:
    """Someone pushes the drawer shut."""
    state_dir = Path(state_dir)
    with _locked(state_dir):
        drawer, _ = _load_drawer(state_dir, time.time())
        if drawer["open"]:
            drawer.update(open=False, closed_at=_now_iso())
        _write_json(state_dir / "drawer.json", drawer)
    return drawer


def _kick_drawer(state_dir: Path, kick: DrawerKick, close_after_s: float) -> dict:
    with _locked(state_dir):
        now = time.time()
        drawer, _ = _load_drawer(state_dir, now)
        drawer["kicks"] += 1
        drawer["last_kick"] = {"pin": kick.pin, "on_ms": kick.on_ms, "off_ms": kick.off_ms,
                               "at": _now_iso(now)}
        if not drawer["open"]:  # a kick on an open drawer changes nothing but the count
            drawer.update(open=True, opened_at=_now_iso(now), closed_at=None,
                          close_after_s=close_after_s)
        _write_json(state_dir / "drawer.json", drawer)
    return drawer


# -- status ----------------------------------------------------------------------------------

def status_reply(n: int, faults: dict, drawer_open: bool) -> bytes:
    """Epson-style answer to DLE EOT n (b"" for the extended requests we do not model)."""
    stopped = faults["paper_out"] or faults["cover_open"]
    if n == 1:  # printer: bit 2 drawer sensor, bit 3 offline
        return bytes([0x12 | (0x04 if drawer_open else 0) | (0x08 if stopped else 0)])
    if n == 2:  # offline cause: bit 2 cover open, bit 5 stopped at paper end
        return bytes([0x12 | (0x04 if faults["cover_open"] else 0)
                      | (0x20 if faults["paper_out"] else 0)])
    if n == 3:  # errors: none simulated
        return b"\x12"
    if n == 4:  # paper sensors: bits 2+3 near end, bits 5+6 out (an empty roll is near end too)
        near = faults["paper_near_end"] or faults["paper_out"]
        return bytes([0x12 | (0x0C if near else 0) | (0x60 if faults["paper_out"] else 0)])
    return b""


# -- the printer -----------------------------------------------------------------------------

@dataclass
class _Piece:
    """The paper printed since the last cut."""
    start: int = 0  # stream offset where it began
    lines: list[dict] = field(default_factory=list)
    qr: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    barcodes: list[dict] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.lines or self.qr or self.images or self.barcodes)

    def as_json(self, size: int, cut: bool) -> dict:
        return {"cut": cut, "lines": self.lines, "qr": self.qr, "images": self.images,
                "barcodes": self.barcodes, "bytes": size}


class _Dropped(Exception):
    """disconnect_mid_job fired: drop the connection now."""


class SimulatedPrinter:
    """A virtual ESC/POS printer on TCP: ``with SimulatedPrinter(dir) as p: ... p.port``."""

    def __init__(self, state_dir: Path, host: str = "127.0.0.1", port: int = 0):
        self.state_dir = Path(state_dir)
        self.host = host
        self._port = port
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._closed = False
        self._faults = dict(FAULT_DEFAULTS)
        self._faults_stamp: tuple | None = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def name(self) -> str:
        return f"simulated printer at {self.host}:{self._port}"

    def start(self) -> SimulatedPrinter:
        if self._closed:
            raise RuntimeError(f"{self.name} is closed: make a new SimulatedPrinter")
        if self._sock:
            return self
        _paper_dir(self.state_dir).mkdir(parents=True, exist_ok=True)
        try:
            sock = socket.create_server((self.host, self._port), backlog=4)
        except OSError as e:
            raise OSError(e.errno, f"{self.name} cannot listen ({e.strerror}): "
                                   "choose another port or stop what uses it") from None
        sock.settimeout(POLL_S)
        self._sock = sock
        self._port = sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name=f"simprinter-{self._port}",
                                        daemon=True)
        self._thread.start()
        log.info("%s: listening, state in %s", self.name, self.state_dir)
        return self

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
            if self._thread.is_alive():
                log.warning("%s: server thread did not stop within 5 s", self.name)
        if self._sock:
            self._sock.close()
        log.info("%s: closed", self.name)

    def __enter__(self) -> SimulatedPrinter:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- serving -------------------------------------------------------------------------

    def _current_faults(self) -> dict:
        path = self.state_dir / "faults.json"
        try:
            st = path.stat()
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)  # atomic writes change the inode
        except FileNotFoundError:
            stamp = None
        if stamp != self._faults_stamp:
            self._faults_stamp = stamp
            try:
                self._faults = read_faults(self.state_dir)
                log.info("%s: faults now %s", self.name,
                         {k: v for k, v in self._faults.items() if v != FAULT_DEFAULTS[k]})
            except ValueError as e:
                log.warning("%s: %s; keeping the previous faults", self.name, e)
        return self._faults

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = self._sock.accept()
            except TimeoutError:
                continue
            except OSError as e:
                log.error("%s: accept failed: %s", self.name, e)
                self._stop.wait(POLL_S)
                continue
            with conn:
                try:
                    self._connection(conn, f"{peer[0]}:{peer[1]}")
                except OSError as e:
                    log.info("%s: connection from %s ended: %s", self.name, peer[0], e)
                except Exception:  # one bad job must not take the printer down
                    log.exception("%s: failed on data from %s", self.name, peer[0])

    def _connection(self, conn: socket.socket, peer: str) -> None:
        if self._current_faults()["offline"]:
            log.info("%s: offline, dropping the connection from %s", self.name, peer)
            _reset(conn)
            return
        log.info("%s: connection from %s", self.name, peer)
        conn.settimeout(POLL_S)
        decoder, piece, received = Decoder(), _Piece(), 0
        while not self._stop.is_set():
            try:
                data = conn.recv(CHUNK)
            except TimeoutError:
                data = None
            faults = self._current_faults()
            if faults["offline"]:  # switched off or unplugged: the connection dies with it
                log.info("%s: went offline, dropping the connection from %s", self.name, peer)
                if piece:
                    _tear_off(self.state_dir, piece.as_json(received - piece.start, cut=False))
                _reset(conn)
                return
            if data is None:
                continue
            if not data:
                break
            received += len(data)
            if faults["slow_ms"] and self._stop.wait(faults["slow_ms"] / 1000):
                break
            try:
                for end, event in decoder.feed_with_offsets(data):
                    piece = self._event(conn, event, end, piece, faults)
            except _Dropped:
                if piece:
                    _tear_off(self.state_dir, piece.as_json(received - piece.start, cut=False))
                _reset(conn)
                return
        if piece:  # the client went away without a cut: the paper stays uncut
            _tear_off(self.state_dir, piece.as_json(received - piece.start, cut=False))
            log.info("%s: %s left without a cut", self.name, peer)

    def _event(self, conn, event, end: int, piece: _Piece, faults: dict) -> _Piece:
        """Act on one decoded event; returns the piece of paper in progress."""
        stopped = faults["paper_out"] or faults["cover_open"]
        if isinstance(event, StatusRequest):
            drawer_open = drawer_state(self.state_dir)["open"] if event.n == 1 else False
            reply = status_reply(event.n, faults, drawer_open)
            if reply:
                conn.sendall(reply)
            return piece
        if isinstance(event, DrawerKick):
            if stopped and not event.realtime:
                log.info("%s: stopped (%s), drawer kick discarded", self.name, _why(faults))
                return piece
            drawer = _kick_drawer(self.state_dir, event, faults["drawer_close_after_s"])
            log.info("%s: drawer kick on pin %d, drawer %s", self.name, event.pin,
                     "open" if drawer["open"] else "closed")
            return piece
        if isinstance(event, Unknown):
            log.info("%s: unrecognised bytes %r", self.name, event.data)
            return piece
        if not isinstance(event, (Text, Cut, Qr, Image, Barcode)):
            return piece
        if stopped:
            log.debug("%s: stopped (%s), print data discarded", self.name, _why(faults))
            # What was printed before the stop stays on the paper, waiting for a cut.
            return _Piece(start=end) if isinstance(event, Cut) and not piece else piece
        if faults["disconnect_mid_job"] and piece and isinstance(event, (Text, Cut)):
            write_faults(self.state_dir, disconnect_mid_job=False)  # one-shot
            log.info("%s: disconnect_mid_job: dropping the connection mid-receipt", self.name)
            raise _Dropped
        if isinstance(event, Text):
            piece.lines.append({"text": event.text, "align": event.align, "bold": event.bold,
                                "double": event.double})
        elif isinstance(event, Qr):
            piece.qr.append(event.data)
        elif isinstance(event, Image):
            piece.images.append({"width": event.width_dots, "height": event.height})
        elif isinstance(event, Barcode):
            piece.barcodes.append({"kind": event.kind, "data": event.data})
        elif isinstance(event, Cut):
            if piece:
                n = _tear_off(self.state_dir, piece.as_json(end - piece.start, cut=True))
                log.info("%s: receipt %06d cut (%d lines)", self.name, n, len(piece.lines))
            return _Piece(start=end)
        return piece


def _why(faults: dict) -> str:
    return "paper_out" if faults["paper_out"] else "cover_open"


def _reset(conn: socket.socket) -> None:
    """Close with RST, as a printer that lost power would: the client's next send fails."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()
