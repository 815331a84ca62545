"""The systemd units, sysusers.d, tmpfiles.d and udev rules in systemd/, checked with systemd's
own tools where it has them (verify, security, sysusers, tmpfiles) and by parsing where it
does not (udev: `udevadm verify` only arrived in systemd 254; Debian 12 has 252).

Nothing here boots anything: tests/system/test_boot.py starts the packaged units for real.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITS_DIR = ROOT / "systemd"
SYSUSERS = UNITS_DIR / "sysusers.d" / "tillbox.conf"
TMPFILES = UNITS_DIR / "tmpfiles.d" / "tillbox.conf"
UDEV_RULES = UNITS_DIR / "udev" / "60-tillbox.rules"

APP = "/opt/tillbox/venv/bin/tillbox"
DAEMONS = ("core", "scannerd", "printerd", "uplinkd")
DEVICE_UNITS = ("tillbox-scannerd.service", "tillbox-printerd.service")
# Every unit file the package installs (image_build/build-deb.sh), including those other
# people add later (tillbox-firstboot.service).
UNIT_FILES = sorted(p for pattern in ("*.service", "*.target", "*.path", "*.timer", "*.socket")
                    for p in UNITS_DIR.glob(pattern))
SERVICES = [p for p in UNIT_FILES if p.suffix == ".service"]

# Groups present on every Debian 12 system: base-passwd's static ones, and those systemd's
# own sysusers.d (basic.conf) creates. A udev rule or unit may name these or ours.
DEBIAN_GROUPS = {
    "root", "daemon", "bin", "sys", "adm", "tty", "disk", "lp", "mail", "news", "uucp",
    "man", "proxy", "kmem", "dialout", "fax", "voice", "cdrom", "floppy", "tape", "sudo",
    "audio", "dip", "www-data", "backup", "operator", "list", "irc", "src", "shadow", "utmp",
    "video", "sasl", "plugdev", "staff", "games", "users", "nogroup",
    "input", "kvm", "render", "sgx", "systemd-journal",
}

needs_analyze = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                   reason="systemd-analyze is not installed (package systemd)")


def ids(paths):
    return [p.name for p in paths]


# -- a small unit-file reader -------------------------------------------------------------------

def read_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """{section: {key: [values in order]}}; repeated keys (DeviceAllow=, ...) keep every value."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{path.name}: {line!r} is outside any section"
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def one(unit: dict, section: str, key: str) -> str:
    values = unit.get(section, {}).get(key, [])
    assert values, f"[{section}] {key}= is missing"
    return values[-1]


def words(unit: dict, section: str, key: str) -> list[str]:
    return [w for v in unit.get(section, {}).get(key, []) for w in v.split()]


def exec_paths(path: Path) -> set[str]:
    """Absolute programs of every Exec*= line, without systemd's prefixes (-@:+!)."""
    found = set()
    for section in read_unit(path).values():
        for key, values in section.items():
            if key.startswith("Exec"):
                for v in values:
                    prog = v.lstrip("-@:+!").split()[0] if v.strip() else ""
                    if prog.startswith("/"):
                        found.add(prog)
    return found


# -- systemd-analyze verify ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def verify_root(tmp_path_factory) -> Path:
    """A root for `systemd-analyze verify --root=`: systemd 252 checks that each ExecStart=
    program exists and is executable, under --root when given. The root holds this machine's
    own units (what ours order against: network.target, multi-user.target, ...), ours where the
    package puts them, and the programs they run: a stand-in for our own /opt/tillbox/venv
    (built by the package, not here) and this machine's copy of any system program."""
    root = tmp_path_factory.mktemp("verify-root")
    unit_dir = root / "usr/lib/systemd/system"
    shutil.copytree("/usr/lib/systemd/system", unit_dir, symlinks=True)
    for unit in UNIT_FILES:
        shutil.copy(unit, unit_dir / unit.name)
    for prog in set().union(*(exec_paths(u) for u in UNIT_FILES)):
        target = root / prog.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        if prog.startswith("/opt/tillbox/"):
            target.write_text("#!/bin/sh\nexit 0\n")
            target.chmod(0o755)
        elif Path(prog).exists():
            shutil.copy(prog, target)
        # else: left missing, and verify says so by name
    return root


@needs_analyze
@pytest.mark.parametrize("unit", UNIT_FILES, ids=ids(UNIT_FILES))
def test_unit_passes_systemd_analyze_verify_without_a_warning(unit, verify_root):
    # --man=no: Documentation=man:... would be checked against this machine's man pages,
    # which say nothing about the box (the image ships none).
    proc = subprocess.run(["systemd-analyze", "verify", f"--root={verify_root}", "--man=no",
                           unit.name], capture_output=True, text=True, timeout=60)
    # verify prints problems it can carry on past (unknown keys, bad values) as warnings and
    # still exits 0: any line on stderr is a failure.
    assert proc.returncode == 0 and not proc.stderr.strip(), (
        f"systemd-analyze verify {unit.name} (exit {proc.returncode}):\n{proc.stderr}")


def test_every_program_the_units_run_is_there():
    """verify checks only the first ExecStart= command; this checks every Exec*= line: ours
    must be in the package's venv, system programs on this machine (Debian 12, as the box)."""
    for unit in UNIT_FILES:
        for prog in exec_paths(unit):
            if prog.startswith("/opt/tillbox/"):
                assert prog.startswith("/opt/tillbox/venv/bin/"), \
                    f"{unit.name}: {prog} is not in the package's venv"
            else:
                assert Path(prog).is_file() and os.access(prog, os.X_OK), \
                    f"{unit.name}: {prog} is not an executable on this Debian machine"


# -- systemd-analyze security -------------------------------------------------------------------

def exposure_limit(unit: Path) -> float:
    """Units that open devices cannot have PrivateDevices= or PrivateUsers=: at most 4.0.
    Everything else (core, uplinkd, firstboot, ...) must stay under 2.5."""
    return 4.0 if unit.name in DEVICE_UNITS else 2.5


def measured_exposure(unit: Path) -> tuple[float, str]:
    proc = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager",
                           str(unit)], capture_output=True, text=True, timeout=60)
    out = proc.stdout + proc.stderr
    m = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", out)
    assert m, f"no exposure level in systemd-analyze security's output for {unit.name}:\n{out}"
    return float(m.group(1)), out


@needs_analyze
@pytest.mark.parametrize("unit", SERVICES, ids=ids(SERVICES))
def test_service_exposure_is_within_its_limit(unit):
    level, out = measured_exposure(unit)
    limit = exposure_limit(unit)
    gaps = "\n".join(line for line in out.splitlines() if line.startswith("✗"))
    ok = level <= limit if limit == 4.0 else level < limit
    assert ok, (f"{unit.name}: exposure {level} (limit {'<=' if limit == 4.0 else '<'} {limit});"
                f" what counts against it:\n{gaps}")


@needs_analyze
def test_security_analysis_tells_a_bare_unit_from_ours(tmp_path):
    """The number parsed above moves with the sandboxing: a unit without any is far worse."""
    bare = tmp_path / "bare.service"
    bare.write_text(f"[Service]\nType=notify\nExecStart={APP} core\n")
    level, _ = measured_exposure(bare)
    assert level > 9.0
    core, _ = measured_exposure(UNITS_DIR / "tillbox-core.service")
    assert core < 2.5


# -- what the daemons and the package rely on ---------------------------------------------------

@pytest.mark.parametrize("name", DAEMONS)
def test_daemon_unit_runs_the_daemon_as_tillbox_under_the_watchdog(name):
    unit = read_unit(UNITS_DIR / f"tillbox-{name}.service")
    assert one(unit, "Service", "Type") == "notify"
    assert one(unit, "Service", "ExecStart") == f"{APP} {name}"
    assert "TILLBOX_CONFIG=/etc/tillbox/tillbox.toml" in words(unit, "Service", "Environment")
    assert int(one(unit, "Service", "WatchdogSec")) >= 10   # the daemons ping at half of it
    assert one(unit, "Service", "Restart") == "on-failure"
    assert int(one(unit, "Unit", "StartLimitBurst")) >= 3
    assert int(one(unit, "Unit", "StartLimitIntervalSec")) > 0
    assert one(unit, "Service", "User") == "tillbox"
    assert one(unit, "Service", "Group") == "tillbox"
    assert one(unit, "Service", "StateDirectory") == "tillbox"
    assert one(unit, "Service", "StateDirectoryMode") == "0750"
    assert one(unit, "Service", "ConfigurationDirectory") == "tillbox"
    assert one(unit, "Service", "UMask") == "0027"
    assert words(unit, "Unit", "PartOf") == ["tillbox.target"]
    for key in ("NoNewPrivileges", "PrivateTmp", "ProtectHome", "MemoryDenyWriteExecute",
                "RestrictSUIDSGID", "LockPersonality", "ProtectKernelTunables"):
        assert one(unit, "Service", key) == "yes", key
    assert one(unit, "Service", "ProtectSystem") == "strict"
    assert one(unit, "Service", "CapabilityBoundingSet") == ""
    assert one(unit, "Service", "DevicePolicy") == "closed"


def test_core_starts_after_the_network_and_firstboot_and_the_others_after_core():
    core = read_unit(UNITS_DIR / "tillbox-core.service")
    assert {"network.target", "tillbox-firstboot.service"} <= set(words(core, "Unit", "After"))
    # Wants=, never Requires=: a box without the firstboot unit still starts core.
    assert "tillbox-firstboot.service" in words(core, "Unit", "Wants")
    assert "tillbox-firstboot.service" not in words(core, "Unit", "Requires")
    for name in ("scannerd", "printerd", "uplinkd"):
        unit = read_unit(UNITS_DIR / f"tillbox-{name}.service")
        assert "tillbox-core.service" in words(unit, "Unit", "After"), name
        assert "tillbox-core.service" in words(unit, "Unit", "Wants"), name


def test_target_pulls_in_every_daemon_and_is_started_at_boot():
    target = read_unit(UNITS_DIR / "tillbox.target")
    assert set(words(target, "Unit", "Wants")) >= {f"tillbox-{d}.service" for d in DAEMONS}
    assert words(target, "Install", "WantedBy") == ["multi-user.target"]


@pytest.mark.parametrize("name", ("core", "uplinkd"))
def test_daemons_without_hardware_see_no_devices(name):
    unit = read_unit(UNITS_DIR / f"tillbox-{name}.service")
    assert one(unit, "Service", "PrivateDevices") == "yes"
    assert one(unit, "Service", "PrivateUsers") == "yes"
    assert not words(unit, "Service", "DeviceAllow")
    assert not words(unit, "Service", "SupplementaryGroups")


# What the drivers open (drivers/scanner, drivers/printer/transport.py, drivers/gpio.py), as
# device-cgroup names from /proc/devices, and the group udev gives each node.
DEVICE_NEEDS = {
    "scannerd": {
        "allow": {"char-input": "r",            # evdev HID scanners, /dev/input/event*
                  "char-ttyUSB": "rw", "char-ttyACM": "rw", "char-ttyS": "rw",  # serial
                  "char-gpiochip": "rw"},       # buzzer, door counter (lgpio)
        "groups": {"input", "dialout", "gpio"},
    },
    "printerd": {
        "allow": {"char-usb_device": "rw",      # pyusb: /dev/bus/usb/BBB/DDD
                  "char-usb": "rw",             # usblp: /dev/usb/lp* (major 180, "usb")
                  "char-ttyUSB": "rw", "char-ttyACM": "rw", "char-ttyS": "rw",
                  "char-gpiochip": "rw"},       # drawer relay and sensor, LED, button
        "groups": {"lp", "dialout", "gpio"},
    },
}


@pytest.mark.parametrize("name", sorted(DEVICE_NEEDS))
def test_device_daemon_may_open_what_its_drivers_open(name):
    unit = read_unit(UNITS_DIR / f"tillbox-{name}.service")
    allowed = {}
    for value in unit["Service"].get("DeviceAllow", []):
        node, _, mode = value.partition(" ")
        allowed[node] = mode.strip()
    for node, mode in DEVICE_NEEDS[name]["allow"].items():
        assert node in allowed, f"{name}: DeviceAllow={node} {mode} is missing"
        assert set(mode) <= set(allowed[node]), f"{name}: {node} needs {mode}"
    assert DEVICE_NEEDS[name]["groups"] <= set(words(unit, "Service", "SupplementaryGroups"))
    # lgpio creates a FIFO in the working directory: it must be one the daemon can write.
    wd = one(unit, "Service", "WorkingDirectory")
    runtime = words(unit, "Service", "RuntimeDirectory")
    assert any(wd == f"/run/{d}" for d in runtime), f"{name}: WorkingDirectory={wd} is not" \
        f" its RuntimeDirectory= ({runtime}), so it is read-only under ProtectSystem=strict"


def test_only_the_printer_daemon_and_core_may_open_netlink():
    """libusb needs netlink (its udev monitor) and core's `hostname -I` (rtnetlink); nothing
    else does."""
    for name in DAEMONS:
        unit = read_unit(UNITS_DIR / f"tillbox-{name}.service")
        families = set(words(unit, "Service", "RestrictAddressFamilies"))
        assert {"AF_UNIX", "AF_INET", "AF_INET6"} <= families, name  # sd_notify, loopback
        assert ("AF_NETLINK" in families) == (name in ("core", "printerd")), name


# -- sysusers.d and tmpfiles.d --------------------------------------------------------------------

def read_db(path: Path) -> dict[str, list[str]]:
    return {line.split(":")[0]: line.split(":") for line in path.read_text().splitlines()
            if line.strip()}


@pytest.fixture
def sysroot(tmp_path) -> Path:
    """A root as Debian's base-passwd leaves it: root, and the static dialout and lp groups
    (ids 20 and 7); input and gpio do not exist yet."""
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (etc / "group").write_text("root:x:0:\nlp:x:7:\ndialout:x:20:\n")
    (etc / "shadow").write_text("root:*:19000:0:99999:7:::\n")
    (etc / "gshadow").write_text("root:*::\nlp:*::\ndialout:*::\n")
    for name in ("shadow", "gshadow"):
        (etc / name).chmod(0o640)
    return tmp_path


def run_sysusers(root: Path) -> None:
    proc = subprocess.run(["systemd-sysusers", f"--root={root}", str(SYSUSERS)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"systemd-sysusers failed:\n{proc.stderr}"


@pytest.mark.skipif(shutil.which("systemd-sysusers") is None,
                    reason="systemd-sysusers is not installed (package systemd)")
def test_sysusers_creates_the_service_user_in_its_device_groups(sysroot):
    run_sysusers(sysroot)
    users = read_db(sysroot / "etc/passwd")
    groups = read_db(sysroot / "etc/group")
    _name, _pw, uid, gid, gecos, home, shell = users["tillbox"]
    assert 0 < int(uid) < 1000, "a system user"
    assert home == "/var/lib/tillbox" and gecos == "Tillbox point of sale"
    assert shell.endswith("nologin")
    assert groups["tillbox"][2] == gid, "its own group tillbox is its primary group"
    for group in ("input", "dialout", "lp", "gpio"):
        assert "tillbox" in groups[group][3].split(","), f"tillbox is not in {group}"
    assert groups["lp"][2] == "7" and groups["dialout"][2] == "20", "existing ids are kept"
    # Running it again (every boot does) changes nothing.
    before = (sysroot / "etc/group").read_text(), (sysroot / "etc/passwd").read_text()
    run_sysusers(sysroot)
    assert before == ((sysroot / "etc/group").read_text(), (sysroot / "etc/passwd").read_text())


@pytest.mark.skipif(shutil.which("systemd-sysusers") is None,
                    reason="systemd-sysusers is not installed (package systemd)")
def test_every_group_the_units_and_rules_name_exists_on_the_box(sysroot):
    run_sysusers(sysroot)
    made = set(read_db(sysroot / "etc/group"))
    named = {g for unit in SERVICES for g in words(read_unit(unit), "Service",
                                                    "SupplementaryGroups")}
    named |= {a.value for rule in udev_rules() for a in rule if a.key == "GROUP"}
    missing = named - made - DEBIAN_GROUPS
    assert not missing, f"groups named but created by nobody: {sorted(missing)}"


@pytest.mark.skipif(shutil.which("systemd-tmpfiles") is None
                    or shutil.which("systemd-sysusers") is None,
                    reason="systemd-tmpfiles/systemd-sysusers are not installed (package systemd)")
@pytest.mark.skipif(os.geteuid() != 0,
                    reason="systemd-tmpfiles gives /run/tillbox to the tillbox user: needs root")
def test_tmpfiles_creates_the_runtime_directory_for_tillbox(sysroot):
    run_sysusers(sysroot)
    proc = subprocess.run(["systemd-tmpfiles", f"--root={sysroot}", "--create", str(TMPFILES)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"systemd-tmpfiles failed:\n{proc.stderr}"
    st = (sysroot / "run/tillbox").stat()
    tillbox = read_db(sysroot / "etc/passwd")["tillbox"]
    assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (0o750, int(tillbox[2]),
                                                           int(tillbox[3]))


# -- udev rules -----------------------------------------------------------------------------------

class Assignment:
    def __init__(self, key: str, attr: str | None, op: str, value: str):
        self.key, self.attr, self.op, self.value = key, attr, op, value

    def __repr__(self) -> str:
        return f"{self.key}{'{' + self.attr + '}' if self.attr else ''}{self.op}\"{self.value}\""


# udev(7): keys that only match, keys that only assign, and which take an {attribute}.
MATCH_KEYS = {"ACTION", "DEVPATH", "KERNEL", "KERNELS", "NAME", "SYMLINK", "SUBSYSTEM",
              "SUBSYSTEMS", "DRIVER", "DRIVERS", "ATTR", "ATTRS", "SYSCTL", "ENV", "CONST",
              "TAG", "TAGS", "TEST", "PROGRAM", "RESULT"}
ASSIGN_KEYS = {"NAME", "SYMLINK", "OWNER", "GROUP", "MODE", "SECLABEL", "ATTR", "SYSCTL",
               "ENV", "TAG", "RUN", "LABEL", "GOTO", "IMPORT", "OPTIONS"}
NEEDS_ATTR = {"ATTR", "ATTRS", "SYSCTL", "ENV", "CONST", "SECLABEL", "IMPORT"}
OPTIONAL_ATTR = {"TEST", "RUN"}
TOKEN = re.compile(r'\s*([A-Z]+)(?:\{([^}]+)\})?\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*(?:,|$)')


def parse_rule(line: str, where: str) -> list[Assignment]:
    items, pos = [], 0
    while pos < len(line):
        m = TOKEN.match(line, pos)
        assert m, f"{where}: cannot read {line[pos:]!r} as KEY==\"value\" or KEY=\"value\""
        key, attr, op, value = m.groups()
        if op in ("==", "!="):
            assert key in MATCH_KEYS, f"{where}: {key} is not a key udev matches on"
        else:
            assert key in ASSIGN_KEYS, f"{where}: {key} cannot be assigned"
        if key in NEEDS_ATTR:
            assert attr is not None, f"{where}: {key} needs {{attribute}}"
        elif key not in OPTIONAL_ATTR:
            assert attr is None, f"{where}: {key} takes no {{attribute}}"
        items.append(Assignment(key, attr, op, value))
        pos = m.end()
    return items


def udev_rules(path: Path = UDEV_RULES) -> list[list[Assignment]]:
    rules, pending = [], ""
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = pending + raw.strip()
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        pending = ""
        if line and not line.startswith("#"):
            rules.append(parse_rule(line, f"{path.name}:{number}"))
    return rules


def test_udev_rules_are_well_formed():
    rules = udev_rules()
    assert rules
    for rule in rules:
        assert any(a.op in ("==", "!=") for a in rule), f"{rule}: matches every device"
        assert any(a.op not in ("==", "!=") for a in rule), f"{rule}: changes nothing"
        for a in rule:
            if a.op not in ("==", "!="):
                # only ownership, mode and tags: a rule that writes sysfs (ATTR{x}="...")
                # or runs programs is a typo for == or does not belong here
                assert a.key in ("GROUP", "MODE", "OWNER", "TAG", "ENV", "SYMLINK"), \
                    f"{rule}: assigns {a.key}"
            if a.key == "MODE":
                assert re.fullmatch(r"0[0-7]{3}", a.value), f"{rule}: MODE {a.value}"
                assert not int(a.value, 8) & 0o002, f"{rule}: world-writable device"
            if a.key == "TAG":
                # uaccess would hand the device to whoever sits at the console
                assert a.value != "uaccess", f"{rule}: TAG+=\"uaccess\" is not wanted"


def test_the_rule_parser_rejects_what_udev_would():
    for bad in ('SUBSYSTEM="usb", GROUP="lp"',          # = where == was meant
                'SUBSYTEM=="usb", GROUP="lp"',          # misspelt key
                'ATTR=="0416", GROUP="lp"',             # ATTR without {name}
                'SUBSYSTEM=="usb" GROUP="lp"',          # missing comma
                "SUBSYSTEM=='usb', GROUP='lp'"):        # single quotes
        with pytest.raises(AssertionError):
            parse_rule(bad, "test")


def udev_apply(device: dict[str, str]) -> dict[str, str]:
    """What our rules assign to ``device`` (keys SUBSYSTEM, KERNEL, ENV{X}, ATTR{X}), using
    udev's matching: shell globs, alternatives separated by |."""
    result: dict[str, str] = {}
    for rule in udev_rules():
        matched = True
        for a in (x for x in rule if x.op in ("==", "!=")):
            have = device.get(f"{a.key}{{{a.attr}}}" if a.attr else a.key)
            hit = have is not None and any(fnmatch.fnmatchcase(have, alt)
                                           for alt in a.value.split("|"))
            if hit != (a.op == "=="):
                matched = False
                break
        if matched:
            result.update({a.key: a.value for a in rule if a.op in ("=", ":=")})
    return result


def usb_device(vendor: str, interfaces: str) -> dict[str, str]:
    return {"SUBSYSTEM": "usb", "KERNEL": "1-1", "ENV{DEVTYPE}": "usb_device",
            "ATTR{idVendor}": vendor, "ENV{ID_USB_INTERFACES}": interfaces}


@pytest.mark.parametrize("vendor", ["0416", "04b8", "0519", "1fc9", "0483", "28e9", "0fe6"])
def test_escpos_printers_with_a_vendor_interface_go_to_group_lp(vendor):
    assert udev_apply(usb_device(vendor, ":ff0000:")) == {"GROUP": "lp", "MODE": "0664"}


def test_any_usb_printer_class_device_goes_to_group_lp():
    assert udev_apply(usb_device("1234", ":070102:")) == {"GROUP": "lp", "MODE": "0664"}


def test_other_usb_devices_and_their_interfaces_are_left_alone():
    assert udev_apply(usb_device("046d", ":030102:")) == {}   # a Logitech mouse
    interface = usb_device("0416", ":ff0000:") | {"ENV{DEVTYPE}": "usb_interface"}
    assert udev_apply(interface) == {}


def test_gpio_chips_go_to_group_gpio_and_nothing_else_of_gpio_does():
    assert udev_apply({"SUBSYSTEM": "gpio", "KERNEL": "gpiochip0"}) == \
        {"GROUP": "gpio", "MODE": "0660"}
    assert udev_apply({"SUBSYSTEM": "gpio", "KERNEL": "gpio17"}) == {}


# -- MemoryDenyWriteExecute= against the code the units run --------------------------------------

PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1

MDWE_CHILD = textwrap.dedent("""
    import ctypes, mmap, sys, tempfile
    from pathlib import Path
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(%d, %d, 0, 0, 0) != 0:
        sys.exit(f"prctl(PR_SET_MDWE): errno {ctypes.get_errno()}")
    try:   # the restriction is really on: a writable and executable mapping is refused
        mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        sys.exit("a W+X mapping was allowed: MDWE is not in force")
    except PermissionError:
        pass
    import services.core, services.printerd, services.scannerd, services.uplinkd
    import drivers.scanner.hid, drivers.scanner.serial_scanner, drivers.printer.transport
    import paho.mqtt.client, usb.core, evdev, serial, escpos.printer
    from services import tls
    services.core._return_large_blocks_to_the_os()          # ctypes call into libc
    with tempfile.TemporaryDirectory() as d:                 # cryptography: EC keys, X.509
        files = tls.ensure_certificates(Path(d), "till-1", ["localhost", "127.0.0.1"])
        assert files.cert.read_bytes().startswith(b"-----BEGIN CERTIFICATE")
    from drivers.gpio import pin_factory
    from gpiozero import LED
    led = LED(17, pin_factory=pin_factory("mock"))
    led.on()
    assert led.is_lit
    led.close()
    print("ok")
""") % (PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN)


def mdwe_problem() -> str | None:
    """Why this kernel cannot refuse W+X memory to a process (prctl PR_SET_MDWE, Linux 6.3)."""
    probe = subprocess.run([sys.executable, "-c",
                            "import ctypes,sys; l=ctypes.CDLL(None,use_errno=True); "
                            f"sys.exit(0 if l.prctl({PR_SET_MDWE},{PR_MDWE_REFUSE_EXEC_GAIN},"
                            "0,0,0)==0 else ctypes.get_errno())"])
    if probe.returncode == errno.EINVAL:
        return "the kernel has no PR_SET_MDWE (Linux 6.3 or newer): cannot emulate " \
               "MemoryDenyWriteExecute= without systemd"
    return None


def test_daemon_code_works_without_writable_executable_memory():
    """Every unit sets MemoryDenyWriteExecute=yes; this runs what the daemons load (cffi in
    cryptography, ctypes into libc, pyusb, evdev, gpiozero) under the kernel's own W^X switch,
    the same rule systemd's seccomp filter applies. lgpio (the Pi only) is not covered here."""
    problem = mdwe_problem()
    if problem:
        pytest.skip(problem)
    for unit in SERVICES:
        if unit.name.startswith("tillbox-") and unit.stem.removeprefix("tillbox-") in DAEMONS:
            assert one(read_unit(unit), "Service", "MemoryDenyWriteExecute") == "yes"
    proc = subprocess.run([sys.executable, "-c", MDWE_CHILD], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("ok"), \
        f"under PR_SET_MDWE (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
