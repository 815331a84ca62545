"""The setup overlay (<data>/setup.toml), the setup code and `tillbox setup-code`
(appliance/config.py, appliance/provisioning.py)."""

import stat
import tomllib

import pytest

from appliance import cli, config, provisioning


def write_config(tmp_path, text=""):
    p = tmp_path / "tillbox.toml"
    p.write_text('[paths]\ndata = "data"\n' + text, encoding="utf-8")
    (tmp_path / "data").mkdir(exist_ok=True)
    return p


def write_overlay(tmp_path, text):
    (tmp_path / "data" / "setup.toml").write_text(text, encoding="utf-8")


def test_the_overlay_wins_over_the_file_and_the_environment_over_both(tmp_path):
    p = write_config(tmp_path, '[shop]\nstore_id = "from-file"\n[mqtt]\nport = 1883\n')
    write_overlay(tmp_path, '[shop]\nstore_id = "hz-0012"\n[mqtt]\nport = 8883\n'
                            'host = "ho.example"\ntls = false\n')
    cfg = config.load(p, environ={"TILLBOX_MQTT__HOST": "env.example"})
    assert cfg.shop.store_id == "hz-0012" and cfg.mqtt.port == 8883 and cfg.mqtt.tls is False
    assert cfg.mqtt.host == "env.example"
    overlay = str(tmp_path / "data" / "setup.toml")
    assert cfg.origins["shop.store_id"] == overlay
    assert cfg.origins["mqtt.host"] == "TILLBOX_MQTT__HOST"
    assert cfg.origins["web.port"] == "default"


def test_only_the_setup_keys_may_be_in_the_overlay(tmp_path, caplog):
    p = write_config(tmp_path)
    write_overlay(tmp_path, '[web]\nport = 81\n[shop]\ntimezone = "UTC"\nstore_id = "s-1"\n'
                            '[mqtt]\nwindow = 7\n')   # (mqtt.prefix may be: issue 11)
    cfg = config.load(p, environ={})
    assert cfg.web.port == 8080 and cfg.shop.timezone == "Asia/Shanghai"
    assert cfg.mqtt.window == 100 and cfg.shop.store_id == "s-1"
    text = " ".join(cfg.warnings)
    assert "web.port" in text and "shop.timezone" in text and "mqtt.window" in text
    assert "web.port" in caplog.text


@pytest.mark.parametrize("text,complaint", [
    ('[shop]\nstore_id = "a/b"\n', "shop.store_id"),
    ("[mqtt]\nport = 0\n", "mqtt.port"),
    ("[mqtt\n", "not valid TOML"),
])
def test_a_bad_overlay_stops_start_up_naming_the_overlay(tmp_path, text, complaint):
    p = write_config(tmp_path)
    write_overlay(tmp_path, text)
    with pytest.raises(config.ConfigError) as err:
        config.load(p, environ={})
    assert complaint in str(err.value) and "setup.toml" in str(err.value)
    assert "\n" not in str(err.value)


def test_no_data_directory_yet_means_no_overlay(tmp_path):
    p = tmp_path / "tillbox.toml"
    p.write_text('[paths]\ndata = "not-made-yet"\n', encoding="utf-8")
    assert config.load(p, environ={}).shop.store_id == "demo-store"


def test_writing_the_overlay_merges_and_round_trips_awkward_text(tmp_path):
    path = tmp_path / "setup.toml"
    provisioning.write_overlay(path, {"shop": {"device_id": "till-abc123"}})
    odd = 'h"o\\st\x7f\t门店'
    provisioning.write_overlay(path, {"shop": {"store_id": "s-1"},
                                      "mqtt": {"host": odd, "port": 1883, "tls": False}})
    assert tomllib.loads(path.read_text(encoding="utf-8")) == {
        "shop": {"device_id": "till-abc123", "store_id": "s-1"},
        "mqtt": {"host": odd, "port": 1883, "tls": False}}
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["setup.toml"]  # no temp file left


def test_the_overlay_writer_refuses_other_keys(tmp_path):
    with pytest.raises(ValueError, match="web.port"):
        provisioning.write_overlay(tmp_path / "setup.toml", {"web": {"port": 81}})


def test_the_setup_code_is_8_digits_private_and_kept_until_cleared(tmp_path):
    code = provisioning.issue_code(tmp_path)
    assert len(code) == 8 and code.isdigit()
    assert stat.S_IMODE((tmp_path / "setup-code").stat().st_mode) == 0o600
    assert provisioning.issue_code(tmp_path) == code  # a printed slip stays good
    provisioning.clear_code(tmp_path)
    assert provisioning.read_code(tmp_path) is None


def test_setup_code_command_prints_the_code_and_the_page(tmp_path, capsys):
    p = write_config(tmp_path, '[web]\nhost = "192.168.1.20"\nhttps_port = 8443\n')
    code = provisioning.issue_code(tmp_path / "data")
    assert cli.main(["--config", str(p), "setup-code"]) == 0
    out = capsys.readouterr().out
    assert f"setup code: {code}" in out
    assert f"https://192.168.1.20:8443/setup?code={code}" in out


def test_setup_code_command_without_a_code_says_why(tmp_path, capsys):
    p = write_config(tmp_path)
    assert cli.main(["--config", str(p), "setup-code"]) == 2
    err = capsys.readouterr().err
    assert "no setup code" in err and "set up already" in err

