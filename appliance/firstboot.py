"""First boot of a box out of the SD-card image: its name and device id from the board serial.

``tillbox firstboot`` runs once, from tillbox-firstboot.service, before core first starts:

1. ``device-id`` (as the tillbox user): writes ``shop.device_id = "till-<6 hex>"`` into the
   setup overlay, unless the overlay, the config file or the environment already names one
   or a ledger already exists (the ledger belongs to one device id for good);
2. ``hostname`` (as root, without capabilities: systemd-hostnamed does the work over D-Bus):
   host name ``tillbox-<6 hex>``, and a ``127.0.1.1`` line for it in /etc/hosts;
3. ``done`` (as the tillbox user): writes ``<paths.data>/.firstboot-done``, which the unit's
   ``ConditionPathExists=!`` checks, so a technician's later changes are never undone.

Each step is idempotent: a step that fails stops the unit, and the next boot runs them all
again. The 6 hex digits are the end of the board serial: the Raspberry Pi's device tree, else
the ``Serial`` line of /proc/cpuinfo, else /etc/machine-id (other machines, containers).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .errors import TillboxError

log = logging.getLogger(__name__)

STEPS = ("device-id", "hostname", "done")
MARKER = ".firstboot-done"
SERIAL_FILES = ("sys/firmware/devicetree/base/serial-number",
                "proc/device-tree/serial-number")
HOSTS_ADDRESS = "127.0.1.1"   # Debian's address for the box's own name


@dataclass(frozen=True)
class Identity:
    serial: str     # the serial as read (lower-case hex)
    source: str     # the file it came from
    short: str      # its last 6 hex digits

    @property
    def hostname(self) -> str:
        return f"tillbox-{self.short}"

    @property
    def device_id(self) -> str:
        return f"till-{self.short}"


def _hex_serial(text: str) -> str | None:
    """A usable serial: hex, at least 6 digits, not all zeros (some boards and emulators
    report 0000000000000000, which would give every box the same name)."""
    value = text.strip().strip("\x00").strip().lower()
    if value.startswith("0x"):
        value = value[2:]
    if len(value) < 6 or not re.fullmatch(r"[0-9a-f]+", value) or not value.strip("0"):
        return None
    return value


def _read(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("ascii", "replace")
    except OSError:   # missing, or not readable here (a sandbox hiding /proc files)
        return None


def identity(root: Path = Path("/")) -> Identity:
    """The box's identity from its serial; TillboxError naming what was tried if none."""
    root = Path(root)
    tried = []
    for rel in SERIAL_FILES:
        path = root / rel
        tried.append(str(path))
        serial = _hex_serial(_read(path) or "")
        if serial:
            return Identity(serial, str(path), serial[-6:])
    cpuinfo = root / "proc/cpuinfo"
    tried.append(f"{cpuinfo} (Serial)")
    for line in (_read(cpuinfo) or "").splitlines():
        name, _sep, value = line.partition(":")
        if name.strip() == "Serial":
            serial = _hex_serial(value)
            if serial:
                return Identity(serial, str(cpuinfo), serial[-6:])
    machine_id = root / "etc/machine-id"
    tried.append(str(machine_id))
    serial = _hex_serial(_read(machine_id) or "")
    if serial:
        return Identity(serial, str(machine_id), serial[-6:])
    raise TillboxError(f"no board serial found (tried {', '.join(tried)}): on a machine "
                       "without one, create /etc/machine-id with systemd-machine-id-setup")


# -- device id ------------------------------------------------------------------------------

def _ledger_device(path: Path) -> str | None:
    if not path.exists():
        return None
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'device_id'").fetchone()
    except sqlite3.Error:
        row = None
    finally:
        conn.close()
    return row[0] if row else "?"


def ensure_device_id(config, ident: Identity) -> str:
    """Write the device id into the setup overlay unless one is already decided; says what
    was done (for the log)."""
    from .config import read_overlay
    from .provisioning import write_overlay
    have = read_overlay(config.overlay_path).get("shop", {}).get("device_id")
    if have:
        return f"device id {have} kept (already in {config.overlay_path})"
    origin = config.origins.get("shop.device_id", "default")
    if origin != "default":
        return f"device id {config.shop.device_id} kept (set in {origin})"
    owner = _ledger_device(config.ledger_path)
    if owner is not None:
        # The journal's seq belongs to one device: a new id would stop core from starting.
        return f"device id {owner} kept (the ledger {config.ledger_path} already belongs to it)"
    config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o750)
    write_overlay(config.overlay_path, {"shop": {"device_id": ident.device_id}})
    return f"device id {ident.device_id} written to {config.overlay_path} (from {ident.source})"


# -- host name ------------------------------------------------------------------------------

def set_hostname(name: str, root: Path = Path("/"), hostnamectl: str | None = "auto",
                 run=subprocess.run) -> str:
    """Set the host name through systemd-hostnamed (``hostnamectl hostname``), so no
    capability is needed; without hostnamectl, or for an image under ``root``, write
    etc/hostname instead (it takes effect at the next boot)."""
    root = Path(root)
    if hostnamectl == "auto":
        hostnamectl = shutil.which("hostnamectl") if root == Path("/") else None
    etc_hostname = root / "etc/hostname"
    current = (_read(etc_hostname) or "").strip()
    if hostnamectl:
        if current == name:
            return f"host name is already {name}"
        try:
            run([hostnamectl, "hostname", name], check=True, capture_output=True, text=True,
                timeout=60)
        except subprocess.CalledProcessError as exc:
            raise TillboxError(f"hostnamectl could not set the host name to {name}: "
                               f"{(exc.stderr or '').strip() or exc}; is systemd-hostnamed "
                               "(and D-Bus) installed?") from None
        except subprocess.TimeoutExpired:
            raise TillboxError(f"hostnamectl did not answer within 60 s setting the host "
                               f"name to {name}: is D-Bus running?") from None
        return f"host name set to {name} (hostnamectl)"
    if current == name:
        return f"host name is already {name} in {etc_hostname}"
    if root == Path("/"):
        log.warning("hostnamectl not found: writing %s instead; the name %s takes effect at "
                    "the next boot", etc_hostname, name)
    _rewrite_in_place(etc_hostname, name + "\n")
    return f"host name {name} written to {etc_hostname}"


def hosts_text(text: str, name: str) -> str:
    """/etc/hosts with the ``127.0.1.1`` line naming ``name`` (replaced, or added)."""
    lines = text.splitlines()
    wanted = f"{HOSTS_ADDRESS}\t{name}"
    found = False
    for i, line in enumerate(lines):
        fields = line.split("#", 1)[0].split()
        if fields and fields[0] == HOSTS_ADDRESS:
            lines[i] = wanted if not found else "# " + line  # one line for the address
            found = True
    if not found:
        lines.append(wanted)
    return "\n".join(lines) + "\n"


def ensure_hosts_entry(name: str, root: Path = Path("/")) -> str:
    """So the box resolves its own name (sudo, mail tools and the like complain otherwise)."""
    path = Path(root) / "etc/hosts"
    old = _read(path)
    if old is None:
        old = "127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n"
    new = hosts_text(old, name)
    if new == old:
        return f"{path} already names {name}"
    try:
        _rewrite_in_place(path, new)
    except OSError as exc:
        # Not fatal: systemd's nss-myhostname resolves the name too where it is installed.
        log.warning("could not update %s (%s): the name %s may not resolve on the box",
                    path, exc.strerror or exc, name)
        return f"{path} not updated"
    return f"{path}: {HOSTS_ADDRESS} is now {name}"


def _rewrite_in_place(path: Path, text: str) -> None:
    """Rewrite a small file without renaming: the unit can make just /etc/hosts and
    /etc/hostname writable (a bind mount), and a rename over a mount point fails."""
    data = text.encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)   # one write: these files are far smaller than a page
        os.ftruncate(fd, len(data))
        os.fsync(fd)
    finally:
        os.close(fd)


# -- done ---------------------------------------------------------------------------------------

def marker_path(config) -> Path:
    return config.data_dir / MARKER


def mark_done(config, ident: Identity) -> str:
    from .durable import write_json
    config.data_dir.mkdir(parents=True, exist_ok=True, mode=0o750)
    write_json(marker_path(config), {
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "hostname": ident.hostname, "device_id": config.shop.device_id,
        "serial_source": ident.source})
    return f"first boot done ({marker_path(config)})"


def run(step: str, root: Path, load_config) -> list[str]:
    """Run one step (or ``all``); what was done, one line each. ``load_config`` is called
    only by the steps that need the configuration: the hostname step runs as root without
    capabilities and cannot read the data directory the overlay lives in."""
    ident = identity(root)
    out = [f"board serial from {ident.source}: box {ident.hostname}"]
    steps = STEPS if step == "all" else (step,)
    config = load_config() if any(s != "hostname" for s in steps) else None
    for s in steps:
        if s == "device-id":
            out.append(ensure_device_id(config, ident))
        elif s == "hostname":
            out.append(set_hostname(ident.hostname, root))
            out.append(ensure_hosts_entry(ident.hostname, root))
        elif s == "done":
            if step == "all":
                config = load_config()  # again: with the device id just written
            out.append(mark_done(config, ident))
        else:
            raise TillboxError(f"unknown first-boot step {s}: use one of {', '.join(STEPS)}")
    for line in out:
        log.info("%s", line)
    return out
