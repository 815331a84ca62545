"""ESC/POS byte stream -> what a printer would put on paper, as events.

``Decoder().feed(data)`` is incremental: data may be split anywhere (inside a command, inside a
GB18030 character) and the events come out the same. Text becomes one ``Text`` event per LF,
with the alignment, bold and size the line was printed in. Commands we know but that do not
change the paper (line spacing, fonts, barcode height...) are consumed silently; anything we
do not recognise becomes ``Unknown`` with just the bytes we could not place, so the text after
it still prints, as on a real printer.

Used by the simulated printer and by tests that check what our renderer sends. Covers what
python-escpos 3.1 emits plus the usual Epson TM command set; page mode is not modelled.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)

NUL, BEL, HT, LF, FF, CR, CAN = 0x00, 0x07, 0x09, 0x0A, 0x0C, 0x0D, 0x18
EOT, ENQ, DLE, DC4, ESC, FS, GS = 0x04, 0x05, 0x10, 0x14, 0x1B, 0x1C, 0x1D

# ESC t n -> Python codec; tables we cannot decode fall back to cp437 (the power-on table).
CODE_TABLES = {0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 16: "cp1252",
               17: "cp866", 18: "cp852", 19: "cp858"}
ALIGN = {0: "left", 48: "left", 1: "center", 49: "center", 2: "right", 50: "right"}
DRAWER_PIN = {0: 2, 48: 2, 1: 5, 49: 5}
QR = 49  # cn of GS ( k for QR Code
MAX_BARCODE = 255  # NUL-terminated barcode data longer than this is not a barcode


@dataclass(frozen=True)
class Text:
    text: str
    align: str = "left"
    bold: bool = False
    double: bool = False  # width and height both at least doubled


@dataclass(frozen=True)
class Cut:
    partial: bool = False


@dataclass(frozen=True)
class DrawerKick:
    pin: int
    on_ms: int
    off_ms: int
    realtime: bool = False  # DLE DC4 (executes even while the printer is stopped)


@dataclass(frozen=True)
class StatusRequest:
    n: int


@dataclass(frozen=True)
class Qr:
    data: str


@dataclass(frozen=True)
class Image:
    width_dots: int
    height: int


@dataclass(frozen=True)
class Barcode:
    kind: int  # GS k m
    data: str


@dataclass(frozen=True)
class Init:
    pass


@dataclass(frozen=True)
class Unknown:
    data: bytes


Event = Text | Cut | DrawerKick | StatusRequest | Qr | Image | Barcode | Init | Unknown


def _b(ch: str) -> int:
    return ord(ch)


# Commands with a fixed number of parameter bytes: (prefix, byte) -> (count, handler name).
# A handler gets the parameter bytes and the end offset; returning False means "invalid
# parameters" and the whole command becomes Unknown.
_FIXED: dict[tuple[int, int], tuple[int, str | None]] = {
    (ESC, _b(" ")): (1, None), (ESC, _b("!")): (1, "_on_esc_mode"), (ESC, _b("$")): (2, None),
    (ESC, _b("%")): (1, None), (ESC, _b("+")): (1, None), (ESC, _b("-")): (1, None),
    (ESC, _b("2")): (0, None), (ESC, _b("3")): (1, None), (ESC, _b("<")): (0, None),
    (ESC, _b("=")): (1, None), (ESC, _b("?")): (1, None), (ESC, _b("@")): (0, "_on_init"),
    (ESC, _b("A")): (1, None), (ESC, _b("B")): (2, None), (ESC, _b("E")): (1, "_on_bold"),
    (ESC, _b("G")): (1, None), (ESC, _b("J")): (1, "_on_print_and_feed_dots"),
    (ESC, _b("L")): (0, None), (ESC, _b("M")): (1, None), (ESC, _b("R")): (1, None),
    (ESC, _b("S")): (0, None), (ESC, _b("T")): (1, None), (ESC, _b("U")): (1, None),
    (ESC, _b("V")): (1, None), (ESC, _b("W")): (8, None), (ESC, _b("\\")): (2, None),
    (ESC, _b("a")): (1, "_on_align"), (ESC, _b("c")): (2, None),
    (ESC, _b("d")): (1, "_on_feed_lines"),
    (ESC, _b("e")): (1, None), (ESC, _b("i")): (0, "_on_cut_partial"),
    (ESC, _b("m")): (0, "_on_cut_partial"), (ESC, _b("p")): (3, "_on_kick"),
    (ESC, _b("r")): (1, None), (ESC, _b("t")): (1, "_on_code_table"), (ESC, _b("u")): (1, None),
    (ESC, _b("v")): (0, None), (ESC, _b("{")): (1, None),
    (GS, _b("!")): (1, "_on_gs_size"), (GS, _b("$")): (2, None), (GS, _b("/")): (1, None),
    (GS, _b(":")): (0, None), (GS, _b("B")): (1, None), (GS, _b("H")): (1, None),
    (GS, _b("I")): (1, None), (GS, _b("L")): (2, None), (GS, _b("P")): (2, None),
    (GS, _b("T")): (1, None), (GS, _b("W")): (2, None), (GS, _b("\\")): (2, None),
    (GS, _b("^")): (3, None), (GS, _b("a")): (1, None), (GS, _b("b")): (1, None),
    (GS, _b("f")): (1, None), (GS, _b("h")): (1, None), (GS, _b("r")): (1, None),
    (GS, _b("w")): (1, None),
    (FS, _b("!")): (1, None), (FS, _b("&")): (0, "_on_kanji_on"), (FS, _b("-")): (1, None),
    (FS, _b(".")): (0, "_on_kanji_off"), (FS, _b("2")): (74, None), (FS, _b("?")): (2, None),
    (FS, _b("C")): (1, None), (FS, _b("S")): (2, None), (FS, _b("W")): (1, None),
    (FS, _b("p")): (2, None),
    (DLE, ENQ): (1, None),
}

# Commands whose length depends on their parameters: (prefix, byte) -> parser method name.
_VARIABLE: dict[tuple[int, int], str] = {
    (ESC, _b("&")): "_user_chars", (ESC, _b("D")): "_tab_stops", (ESC, _b("*")): "_bit_image",
    (ESC, _b("(")): "_skip_prefixed", (FS, _b("(")): "_skip_prefixed",
    (GS, _b("(")): "_gs_paren", (GS, _b("8")): "_gs_8", (GS, _b("V")): "_cut",
    (GS, _b("k")): "_barcode", (GS, _b("v")): "_raster", (GS, _b("*")): "_download_image",
    (DLE, EOT): "_status", (DLE, DC4): "_realtime",
}


def _gb18030_length(buf: bytearray, i: int) -> int | None:
    """Bytes in the GB18030 character at ``i``: 2 or 4, 0 if invalid, None if cut short."""
    if not 0x81 <= buf[i] <= 0xFE:
        return 0
    if i + 1 >= len(buf):
        return None
    second = buf[i + 1]
    if 0x40 <= second <= 0xFE and second != 0x7F:
        return 2
    if not 0x30 <= second <= 0x39:
        return 0
    if i + 2 >= len(buf):
        return None
    if not 0x81 <= buf[i + 2] <= 0xFE:
        return 0
    if i + 3 >= len(buf):
        return None
    return 4 if 0x30 <= buf[i + 3] <= 0x39 else 0


class Decoder:
    """Incremental ESC/POS parser: ``feed(bytes) -> list[Event]``."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._pos = 0          # parse position in _buf
        self._base = 0         # stream offset of _buf[0]
        self._skip = 0         # payload bytes of a long command still to pass over
        self._out: list[tuple[int, Event]] = []
        self._qr_data = ""     # GS ( k fn 80 stores, fn 81 prints
        self._graphics: tuple[int, int] | None = None  # GS ( L stored, not yet printed
        self._reset_modes()

    def _reset_modes(self) -> None:
        self._align = "left"
        self._bold = False
        self._width = self._height = 1
        self._kanji = False
        self._codec = "cp437"
        self._line: list[str] = []
        self._line_style: tuple[str, bool, bool] | None = None  # style of the line's 1st char
        self._line_has_image = False

    # -- public --------------------------------------------------------------------------

    def feed(self, data: bytes) -> list[Event]:
        return [event for _, event in self.feed_with_offsets(data)]

    def feed_with_offsets(self, data: bytes) -> list[tuple[int, Event]]:
        """Like feed, each event paired with the stream offset just after its last byte."""
        self._buf += data
        self._out = []
        while True:
            if self._skip:
                step = min(self._skip, len(self._buf) - self._pos)
                self._skip -= step
                self._pos += step
                if self._skip:
                    break
            if self._pos >= len(self._buf):
                break
            used = self._step(self._pos)
            if used is None:  # the command is not complete yet: wait for more data
                break
            self._pos += used
        self._base += self._pos
        del self._buf[:self._pos]
        self._pos = 0
        return self._out

    @property
    def offset(self) -> int:
        """Stream bytes consumed so far (a command cut short is not counted yet)."""
        return self._base + self._pos

    # -- dispatch ------------------------------------------------------------------------

    def _emit(self, event: Event, end: int) -> None:
        self._out.append((self._base + end, event))

    def _have(self, p: int, n: int) -> bool:
        return len(self._buf) - p >= n

    def _step(self, p: int) -> int | None:
        b = self._buf[p]
        if b == LF:
            self._end_line(p + 1)
            return 1
        if b in (ESC, GS, FS, DLE):
            return self._command(p)
        if b in (NUL, BEL, CR, CAN):  # padding, beeper, ignored CR, page-mode cancel
            return 1
        if b == FF:
            if self._line:
                self._end_line(p + 1)
            return 1
        if b == HT:
            self._add_text("\t")
            return 1
        if b < 0x20:
            self._emit(Unknown(bytes([b])), p + 1)
            return 1
        return self._text(p)

    def _command(self, p: int) -> int | None:
        if not self._have(p, 2):
            return None
        key = (self._buf[p], self._buf[p + 1])
        fixed = _FIXED.get(key)
        if fixed:
            count, handler = fixed
            if not self._have(p, 2 + count):
                return None
            end = p + 2 + count
            params = bytes(self._buf[p + 2:end])
            if handler and getattr(self, handler)(params, end) is False:
                self._emit(Unknown(bytes(self._buf[p:end])), end)
            return 2 + count
        parser = _VARIABLE.get(key)
        if parser:
            return getattr(self, parser)(p)
        # Unknown command: only the prefix and its command byte, so what follows still prints.
        self._emit(Unknown(bytes(self._buf[p:p + 2])), p + 2)
        return 2

    # -- text ----------------------------------------------------------------------------

    def _add_text(self, text: str) -> None:
        if not text:
            return
        if self._line_style is None:
            # One style per line, from its first character (Epson applies ESC a only there).
            self._line_style = self._style()
        self._line.append(text)

    def _style(self) -> tuple[str, bool, bool]:
        return self._align, self._bold, self._width >= 2 and self._height >= 2

    def _end_line(self, end: int) -> None:
        if self._line_has_image and not self._line:
            self._line_has_image = False  # the LF that prints a bit-image band
            return
        align, bold, double = self._line_style or self._style()
        self._emit(Text("".join(self._line), align, bold, double), end)
        self._line, self._line_style, self._line_has_image = [], None, False

    def _text(self, p: int) -> int | None:
        buf, end = self._buf, len(self._buf)
        i = p
        if not self._kanji:
            while i < end and buf[i] >= 0x20:
                i += 1
            # Every byte maps to a character in these code pages, so nothing is lost.
            self._add_text(bytes(buf[p:i]).decode(self._codec, errors="replace"))
            return i - p
        chars: list[str] = []
        while i < end and buf[i] >= 0x20:
            if buf[i] < 0x80:
                chars.append(chr(buf[i]))
                i += 1
                continue
            size = _gb18030_length(buf, i)
            if size is None:
                break
            try:
                chars.append(bytes(buf[i:i + size]).decode("gb18030") if size else "")
            except UnicodeDecodeError:
                size = 0
            if not size:  # not GB18030: report the lead byte, keep parsing after it
                self._add_text("".join(chars))
                self._emit(Unknown(bytes([buf[i]])), i + 1)
                return i + 1 - p
            i += size
        self._add_text("".join(chars))
        return (i - p) or None

    # -- fixed-length handlers ---------------------------------------------------------

    def _on_init(self, params: bytes, end: int) -> None:
        if self._line:
            log.debug("ESC @ cleared an unprinted line %r", "".join(self._line))
        self._reset_modes()
        self._emit(Init(), end)

    def _on_esc_mode(self, params: bytes, end: int) -> None:
        n = params[0]
        self._bold = bool(n & 0x08)
        self._height = 2 if n & 0x10 else 1
        self._width = 2 if n & 0x20 else 1

    def _on_gs_size(self, params: bytes, end: int) -> bool:
        width, height = (params[0] >> 4) + 1, (params[0] & 0x0F) + 1
        if width > 8 or height > 8:
            return False
        self._width, self._height = width, height
        return True

    def _on_bold(self, params: bytes, end: int) -> None:
        self._bold = bool(params[0] & 1)

    def _on_align(self, params: bytes, end: int) -> bool:
        if params[0] not in ALIGN:
            return False
        self._align = ALIGN[params[0]]
        return True

    def _on_code_table(self, params: bytes, end: int) -> None:
        self._codec = CODE_TABLES.get(params[0], "cp437")

    def _on_kanji_on(self, params: bytes, end: int) -> None:
        self._kanji = True

    def _on_kanji_off(self, params: bytes, end: int) -> None:
        self._kanji = False

    def _on_feed_lines(self, params: bytes, end: int) -> None:
        # ESC d n prints the pending line, then feeds: n lines in all.
        lines = params[0]
        if self._line and lines:
            self._end_line(end)
            lines -= 1
        for _ in range(lines):
            self._end_line(end)

    def _on_print_and_feed_dots(self, params: bytes, end: int) -> None:
        if self._line:
            self._end_line(end)

    def _on_cut_partial(self, params: bytes, end: int) -> None:
        self._flush_for_cut(end)
        self._emit(Cut(partial=True), end)

    def _on_kick(self, params: bytes, end: int) -> bool:
        m, t1, t2 = params
        if m not in DRAWER_PIN:
            return False
        self._emit(DrawerKick(DRAWER_PIN[m], t1 * 2, t2 * 2), end)
        return True

    def _flush_for_cut(self, end: int) -> None:
        if self._line:  # text without LF before a cut: print it rather than lose it
            self._end_line(end)

    # -- variable-length parsers (return bytes used, or None to wait for more) ------------

    def _length_prefixed(self, p: int, header: int, size: int, need: int, on_head) -> int | None:
        """A command of ``header`` bytes then ``size`` payload bytes. ``on_head`` sees the
        first ``need`` payload bytes; the rest is skipped as it arrives (images are big)."""
        want = min(size, need)
        if not self._have(p, header + want):
            return None
        end = p + header + size
        on_head(bytes(self._buf[p + header:p + header + want]), end)
        available = len(self._buf) - p
        if available >= header + size:
            return header + size
        self._skip = header + size - available
        return available

    def _skip_prefixed(self, p: int) -> int | None:
        # ESC ( x / FS ( x / GS ( x pL pH payload: the length tells us what to pass over.
        if not self._have(p, 5):
            return None
        size = self._buf[p + 3] | self._buf[p + 4] << 8
        return self._length_prefixed(p, 5, size, 0, lambda head, end: None)

    def _gs_paren(self, p: int) -> int | None:
        if not self._have(p, 5):
            return None
        kind = self._buf[p + 2]
        size = self._buf[p + 3] | self._buf[p + 4] << 8
        if kind == _b("k"):
            return self._length_prefixed(p, 5, size, size, self._symbol)
        if kind == _b("L"):
            return self._length_prefixed(p, 5, size, 10, self._graphics_command)
        return self._length_prefixed(p, 5, size, 0, lambda head, end: None)

    def _gs_8(self, p: int) -> int | None:
        # GS 8 L p1 p2 p3 p4: GS ( L with a 4-byte length, for large graphics.
        if not self._have(p, 3):
            return None
        if self._buf[p + 2] != _b("L"):
            self._emit(Unknown(bytes(self._buf[p:p + 2])), p + 2)
            return 2
        if not self._have(p, 7):
            return None
        size = int.from_bytes(self._buf[p + 3:p + 7], "little")
        return self._length_prefixed(p, 7, size, 10, self._graphics_command)

    def _symbol(self, payload: bytes, end: int) -> None:
        # cn fn [m] data: QR fn 80 stores the data (after m), fn 81 prints it.
        if len(payload) < 2 or payload[0] != QR:
            return
        fn = payload[1]
        if fn == 80:
            self._qr_data = payload[3:].decode("utf-8", errors="replace")
        elif fn == 81:
            self._emit(Qr(self._qr_data), end)

    def _graphics_command(self, head: bytes, end: int) -> None:
        # m fn ...: fn 112 stores a raster image (a bx by c xL xH yL yH), fn 2/50 prints it.
        if len(head) < 2:
            return
        fn = head[1]
        if fn == 112 and len(head) >= 10:
            self._graphics = (head[6] | head[7] << 8, head[8] | head[9] << 8)
        elif fn in (2, 50) and self._graphics:
            self._emit(Image(*self._graphics), end)
            self._graphics = None

    def _raster(self, p: int) -> int | None:
        # GS v 0 m xL xH yL yH data: x bytes (8 dots each) by y rows.
        if not self._have(p, 3):
            return None
        if self._buf[p + 2] != _b("0"):
            self._emit(Unknown(bytes(self._buf[p:p + 2])), p + 2)
            return 2
        if not self._have(p, 8):
            return None
        b = self._buf
        width_bytes, height = b[p + 4] | b[p + 5] << 8, b[p + 6] | b[p + 7] << 8

        def image(head: bytes, end: int) -> None:
            self._emit(Image(width_bytes * 8, height), end)

        return self._length_prefixed(p, 8, width_bytes * height, 0, image)

    def _bit_image(self, p: int) -> int | None:
        # ESC * m nL nH data: one band 8 (m 0, 1) or 24 (m 32, 33) dots high, then an LF.
        if not self._have(p, 5):
            return None
        m, dots = self._buf[p + 2], self._buf[p + 3] | self._buf[p + 4] << 8
        if m not in (0, 1, 32, 33):
            self._emit(Unknown(bytes(self._buf[p:p + 3])), p + 3)
            return 3
        band = 8 if m < 32 else 24

        def image(head: bytes, end: int) -> None:
            self._emit(Image(dots, band), end)
            self._line_has_image = True

        return self._length_prefixed(p, 5, dots * band // 8, 0, image)

    def _download_image(self, p: int) -> int | None:
        # GS * x y data: defines (does not print) an image of x*8 by y*8 dots.
        if not self._have(p, 4):
            return None
        size = self._buf[p + 2] * self._buf[p + 3] * 8
        return self._length_prefixed(p, 4, size, 0, lambda head, end: None)

    def _cut(self, p: int) -> int | None:
        # GS V m (0, 1, 48, 49) or GS V m n (65, 66, 97, 98, 103, 104: feed n then cut).
        if not self._have(p, 3):
            return None
        m = self._buf[p + 2]
        if m in (0, 1, 48, 49):
            size = 3
        elif m in (65, 66, 97, 98, 103, 104):
            size = 4
            if not self._have(p, 4):
                return None
        else:
            self._emit(Unknown(bytes(self._buf[p:p + 3])), p + 3)
            return 3
        self._flush_for_cut(p + size)
        self._emit(Cut(partial=m in (1, 49, 66, 98, 104)), p + size)
        return size

    def _barcode(self, p: int) -> int | None:
        if not self._have(p, 3):
            return None
        m = self._buf[p + 2]
        if m <= 6:  # data up to a NUL
            window = self._buf[p + 3:p + 4 + MAX_BARCODE]
            stop = window.find(0)
            if stop < 0:
                if len(window) <= MAX_BARCODE:
                    return None
                self._emit(Unknown(bytes(self._buf[p:p + 3])), p + 3)
                return 3
            data, size = bytes(window[:stop]), 3 + stop + 1
        elif 65 <= m <= 79:  # length byte, then data
            if not self._have(p, 4):
                return None
            n = self._buf[p + 3]
            if not self._have(p, 4 + n):
                return None
            data, size = bytes(self._buf[p + 4:p + 4 + n]), 4 + n
        else:
            self._emit(Unknown(bytes(self._buf[p:p + 3])), p + 3)
            return 3
        self._emit(Barcode(m, data.decode("latin-1")), p + size)
        return size

    def _tab_stops(self, p: int) -> int | None:
        # ESC D n1 ... nk NUL, at most 32 positions.
        window = self._buf[p + 2:p + 2 + 33]
        stop = window.find(0)
        if stop < 0:
            if len(window) < 33:
                return None
            self._emit(Unknown(bytes(self._buf[p:p + 2])), p + 2)
            return 2
        return 2 + stop + 1

    def _user_chars(self, p: int) -> int | None:
        # ESC & y c1 c2 then, per character c1..c2, x and y*x bytes.
        if not self._have(p, 5):
            return None
        y, c1, c2 = self._buf[p + 2], self._buf[p + 3], self._buf[p + 4]
        if not (1 <= y <= 3 and 32 <= c1 <= c2 <= 126):
            self._emit(Unknown(bytes(self._buf[p:p + 5])), p + 5)
            return 5
        i = p + 5
        for _ in range(c2 - c1 + 1):
            if not self._have(i, 1):
                return None
            i += 1 + y * self._buf[i]
            if i > len(self._buf):
                return None
        return i - p

    def _status(self, p: int) -> int | None:
        # DLE EOT n (1-4), or DLE EOT n a (7, 8): real-time status.
        if not self._have(p, 3):
            return None
        n = self._buf[p + 2]
        if n in (1, 2, 3, 4):
            size = 3
        elif n in (7, 8):
            if not self._have(p, 4):
                return None
            size = 4
        else:
            self._emit(Unknown(bytes(self._buf[p:p + 3])), p + 3)
            return 3
        self._emit(StatusRequest(n), p + size)
        return size

    def _realtime(self, p: int) -> int | None:
        # DLE DC4 fn ...: fn 1 m t is a drawer pulse of t*100 ms; the others are consumed.
        if not self._have(p, 3):
            return None
        fn = self._buf[p + 2]
        sizes = {1: 5, 2: 5, 3: 5, 7: 4, 8: 10}
        if fn not in sizes:
            self._emit(Unknown(bytes(self._buf[p:p + 3])), p + 3)
            return 3
        size = sizes[fn]
        if not self._have(p, size):
            return None
        if fn == 1:
            m, t = self._buf[p + 3], self._buf[p + 4]
            if m not in DRAWER_PIN or not 1 <= t <= 8:
                self._emit(Unknown(bytes(self._buf[p:p + size])), p + size)
            else:
                self._emit(DrawerKick(DRAWER_PIN[m], t * 100, t * 100, realtime=True), p + size)
        return size
