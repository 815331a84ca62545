"""SMS PDUs: the encoder against published example PDUs, the decoders against PDUs built
field by field from 3GPP TS 23.040, and round trips of random text (GSM 7-bit, Chinese,
emoji, long concatenated messages)."""

import pytest
from hypothesis import given, settings, strategies as st

from drivers.modem import pdu as pdus


# -- published vectors

def test_classic_hellohello_example_is_reproduced_exactly():
    # The widely published SMS-SUBMIT example (dreamfabric / developershome style).
    [part] = pdus.encode_submit("+46708251358", "hellohello")
    assert part.hex == "0011000B916407281553F80000AA0AE8329BFD4697D9EC37"
    assert part.tpdu_length == 23
    assert (part.part, part.parts) == (1, 1)


def test_national_number_example_with_odd_digit_count():
    # "hello" to the 7-digit national number 1234657: 81 type, F-padded last semi-octet.
    [part] = pdus.encode_submit("1234657", "hello")
    assert part.hex == "0011000781214356F70000AA05E8329BFD06"
    assert part.tpdu_length == 17


def test_published_ucs2_pdu_decodes_to_its_chinese_text():
    # Huawei MU509 manual: "华为" (534E 4E3A) to 13901000453, DCS 0x18 (UCS-2, class 0),
    # first octet 0x81 (reply path), no validity period.
    sub = pdus.decode_submit("0081000B813109010054F3001804534E4E3A")
    assert (sub.number, sub.text, sub.encoding) == ("13901000453", "华为", "ucs2")
    assert sub.status_report is False and sub.concat is None


def test_our_ucs2_encoding_carries_the_published_address_and_user_data():
    [part] = pdus.encode_submit("13901000453", "华为")
    # Same TP-DA and TP-UDL/UD as the published PDU; our defaults SUBMIT+VPF (11), DCS 08.
    assert part.hex == "0011000B813109010054F30008AA04534E4E3A"
    assert part.tpdu_length == 18


# -- encoder details

def test_status_report_request_sets_tp_srr():
    [part] = pdus.encode_submit("+8613800138000", "hi", status_report=True)
    assert part.hex.startswith("0031")       # first octet 0x31: SUBMIT, VPF relative, SRR
    assert pdus.decode_submit(part.hex).status_report is True


def test_an_smsc_is_put_in_front_and_not_counted_in_the_tpdu_length():
    [part] = pdus.encode_submit("+8613800138000", "hi", smsc="+8613800100500")
    # The China Mobile SMS centre as Chinese PDU tutorials show it: 0891683108100005F0.
    assert part.hex.startswith("0891683108100005F0")
    assert len(part.hex) // 2 - 8 - 1 == part.tpdu_length
    assert pdus.decode_submit(part.hex).smsc == "+8613800100500"


def test_extension_characters_take_two_septets_and_survive():
    text = "€{[x]}~|^\\"
    assert len(pdus.gsm7_septets(text)) == 19
    [part] = pdus.encode_submit("10086", text)
    sub = pdus.decode_submit(part.hex)
    assert (sub.text, sub.encoding) == (text, "gsm7")


@pytest.mark.parametrize("length, parts", [(160, 1), (161, 2), (306, 2), (307, 3)])
def test_gsm7_limits_160_single_153_per_part(length, parts):
    assert len(pdus.encode_submit("10086", "a" * length)) == parts


@pytest.mark.parametrize("length, parts", [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_limits_70_single_67_per_part(length, parts):
    assert len(pdus.encode_submit("10086", "中" * length)) == parts


def test_parts_carry_one_concatenation_header_with_reference_count_and_sequence():
    parts = pdus.encode_submit("+8613800138000", "中" * 150, concat_reference=0x42)
    assert [(p.part, p.parts) for p in parts] == [(1, 3), (2, 3), (3, 3)]
    decoded = [pdus.decode_submit(p.hex) for p in parts]
    assert [d.concat for d in decoded] == [(0x42, 3, 1), (0x42, 3, 2), (0x42, 3, 3)]
    assert [len(d.text) for d in decoded] == [67, 67, 16]
    # The header is 050003 <ref> <count> <seq>, right after the UDL, and UDHI is set.
    assert parts[0].hex[2:4] == "51"
    assert "050003420301" in parts[0].hex


def _user_data(hex_pdu: str) -> tuple[int, bytes]:
    """(TP-UDL, TP-UD) of one of our SUBMIT PDUs (no SMSC, relative validity)."""
    tpdu = bytes.fromhex(hex_pdu)[1:]
    pos = 2 + 2 + (tpdu[2] + 1) // 2 + 3       # first, MR, DA, PID, DCS, VP
    return tpdu[pos], tpdu[pos + 1:]


def test_gsm7_parts_are_padded_to_a_septet_boundary_after_the_header():
    parts = pdus.encode_submit("10086", "x" * 200, concat_reference=1)
    udl, ud = _user_data(parts[0].hex)
    assert udl == 7 + 153          # header septets + text septets
    assert len(ud) == 140 and ud[:6] == bytes([5, 0, 3, 1, 2, 1])
    # One fill bit after the 48-bit header: "x" (0x78) shifted left by one.
    assert ud[6] == (0x78 << 1) & 0xFF
    assert "".join(pdus.decode_submit(p.hex).text for p in parts) == "x" * 200


def test_a_part_never_ends_between_escape_and_its_character():
    text = "a" * 152 + "€" + "b" * 10           # 165 septets: two parts
    parts = pdus.encode_submit("10086", text, concat_reference=9)
    texts = [pdus.decode_submit(p.hex).text for p in parts]
    assert texts == ["a" * 152, "€" + "b" * 10]


def test_a_part_never_splits_a_surrogate_pair():
    text = "中" * 66 + "😀" + "好" * 5           # 73 UTF-16 units: two parts
    parts = pdus.encode_submit("10086", text, concat_reference=9)
    texts = [pdus.decode_submit(p.hex).text for p in parts]
    assert texts == ["中" * 66, "😀" + "好" * 5]


@pytest.mark.parametrize("number", ["", "+", "abc", "138 0013 800x", "1" * 21, "++86138"])
def test_bad_numbers_are_refused(number):
    with pytest.raises(pdus.PduError, match="digits"):
        pdus.encode_submit(number, "hi")


def test_spaces_and_dashes_in_numbers_are_ignored():
    assert pdus.normalise_number(" +86 138-0013-8000 ") == "+8613800138000"


def test_empty_text_is_refused():
    with pytest.raises(pdus.PduError, match="empty"):
        pdus.encode_submit("10086", "")


# -- status reports

def _report(status: int) -> str:
    # Built by hand from 23.040 9.2.2.3: no SMSC (00), first octet 06 (STATUS-REPORT,
    # SRQ=0), TP-MR 2A, TP-RA 13 digits international, SCTS and DT 2026-11-27 21:30:00 +08,
    # TP-ST.
    stamp = "62117212030023"
    return "00" + "06" + "2A" + "0D91" + "683108108300F0" + stamp + stamp + f"{status:02X}"


def test_a_status_report_gives_reference_recipient_and_times():
    rep = pdus.decode_status_report(_report(0x00))
    assert rep.message_reference == 42
    assert rep.number == "+8613800138000"
    assert rep.submitted == "2026-11-27T21:30:00+08:00"
    assert (rep.status, rep.outcome) == (0, "delivered")


@pytest.mark.parametrize("status, outcome", [
    (0x00, "delivered"), (0x01, "delivered"), (0x02, "delivered"), (0x1F, "delivered"),
    (0x20, "pending"), (0x21, "pending"), (0x3F, "pending"),
    (0x40, "failed"), (0x41, "failed"), (0x46, "failed"), (0x5F, "failed"),
    (0x60, "failed"), (0x62, "failed"), (0x7F, "failed"), (0x80, "failed"), (0xFF, "failed"),
])
def test_status_byte_maps_to_delivered_pending_failed(status, outcome):
    assert pdus.decode_status_report(_report(status)).outcome == outcome


def test_our_status_report_encoder_round_trips():
    pdu = pdus.encode_status_report(200, "13800138000", 0x46, smsc="+8613800100500")
    rep = pdus.decode_status_report(pdu)
    assert (rep.message_reference, rep.number, rep.status, rep.smsc) == (
        200, "13800138000", 0x46, "+8613800100500")
    assert rep.outcome == "failed" and pdus.status_text(0x46) == "validity period expired"


@pytest.mark.parametrize("bad", ["", "zz", "0011", "0001000B916407281553F80000AA0AE8329BFD"])
def test_malformed_pdus_raise_pdu_error(bad):
    with pytest.raises(pdus.PduError):
        pdus.decode_status_report(bad)


def test_a_submit_is_not_taken_for_a_status_report():
    [part] = pdus.encode_submit("10086", "hi")
    with pytest.raises(pdus.PduError, match="not an SMS-STATUS-REPORT"):
        pdus.decode_status_report(part.hex)


# -- round trips

GSM_CHARS = st.sampled_from(list(pdus.GSM7_BASIC.replace("\x1b", "")) +
                            list(pdus.GSM7_EXTENSION.values()))
numbers = st.from_regex(r"\A\+?[0-9]{3,15}\Z")


@settings(max_examples=200, deadline=None)
@given(numbers, st.text(GSM_CHARS, min_size=1, max_size=700), st.booleans())
def test_gsm7_text_round_trips(number, text, srr):
    parts = pdus.encode_submit(number, text, status_report=srr)
    decoded = [pdus.decode_submit(p.hex) for p in parts]
    assert "".join(d.text for d in decoded) == text
    assert {d.encoding for d in decoded} == {"gsm7"}
    assert {d.number for d in decoded} == {number}
    assert all(d.status_report == srr for d in decoded)
    assert all(len(_user_data(p.hex)[1]) <= 140 for p in parts)
    assert len(parts) == pdus.part_count(text)


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=500))
def test_any_unicode_text_round_trips(text):
    parts = pdus.encode_submit("+8613800138000", text, concat_reference=77)
    decoded = [pdus.decode_submit(p.hex) for p in parts]
    assert "".join(d.text for d in decoded) == text
    if len(parts) > 1:
        assert [d.concat for d in decoded] == [(77, len(parts), n + 1)
                                               for n in range(len(parts))]
    for p in parts:
        assert len(bytes.fromhex(p.hex)) - 1 == p.tpdu_length
        assert len(_user_data(p.hex)[1]) <= 140      # TP-UD never exceeds 140 octets


@settings(max_examples=100, deadline=None)
@given(st.text(st.sampled_from("中文订单已发货快递😀€ab"), min_size=60, max_size=400))
def test_long_chinese_parts_stay_within_67_units(text):
    parts = pdus.encode_submit("10086", text)
    if pdus.is_gsm7(text):
        return
    for p in parts:
        sub = pdus.decode_submit(p.hex)
        units = len(sub.text.encode("utf-16-be")) // 2
        assert units <= (67 if len(parts) > 1 else 70)
