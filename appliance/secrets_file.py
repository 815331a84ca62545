"""The secrets file (paths.secrets, TOML, mode 0600): the broker password and the like,
kept out of the configuration file and never logged."""

from __future__ import annotations

import logging
import os
import stat
import tomllib
from pathlib import Path

from .config import ConfigError

log = logging.getLogger(__name__)


def read_secrets(path: Path) -> dict:
    """The secrets as nested dicts ({} when the file does not exist)."""
    try:
        with open(path, "rb") as fh:
            mode = os.fstat(fh.fileno()).st_mode
            data = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except PermissionError:
        raise ConfigError(f"secrets file {path} is not readable by this user") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"secrets file {path} is not valid TOML: {exc}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("secrets file %s can be read by others: chmod 600 it", path)
    return data


def secret(path: Path, section: str, key: str) -> str:
    value = read_secrets(path).get(section, {}).get(key, "")
    if not isinstance(value, str):
        raise ConfigError(f"secrets file {path}: {section}.{key} must be a string")
    return value
