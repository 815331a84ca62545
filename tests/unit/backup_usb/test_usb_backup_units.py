"""The udev rule and the templated unit that start the automatic USB copy, and their
packaging. (tests/system/test_units.py runs systemd-analyze verify and security on every
unit in systemd/, this one included.)"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / "systemd" / "udev" / "61-tillbox-usb-backup.rules"
UNIT = ROOT / "systemd" / "tillbox-usb-backup@.service"


def rules() -> list[dict[str, tuple[str, str]]]:
    """Each rule as {key: (operator, value)}; a line is one rule (no continuations here)."""
    out = []
    for line in RULES.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        rule = {}
        for m in re.finditer(r'([A-Z_]+(?:\{[^}]+\})?)\s*(==|!=|\+=|=|:=)\s*"([^"]*)"\s*(,|$)',
                             line):
            rule[m.group(1)] = (m.group(2), m.group(3))
        rebuilt = ", ".join(f'{k}{op}"{v}"' for k, (op, v) in rule.items())
        assert rebuilt == line.strip(), f"unparsed text in {line!r}"
        out.append(rule)
    return out


def test_the_rule_wants_the_unit_for_usb_filesystems_only():
    [rule] = rules()
    assert rule["ACTION"] == ("==", "add")
    assert rule["SUBSYSTEM"] == ("==", "block")
    assert rule["ENV{ID_BUS}"] == ("==", "usb")
    assert rule["ENV{ID_FS_USAGE}"] == ("==", "filesystem")
    assert rule["TAG"] == ("+=", "systemd")
    assert rule["ENV{SYSTEMD_WANTS}"] == ("+=", "tillbox-usb-backup@%k.service")
    assert "RUN" not in rule and "RUN{program}" not in rule   # udev runs no long job


def test_the_unit_runs_the_copy_for_the_device_it_is_named_after():
    text = UNIT.read_text(encoding="utf-8")
    assert "ExecStart=/opt/tillbox/venv/bin/tillbox backup --usb-device /dev/%I\n" in text
    assert "DevicePolicy=closed\n" in text and "DeviceAllow=/dev/%I rw\n" in text
    assert "PrivateMounts=yes\n" in text and "PrivateNetwork=yes\n" in text
    assert "RuntimeDirectory=tillbox-usb/%I\n" in text


def test_the_package_installs_the_rule_and_the_unit():
    build = (ROOT / "image_build" / "build-deb.sh").read_text(encoding="utf-8")
    assert '"$root/systemd/udev/61-tillbox-usb-backup.rules" "$pkg/lib/udev/rules.d/"' in build
    assert '"$root"/systemd/*.service' in build   # the unit, with every other one

