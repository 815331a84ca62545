"""SMS PDUs (3GPP TS 23.040 and 23.038): SMS-SUBMIT encoding for sending, and decoding of
SMS-SUBMIT (what the simulated modem receives) and SMS-STATUS-REPORT (delivery reports).

Text is sent in the GSM 7-bit default alphabet when every character is in it or in its
extension table (``{ } [ ] ~ \\ | ^ €`` and form feed, two septets each), else in UCS-2 (UTF-16
big-endian: Chinese, emoji as surrogate pairs). A message longer than one SMS (160 septets,
70 UCS-2 units) is split into parts of 153 septets or 67 units, each carrying an 8-bit
concatenation header; a part never ends between an escape and its character, nor between
the two halves of a surrogate pair.

The PDU given to the modem starts with the SMS centre address (``00``: the one stored in
the SIM or set with AT+CSCA); ``tpdu_length`` is what AT+CMGS=<length> wants (octets after
that address).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

# -- alphabet (23.038 6.2.1) -----------------------------------------------------------------

GSM7_BASIC = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
              "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
assert len(GSM7_BASIC) == 128
ESC = 0x1B
GSM7_EXTENSION = {0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[",
                  0x3D: "~", 0x3E: "]", 0x40: "|", 0x65: "€"}
_BASIC_CODE = {ch: i for i, ch in enumerate(GSM7_BASIC) if i != ESC}
_EXTENSION_CODE = {ch: code for code, ch in GSM7_EXTENSION.items()}

SINGLE_SEPTETS, PART_SEPTETS = 160, 153
SINGLE_UNITS, PART_UNITS = 70, 67          # UCS-2 code units (2 octets each)
MAX_PARTS = 255
DEFAULT_VALIDITY = 0xAA                    # relative validity period: 4 days


class PduError(ValueError):
    """A PDU cannot be built (bad number, text too long) or parsed (malformed)."""


def is_gsm7(text: str) -> bool:
    """Whether ``text`` fits the GSM 7-bit default alphabet with its extension table."""
    return all(ch in _BASIC_CODE or ch in _EXTENSION_CODE for ch in text)


def gsm7_septets(text: str) -> list[int]:
    """The septets of ``text`` (an extension character is ESC and its code)."""
    out = []
    for ch in text:
        if ch in _BASIC_CODE:
            out.append(_BASIC_CODE[ch])
        elif ch in _EXTENSION_CODE:
            out += [ESC, _EXTENSION_CODE[ch]]
        else:
            raise PduError(f"character {ch!r} is not in the GSM 7-bit alphabet")
    return out


def gsm7_text(septets: list[int]) -> str:
    out, escaped = [], False
    for s in septets:
        if escaped:
            # An unknown extension code shows as the basic character (23.038 6.2.1.1).
            out.append(GSM7_EXTENSION.get(s, GSM7_BASIC[s] if s != ESC else " "))
            escaped = False
        elif s == ESC:
            escaped = True
        else:
            out.append(GSM7_BASIC[s])
    if escaped:
        out.append(" ")
    return "".join(out)


def pack_septets(septets: list[int], fill_bits: int = 0) -> bytes:
    """Septets packed into octets, least significant bit first, after ``fill_bits`` zeros."""
    value = 0
    for i, s in enumerate(septets):
        value |= (s & 0x7F) << (fill_bits + 7 * i)
    return value.to_bytes((fill_bits + 7 * len(septets) + 7) // 8, "little")


def unpack_septets(data: bytes, count: int, fill_bits: int = 0) -> list[int]:
    if (fill_bits + 7 * count + 7) // 8 > len(data):
        raise PduError(f"user data holds fewer than {count} septets")
    value = int.from_bytes(data, "little") >> fill_bits
    return [(value >> (7 * i)) & 0x7F for i in range(count)]


# -- addresses (23.040 9.1.2.5) --------------------------------------------------------------

INTERNATIONAL, UNKNOWN = 0x91, 0x81


def normalise_number(number: str) -> str:
    """``number`` without spaces, dashes, dots or brackets; a leading ``+`` kept. PduError
    unless it is then 1-20 digits."""
    cleaned = "".join(ch for ch in str(number).strip() if ch not in " -().\u00a0")
    digits = cleaned[1:] if cleaned.startswith("+") else cleaned
    if not (1 <= len(digits) <= 20 and digits.isascii() and digits.isdigit()):
        raise PduError("the phone number must be digits, optionally starting with +")
    return cleaned


def _semi_octets(digits: str) -> bytes:
    if len(digits) % 2:
        digits += "F"
    return bytes.fromhex("".join(digits[i + 1] + digits[i] for i in range(0, len(digits), 2)))


def _digits(data: bytes, count: int) -> str:
    text = "".join(f"{b:02X}"[::-1] for b in data)[:count]
    return text.translate(str.maketrans("ABC", "*#?"))   # 23.040 9.1.2.3


def encode_address(number: str) -> bytes:
    """TP-DA style address: digit count, type of number, swapped semi-octets."""
    number = normalise_number(number)
    kind = INTERNATIONAL if number.startswith("+") else UNKNOWN
    digits = number.lstrip("+")
    return bytes([len(digits), kind]) + _semi_octets(digits)


def encode_smsc(smsc: str) -> bytes:
    """The SMS centre in front of a PDU: ``00`` for the SIM's, else octet count, type,
    semi-octets."""
    if not smsc:
        return b"\x00"
    number = normalise_number(smsc)
    kind = INTERNATIONAL if number.startswith("+") else UNKNOWN
    body = bytes([kind]) + _semi_octets(number.lstrip("+"))
    return bytes([len(body)]) + body


def _decode_address(data: bytes, pos: int) -> tuple[str, int]:
    """(number, next position) of a TP address at ``pos``."""
    try:
        count, kind = data[pos], data[pos + 1]
    except IndexError:
        raise PduError("the PDU ends inside an address") from None
    size = (count + 1) // 2
    raw = data[pos + 2:pos + 2 + size]
    if len(raw) != size:
        raise PduError("the PDU ends inside an address")
    if kind & 0x70 == 0x50:   # alphanumeric: GSM 7-bit, count is in semi-octets
        number = gsm7_text(unpack_septets(raw, count * 4 // 7))
    else:
        number = _digits(raw, count)
        if kind & 0x70 == 0x10:
            number = "+" + number
    return number, pos + 2 + size


def _skip_smsc(data: bytes) -> tuple[str, int]:
    if not data:
        raise PduError("empty PDU")
    size = data[0]
    if size == 0:
        return "", 1
    if len(data) < 1 + size:
        raise PduError("the PDU ends inside the SMS centre address")
    kind, raw = data[1], data[2:1 + size]
    number = _digits(raw, len(raw) * 2).rstrip("F")
    return ("+" + number if kind & 0x70 == 0x10 else number), 1 + size


# -- SMS-SUBMIT ------------------------------------------------------------------------------

@dataclass(frozen=True)
class SubmitPdu:
    """One SMS ready for AT+CMGS (PDU mode)."""
    hex: str               # SMSC address and TPDU, upper-case hex
    tpdu_length: int       # octets after the SMSC address: AT+CMGS=<tpdu_length>
    part: int = 1
    parts: int = 1


def _split(units: list, size: int, breakable) -> list[list]:
    chunks, i = [], 0
    while i < len(units):
        end = min(i + size, len(units))
        if end < len(units) and not breakable(units, end):
            end -= 1
        chunks.append(units[i:end])
        i = end
    return chunks


def _gsm_breakable(septets: list[int], end: int) -> bool:
    # A part must not end with an ESC whose character would open the next part. Our
    # encoder writes ESC only in front of an extension code, so an ESC at end-1 is one
    # unless it is itself the code of the ESC before it (never: 0x1B is no extension code).
    return septets[end - 1] != ESC


def _utf16_breakable(units: list[int], end: int) -> bool:
    return not 0xD800 <= units[end - 1] <= 0xDBFF


def encoding_for(text: str) -> str:
    return "gsm7" if is_gsm7(text) else "ucs2"


def part_count(text: str) -> int:
    """How many SMS ``text`` takes."""
    if is_gsm7(text):
        septets = gsm7_septets(text)
        return 1 if len(septets) <= SINGLE_SEPTETS else len(
            _split(septets, PART_SEPTETS, _gsm_breakable))
    units = _utf16_units(text)
    return 1 if len(units) <= SINGLE_UNITS else len(_split(units, PART_UNITS,
                                                           _utf16_breakable))


def _utf16_units(text: str) -> list[int]:
    raw = text.encode("utf-16-be", "surrogatepass")
    return [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw), 2)]


def encode_submit(number: str, text: str, *, status_report: bool = False, smsc: str = "",
                  concat_reference: int | None = None, message_reference: int = 0,
                  validity: int | None = DEFAULT_VALIDITY) -> list[SubmitPdu]:
    """The SMS-SUBMIT PDUs that send ``text`` to ``number`` (one unless the text is long).

    ``status_report`` sets TP-SRR (ask for a delivery report); ``concat_reference`` is the
    8-bit reference shared by the parts of a long message (random when not given);
    ``message_reference`` is TP-MR (0: the modem picks it and answers it in +CMGS);
    ``validity`` a relative TP-VP octet, or None for none.
    """
    if not text:
        raise PduError("an empty text message cannot be sent")
    address = encode_address(number)
    gsm = is_gsm7(text)
    if gsm:
        septets = gsm7_septets(text)
        chunks = ([septets] if len(septets) <= SINGLE_SEPTETS
                  else _split(septets, PART_SEPTETS, _gsm_breakable))
    else:
        units = _utf16_units(text)
        chunks = ([units] if len(units) <= SINGLE_UNITS
                  else _split(units, PART_UNITS, _utf16_breakable))
    if len(chunks) > MAX_PARTS:
        raise PduError(f"the text needs {len(chunks)} messages; at most {MAX_PARTS} can be "
                       "joined")
    if len(chunks) > 1 and concat_reference is None:
        concat_reference = random.randrange(256)
    smsc_octets = encode_smsc(smsc)
    out = []
    for n, chunk in enumerate(chunks, start=1):
        first = 0x01                              # TP-MTI: SMS-SUBMIT
        if validity is not None:
            first |= 0x10                         # TP-VPF: relative
        if status_report:
            first |= 0x20                         # TP-SRR
        udh = b""
        if len(chunks) > 1:
            first |= 0x40                         # TP-UDHI
            udh = bytes([5, 0x00, 3, concat_reference & 0xFF, len(chunks), n])
        if gsm:
            dcs = 0x00
            if udh:
                header_septets = (len(udh) * 8 + 6) // 7
                fill = header_septets * 7 - len(udh) * 8
                body = udh + pack_septets(chunk, fill)
                udl = header_septets + len(chunk)
            else:
                body = pack_septets(chunk)
                udl = len(chunk)
        else:
            dcs = 0x08
            body = udh + b"".join(u.to_bytes(2, "big") for u in chunk)
            udl = len(body)
        tpdu = (bytes([first, message_reference & 0xFF]) + address + bytes([0x00, dcs])
                + (bytes([validity]) if validity is not None else b"") + bytes([udl]) + body)
        out.append(SubmitPdu(hex=(smsc_octets + tpdu).hex().upper(), tpdu_length=len(tpdu),
                             part=n, parts=len(chunks)))
    return out


@dataclass(frozen=True)
class Submit:
    """A decoded SMS-SUBMIT."""
    number: str
    text: str
    encoding: str                   # "gsm7" | "ucs2" | "8bit"
    status_report: bool
    message_reference: int
    smsc: str = ""
    concat: tuple[int, int, int] | None = None   # (reference, parts, part)


def _parse_udh(udh: bytes) -> tuple[int, int, int] | None:
    i = 0
    while i + 1 < len(udh):
        iei, size = udh[i], udh[i + 1]
        value = udh[i + 2:i + 2 + size]
        if iei == 0x00 and size == 3 and len(value) == 3:
            return value[0], value[1], value[2]
        if iei == 0x08 and size == 4 and len(value) == 4:
            return int.from_bytes(value[:2], "big"), value[2], value[3]
        i += 2 + size
    return None


def _alphabet(dcs: int) -> str:
    group = dcs >> 4
    if group <= 0x07:   # general data coding (bits 5 compression, 3-2 alphabet)
        if dcs & 0x20:
            raise PduError("compressed text is not supported")
        return {0: "gsm7", 1: "8bit", 2: "ucs2"}.get((dcs >> 2) & 3, "gsm7")
    if group == 0x0F:
        return "8bit" if dcs & 0x04 else "gsm7"
    if group == 0x0E:
        return "ucs2"
    return "gsm7"       # message waiting groups C, D


def _user_data(data: bytes, pos: int, dcs: int, udhi: bool) -> tuple[str, str, tuple | None]:
    try:
        udl = data[pos]
    except IndexError:
        raise PduError("the PDU ends before its user data length") from None
    ud = data[pos + 1:]
    alphabet = _alphabet(dcs)
    header, udh_octets = None, 0
    if udhi:
        if not ud:
            raise PduError("user data header announced but missing")
        udh_octets = ud[0] + 1
        if udh_octets > len(ud):
            raise PduError("the user data header is longer than the user data")
        header = _parse_udh(ud[1:udh_octets])
    if alphabet == "gsm7":
        header_septets = (udh_octets * 8 + 6) // 7
        fill = header_septets * 7 - udh_octets * 8
        count = udl - header_septets
        if count < 0:
            raise PduError("user data length is shorter than its header")
        text = gsm7_text(unpack_septets(ud[udh_octets:], count, fill))
    else:
        body = ud[udh_octets:udl]
        if len(body) != udl - udh_octets:
            raise PduError("the PDU ends inside its user data")
        if alphabet == "ucs2":
            if len(body) % 2:
                raise PduError("UCS-2 user data has an odd number of octets")
            text = body.decode("utf-16-be", "surrogatepass")
        else:
            text = body.hex().upper()
    return text, alphabet, header


def _head(hex_pdu: str, with_smsc: bool, kind: int, what: str, short: str):
    """(data, smsc, first octet, message reference, address, position after it) of a PDU
    whose message type indicator must be ``kind``."""
    data = _from_hex(hex_pdu)
    smsc, pos = _skip_smsc(data) if with_smsc else ("", 0)
    try:
        first, mr = data[pos], data[pos + 1]
    except IndexError:
        raise PduError(short) from None
    if first & 0x03 != kind:
        raise PduError(f"not an {what} (first octet {first:02X})")
    number, pos = _decode_address(data, pos + 2)
    return data, smsc, first, mr, number, pos


def decode_submit(hex_pdu: str, *, with_smsc: bool = True) -> Submit:
    data, smsc, first, mr, number, pos = _head(hex_pdu, with_smsc, 0x01, "SMS-SUBMIT",
                                               "the PDU is too short")
    if pos + 2 > len(data):
        raise PduError("the PDU is too short")
    dcs = data[pos + 1]
    pos += 2
    pos += {0x00: 0, 0x10: 1, 0x08: 7, 0x18: 7}[first & 0x18]
    text, alphabet, concat = _user_data(data, pos, dcs, bool(first & 0x40))
    return Submit(number=number, text=text, encoding=alphabet,
                  status_report=bool(first & 0x20), message_reference=mr, smsc=smsc,
                  concat=concat)


def _from_hex(hex_pdu: str) -> bytes:
    try:
        return bytes.fromhex(hex_pdu.strip())
    except ValueError:
        raise PduError("the PDU is not hexadecimal") from None


# -- SMS-STATUS-REPORT (23.040 9.2.2.3, TP-ST 9.2.3.15) -----------------------------------

STATUS_TEXT = {
    0x00: "received by the recipient",
    0x01: "forwarded, delivery not confirmed",
    0x02: "replaced by the SMS centre",
    0x20: "congestion, still trying",
    0x21: "recipient busy, still trying",
    0x22: "no response from the recipient, still trying",
    0x23: "service rejected, still trying",
    0x24: "quality of service not available, still trying",
    0x25: "error in the recipient's phone, still trying",
    0x40: "remote procedure error",
    0x41: "incompatible destination",
    0x42: "connection rejected by the recipient",
    0x43: "not obtainable",
    0x44: "quality of service not available",
    0x45: "no interworking available",
    0x46: "validity period expired",
    0x47: "deleted by the sender",
    0x48: "deleted by the SMS centre",
    0x49: "message does not exist",
    0x60: "congestion, given up",
    0x61: "recipient busy, given up",
    0x62: "no response from the recipient, given up",
    0x63: "service rejected, given up",
    0x64: "quality of service not available, given up",
    0x65: "error in the recipient's phone, given up",
}


def status_outcome(status: int) -> str:
    """TP-ST as "delivered" (transaction completed, 0x00-0x1F), "pending" (temporary error,
    the centre still tries: 0x20-0x3F) or "failed" (permanent error 0x40-0x5F, temporary
    error the centre gave up on 0x60-0x7F; reserved values count as "service rejected")."""
    if 0x00 <= status <= 0x1F:
        return "delivered"
    if 0x20 <= status <= 0x3F:
        return "pending"
    return "failed"


def status_text(status: int) -> str:
    return STATUS_TEXT.get(status, f"status 0x{status:02X}")


@dataclass(frozen=True)
class StatusReport:
    message_reference: int
    number: str
    status: int
    submitted: str = ""        # TP-SCTS, ISO 8601
    done: str = ""             # TP-DT, ISO 8601
    smsc: str = ""
    outcome: str = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "outcome", status_outcome(self.status))


def _timestamp(raw: bytes) -> str:
    if len(raw) != 7:
        raise PduError("the PDU ends inside a time stamp")
    digits = [int(f"{b:02X}"[::-1]) if f"{b:02X}".isdigit() else 0 for b in raw[:6]]
    tz_octet = raw[6]
    negative = bool(tz_octet & 0x08)
    tz_swapped = f"{tz_octet & 0xF7:02X}"[::-1]
    quarters = int(tz_swapped) if tz_swapped.isdigit() else 0
    offset = timedelta(minutes=15 * quarters) * (-1 if negative else 1)
    yy, mo, dd, hh, mi, ss = digits
    try:
        when = datetime(2000 + yy, mo, dd, hh, mi, ss, tzinfo=timezone(offset))
    except ValueError:
        return ""
    return when.isoformat()


def encode_timestamp(when: datetime) -> bytes:
    """A TP-SCTS style time stamp (for the simulated modem's reports)."""
    offset = when.utcoffset() or timedelta(0)
    quarters = int(abs(offset.total_seconds()) // 900)
    fields = [when.year % 100, when.month, when.day, when.hour, when.minute, when.second]
    out = bytes(int(f"{v:02d}"[::-1], 16) for v in fields)
    tz = int(f"{quarters:02d}"[::-1], 16) | (0x08 if offset < timedelta(0) else 0)
    return out + bytes([tz])


def decode_status_report(hex_pdu: str, *, with_smsc: bool = True) -> StatusReport:
    data, smsc, first, mr, number, pos = _head(hex_pdu, with_smsc, 0x02,
                                               "SMS-STATUS-REPORT",
                                               "the status report is too short")
    submitted = _timestamp(data[pos:pos + 7])
    done = _timestamp(data[pos + 7:pos + 14])
    try:
        status = data[pos + 14]
    except IndexError:
        raise PduError("the status report ends before its status") from None
    return StatusReport(message_reference=mr, number=number, status=status,
                        submitted=submitted, done=done, smsc=smsc)


def encode_status_report(message_reference: int, number: str, status: int, *,
                         submitted: datetime | None = None, done: datetime | None = None,
                         smsc: str = "") -> str:
    """An SMS-STATUS-REPORT PDU (SMSC address first), as the network sends one."""
    now = datetime.now(timezone.utc)
    tpdu = (bytes([0x06, message_reference & 0xFF]) + encode_address(number)
            + encode_timestamp(submitted or now) + encode_timestamp(done or now)
            + bytes([status & 0xFF]))
    return (encode_smsc(smsc) + tpdu).hex().upper()
