"""First boot: the box's name and device id come from the board serial, once, and never
overwrite what a technician or the setup page decided (appliance/firstboot.py)."""

import json
import subprocess
import tomllib

import pytest

from appliance import cli, config, firstboot
from appliance.errors import TillboxError
from appliance.ledger import Ledger

DT_SERIAL = "sys/firmware/devicetree/base/serial-number"


def make_root(tmp_path, files):
    root = tmp_path / "root"
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode())
    (root / "etc").mkdir(parents=True, exist_ok=True)
    return root


def load(tmp_path, text=""):
    cfg = tmp_path / "tillbox.toml"
    cfg.write_text('[paths]\ndata = "data"\n' + text, encoding="utf-8")
    return config.load(cfg, environ={})


def test_the_device_tree_serial_names_the_box_in_lower_case(tmp_path):
    root = make_root(tmp_path, {DT_SERIAL: b"10000000ABCDEF12\x00"})
    ident = firstboot.identity(root)
    assert (ident.hostname, ident.device_id) == ("tillbox-cdef12", "till-cdef12")
    assert ident.source.endswith("serial-number")


@pytest.mark.parametrize("files,short", [
    ({"proc/device-tree/serial-number": b"00000000a1b2c3d4\x00"}, "b2c3d4"),
    ({"proc/cpuinfo": "processor\t: 0\nHardware\t: BCM2835\nSerial\t\t: 100000003F9E8D7C\n"},
     "9e8d7c"),
    ({"etc/machine-id": "4f2a9c0d1e7b4a55b1c3d2e1f0a9b8c7\n"}, "a9b8c7"),
    # An all-zero serial (some boards, emulators) would name every box alike: skipped.
    ({DT_SERIAL: b"0000000000000000\x00", "etc/machine-id": "0123456789abcdef0123456789abcdef\n"},
     "abcdef"),
])
def test_the_serial_falls_back_through_cpuinfo_to_the_machine_id(tmp_path, files, short):
    assert firstboot.identity(make_root(tmp_path, files)).short == short


def test_no_serial_anywhere_names_what_was_tried_and_the_fix(tmp_path):
    root = make_root(tmp_path, {"etc/machine-id": "uninitialized\n"})
    with pytest.raises(TillboxError) as err:
        firstboot.identity(root)
    assert "cpuinfo" in str(err.value) and "systemd-machine-id-setup" in str(err.value)


def test_the_device_id_goes_into_the_overlay_and_config_reads_it(tmp_path):
    cfg = load(tmp_path)
    ident = firstboot.identity(make_root(tmp_path, {DT_SERIAL: b"10000000abcdef12\x00"}))
    firstboot.ensure_device_id(cfg, ident)
    again = config.load(cfg.source, environ={})
    assert again.shop.device_id == "till-cdef12"
    assert again.origins["shop.device_id"] == str(cfg.overlay_path)


def test_the_device_id_keeps_the_stores_settings_in_the_overlay(tmp_path):
    cfg = load(tmp_path)
    cfg.data_dir.mkdir()
    cfg.overlay_path.write_text('[shop]\nstore_id = "hz-0012"\n[mqtt]\nhost = "ho.example"\n',
                                encoding="utf-8")
    ident = firstboot.identity(make_root(tmp_path, {DT_SERIAL: b"10000000abcdef12\x00"}))
    firstboot.ensure_device_id(cfg, ident)
    written = tomllib.loads(cfg.overlay_path.read_text(encoding="utf-8"))
    assert written == {"shop": {"store_id": "hz-0012", "device_id": "till-cdef12"},
                       "mqtt": {"host": "ho.example"}}


@pytest.mark.parametrize("how", ["overlay", "file", "environment", "ledger"])
def test_a_device_id_already_decided_is_never_replaced(tmp_path, how):
    ident = firstboot.identity(make_root(tmp_path, {DT_SERIAL: b"10000000abcdef12\x00"}))
    cfg_file = tmp_path / "tillbox.toml"
    cfg_file.write_text('[paths]\ndata = "data"\n' +
                        ('[shop]\ndevice_id = "till-7"\n' if how == "file" else ""),
                        encoding="utf-8")
    env = {"TILLBOX_SHOP__DEVICE_ID": "till-7"} if how == "environment" else {}
    data = tmp_path / "data"
    data.mkdir()
    if how == "overlay":
        (data / "setup.toml").write_text('[shop]\ndevice_id = "till-7"\n', encoding="utf-8")
    if how == "ledger":  # core already ran with the default id: the journal belongs to it
        Ledger(data / "ledger.db", device_id="till-1").close()
    before = (data / "setup.toml").read_bytes() if how == "overlay" else None
    said = firstboot.ensure_device_id(config.load(cfg_file, environ=env), ident)
    assert "kept" in said
    after = config.load(cfg_file, environ=env).shop.device_id
    assert after == ("till-1" if how == "ledger" else "till-7")
    if how == "overlay":
        assert (data / "setup.toml").read_bytes() == before
    else:
        assert not (data / "setup.toml").exists()


def test_hostnamectl_sets_the_name_through_hostnamed(tmp_path):
    calls = []

    def run(cmd, **kw):
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, 0, "", "")
    root = make_root(tmp_path, {"etc/hostname": "raspberrypi\n"})
    said = firstboot.set_hostname("tillbox-cdef12", root, hostnamectl="/usr/bin/hostnamectl",
                                  run=run)
    assert calls == [["/usr/bin/hostnamectl", "hostname", "tillbox-cdef12"]]
    assert "hostnamectl" in said
    (root / "etc/hostname").write_text("tillbox-cdef12\n")
    firstboot.set_hostname("tillbox-cdef12", root, hostnamectl="/usr/bin/hostnamectl", run=run)
    assert len(calls) == 1  # already so: not asked again


def test_a_failing_hostnamectl_is_an_error_naming_the_cause(tmp_path):
    def run(cmd, **kw):
        raise subprocess.CalledProcessError(1, cmd, "", "Could not set hostname: Access denied")
    with pytest.raises(TillboxError, match="Access denied.*hostnamed"):
        firstboot.set_hostname("tillbox-cdef12", make_root(tmp_path, {}),
                               hostnamectl="/usr/bin/hostnamectl", run=run)


def test_without_hostnamectl_etc_hostname_is_written(tmp_path):
    root = make_root(tmp_path, {"etc/hostname": "raspberrypi\n"})
    firstboot.set_hostname("tillbox-cdef12", root, hostnamectl=None)
    assert (root / "etc/hostname").read_text() == "tillbox-cdef12\n"


@pytest.mark.parametrize("before,after", [
    ("127.0.0.1\tlocalhost\n127.0.1.1\traspberrypi\n",
     "127.0.0.1\tlocalhost\n127.0.1.1\ttillbox-cdef12\n"),
    ("127.0.0.1\tlocalhost\n::1\tlocalhost\n",
     "127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.1.1\ttillbox-cdef12\n"),
    ("127.0.1.1 a\n# note\n127.0.1.1 b\n", "127.0.1.1\ttillbox-cdef12\n# note\n# 127.0.1.1 b\n"),
])
def test_etc_hosts_gets_one_127_0_1_1_line_for_the_name(before, after):
    assert firstboot.hosts_text(before, "tillbox-cdef12") == after
    assert firstboot.hosts_text(after, "tillbox-cdef12") == after


def test_the_whole_first_boot_from_the_command_line_then_again(tmp_path):
    root = make_root(tmp_path, {DT_SERIAL: b"10000000abcdef12\x00",
                                "etc/hostname": "raspberrypi\n",
                                "etc/hosts": "127.0.0.1\tlocalhost\n127.0.1.1\traspberrypi\n"})
    cfg_file = tmp_path / "tillbox.toml"
    cfg_file.write_text('[paths]\ndata = "data"\n', encoding="utf-8")
    argv = ["--config", str(cfg_file), "firstboot", "--root", str(root)]
    assert cli.main(argv) == 0
    assert (root / "etc/hostname").read_text() == "tillbox-cdef12\n"
    assert "127.0.1.1\ttillbox-cdef12" in (root / "etc/hosts").read_text()
    done = json.loads((tmp_path / "data" / ".firstboot-done").read_text())
    assert done["device_id"] == "till-cdef12" and done["hostname"] == "tillbox-cdef12"
    overlay = (tmp_path / "data" / "setup.toml").read_bytes()
    # Run again (a technician, or a marker lost): nothing changes.
    assert cli.main(argv) == 0
    assert (tmp_path / "data" / "setup.toml").read_bytes() == overlay
    assert config.load(cfg_file, environ={}).shop.device_id == "till-cdef12"


def test_the_hostname_step_does_not_read_the_configuration(tmp_path):
    """It runs as root without capabilities, which cannot enter the tillbox data directory."""
    root = make_root(tmp_path, {DT_SERIAL: b"10000000abcdef12\x00", "etc/hostname": "x\n"})

    def no_config():
        raise AssertionError("the hostname step loaded the configuration")
    firstboot.run("hostname", root, no_config)
    assert (root / "etc/hostname").read_text() == "tillbox-cdef12\n"


def test_a_first_boot_without_a_serial_exits_2_with_one_line(tmp_path, capsys):
    root = make_root(tmp_path, {})
    assert cli.main(["firstboot", "hostname", "--root", str(root)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("tillbox: no board serial found") and "\n" not in err
