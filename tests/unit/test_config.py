"""Configuration: TOML, typed, documented, env overrides, unknown keys warned, bad values stop."""

import logging
import re
from pathlib import Path

import pytest

from appliance import config

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def write(tmp_path, text):
    p = tmp_path / "tillbox.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_defaults_without_a_file():
    cfg = config.load(None, environ={})
    assert cfg.web.port == 8080 and cfg.web.host == "127.0.0.1"
    assert cfg.mqtt.prefix == "pos/v1"
    assert cfg.paths.data == Path("/var/lib/tillbox")
    assert cfg.source is None or cfg.source == config.DEFAULT_PATH


def test_file_values_are_typed_and_relative_paths_follow_the_file(tmp_path):
    p = write(tmp_path, '[web]\nport = 9090\n[paths]\ndata = "var"\n[shop]\nstore_id = "s-01"\n')
    cfg = config.load(p, environ={})
    assert cfg.web.port == 9090
    assert cfg.paths.data == tmp_path / "var"
    assert cfg.shop.store_id == "s-01"
    assert cfg.ledger_path == tmp_path / "var" / "ledger.db"


def test_environment_overrides_the_file(tmp_path):
    p = write(tmp_path, "[mqtt]\nport = 1883\n")
    cfg = config.load(p, environ={"TILLBOX_MQTT__PORT": "8883", "TILLBOX_MQTT__HOST": "ho.example",
                                  "TILLBOX_CLOCK__ASSUME_SYNCED": "yes"})
    assert cfg.mqtt.port == 8883 and cfg.mqtt.host == "ho.example"
    assert cfg.clock.assume_synced is True


def test_tillbox_config_names_the_file(tmp_path):
    p = write(tmp_path, "[web]\nport = 8181\n")
    assert config.load(None, environ={"TILLBOX_CONFIG": str(p)}).web.port == 8181


def test_unknown_keys_are_warned_about_by_name(tmp_path, caplog):
    p = write(tmp_path, "[web]\nprot = 1\n[colour]\nx = 1\n")
    with caplog.at_level(logging.WARNING):
        cfg = config.load(p, environ={"TILLBOX_WEB__HOTS": "x"})
    text = " ".join(cfg.warnings)
    assert "web.prot" in text and "[colour]" in text and "TILLBOX_WEB__HOTS" in text
    assert "web.prot" in caplog.text


@pytest.mark.parametrize("toml,env,key,complaint", [
    ("[web]\nport = \"80a\"\n", {}, "web.port", "whole number"),
    ("[web]\nport = 70000\n", {}, "web.port", "from 1 to 65535"),
    ("", {"TILLBOX_WEB__PORT": "eighty"}, "web.port", "TILLBOX_WEB__PORT"),
    ("[shop]\nstore_id = \"a/b\"\n", {}, "shop.store_id", "MQTT"),
    ("[shop]\ntimezone = \"Mars/Base\"\n", {}, "shop.timezone", "time zone"),
    ("[mqtt]\nprefix = \"pos/#\"\n", {}, "mqtt.prefix", "prefix"),
    ("[log]\nlevel = \"LOUD\"\n", {}, "log.level", "one of"),
    ("", {"TILLBOX_CLOCK__ASSUME_SYNCED": "maybe"}, "clock.assume_synced", "true or false"),
    ("[web]\nport = 8080.0\n", {}, "web.port", "whole number"),
])
def test_a_bad_value_gives_one_line_naming_the_key(tmp_path, toml, env, key, complaint):
    p = write(tmp_path, toml)
    with pytest.raises(config.ConfigError) as err:
        config.load(p, environ=env)
    msg = str(err.value)
    assert "\n" not in msg
    assert key in msg and complaint in msg


def test_broken_toml_and_missing_file_are_config_errors(tmp_path):
    with pytest.raises(config.ConfigError, match="not valid TOML"):
        config.load(write(tmp_path, "[web\n"), environ={})
    with pytest.raises(config.ConfigError, match="does not exist"):
        config.load(tmp_path / "nope.toml", environ={})


def test_every_key_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    for section, keys in config.SCHEMA.items():
        for name in keys:
            assert re.search(rf"`{section}\.{name}`", text), f"{section}.{name} not in docs"
            assert f"TILLBOX_{section.upper()}__{name.upper()}" in text


def test_dev_config_is_valid():
    dev = Path(__file__).resolve().parents[2] / "dev" / "tillbox.toml"
    cfg = config.load(dev, environ={})
    assert cfg.warnings == []
    assert cfg.web.port == 8080


@pytest.mark.parametrize("tz", ["America", "x" * 300])
def test_odd_time_zones_are_config_errors(tmp_path, tz):
    p = write(tmp_path, f'[shop]\ntimezone = "{tz}"\n')
    with pytest.raises(config.ConfigError, match="shop.timezone"):
        config.load(p, environ={})


def test_unknown_home_directory_is_a_config_error(tmp_path):
    p = write(tmp_path, '[paths]\ndata = "~no-such-user-here/x"\n')
    with pytest.raises(config.ConfigError, match="paths.data"):
        config.load(p, environ={})
