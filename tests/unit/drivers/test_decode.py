"""drivers/printer/decode.py: ESC/POS bytes back into lines, cuts, kicks, QR codes, images."""

import pytest
from escpos.printer import Dummy
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image as PILImage

from appliance.i18n import language
from drivers.printer.decode import (Barcode, Cut, Decoder, DrawerKick, Image, Init, Qr,
                                    StatusRequest, Text, Unknown)
from drivers.printer.escpos_out import render
from drivers.printer.layout import lay_out
from test_receipt import tea_receipt  # the same fixture receipt as the golden files

ESC, GS, FS, DLE = b"\x1b", b"\x1d", b"\x1c", b"\x10"


def decode(data: bytes) -> list:
    return Decoder().feed(data)


def receipt_bytes(lang="zh_CN", paper=58, **extra) -> tuple[bytes, list]:
    receipt = tea_receipt(**extra)
    with language(lang):
        lines = lay_out(receipt, paper)
    printer = Dummy(profile="TM-T88III")
    render(printer, lines, qr_url=receipt.qr_url)
    return printer.output, lines


def escpos_output(call) -> bytes:
    printer = Dummy(profile="TM-T88III")
    call(printer)
    return printer.output


@pytest.mark.parametrize("lang,paper,extra", [
    ("zh_CN", 58, {}),
    ("zh_CN", 80, {"copy": "reprint"}),
    ("en", 80, {"shop_name": "Mingxiang Tea House", "footer": "Thank you!"}),
])
def test_a_rendered_receipt_decodes_to_the_lines_that_were_laid_out(lang, paper, extra):
    data, lines = receipt_bytes(lang, paper, **extra)
    events = decode(data)
    texts = [e for e in events if isinstance(e, Text)]
    expected = [Text(ln.text, ln.align, ln.bold, ln.double) for ln in lines]
    assert texts[:len(expected)] == expected
    assert all(t.text == "" for t in texts[len(expected):])  # the feed before the cut
    assert [e for e in events if isinstance(e, Qr)] == [Qr("https://box.local/r/Zx8Kq2")]
    assert events[0] == Init() and events[-1] == Cut(partial=False)
    assert not [e for e in events if isinstance(e, Unknown)]


def test_chinese_survives_including_the_fullwidth_yuan():
    texts = [e.text for e in decode(receipt_bytes()[0]) if isinstance(e, Text)]
    assert texts[0] == "茗香茶叶茶具专卖店"
    assert any(t.startswith("合计") and t.endswith("￥433.60") for t in texts)


def test_feeding_split_at_every_byte_gives_the_same_events():
    data = receipt_bytes()[0]
    whole = decode(data)
    for i in range(len(data) + 1):
        decoder = Decoder()
        assert decoder.feed(data[:i]) + decoder.feed(data[i:]) == whole, f"split at {i}"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2000), max_size=12))
def test_feeding_in_arbitrary_pieces_gives_the_same_events(cuts):
    data = receipt_bytes("zh_CN", 80)[0]
    decoder = Decoder()
    events, start = [], 0
    for cut in sorted(c % (len(data) + 1) for c in cuts):
        events += decoder.feed(data[start:cut])
        start = cut
    events += decoder.feed(data[start:])
    assert events == decode(data)


# Command prefixes and bytes that start GB18030 characters, so the fuzzing hits the parsers.
INTERESTING = [ESC, GS, FS, DLE, b"(", b"k", b"L", b"8", b"v0", b"*", b"V", b"p", b"&", b"D",
               b"\x04", b"\x14", b"\x81", b"\x30", b"\xb2", b"\n", b"\x00", b"\x01", b"\x02"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(INTERESTING) | st.binary(max_size=3), max_size=80)
       .map(b"".join), st.integers(min_value=0, max_value=300))
def test_any_bytes_decode_without_crashing_and_split_does_not_matter(data, at):
    decoder = Decoder()
    assert decoder.feed(data[:at]) + decoder.feed(data[at:]) == decode(data)


def test_feeding_byte_by_byte_inside_a_gb18030_character():
    data = FS + b"&" + "龙井".encode("gb18030") + "𠀀".encode("gb18030") + b"\n"
    decoder = Decoder()
    events = [e for b in data for e in decoder.feed(bytes([b]))]
    assert events == [Text("龙井𠀀")]


@pytest.mark.parametrize("junk", [
    ESC + b"Z",                   # unknown ESC command
    GS + b"\x7f",                 # unknown GS command
    b"\x01",                      # stray control byte
    ESC + b"p\x07\x19\x19",       # drawer kick on a pin that does not exist
])
def test_unknown_bytes_are_reported_and_do_not_eat_the_following_text(junk):
    events = decode(b"ab" + junk + b"hello\nnext\n")
    assert events == [Unknown(junk), Text("abhello"), Text("next")]


def test_a_broken_gb18030_byte_is_reported_and_the_rest_of_the_line_prints():
    events = decode(FS + b"&" + b"\x81\n" + "茶".encode("gb18030") + b"\xff!\n")
    assert events == [Unknown(b"\x81"), Text(""), Unknown(b"\xff"), Text("茶!")]


def test_text_outside_kanji_mode_is_single_byte_in_the_selected_code_table():
    assert decode(b"\x80\x9c\n") == [Text("Ç£")]                     # cp437 at power-on
    assert decode(ESC + b"t\x10" + b"\x80\n") == [Text("€")]          # ESC t 16: cp1252
    assert decode(ESC + b"t\x10" + ESC + b"@" + b"\x80\n") == [Init(), Text("Ç")]
    # The same bytes mean Chinese in kanji mode, and single bytes again after FS .
    assert decode(FS + b"&" + b"\xb2\xe8\n" + FS + b"." + b"\xb2\xe8\n") == [
        Text("茶"), Text("▓Φ")]


def test_style_follows_align_bold_and_size_commands():
    data = (ESC + b"a\x01" + ESC + b"E\x01" + b"A\n"
            + ESC + b"a2" + ESC + b"E\x00" + GS + b"!\x11" + b"B\n"
            + GS + b"!\x10" + b"C\n"                       # double width only
            + ESC + b"!\x38" + b"D\n"                      # ESC ! bold + double
            + ESC + b"!\x00" + b"E\n")
    assert decode(data) == [Text("A", "center", True, False), Text("B", "right", False, True),
                            Text("C", "right", False, False), Text("D", "right", True, True),
                            Text("E", "right", False, False)]


def test_init_resets_style_and_kanji_mode():
    data = ESC + b"a\x01" + ESC + b"E\x01" + FS + b"&" + ESC + b"@" + b"\xb2\n"
    assert decode(data) == [Init(), Text("▓")]


def test_esc_d_feeds_blank_lines_after_the_pending_one():
    assert decode(b"x" + ESC + b"d\x03") == [Text("x"), Text(""), Text("")]
    assert decode(ESC + b"d\x02") == [Text(""), Text("")]


@pytest.mark.parametrize("data,cut", [
    (GS + b"V\x00", Cut(False)), (GS + b"V0", Cut(False)), (GS + b"V\x01", Cut(True)),
    (GS + b"V1", Cut(True)), (GS + b"VA\x10", Cut(False)), (GS + b"VB\x00", Cut(True)),
    (ESC + b"i", Cut(True)), (ESC + b"m", Cut(True)),
])
def test_cut_variants(data, cut):
    assert decode(data + b"after\n") == [cut, Text("after")]


def test_text_left_without_lf_prints_before_the_cut():
    assert decode(b"tail" + GS + b"V\x00") == [Text("tail"), Cut()]


@pytest.mark.parametrize("data,kick", [
    (ESC + b"p\x00\x19\xfa", DrawerKick(2, 50, 500)),
    (ESC + b"p0\x32\x32", DrawerKick(2, 100, 100)),
    (ESC + b"p\x01\x32\x32", DrawerKick(5, 100, 100)),
    (ESC + b"p1\x0a\x14", DrawerKick(5, 20, 40)),
    (DLE + b"\x14\x01\x00\x03", DrawerKick(2, 300, 300, realtime=True)),
    (DLE + b"\x14\x01\x01\x01", DrawerKick(5, 100, 100, realtime=True)),
])
def test_drawer_kicks(data, kick):
    assert decode(data) == [kick]


def test_python_escpos_cashdraw_decodes_to_its_pin():
    assert decode(escpos_output(lambda p: p.cashdraw(2))) == [DrawerKick(2, 100, 100)]
    assert decode(escpos_output(lambda p: p.cashdraw(5))) == [DrawerKick(5, 100, 100)]


def test_status_requests():
    data = b"".join(DLE + b"\x04" + bytes([n]) for n in (1, 2, 3, 4)) + DLE + b"\x04\x07\x01"
    assert decode(data) == [StatusRequest(1), StatusRequest(2), StatusRequest(3),
                            StatusRequest(4), StatusRequest(7)]


def test_qr_prints_what_was_stored_and_only_when_printed():
    qr = escpos_output(lambda p: p.qr("会员 ABC-123", size=4, native=True))
    assert decode(qr) == [Qr("会员 ABC-123")]
    stored_only = qr[:qr.rindex(GS + b"(k")]
    assert decode(stored_only) == []


@pytest.mark.parametrize("impl,images", [
    ("bitImageRaster", [Image(104, 30)]),                  # GS v 0: width in whole bytes
    ("graphics", [Image(100, 30)]),                        # GS ( L store + print
    ("bitImageColumn", [Image(100, 24), Image(100, 24)]),  # ESC *: 24-dot bands
])
def test_images_report_their_size_and_no_stray_lines(impl, images):
    img = PILImage.new("1", (100, 30), 1)
    data = escpos_output(lambda p: p.image(img, impl=impl)) + b"after\n"
    assert decode(data) == images + [Text("after")]


def test_a_tall_image_in_fragments_is_skipped_byte_by_byte_without_losing_the_text():
    img = PILImage.new("1", (64, 1000), 0)
    data = escpos_output(lambda p: p.image(img)) + b"after\n"
    whole = decode(data)
    assert [e for e in whole if isinstance(e, Image)] and whole[-1] == Text("after")
    decoder = Decoder()
    assert [e for i in range(0, len(data), 7) for e in decoder.feed(data[i:i + 7])] == whole


def test_barcodes_are_consumed_whole():
    ean = escpos_output(lambda p: p.barcode("4006381333931", "EAN13"))
    code128 = escpos_output(lambda p: p.barcode("{BHello", "CODE128", function_type="B"))
    assert decode(ean + b"x\n") == [Barcode(2, "4006381333931"), Text("x", "center")]
    assert decode(code128 + b"x\n") == [Barcode(73, "{BHello"), Text("x", "center")]


PYTHON_ESCPOS_CALLS = {
    "set double": lambda p: p.set(align="center", bold=True, double_height=True,
                                  double_width=True, normal_textsize=False),
    "set normal": lambda p: p.set(align="right", bold=False, normal_textsize=True),
    "set custom size": lambda p: p.set(custom_size=True, width=3, height=4),
    "set misc": lambda p: p.set(underline=1, font="b", invert=True, flip=True, smooth=True),
    "set_with_default": lambda p: p.set_with_default(),
    "qr native": lambda p: p.qr("https://box.local/r/Zx8Kq2", size=6, native=True),
    "qr image": lambda p: p.qr("abc", native=False),
    "image raster": lambda p: p.image(PILImage.new("1", (40, 20), 1)),
    "image graphics": lambda p: p.image(PILImage.new("1", (40, 20), 1), impl="graphics"),
    "image column": lambda p: p.image(PILImage.new("1", (40, 20), 1), impl="bitImageColumn"),
    "cut": lambda p: p.cut(),
    "cut partial": lambda p: p.cut(mode="PART"),
    "cut no feed": lambda p: p.cut(feed=False),
    "cashdraw": lambda p: p.cashdraw(2),
    "barcode": lambda p: p.barcode("4006381333931", "EAN13"),
    "software barcode": lambda p: p.barcode("4006381333931", "EAN13", force_software=True),
    "line spacing": lambda p: p.line_spacing(50),
    "line spacing 360": lambda p: p.line_spacing(50, divisor=360),
    "default spacing": lambda p: p.line_spacing(),
    "print_and_feed": lambda p: p.print_and_feed(3),
    "buzzer": lambda p: p.buzzer(),
    "panel buttons": lambda p: p.panel_buttons(False),
    "charcode": lambda p: p.charcode("CP437"),
    "text": lambda p: p.textln("héllo"),
    "hw init": lambda p: p.hw("INIT"),
    "hw select": lambda p: p.hw("SELECT"),
    "hw reset": lambda p: p.hw("RESET"),
}


@pytest.mark.parametrize("name", PYTHON_ESCPOS_CALLS)
def test_everything_python_escpos_emits_decodes_cleanly(name):
    data = escpos_output(PYTHON_ESCPOS_CALLS[name]) + b"END\n"
    events = decode(data)
    assert not [e for e in events if isinstance(e, Unknown)], events
    assert isinstance(events[-1], Text) and events[-1].text.endswith("END")


def test_offsets_point_just_past_each_event():
    data = b"ab\n" + GS + b"V\x00" + DLE + b"\x04\x01"
    assert Decoder().feed_with_offsets(data) == [(3, Text("ab")), (6, Cut()),
                                                 (9, StatusRequest(1))]
